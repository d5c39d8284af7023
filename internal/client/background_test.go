package client

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// Background requests alone fill only their share of each window, of the
// global budget and of an endpoint's, and leave the rest to interactive ones.
func TestBackgroundStopsAtShare(t *testing.T) {
	tests := []struct {
		name       string
		share      float64
		path       string // %d: the request's number
		n          int
		wantAtOnce int           // background requests sent at once
		wantPer    int           // background requests per window, ever
		window     time.Duration // of the budget that limits them
	}{
		{"default half of the global budget", 0, "/v1/projects/p%d", 45, 30, 30, time.Minute},
		{"a quarter", 0.25, "/v1/projects/p%d", 45, 15, 15, time.Minute},
		{"all of it", 1, "/v1/projects/p%d", 75, 60, 60, time.Minute},
		{"rounded down", 0.29, "/v1/projects/p%d", 45, 17, 17, time.Minute},
		{"half of an endpoint budget", 0, "/v1/projects/a/analytics/endpoints/logs.all?q=%d", 40, 15, 15, time.Minute},
		{"at least one per window", 0.01, "/v1/projects/a/database/context?q=%d", 3, 1, 1, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := &server{}
				c, _ := newTestCaller(t, srv, func(cfg *Config) {
					cfg.Limits.BackgroundShare = tt.share
					cfg.Retry.MaxRateLimitWait = 10 * time.Minute
				})
				start := time.Now()
				ctx := WithBackground(t.Context(), "job:sweep", Budget{})
				var wg sync.WaitGroup
				for i := range tt.n {
					wg.Go(func() {
						if _, err := c.Do(newReq(t, ctx, c, "GET", fmt.Sprintf(tt.path, i), "")); err != nil {
							t.Error(err)
						}
					})
				}
				// Interactive requests find the rest of the window free
				// while background ones wait.
				var interactiveAt time.Time
				if tt.share < 1 {
					wg.Go(func() {
						time.Sleep(time.Second / 2)
						if _, err := c.Do(newReq(t, t.Context(), c, "GET", "/v1/organizations", "")); err != nil {
							t.Error(err)
						}
						interactiveAt = time.Now()
					})
				}
				wg.Wait()

				times := srv.times("/v1/projects/")
				if len(times) != tt.n {
					t.Fatalf("%d background requests sent, want %d", len(times), tt.n)
				}
				if got := countAt(times, start); got != tt.wantAtOnce {
					t.Errorf("%d background requests sent at once, want %d", got, tt.wantAtOnce)
				}
				assertBudget(t, times, tt.wantPer, tt.window)
				if got := interactiveAt.Sub(start); tt.share < 1 && got != time.Second/2 {
					t.Errorf("the interactive request was sent at +%s, want +0.5s (at once)", got)
				}
			})
		})
	}
}

