package client

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// (a) The global budget holds under concurrency, and every request completes.
func TestGlobalBudgetHoldsUnderConcurrency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &server{}
		c, _ := newTestCaller(t, srv, nil)
		const callers, total = 20, 150
		start := time.Now()

		var next, failed atomic.Int32
		var wg sync.WaitGroup
		for range callers {
			wg.Go(func() {
				for i := next.Add(1); i <= total; i = next.Add(1) {
					// Distinct paths, so that GET collapsing does not hide requests.
					if _, err := c.Do(newReq(t, t.Context(), c, "GET", fmt.Sprintf("/v1/projects/p%d", i), "")); err != nil {
						t.Errorf("request %d: %v", i, err)
						failed.Add(1)
					}
				}
			})
		}
		wg.Wait()

		times := srv.times("/v1/projects/")
		if len(times) != total || failed.Load() != 0 {
			t.Fatalf("%d requests reached the server and %d failed, want %d and 0", len(times), failed.Load(), total)
		}
		assertBudget(t, times, 60, time.Minute)
		// 60 at once, 60 a minute later, the last 30 a minute after that.
		for _, want := range []struct {
			at time.Duration
			n  int
		}{{0, 60}, {time.Minute, 60}, {2 * time.Minute, 30}} {
			if got := countAt(times, start.Add(want.at)); got != want.n {
				t.Errorf("%d requests sent at +%s, want %d", got, want.at, want.n)
			}
		}
	})
}

// (b) A per-endpoint budget holds per project ref, and requests to other
// endpoints are limited only by the global budget.
func TestEndpointBudget(t *testing.T) {
	t.Run("logs.all does not slow other endpoints", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			srv := &server{}
			c, _ := newTestCaller(t, srv, nil)
			start := time.Now()
			var wg sync.WaitGroup
			for i := range 45 {
				wg.Go(func() {
					path := fmt.Sprintf("/v1/projects/a/analytics/endpoints/logs.all?sql=select+%d", i)
					if _, err := c.Do(newReq(t, t.Context(), c, "GET", path, "")); err != nil {
						t.Error(err)
					}
				})
			}
			var otherDone []time.Duration
			var mu sync.Mutex
			for i := range 30 {
				wg.Go(func() {
					if _, err := c.Do(newReq(t, t.Context(), c, "GET", fmt.Sprintf("/v1/projects/p%d", i), "")); err != nil {
						t.Error(err)
					}
					mu.Lock()
					otherDone = append(otherDone, time.Since(start))
					mu.Unlock()
				})
			}
			wg.Wait()

			logs := srv.times("logs.all")
			assertBudget(t, logs, 30, time.Minute)
			if got := countAt(logs, start); got != 30 {
				t.Errorf("%d logs.all requests sent at once, want 30", got)
			}
			if got := countAt(logs, start.Add(time.Minute)); got != 15 {
				t.Errorf("%d logs.all requests sent after a minute, want 15", got)
			}
			for _, d := range otherDone {
				if d != 0 {
					t.Fatalf("a request to another endpoint took %s; the global budget had room for it at once", d)
				}
			}
			assertBudget(t, srv.times("/v1/"), 60, time.Minute)
		})
	})

	t.Run("counted per project ref", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			srv := &server{}
			c, _ := newTestCaller(t, srv, func(cfg *Config) {
				cfg.Limits.Global = Budget{Requests: 1000, Window: time.Minute}
			})
			start := time.Now()
			var wg sync.WaitGroup
			for _, ref := range []string{"a", "b"} {
				for i := range 40 {
					wg.Go(func() {
						path := fmt.Sprintf("/v1/projects/%s/analytics/endpoints/logs.all?q=%d", ref, i)
						if _, err := c.Do(newReq(t, t.Context(), c, "GET", path, "")); err != nil {
							t.Error(err)
						}
					})
				}
			}
			wg.Wait()
			for _, ref := range []string{"/projects/a/", "/projects/b/"} {
				times := srv.times(ref)
				assertBudget(t, times, 30, time.Minute)
				if got := countAt(times, start); got != 30 {
					t.Errorf("%s: %d sent at once, want 30", ref, got)
				}
			}
		})
	})

	t.Run("database/context at most 1 per second", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			srv := &server{}
			c, _ := newTestCaller(t, srv, nil)
			start := time.Now()
			var wg sync.WaitGroup
			for i := range 5 {
				wg.Go(func() {
					req := newReq(t, t.Context(), c, "GET", fmt.Sprintf("/v1/projects/a/database/context?i=%d", i), "")
					if _, err := c.Do(req); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			times := srv.times("database/context")
			for i, at := range times {
				if want := start.Add(time.Duration(i) * time.Second); !at.Equal(want) {
					t.Errorf("request %d sent at +%s, want +%ds", i, at.Sub(start), i)
				}
			}
		})
	})
}

