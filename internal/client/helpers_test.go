package client

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

const testToken = "sbp_0123456789abcdef0123456789abcdef01234567"

// fault is a network failure memTransport can simulate.
type fault int

const (
	noFault         fault = iota
	dialFailed            // the connection could not be made: nothing was sent
	resetAfterWrite       // the server got the request, then the connection was reset
)

// memTransport is an http.RoundTripper that serves requests with an
// http.Handler in memory, so tests can run in a synctest bubble (real
// sockets are not durably blocking). Like http.Transport it fires the
// httptrace GotConn and WroteRequest hooks, and it can simulate faults.
type memTransport struct {
	handler http.Handler
	// fault, if set, picks the fault for the n-th round trip (1-based).
	fault func(r *http.Request, n int) fault
	trips atomic.Int64
}

func (t *memTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	n := int(t.trips.Add(1))
	f := noFault
	if t.fault != nil {
		f = t.fault(req, n)
	}
	if req.Body != nil {
		defer req.Body.Close()
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if f == dialFailed {
		return nil, t.dialError()
	}
	trace := httptrace.ContextClientTrace(ctx)
	if trace != nil && trace.GotConn != nil {
		trace.GotConn(httptrace.GotConnInfo{})
	}
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
	}
	if trace != nil && trace.WroteRequest != nil {
		trace.WroteRequest(httptrace.WroteRequestInfo{})
	}

	// The server side gets its own copy, as over a real connection.
	server := req.Clone(ctx)
	server.Body = io.NopCloser(bytes.NewReader(body))
	server.RequestURI = req.URL.RequestURI()
	server.Host = req.URL.Host
	rec := httptest.NewRecorder()
	t.handler.ServeHTTP(rec, server)

	if f == resetAfterWrite {
		return nil, &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

// dialError is what http.Transport returns when it cannot connect.
func (t *memTransport) dialError() error {
	return &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
}

// hit is one request as the server saw it.
type hit struct {
	at     time.Time
	method string
	path   string
	query  string
	header http.Header
	body   string
}

// server records every request reaching it and answers with respond.
type server struct {
	mu      sync.Mutex
	hits    []hit
	respond func(w http.ResponseWriter, r *http.Request, n int) // n is 1-based
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.hits = append(s.hits, hit{
		at: time.Now(), method: r.Method, path: r.URL.Path, query: r.URL.RawQuery,
		header: r.Header.Clone(), body: string(body),
	})
	n := len(s.hits)
	s.mu.Unlock()
	if s.respond == nil {
		okJSON(w, r, n)
		return
	}
	s.respond(w, r, n)
}

func (s *server) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.hits)
}

// times returns when requests whose path contains substr arrived, sorted.
func (s *server) times(substr string) []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ts []time.Time
	for _, h := range s.hits {
		if strings.Contains(h.path, substr) {
			ts = append(ts, h.at)
		}
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) })
	return ts
}

func (s *server) all() []hit {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]hit(nil), s.hits...)
}

func okJSON(w http.ResponseWriter, _ *http.Request, _ int) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Request-Id", "req-ok")
	io.WriteString(w, `{"ok":true}`)
}

// newTestCaller returns a Caller wired to srv in memory; edit adjusts the
// config first.
func newTestCaller(t testing.TB, srv http.Handler, edit func(*Config)) (*Caller, *memTransport) {
	t.Helper()
	mt := &memTransport{handler: srv}
	// 60 per minute: the documented budget these tests were built on
	// (since then it is 120, and follows the API: TestGlobalBudgetFollowsTheAPI).
	cfg := Config{Token: testToken, Transport: mt, UserAgent: "supaops/test", Limits: Limits{Global: Budget{Requests: 60, Window: time.Minute}}}
	if edit != nil {
		edit(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c, mt
}

func newReq(t testing.TB, ctx context.Context, c *Caller, method, pathAndQuery string, body string) *http.Request {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL()+pathAndQuery, r)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// assertBudget fails if more than n of the sorted times fall in any
// half-open window of length w.
func assertBudget(t *testing.T, times []time.Time, n int, w time.Duration) {
	t.Helper()
	for i := 0; i+n < len(times); i++ {
		if gap := times[i+n].Sub(times[i]); gap < w {
			t.Fatalf("%d requests within %s (from request %d at +%s): budget is %d per %s",
				n+1, gap, i, times[i].Sub(times[0]), n, w)
		}
	}
}

// countAt counts how many times equal at.
func countAt(times []time.Time, at time.Time) int {
	n := 0
	for _, ts := range times {
		if ts.Equal(at) {
			n++
		}
	}
	return n
}