// While an interactive request waits for a budget, background requests
// needing it are not let through ahead of it, even where the share would
// allow them.
func TestInteractiveGoesFirst(t *testing.T) {
	tests := []struct {
		name      string
		global    Budget
		share     float64
		bgPath    string // %d: the request's number
		bgN       int
		arrive    time.Duration // when the interactive requests come
		intPath   string
		intN      int
		wantInt   time.Duration   // when they are sent
		wantBgAt  []time.Duration // when background requests are sent
		bgPerSlot int             // how many background requests each listed time sends
	}{
		{
			name: "the global budget, all of it shared", global: Budget{Requests: 4, Window: 10 * time.Second}, share: 1,
			bgPath: "/v1/projects/p%d", bgN: 12, arrive: 3 * time.Second,
			intPath: "/v1/organizations?i=%d", intN: 3, wantInt: 10 * time.Second,
			// 4 at once; at +10s the interactive three take three of the
			// four free slots; the rest follow as slots free.
			wantBgAt: []time.Duration{0, 0, 0, 0, 10 * time.Second, 20 * time.Second, 20 * time.Second, 20 * time.Second, 20 * time.Second, 30 * time.Second, 30 * time.Second, 30 * time.Second},
		},
		{
			name: "an endpoint allowing one per second", global: Budget{Requests: 60, Window: time.Minute},
			bgPath: "/v1/projects/a/database/context?b=%d", bgN: 4, arrive: time.Second / 2,
			intPath: "/v1/projects/a/database/context?i=%d", intN: 1, wantInt: time.Second,
			wantBgAt: []time.Duration{0, 2 * time.Second, 3 * time.Second, 4 * time.Second},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := &server{}
				c, _ := newTestCaller(t, srv, func(cfg *Config) {
					cfg.Limits.Global = tt.global
					cfg.Limits.BackgroundShare = tt.share
					cfg.Retry.MaxRateLimitWait = 10 * time.Minute
				})
				start := time.Now()
				ctx := WithBackground(t.Context(), "job:backup", Budget{})
				var wg sync.WaitGroup
				for i := range tt.bgN {
					wg.Go(func() {
						if _, err := c.Do(newReq(t, ctx, c, "GET", fmt.Sprintf(tt.bgPath, i), "")); err != nil {
							t.Error(err)
						}
					})
				}
				time.Sleep(tt.arrive)
				for i := range tt.intN {
					wg.Go(func() {
						if _, err := c.Do(newReq(t, t.Context(), c, "GET", fmt.Sprintf(tt.intPath, i), "")); err != nil {
							t.Error(err)
						}
					})
				}
				wg.Wait()

				var bg, in []time.Duration
				for _, h := range srv.all() {
					if strings.Contains(h.query, "i=") {
						in = append(in, h.at.Sub(start))
					} else {
						bg = append(bg, h.at.Sub(start))
					}
				}
				for _, at := range in {
					if at != tt.wantInt {
						t.Errorf("an interactive request was sent at +%s, want +%s", at, tt.wantInt)
					}
				}
				if fmt.Sprint(bg) != fmt.Sprint(tt.wantBgAt) {
					t.Errorf("background requests sent at %v, want %v", bg, tt.wantBgAt)
				}
			})
		})
	}
}

// An interactive request holds background ones back only from the budget
// it waits for last: one waiting a minute for a strict endpoint budget does
// not stop background work on the global budget, which frees sooner.
func TestBackgroundYieldsOnlyWhereInteractiveWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &server{}
		c, _ := newTestCaller(t, srv, func(cfg *Config) {
			cfg.Limits.Global = Budget{Requests: 4, Window: 10 * time.Second}
			cfg.Limits.Endpoints = []EndpointLimit{{Rule: "GET /v1/projects/{ref}/slow", Budgets: []Budget{{Requests: 1, Window: time.Minute}}}}
		})
		start := time.Now()
		for _, path := range []string{"/v1/projects/a/slow", "/v1/projects/p1", "/v1/projects/p2", "/v1/projects/p3"} {
			if _, err := c.Do(newReq(t, t.Context(), c, "GET", path, "")); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		// Waits for the global budget (10s) and the endpoint's (a minute).
		wg.Go(func() {
			if _, err := c.Do(newReq(t, t.Context(), c, "GET", "/v1/projects/a/slow?again", "")); err != nil {
				t.Error(err)
			}
		})
		synctest.Wait()
		time.Sleep(time.Second)
		if _, err := c.Do(newReq(t, WithBackground(t.Context(), "job:x", Budget{}), c, "GET", "/v1/projects/bg", "")); err != nil {
			t.Fatal(err)
		}
		if got := time.Since(start); got != 10*time.Second {
			t.Errorf("the background request was sent at +%s, want +10s, when the global budget had room", got)
		}
		wg.Wait()
	})
}