// (f) X-RateLimit-Remaining: 0 holds the bucket the response belongs to
// until the reset.
func TestServerRemainingZeroHoldsBucket(t *testing.T) {
	tests := []struct {
		name     string
		first    string        // path of the response that says Remaining: 0
		next     string        // path of the following request
		reset    string        // X-RateLimit-Reset
		wantWait time.Duration // how long next waits
	}{
		{"global bucket", "/v1/projects/p1", "/v1/projects/p2", "5", 5 * time.Second},
		{"fractional reset", "/v1/projects/p1", "/v1/organizations", "2.5", 2500 * time.Millisecond},
		{"same endpoint and ref", "/v1/projects/a/analytics/endpoints/logs.all", "/v1/projects/a/analytics/endpoints/logs.all?x=1", "20", 20 * time.Second},
		{"same endpoint, other ref", "/v1/projects/a/analytics/endpoints/logs.all", "/v1/projects/b/analytics/endpoints/logs.all", "20", 0},
		{"endpoint hold spares other endpoints", "/v1/projects/a/analytics/endpoints/logs.all", "/v1/projects/a", "20", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := &server{respond: func(w http.ResponseWriter, r *http.Request, n int) {
					w.Header().Set("X-RateLimit-Limit", "120")
					w.Header().Set("X-RateLimit-Remaining", "7")
					w.Header().Set("X-RateLimit-Reset", tt.reset)
					if n == 1 {
						w.Header().Set("X-RateLimit-Remaining", "0")
					}
					okJSON(w, r, n)
				}}
				c, _ := newTestCaller(t, srv, nil)
				if _, err := c.Do(newReq(t, t.Context(), c, "GET", tt.first, "")); err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				if _, err := c.Do(newReq(t, t.Context(), c, "GET", tt.next, "")); err != nil {
					t.Fatal(err)
				}
				if got := time.Since(start); got != tt.wantWait {
					t.Errorf("next request waited %s, want %s", got, tt.wantWait)
				}
			})
		})
	}
}

// A 429 on an endpoint without its own rule holds every request, as the
// server then blocks all calls.
func TestTooManyRequestsHoldsConcurrentRequests(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &server{respond: func(w http.ResponseWriter, r *http.Request, n int) {
			if n == 1 {
				w.Header().Set("X-RateLimit-Reset", "9")
				w.WriteHeader(http.StatusTooManyRequests)
				return
			}
			okJSON(w, r, n)
		}}
		c, _ := newTestCaller(t, srv, nil)
		start := time.Now()
		if _, err := c.Do(newReq(t, t.Context(), c, "GET", "/v1/projects/p1", "")); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Do(newReq(t, t.Context(), c, "GET", "/v1/organizations", "")); err != nil {
			t.Fatal(err)
		}
		for _, h := range srv.all()[1:] {
			if got := h.at.Sub(start); got != 9*time.Second {
				t.Errorf("%s sent at +%s, want +9s", h.path, got)
			}
		}
	})
}

