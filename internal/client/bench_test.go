package client

import (
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// The benchmarks compare Caller.Do with a plain http.Client.Do against the
// same in-memory handler, so the difference is the Caller's own overhead
// (headers, limiter, collapsing, body copy, error handling). The budget is
// large enough never to wait.

func benchHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "bench")
		io.WriteString(w, `{"id":"abcdefghijklmnopqrst","name":"bench","status":"ACTIVE_HEALTHY"}`)
	})
}

func benchCaller(b *testing.B) *Caller {
	c, _ := newTestCaller(b, benchHandler(), func(cfg *Config) {
		cfg.Limits.Global = Budget{Requests: 1 << 20, Window: 100 * time.Millisecond}
	})
	return c
}

func BenchmarkCallerDo(b *testing.B) {
	c := benchCaller(b)
	req := newReq(b, b.Context(), c, "GET", "/v1/projects/abcdefghijklmnopqrst", "")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Do(req); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCallerDoPOST(b *testing.B) {
	c := benchCaller(b)
	b.ReportAllocs()
	for b.Loop() {
		req := newReq(b, b.Context(), c, "POST", "/v1/projects/abcdefghijklmnopqrst/database/query", `{"query":"select 1"}`)
		if _, err := c.Do(req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCallerDoParallel: distinct URLs, so nothing collapses and every
// goroutine contends for the one limiter.
func BenchmarkCallerDoParallel(b *testing.B) {
	c := benchCaller(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			req := newReq(b, b.Context(), c, "GET", "/v1/projects/p"+strconv.Itoa(i), "")
			if _, err := c.Do(req); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkHTTPClientDo(b *testing.B) {
	hc := &http.Client{Transport: &memTransport{handler: benchHandler()}}
	req, _ := http.NewRequestWithContext(b.Context(), http.MethodGet, DefaultBaseURL+"/v1/projects/abcdefghijklmnopqrst", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Accept", "application/json")
	b.ReportAllocs()
	for b.Loop() {
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadAll(resp.Body); err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
	}
}

// BenchmarkLimiterDecision measures one admission decision of the limiter
// (lock, prune, check, record) at the documented budgets, on a clock that
// moves 2s per decision so that every request is admitted (30 per minute:
// the background share), and the refusal a background request gets once the
// share is used.
func BenchmarkLimiterDecision(b *testing.B) {
	rules, err := compileRules(DefaultEndpointLimits())
	if err != nil {
		b.Fatal(err)
	}
	plain := routeFor(rules, "GET", "/v1/projects/abcdefghijklmnopqrst")
	logs := routeFor(rules, "GET", "/v1/projects/abcdefghijklmnopqrst/analytics/endpoints/logs.all")
	noQuota := &background{key: "job:sweep"}
	withQuota := &background{key: "job:sweep", quota: Budget{Requests: 100, Window: time.Minute}}
	tests := []struct {
		name  string
		route route
		kinds []*background // cycled through; nil: interactive
		step  time.Duration // clock advance per decision
		ok    bool          // every decision admits
	}{
		{"interactive", plain, []*background{nil}, 2 * time.Second, true},
		{"interactive endpoint", logs, []*background{nil}, 2 * time.Second, true},
		{"background", plain, []*background{noQuota}, 2 * time.Second, true},
		{"background with quota", plain, []*background{withQuota}, 2 * time.Second, true},
		{"background endpoint with quota", logs, []*background{withQuota}, 4 * time.Second, true},
		{"background refused", plain, []*background{noQuota}, 0, false},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			l := newLimiter(DefaultGlobalBudget(), rules, DefaultBackgroundShare)
			now := time.Unix(0, 0)
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				now = now.Add(tt.step)
				r := request{route: tt.route, bg: tt.kinds[i%len(tt.kinds)]}
				if d := l.acquire(&r, now); tt.ok && !d.ok {
					b.Fatalf("decision %d refused: %s", i, d.reason)
				}
				i++
			}
		})
	}
}