// A background request whose own budgets have room waits for the
// interactive requests ahead of it until they stop waiting, or until its
// wait cap.
func TestBackgroundBehindInteractiveIsBounded(t *testing.T) {
	tests := []struct {
		name      string
		leaveAt   time.Duration // when the interactive request stops waiting; 0: never
		wantAfter time.Duration
		wantErr   string
	}{
		{"sent when the interactive request goes", 2 * time.Second, 2 * time.Second, ""},
		{"gives up at the cap", 0, 5 * time.Second, "background request not sent: interactive requests waiting for the budget for all requests went first until the rate-limit wait cap"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				l := newLimiter(Budget{Requests: 1, Window: 10 * time.Second}, nil, 1)
				if _, _, ok := l.tryAcquire(route{}, time.Now()); !ok {
					t.Fatal("first request refused")
				}
				// An interactive request that stays counted as waiting, as
				// one whose goroutine has not run yet would.
				in := request{queue: true}
				if d := l.acquire(&in, time.Now()); d.ok {
					t.Fatal("second request admitted")
				}
				time.Sleep(10 * time.Second) // the budget has room again
				if tt.leaveAt > 0 {
					time.AfterFunc(tt.leaveAt, func() { l.leave(&in) })
				}
				start := time.Now()
				_, err := l.wait(t.Context(), route{}, &background{key: "job:x"}, 5*time.Second)
				if got := time.Since(start); got != tt.wantAfter {
					t.Errorf("the background request waited %s, want %s", got, tt.wantAfter)
				}
				if fmt.Sprint(err) != cmp.Or(tt.wantErr, "<nil>") {
					t.Errorf("err = %v, want %s", err, cmp.Or(tt.wantErr, "nil"))
				}
			})
		})
	}
}

// Each background key stays within its own quota; another key goes on.
func TestBackgroundKeyQuota(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &server{}
		c, _ := newTestCaller(t, srv, func(cfg *Config) {
			cfg.Retry.MaxRateLimitWait = 2 * time.Minute
		})
		start := time.Now()
		jobs := []struct {
			key   string
			quota Budget
			n     int
		}{
			{"job:logs-sweep", Budget{Requests: 5, Window: time.Minute}, 12},
			{"job:advisors", Budget{Requests: 20, Window: time.Minute}, 10},
		}
		var wg sync.WaitGroup
		for _, j := range jobs {
			ctx := WithBackground(t.Context(), j.key, j.quota)
			for i := range j.n {
				wg.Go(func() {
					if _, err := c.Do(newReq(t, ctx, c, "GET", fmt.Sprintf("/v1/projects/%s-%d", j.key, i), "")); err != nil {
						t.Error(err)
					}
				})
			}
		}
		wg.Wait()

		sweep, advisors := srv.times("logs-sweep"), srv.times("advisors")
		assertBudget(t, sweep, 5, time.Minute)
		for _, want := range []struct {
			times []time.Time
			at    time.Duration
			n     int
		}{{sweep, 0, 5}, {sweep, time.Minute, 5}, {sweep, 2 * time.Minute, 2}, {advisors, 0, 10}} {
			if got := countAt(want.times, start.Add(want.at)); got != want.n {
				t.Errorf("%d requests sent at +%s, want %d", got, want.at, want.n)
			}
		}
	})
}