// Waiting for a slot gives up when ctx is canceled, without sending.
func TestLimiterWaitRespectsCancellation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &server{}
		c, _ := newTestCaller(t, srv, func(cfg *Config) {
			cfg.Limits.Global = Budget{Requests: 1, Window: time.Minute}
		})
		if _, err := c.Do(newReq(t, t.Context(), c, "GET", "/v1/projects/p1", "")); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(3*time.Second, cancel)
		start := time.Now()
		_, err := c.Do(newReq(t, ctx, c, "GET", "/v1/projects/p2", ""))
		var reqErr *RequestError
		if !errors.As(err, &reqErr) || reqErr.TimedOut {
			t.Fatalf("err = %v, want a canceled *RequestError", err)
		}
		if got := time.Since(start); got != 3*time.Second {
			t.Errorf("gave up after %s, want 3s", got)
		}
		if srv.count() != 1 {
			t.Errorf("%d requests reached the server, want 1", srv.count())
		}
	})
}

// The sliding log never lets more than N sends into any window of length W,
// whatever the arrival pattern, and sends as soon as the budget allows.
func TestSlidingLogIsStrict(t *testing.T) {
	const n, w = 5, 10 * time.Second
	rng := rand.New(rand.NewPCG(1, 2))
	l := newLimiter(Budget{Requests: n, Window: w}, nil, DefaultBackgroundShare)
	now := time.Unix(0, 0)
	var sent []time.Time
	for range 2000 {
		now = now.Add(time.Duration(rng.IntN(4000)) * time.Millisecond)
		for {
			ready, _, ok := l.tryAcquire(route{}, now)
			if ok {
				sent = append(sent, now)
				break
			}
			if !ready.After(now) {
				t.Fatalf("refused at %s but said ready at %s", now, ready)
			}
			now = ready
		}
	}
	sort.Slice(sent, func(i, j int) bool { return sent[i].Before(sent[j]) })
	assertBudget(t, sent, n, w)
	// Work-conserving: a send that waited went at the first instant it could.
	for i := n; i < len(sent); i++ {
		if gap := sent[i].Sub(sent[i-n]); gap < w {
			t.Fatalf("sends %d and %d only %s apart", i-n, i, gap)
		}
	}
}

// A token bucket with burst N would admit 2N in the first window; the log
// admits N, then one more each time the oldest send leaves the window.
func TestSlidingLogVsTokenBucketBurst(t *testing.T) {
	l := newLimiter(Budget{Requests: 60, Window: time.Minute}, nil, DefaultBackgroundShare)
	start := time.Unix(0, 0)
	admitted := 0
	for at := time.Duration(0); at < time.Minute; at += 100 * time.Millisecond {
		for {
			if _, _, ok := l.tryAcquire(route{}, start.Add(at)); !ok {
				break
			}
			admitted++
		}
	}
	if admitted != 60 {
		t.Fatalf("%d requests admitted within the first minute, want 60", admitted)
	}
}

func TestRouteFor(t *testing.T) {
	rules, err := compileRules(DefaultEndpointLimits())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		method, path string
		wantLabel    string
		wantKey      string
	}{
		{"GET", "/v1/projects/abc/analytics/endpoints/logs.all", "GET /v1/projects/{ref}/analytics/endpoints/logs.all", "GET /v1/projects/abc/analytics/endpoints/logs.all"},
		{"GET", "/v1/projects/abc/database/context/", "GET /v1/projects/{ref}/database/context", "GET /v1/projects/abc/database/context"},
		{"POST", "/v1/projects/abc/custom-hostname/initialize", "POST /v1/projects/{ref}/custom-hostname/initialize", "POST /v1/projects/abc/custom-hostname/initialize"},
		{"DELETE", "/v1/projects/abc/custom-hostname", "DELETE /v1/projects/{ref}/custom-hostname", "DELETE /v1/projects/abc/custom-hostname"},
		{"GET", "/v1/projects/abc/custom-hostname", "/v1/projects/abc/custom-hostname", ""},                            // method differs
		{"POST", "/v1/projects/abc/analytics/endpoints/logs.all", "/v1/projects/abc/analytics/endpoints/logs.all", ""}, // method differs
		{"GET", "/v1/projects/abc/analytics/endpoints/logs.all/x", "/v1/projects/abc/analytics/endpoints/logs.all/x", ""},
		{"GET", "/v1/projects//database/context", "/v1/projects//database/context", ""}, // empty ref
		{"GET", "/v1/projects", "/v1/projects", ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			rt := routeFor(rules, tt.method, tt.path)
			if rt.label != tt.wantLabel || rt.key != tt.wantKey {
				t.Errorf("route = {label %q, key %q}, want {%q, %q}", rt.label, rt.key, tt.wantLabel, tt.wantKey)
			}
		})
	}
}

