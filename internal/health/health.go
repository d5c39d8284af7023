// Package health answers a service's probes: GET /healthz says the process
// is up, GET /readyz runs named checks (the store opens, the policy is
// loaded, Slack is connected, the scheduler runs) and names each in its
// answer, so an operator sees which one keeps the service unready.
package health

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// Paths served by Handler.
const (
	LivePath  = "/healthz"
	ReadyPath = "/readyz"
)

// DefaultTimeout bounds one check: probes (Kubernetes' default is 1 s)
// must get an answer, not hang on a locked store.
const DefaultTimeout = 2 * time.Second

// Check is one named condition of readiness. Run returns nil when it holds.
type Check struct {
	Name string
	Run  func(ctx context.Context) error
}

// Result is one check's answer.
type Result struct {
	Name  string `json:"name"`
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

// Report is what /readyz answers.
type Report struct {
	Ready  bool     `json:"ready"`
	Checks []Result `json:"checks"`
}

// Checker runs a fixed list of checks. It is safe for concurrent use.
type Checker struct {
	checks  []Check
	timeout time.Duration
}

// New returns a Checker of checks, each bounded by timeout (0: DefaultTimeout).
func New(timeout time.Duration, checks ...Check) *Checker {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &Checker{checks: checks, timeout: timeout}
}

// Run runs every check at once and reports each, in the order given. A
// check that outlives the timeout fails, named, with the timeout.
func (c *Checker) Run(ctx context.Context) Report {
	rep := Report{Ready: true, Checks: make([]Result, len(c.checks))}
	var wg sync.WaitGroup
	for i, chk := range c.checks {
		wg.Go(func() {
			rep.Checks[i] = c.run(ctx, chk)
		})
	}
	wg.Wait()
	for _, r := range rep.Checks {
		rep.Ready = rep.Ready && r.OK
	}
	return rep
}

func (c *Checker) run(ctx context.Context, chk Check) Result {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- chk.Run(ctx) }()
	select {
	case err := <-done:
		if err != nil {
			return Result{Name: chk.Name, Error: err.Error()}
		}
		return Result{Name: chk.Name, OK: true}
	case <-ctx.Done():
		// The check goes on in the background; its answer is dropped.
		return Result{Name: chk.Name, Error: fmt.Sprintf("no answer within %s", c.timeout)}
	}
}

// MetricsPath is where Handler serves the metrics it is given.
const MetricsPath = "/metrics"

// Handler serves LivePath (200 while the process serves at all),
// ReadyPath (200 when every check holds, else 503; a JSON Report either
// way) and, when metrics is not nil, MetricsPath.
func Handler(c *Checker, metrics http.Handler) http.Handler {
	mux := http.NewServeMux()
	if metrics != nil {
		mux.Handle("GET "+MetricsPath, metrics)
	}
	mux.HandleFunc("GET "+LivePath, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET "+ReadyPath, func(w http.ResponseWriter, r *http.Request) {
		rep := c.Run(r.Context())
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		if !rep.Ready {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_ = json.NewEncoder(w).Encode(rep)
	})
	return mux
}

// Flag is a condition set by whoever knows it (the Slack connection, the
// scheduler): a Check that holds while it is up. It is safe for concurrent
// use; the zero value is down.
type Flag struct {
	mu   sync.Mutex
	up   bool
	why  string
	name string
}

// NewFlag returns a Flag that is down, saying down until it is set.
func NewFlag(name, down string) *Flag { return &Flag{name: name, why: down} }

// Set marks the condition up, or down for why. On a nil Flag (a condition
// the process does not have) it does nothing.
func (f *Flag) Set(up bool, why string) {
	if f == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.up, f.why = up, why
}

// Check is the flag as a readiness check.
func (f *Flag) Check() Check {
	return Check{Name: f.name, Run: func(context.Context) error {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.up {
			return nil
		}
		return fmt.Errorf("%s", f.why)
	}}
}

// LoopbackByDefault binds loopback when the address names no host (":8080",
// or a bare port): listening on every interface must be asked for by name.
func LoopbackByDefault(addr string) string {
	if !strings.Contains(addr, ":") {
		return "127.0.0.1:" + addr
	}
	if strings.HasPrefix(addr, ":") {
		return "127.0.0.1" + addr
	}
	return addr
}

// Serve serves h at addr (--metrics-addr) until ctx ends, in the
// background; a listen error is returned at once, so a bad address stops
// the service starting rather than leaving it unwatched. An address without
// a host is loopback (LoopbackByDefault): what it serves needs no token.
func Serve(ctx context.Context, addr string, h http.Handler, log zerolog.Logger) error {
	addr = LoopbackByDefault(addr)
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("--metrics-addr %s: %w", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Error().Err(err).Str("addr", addr).Msg("serving health and metrics")
		}
	}()
	go func() {
		<-ctx.Done()
		grace, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(grace)
	}()
	return nil
}