// A background wait is bounded like any other, and its error names the
// budget that was used up: the share, the job's quota, or the interactive
// requests that went first.
func TestBackgroundWaitErrors(t *testing.T) {
	tests := []struct {
		name     string
		quota    Budget
		sent     int           // background requests of the same job sent first
		deadline time.Duration // of the failing request; 0: none
		maxWait  time.Duration // 0: 10s
		want     string
		retryAt  time.Duration
	}{
		{
			name: "share used up", sent: 30,
			want:    `GET /v1/projects/last: 429 Too Many Requests: background job "job:sweep" not sent: the background share (30 of 60 requests per 1m0s) of the budget for all requests is used up (waiting longer than 10s is not allowed)`,
			retryAt: time.Minute,
		},
		{
			name: "quota used up", quota: Budget{Requests: 3, Window: time.Hour}, sent: 3,
			want:    `background job "job:sweep" not sent: the job's quota of 3 requests per 1h0m0s is used up (waiting longer than 10s is not allowed)`,
			retryAt: time.Hour,
		},
		{
			name: "past the deadline", sent: 30, deadline: 5 * time.Second, maxWait: time.Hour,
			want:    `the background share (30 of 60 requests per 1m0s) of the budget for all requests is used up (the wait would outlast the request's deadline)`,
			retryAt: time.Minute,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := &server{}
				c, _ := newTestCaller(t, srv, func(cfg *Config) {
					cfg.Retry.MaxRateLimitWait = cmp.Or(tt.maxWait, 10*time.Second)
				})
				start := time.Now()
				ctx := WithBackground(t.Context(), "job:sweep", tt.quota)
				for i := range tt.sent {
					if _, err := c.Do(newReq(t, ctx, c, "GET", fmt.Sprintf("/v1/projects/p%d", i), "")); err != nil {
						t.Fatal(err)
					}
				}
				if tt.deadline > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tt.deadline)
					defer cancel()
				}
				_, err := c.Do(newReq(t, ctx, c, "GET", "/v1/projects/last", ""))
				var apiErr *APIError
				if !errors.As(err, &apiErr) || apiErr.Status != http.StatusTooManyRequests {
					t.Fatalf("err = %v, want a 429 *APIError", err)
				}
				if !strings.Contains(err.Error(), tt.want) {
					t.Errorf("err = %q\nwant it to contain %q", err, tt.want)
				}
				if got := apiErr.RetryAt.Sub(start); got != tt.retryAt {
					t.Errorf("RetryAt = +%s, want +%s", got, tt.retryAt)
				}
				if time.Since(start) != 0 {
					t.Errorf("failed after %s, want at once", time.Since(start))
				}
				if srv.count() != tt.sent {
					t.Errorf("%d requests reached the server, want %d", srv.count(), tt.sent)
				}
				// Interactive requests are not affected.
				if _, err := c.Do(newReq(t, t.Context(), c, "GET", "/v1/organizations", "")); err != nil {
					t.Errorf("interactive request: %v", err)
				}
			})
		})
	}
}

// A thousand background requests waiting do not delay interactive ones: each
// is sent when it would be if only the background requests already sent
// were there.
func TestBackgroundFloodDoesNotDelayInteractive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &server{}
		c, _ := newTestCaller(t, srv, func(cfg *Config) {
			cfg.Retry.MaxRateLimitWait = time.Hour
		})
		start := time.Now()
		bg, stopBg := context.WithCancel(WithBackground(t.Context(), "job:catch-up", Budget{}))
		var flood sync.WaitGroup
		for i := range 1000 {
			flood.Go(func() {
				c.Do(newReq(t, bg, c, "GET", fmt.Sprintf("/v1/projects/bg%d", i), ""))
			})
		}
		// 30 background requests went at once; the other 970 wait.
		time.Sleep(10 * time.Second)
		var wg sync.WaitGroup
		sentAt := make([]time.Duration, 45)
		for i := range sentAt {
			wg.Go(func() {
				if _, err := c.Do(newReq(t, t.Context(), c, "GET", fmt.Sprintf("/v1/projects/in%d", i), "")); err != nil {
					t.Error(err)
				}
				sentAt[i] = time.Since(start)
			})
		}
		wg.Wait()
		// Let the flood go on a while, then stop it.
		time.Sleep(5 * time.Minute)
		stopBg()
		flood.Wait()

		// The 30 interactive requests that fit go at once; the other 15
		// take the first slots to free, a minute after the first
		// background ones, ahead of the 970 that wait.
		at := map[time.Duration]int{}
		for _, d := range sentAt {
			at[d]++
		}
		if want := map[time.Duration]int{10 * time.Second: 30, time.Minute: 15}; fmt.Sprint(at) != fmt.Sprint(want) {
			t.Errorf("interactive requests sent (at: how many) %v, want %v", at, want)
		}
		assertBudget(t, srv.times("/v1/projects/"), 60, time.Minute)
		bgTimes := srv.times("/bg")
		assertBudget(t, bgTimes, 30, time.Minute)
		if len(bgTimes) < 150 {
			t.Errorf("only %d background requests sent in 5 minutes", len(bgTimes))
		}
	})
}