func TestCompileRuleRejectsMalformedRules(t *testing.T) {
	minute := []Budget{{Requests: 1, Window: time.Minute}}
	for _, l := range []EndpointLimit{
		{Rule: "/v1/projects", Budgets: minute},
		{Rule: "get /v1/projects", Budgets: minute},
		{Rule: "GET v1/projects", Budgets: minute},
		{Rule: "GET /v1//projects", Budgets: minute},
		{Rule: "GET /v1/projects"},
		{Rule: "GET /v1/projects", Budgets: []Budget{{Requests: 0, Window: time.Minute}}},
		{Rule: "GET /v1/projects", Budgets: []Budget{{Requests: 1}}},
	} {
		if _, err := New(Config{Token: testToken, Limits: Limits{Endpoints: []EndpointLimit{l}}}); err == nil {
			t.Errorf("New accepted endpoint limit %+v", l)
		}
	}
}

func TestServerResetDelay(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name   string
		header http.Header
		want   time.Duration
	}{
		{"reset seconds", http.Header{"X-Ratelimit-Reset": {"7"}}, 7 * time.Second},
		{"reset wins over retry-after", http.Header{"X-Ratelimit-Reset": {"7"}, "Retry-After": {"30"}}, 7 * time.Second},
		{"reset as epoch", http.Header{"X-Ratelimit-Reset": {fmt.Sprint(now.Add(42 * time.Second).Unix())}}, 42 * time.Second},
		{"retry-after seconds", http.Header{"Retry-After": {"3"}}, 3 * time.Second},
		{"retry-after date", http.Header{"Retry-After": {now.Add(11 * time.Second).Format(http.TimeFormat)}}, 11 * time.Second},
		{"garbage reset falls back", http.Header{"X-Ratelimit-Reset": {"soon"}, "Retry-After": {"4"}}, 4 * time.Second},
		{"nothing", http.Header{}, time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := serverResetDelay(tt.header, now); got != tt.want {
				t.Errorf("serverResetDelay = %s, want %s", got, tt.want)
			}
		})
	}
}

// Endpoint buckets for refs no longer in use are dropped.
func TestIdleEndpointBucketsAreSwept(t *testing.T) {
	rules, err := compileRules(DefaultEndpointLimits())
	if err != nil {
		t.Fatal(err)
	}
	l := newLimiter(Budget{Requests: 1 << 20, Window: time.Second}, rules, DefaultBackgroundShare)
	now := time.Unix(0, 0)
	for i := range 10_000 {
		now = now.Add(time.Minute)
		rt := routeFor(rules, "GET", fmt.Sprintf("/v1/projects/r%d/database/context", i))
		if _, _, ok := l.tryAcquire(rt, now); !ok {
			t.Fatal("refused a request to a fresh bucket")
		}
		l.observe(rt, http.StatusOK, nil, now) // answered: no longer in flight
	}
	if n := len(l.buckets); n > 2*minSweepBuckets {
		t.Errorf("%d endpoint buckets kept, want at most %d", n, 2*minSweepBuckets)
	}
}
