package sandbox

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/rs/zerolog"
)

// Options configures a Sandbox. The zero value is usable.
type Options struct {
	Budget          int            // requests per Window per token before 429; 0 = 120; negative is refused
	Window          time.Duration  // 0 = time.Minute
	TransitionDelay time.Duration  // how long PAUSING/RESTORING/COMING_UP/... last; 0 = 2s
	Token           string         // if set, only this bearer token is accepted; else any non-empty bearer
	Logger          zerolog.Logger // zero value = off

	// Spec is a spec loaded by LoadSpec, shared to skip loading it again;
	// nil = New loads one.
	Spec *Spec

	// Now is the sandbox's clock, read for every time it reports or
	// compares: status transitions, restore points, backups, log windows,
	// rate-limit windows, expiries and created/updated times. nil =
	// time.Now (synctest's fake clock inside a bubble). It must be safe for
	// concurrent use; see ManualClock. Latency faults still sleep in real
	// time: they delay the caller, not the simulation.
	Now func() time.Time
}

// Validate refuses options New would refuse, without loading anything: for
// callers that build the sandbox later (on its first request).
func (o Options) Validate() error {
	if o.Budget < 0 {
		// Zero means the default; a negative budget is a mistake, not "no
		// limit", and silently serving the default would hide it.
		return fmt.Errorf("sandbox: budget %d is not allowed: give a positive number of requests per window (per token), or 0 for the default %d", o.Budget, defaultBudget)
	}
	return nil
}

const (
	defaultBudget          = 120
	defaultWindow          = time.Minute
	defaultTransitionDelay = 2 * time.Second
)

// Sandbox simulates the Management API. It is safe for concurrent use.
type Sandbox struct {
	opts  Options
	log   zerolog.Logger
	api   *apiSpec
	synth *synthesizer

	// handlers is indexed by operation.index; built in New because handlers
	// close over this sandbox's state.
	handlers []boundHandler
	// docDefaults seed config documents (config.go).
	docDefaults map[string]any
	// lintSchema checks the lints tests set (advisors.go).
	lintSchema *openapi3.Schema

	limiter *rateLimiter
	faults  *faultSet

	// requestCounts is built once in New with one counter per operation, so
	// counting needs no lock.
	requestCounts map[string]*atomic.Int64
	requestSeq    atomic.Uint64

	mu    sync.Mutex // guards st
	st    *state
	seed  SeedInfo
	delay time.Duration
}

// New loads and compiles the embedded spec (unless Options.Spec carries one),
// binds the handlers and builds the deterministic seed state. It starts no
// goroutines: state changes over time are computed on read.
func New(opts Options) (*Sandbox, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if opts.Budget == 0 {
		opts.Budget = defaultBudget
	}
	if opts.Window <= 0 {
		opts.Window = defaultWindow
	}
	if opts.TransitionDelay <= 0 {
		opts.TransitionDelay = defaultTransitionDelay
	}
	spec := opts.Spec
	if spec == nil {
		var err error
		if spec, err = LoadSpec(); err != nil {
			return nil, err
		}
	}
	api := spec.api
	s := &Sandbox{
		opts:          opts,
		log:           opts.Logger,
		api:           api,
		synth:         newSynthesizer(),
		limiter:       newRateLimiter(opts.Budget, opts.Window),
		faults:        &faultSet{},
		requestCounts: make(map[string]*atomic.Int64, len(api.ops)),
		delay:         opts.TransitionDelay,
		docDefaults:   configDefaults(),
	}
	for _, op := range api.ops {
		s.requestCounts[op.id] = &atomic.Int64{}
	}
	var err error
	if s.lintSchema, err = lintItemSchema(api); err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	if err := s.bindHandlers(); err != nil {
		return nil, fmt.Errorf("sandbox: binding handlers: %w", err)
	}
	s.st, s.seed = newSeedState(s.now())
	return s, nil
}

// Requests reports how many requests reached the operation (after
// authentication and rate limiting), for tests.
func (s *Sandbox) Requests(operationID string) int {
	if c, ok := s.requestCounts[operationID]; ok {
		return int(c.Load())
	}
	return 0
}

// requestCountsSnapshot returns the non-zero counts per operationId.
func (s *Sandbox) requestCountsSnapshot() map[string]int {
	out := make(map[string]int)
	for id, c := range s.requestCounts {
		if n := c.Load(); n > 0 {
			out[id] = int(n)
		}
	}
	return out
}

// Seed describes the seeded data so tests can build valid calls.
func (s *Sandbox) Seed() SeedInfo {
	return s.seed.clone()
}

// OperationIDs lists every operationId the sandbox serves, in spec order.
func (s *Sandbox) OperationIDs() []string {
	ids := make([]string, len(s.api.ops))
	for i, op := range s.api.ops {
		ids[i] = op.id
	}
	return ids
}