// The server's X-RateLimit-* headers lower every kind of request's budget:
// Remaining 0 and 429 hold them all, and a Remaining within the interactive
// part of the server's budget holds background requests.
func TestServerHeadersLowerEveryonesBudget(t *testing.T) {
	tests := []struct {
		name      string
		firstBg   bool        // whether the request answered with headers is background
		headers   http.Header // on the first answer only
		status    int
		then      []bool          // the next requests, one after the other: background?
		wantWaits []time.Duration // how long each waited
	}{
		{
			name: "Remaining 0 on a background answer holds interactive requests", firstBg: true,
			headers: http.Header{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {"5"}},
			then:    []bool{false}, wantWaits: []time.Duration{5 * time.Second},
		},
		{
			name:    "Remaining 0 on an interactive answer holds background requests",
			headers: http.Header{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {"5"}},
			then:    []bool{true}, wantWaits: []time.Duration{5 * time.Second},
		},
		{
			name:    "429 holds background requests",
			headers: http.Header{"X-Ratelimit-Reset": {"9"}}, status: http.StatusTooManyRequests,
			then: []bool{true}, wantWaits: []time.Duration{9 * time.Second},
		},
		{
			name:    "Remaining within the interactive part holds background requests only",
			headers: http.Header{"X-Ratelimit-Limit": {"120"}, "X-Ratelimit-Remaining": {"50"}, "X-Ratelimit-Reset": {"20"}},
			then:    []bool{false, true, false}, wantWaits: []time.Duration{0, 20 * time.Second, 0},
		},
		{
			name:    "our sends since count against the server's remaining",
			headers: http.Header{"X-Ratelimit-Limit": {"120"}, "X-Ratelimit-Remaining": {"62"}, "X-Ratelimit-Reset": {"20"}},
			then:    []bool{true, true, true}, wantWaits: []time.Duration{0, 0, 20 * time.Second},
		},
		{
			name:    "without a Limit the configured budget stands in",
			headers: http.Header{"X-Ratelimit-Remaining": {"25"}, "X-Ratelimit-Reset": {"20"}},
			then:    []bool{true}, wantWaits: []time.Duration{20 * time.Second},
		},
		{
			name:    "a Remaining above the interactive part holds nothing",
			headers: http.Header{"X-Ratelimit-Limit": {"120"}, "X-Ratelimit-Remaining": {"100"}, "X-Ratelimit-Reset": {"20"}},
			then:    []bool{true, true}, wantWaits: []time.Duration{0, 0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := &server{respond: func(w http.ResponseWriter, r *http.Request, n int) {
					if n == 1 {
						for k, v := range tt.headers {
							w.Header()[k] = v
						}
						if tt.status != 0 {
							w.WriteHeader(tt.status)
							return
						}
					}
					okJSON(w, r, n)
				}}
				c, _ := newTestCaller(t, srv, nil)
				ctx := func(bg bool) context.Context {
					if bg {
						return WithBackground(t.Context(), "job:advisors", Budget{})
					}
					return t.Context()
				}
				// The first request may wait for its own retry after a 429:
				// the others go meanwhile.
				var first sync.WaitGroup
				first.Go(func() {
					if _, err := c.Do(newReq(t, ctx(tt.firstBg), c, "GET", "/v1/projects/first", "")); err != nil {
						t.Error(err)
					}
				})
				synctest.Wait()
				defer first.Wait()
				for i, bg := range tt.then {
					start := time.Now()
					if _, err := c.Do(newReq(t, ctx(bg), c, "GET", fmt.Sprintf("/v1/projects/next%d", i), "")); err != nil {
						t.Fatal(err)
					}
					if got := time.Since(start); got != tt.wantWaits[i] {
						t.Errorf("request %d (background %t) waited %s, want %s", i, bg, got, tt.wantWaits[i])
					}
				}
			})
		})
	}
}

