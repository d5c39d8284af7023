package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

func TestFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault Fault
		check func(t *testing.T, s *Sandbox, tc *testClient, path string)
	}{
		{
			name:  "server error for a count, then normal",
			fault: Fault{Kind: ServerError, Operation: "v1-get-project", Count: 2, Status: http.StatusServiceUnavailable},
			check: func(t *testing.T, s *Sandbox, tc *testClient, path string) {
				for range 2 {
					r := tc.get(path)
					mustStatus(t, r, http.StatusServiceUnavailable, "injected")
					if !strings.Contains(r.message(t), "injected") || r.header.Get("X-Request-Id") == "" {
						t.Errorf("injected answer: %s %v", r.body, r.header)
					}
				}
				mustStatus(t, tc.get(path), http.StatusOK, "after the count")
				if n := s.Requests("v1-get-project"); n != 3 {
					t.Errorf("Requests = %d, want 3 (faulted requests count)", n)
				}
			},
		},
		{
			name:  "fault scoped to another operation",
			fault: Fault{Kind: ServerError, Operation: "v1-list-all-projects", Status: http.StatusBadGateway},
			check: func(t *testing.T, s *Sandbox, tc *testClient, path string) {
				mustStatus(t, tc.get(path), http.StatusOK, "other operation")
				mustStatus(t, tc.get("/v1/projects"), http.StatusBadGateway, "targeted operation")
				mustStatus(t, tc.get("/v1/projects"), http.StatusBadGateway, "count 0 lasts until cleared")
				s.ClearFaults()
				mustStatus(t, tc.get("/v1/projects"), http.StatusOK, "after ClearFaults")
			},
		},
		{
			name:  "rate limit storm reports its reset",
			fault: Fault{Kind: RateLimitStorm, Count: 1, Reset: 42 * time.Second},
			check: func(t *testing.T, s *Sandbox, tc *testClient, path string) {
				r := tc.get(path)
				mustStatus(t, r, http.StatusTooManyRequests, "storm")
				if r.header.Get("X-RateLimit-Reset") != "42" || r.header.Get("X-RateLimit-Remaining") != "0" || r.message(t) != "Rate limit exceeded" {
					t.Errorf("storm answer: %v %s", r.header, r.body)
				}
				mustStatus(t, tc.get(path), http.StatusOK, "after the storm")
			},
		},
		{
			name:  "latency delays then serves",
			fault: Fault{Kind: Latency, Count: 1, Delay: 1500 * time.Millisecond},
			check: func(t *testing.T, s *Sandbox, tc *testClient, path string) {
				start := time.Now()
				mustStatus(t, tc.get(path), http.StatusOK, "delayed")
				if took := time.Since(start); took != 1500*time.Millisecond {
					t.Errorf("took %v, want 1.5s", took)
				}
				start = time.Now()
				tc.get(path)
				if took := time.Since(start); took != 0 {
					t.Errorf("second request took %v", took)
				}
			},
		},
		{
			name:  "latency respects the request context",
			fault: Fault{Kind: Latency, Delay: time.Hour},
			check: func(t *testing.T, s *Sandbox, tc *testClient, path string) {
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				req := tc.build(request{method: http.MethodGet, path: path}).WithContext(ctx)
				resp, err := tc.rt.RoundTrip(req)
				if resp != nil {
					resp.Body.Close()
				}
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("err = %v, want deadline exceeded", err)
				}
			},
		},
		{
			name:  "drop is a connection reset",
			fault: Fault{Kind: Drop, Operation: "v1-get-project", Count: 1},
			check: func(t *testing.T, s *Sandbox, tc *testClient, path string) {
				resp, err := tc.rt.RoundTrip(tc.build(request{method: http.MethodGet, path: path}))
				if resp != nil {
					resp.Body.Close()
				}
				if !errors.Is(err, syscall.ECONNRESET) {
					t.Fatalf("err = %v, want ECONNRESET", err)
				}
				mustStatus(t, tc.get(path), http.StatusOK, "after the drop")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := newTestSandbox(t, Options{})
				s.InjectFault(tt.fault)
				tt.check(t, s, newTestClient(t, s), "/v1/projects/"+s.Seed().ProjectRef)
			})
		})
	}
}

func TestFaultControlEndpoint(t *testing.T) {
	t.Parallel()
	s := newTestSandbox(t, Options{})
	tc := newTestClient(t, s)
	path := "/v1/projects/" + s.Seed().ProjectRef

	r := tc.send(request{method: http.MethodPost, path: "/_sandbox/faults",
		raw: []byte(`[{"kind":"server_error","operation":"v1-get-project","count":1,"status":502},{"kind":"latency","delay":"1ms","count":1}]`)})
	mustStatus(t, r, http.StatusCreated, "post faults")
	var active []Fault
	r.json(t, &active)
	if len(active) != 2 || active[0].Kind != ServerError || active[1].Delay != time.Millisecond {
		t.Fatalf("active faults: %+v", active)
	}
	mustStatus(t, tc.get(path), http.StatusBadGateway, "fault from the control endpoint")
	mustStatus(t, tc.get(path), http.StatusOK, "fault consumed")

	for _, bad := range []string{`[{"kind":"meteor"}]`, `[{"kind":"server_error","status":404}]`, `[{"kind":"drop","operation":"v1-nope"}]`, `not json`} {
		mustStatus(t, tc.send(request{method: http.MethodPost, path: "/_sandbox/faults", raw: []byte(bad)}), http.StatusBadRequest, bad)
	}

	mustStatus(t, tc.send(request{method: http.MethodPost, path: "/_sandbox/faults", raw: []byte(`{"kind":"drop"}`)}), http.StatusCreated, "single fault object")
	mustStatus(t, tc.send(request{method: http.MethodDelete, path: "/_sandbox/faults"}), http.StatusNoContent, "clear")
	mustStatus(t, tc.get(path), http.StatusOK, "after clearing")

	r = tc.get("/_sandbox/requests")
	mustStatus(t, r, http.StatusOK, "request counts")
	var counts map[string]int
	if err := json.Unmarshal(r.body, &counts); err != nil {
		t.Fatal(err)
	}
	if counts["v1-get-project"] != 3 {
		t.Fatalf("counts: %v", counts)
	}
	r = tc.get("/_sandbox/seed")
	mustStatus(t, r, http.StatusOK, "seed")
	var seed SeedInfo
	r.json(t, &seed)
	if seed.ProjectRef != s.Seed().ProjectRef {
		t.Fatalf("seed over HTTP: %+v", seed)
	}
}