// Budget reports what was used and what is left, globally, for background
// requests and per job.
func TestBudgetReportsState(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &server{}
		c, _ := newTestCaller(t, srv, nil)
		start := time.Now()
		send := func(ctx context.Context, n int, prefix string) {
			for i := range n {
				if _, err := c.Do(newReq(t, ctx, c, "GET", fmt.Sprintf("/v1/projects/%s%d", prefix, i), "")); err != nil {
					t.Fatal(err)
				}
			}
		}
		minute := time.Minute
		idle := BudgetState{
			At:         start,
			Global:     BudgetUse{Allowed: 60, Window: minute, Available: 60, NextAt: start},
			Background: BudgetUse{Allowed: 30, Window: minute, Available: 30, NextAt: start},
		}
		if got := c.Budget(); fmt.Sprint(got) != fmt.Sprint(idle) {
			t.Errorf("Budget() at first = %+v\nwant %+v", got, idle)
		}

		send(t.Context(), 10, "i")
		send(WithBackground(t.Context(), "job:a", Budget{Requests: 8, Window: minute}), 5, "a")
		send(WithBackground(t.Context(), "job:b", Budget{}), 3, "b")
		time.Sleep(time.Second)
		now := start.Add(time.Second)
		want := BudgetState{
			At:         now,
			Global:     BudgetUse{Used: 18, Allowed: 60, Window: minute, Available: 42, NextAt: now},
			Background: BudgetUse{Used: 8, Allowed: 30, Window: minute, Available: 12, NextAt: now},
			Jobs: map[string]BudgetUse{
				"job:a": {Used: 5, Allowed: 8, Window: minute, Available: 3, NextAt: now},
				"job:b": {Used: 3, Window: minute, Available: 12, NextAt: now},
			},
		}
		if got := c.Budget(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("Budget() after some requests = %+v\nwant %+v", got, want)
		}

		send(WithBackground(t.Context(), "job:a", Budget{Requests: 8, Window: minute}), 3, "a2-")
		send(t.Context(), 15, "i2-")
		want = BudgetState{
			At:         now,
			Global:     BudgetUse{Used: 36, Allowed: 60, Window: minute, Available: 24, NextAt: now},
			Background: BudgetUse{Used: 11, Allowed: 30, Window: minute, NextAt: start.Add(minute)},
			Jobs: map[string]BudgetUse{
				"job:a": {Used: 8, Allowed: 8, Window: minute, NextAt: start.Add(minute)},
				"job:b": {Used: 3, Window: minute, NextAt: start.Add(minute)},
			},
		}
		if got := c.Budget(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("Budget() with the background share used = %+v\nwant %+v", got, want)
		}

		// A minute later the window is empty again; job:b, without a
		// quota, is no longer listed.
		time.Sleep(2 * minute)
		now = time.Now()
		want = BudgetState{
			At:         now,
			Global:     BudgetUse{Allowed: 60, Window: minute, Available: 60, NextAt: now},
			Background: BudgetUse{Allowed: 30, Window: minute, Available: 30, NextAt: now},
			Jobs:       map[string]BudgetUse{"job:a": {Allowed: 8, Window: minute, Available: 8, NextAt: now}},
		}
		if got := c.Budget(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("Budget() after the window = %+v\nwant %+v", got, want)
		}
	})
}

// Budget counts interactive requests waiting, and reports no room for
// background ones meanwhile, nor during a server hold.
func TestBudgetWhileWaitingOrHeld(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var held sync.Once
		srv := &server{respond: func(w http.ResponseWriter, r *http.Request, n int) {
			answered := false
			if strings.HasSuffix(r.URL.Path, "/held") {
				held.Do(func() {
					w.Header().Set("X-RateLimit-Reset", "30")
					w.WriteHeader(http.StatusTooManyRequests)
					answered = true
				})
			}
			if !answered {
				okJSON(w, r, n)
			}
		}}
		c, _ := newTestCaller(t, srv, func(cfg *Config) {
			cfg.Limits.Global = Budget{Requests: 4, Window: time.Minute}
		})
		start := time.Now()
		for i := range 4 {
			if _, err := c.Do(newReq(t, t.Context(), c, "GET", fmt.Sprintf("/v1/projects/p%d", i), "")); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		wg.Go(func() {
			if _, err := c.Do(newReq(t, t.Context(), c, "GET", "/v1/projects/waiting", "")); err != nil {
				t.Error(err)
			}
		})
		synctest.Wait()
		full := start.Add(time.Minute)
		got := c.Budget()
		if got.InteractiveWaiting != 1 || got.Global.Available != 0 || got.Background.Available != 0 ||
			!got.Global.NextAt.Equal(full) || !got.Background.NextAt.Equal(full) {
			t.Errorf("Budget() with the global budget used and one request waiting = %+v", got)
		}
		wg.Wait()

		time.Sleep(time.Minute)
		wg.Go(func() {
			if _, err := c.Do(newReq(t, t.Context(), c, "GET", "/v1/projects/held", "")); err != nil {
				t.Error(err)
			}
		})
		synctest.Wait()
		got = c.Budget()
		until := time.Now().Add(30 * time.Second)
		if got.Global.Available != 0 || got.Background.Available != 0 || !got.Global.NextAt.Equal(until) || !got.Background.NextAt.Equal(until) {
			t.Errorf("Budget() during a hold = %+v, want nothing available until +30s", got)
		}
		wg.Wait()
	})
}

func TestNewRejectsBadBackgroundShare(t *testing.T) {
	for _, share := range []float64{-0.5, 1.5, math.NaN(), math.Inf(1)} {
		if _, err := New(Config{Token: testToken, Limits: Limits{BackgroundShare: share}}); err == nil {
			t.Errorf("New accepted BackgroundShare %v", share)
		}
	}
}

// A quota that cannot be enforced fails the request before anything is sent.
func TestBackgroundQuotaMustBeValid(t *testing.T) {
	srv := &server{}
	c, _ := newTestCaller(t, srv, nil)
	for _, quota := range []Budget{{Requests: 5}, {Window: time.Minute}, {Requests: -1, Window: time.Minute}} {
		_, err := c.Do(newReq(t, WithBackground(t.Context(), "job:x", quota), c, "GET", "/v1/projects/p", ""))
		if err == nil || !strings.Contains(err.Error(), `background job "job:x": quota: invalid budget`) {
			t.Errorf("quota %+v: err = %v, want an invalid quota error", quota, err)
		}
	}
	if srv.count() != 0 {
		t.Errorf("%d requests reached the server, want 0", srv.count())
	}
}

// An interactive GET never joins an identical background one in flight
// (it would wait at background priority); a background GET joins an
// interactive one, which costs nothing.
func TestCollapsingKeepsPriority(t *testing.T) {
	t.Run("interactive does not wait behind background", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			srv := &server{}
			c, _ := newTestCaller(t, srv, nil)
			ctx := WithBackground(t.Context(), "job:x", Budget{Requests: 1, Window: time.Minute})
			if _, err := c.Do(newReq(t, ctx, c, "GET", "/v1/projects/p0", "")); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			go c.Do(newReq(t, ctx, c, "GET", "/v1/projects/same", "")) // waits a minute for the quota
			synctest.Wait()
			if _, err := c.Do(newReq(t, t.Context(), c, "GET", "/v1/projects/same", "")); err != nil {
				t.Fatal(err)
			}
			if got := time.Since(start); got != 0 {
				t.Errorf("the interactive GET waited %s, want 0", got)
			}
		})
	})
	t.Run("background joins interactive", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			srv := &server{respond: slowJSON}
			c, _ := newTestCaller(t, srv, nil)
			var wg sync.WaitGroup
			wg.Go(func() {
				if _, err := c.Do(newReq(t, t.Context(), c, "GET", "/v1/projects/same", "")); err != nil {
					t.Error(err)
				}
			})
			synctest.Wait()
			resp, err := c.Do(newReq(t, WithBackground(t.Context(), "job:x", Budget{}), c, "GET", "/v1/projects/same", ""))
			wg.Wait()
			if err != nil || !resp.Shared || srv.count() != 1 {
				t.Errorf("background GET: resp %+v, err %v, %d requests sent; want the shared result of one", resp, err, srv.count())
			}
		})
	})
}
