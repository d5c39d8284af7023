package client

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// quotaServer counts requests like the API: at most limit in a fixed window
// that starts with the first request after the last one ended, shared with
// others, X-RateLimit-* on every answer and 429 past the budget. Answers take
// latency to come back.
type quotaServer struct {
	limit   int
	window  time.Duration
	latency time.Duration
	// others, if set, is how many requests others spend just before the
	// n-th of ours (1-based) reaches the server.
	others func(n int) int

	mu       sync.Mutex
	start    time.Time
	used, n  int
	accepted []time.Time
	refused  int
}

func (s *quotaServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	s.mu.Lock()
	s.n++
	if s.start.IsZero() || !now.Before(s.start.Add(s.window)) {
		s.start, s.used = now, 0
	}
	if s.others != nil {
		s.used = min(s.limit, s.used+s.others(s.n))
	}
	ok := s.used < s.limit
	if ok {
		s.used++
		s.accepted = append(s.accepted, now)
	} else {
		s.refused++
	}
	remaining, reset := s.limit-s.used, s.start.Add(s.window).Sub(now)
	s.mu.Unlock()
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(s.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	h.Set("X-RateLimit-Reset", strconv.Itoa(int((reset+time.Second-1)/time.Second)))
	time.Sleep(s.latency)
	if !ok {
		w.WriteHeader(http.StatusTooManyRequests)
		return
	}
	okJSON(w, r, 0)
}

func (s *quotaServer) stats() (accepted []time.Time, refused int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.accepted...), s.refused
}

// sendAll sends n distinct GETs from callers goroutines and fails the test
// on any error.
func sendAll(t *testing.T, c *Caller, callers, n int) {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	next := 0
	for range callers {
		wg.Go(func() {
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= n {
					return
				}
				if _, err := c.Do(newReq(t, t.Context(), c, "GET", fmt.Sprintf("/v1/projects/p%d", i), "")); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
}

// Requests in flight count against the server's Remaining: a process never
// sends more than the server said was left, however many of its calls are
// waiting, and waits for the reset rather than for 429s.
func TestRemainingCountsRequestsInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &quotaServer{limit: 10, window: time.Minute, latency: time.Second}
		c, _ := newTestCaller(t, srv, func(cfg *Config) {
			// Our own budget is larger than the server's: only its
			// count keeps us within it.
			cfg.Limits.Global = Budget{Requests: 100, Window: time.Hour}
			cfg.Limits.Endpoints = []EndpointLimit{}
		})
		// Someone else has spent 7 of the window already.
		srv.others = func(n int) int {
			if n == 1 {
				return 7
			}
			return 0
		}
		start := time.Now()
		sendAll(t, c, 1, 1) // Remaining 2
		sendAll(t, c, 8, 8)
		accepted, refused := srv.stats()
		if refused != 0 {
			t.Errorf("the server refused %d requests, want none", refused)
		}
		if len(accepted) != 9 {
			t.Fatalf("%d requests accepted, want 9", len(accepted))
		}
		// The first, then at its answer a second later the two left, then
		// the rest at the reset (a minute from when the server counted the
		// first, as its answer put it).
		for i, at := range accepted {
			want := time.Duration(0)
			switch {
			case i >= 3:
				want = time.Minute + time.Second
			case i >= 1:
				want = time.Second
			}
			if got := at.Sub(start); got != want {
				t.Errorf("request %d sent at +%s, want +%s", i, got, want)
			}
		}
	})
}

// A process alone on its token is never paced, however many of its calls
// are in flight at once: only its own budget limits it.
func TestAloneIsNotPaced(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &quotaServer{limit: 60, window: time.Minute, latency: 300 * time.Millisecond}
		c, _ := newTestCaller(t, srv, nil)
		start := time.Now()
		sendAll(t, c, 20, 90)
		accepted, refused := srv.stats()
		if refused != 0 {
			t.Errorf("the server refused %d requests, want none", refused)
		}
		// 60 within the first second (20 at a time, one answer later),
		// the other 30 when the first window ends.
		for i, at := range accepted {
			if got := at.Sub(start); i < 60 && got >= time.Second || i >= 60 && got < time.Minute {
				t.Errorf("request %d sent at +%s", i, got)
			}
		}
		if s := c.Budget(); c.limiter.global.server.sharedUntil.After(s.At) {
			t.Errorf("a process alone took itself for one of several")
		}
	})
}

// When the server's count falls faster than our requests explain, others
// spend the budget too: the rest of the window is spread over the time to
// its reset instead of spent at once, and the window's last request is left.
func TestSharedBudgetIsPaced(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &quotaServer{limit: 60, window: time.Minute, latency: 10 * time.Millisecond}
		c, _ := newTestCaller(t, srv, nil)
		// Another process sends 2 before each of our first 5, then stops.
		srv.others = func(n int) int {
			if n <= 5 {
				return 2
			}
			return 0
		}
		start := time.Now()
		sendAll(t, c, 4, 40)
		accepted, refused := srv.stats()
		if refused != 0 {
			t.Errorf("the server refused %d requests, want none", refused)
		}
		if len(accepted) != 40 {
			t.Fatalf("%d requests accepted, want 40", len(accepted))
		}
		within := 0
		for _, at := range accepted {
			if at.Sub(start) < 10*time.Second {
				within++
			}
		}
		// Alone, all 40 would go in the first 50ms. Spread over the
		// minute, about a sixth go in its first ten seconds.
		if within > 15 {
			t.Errorf("%d of 40 requests sent in the first 10s; want them spread over the window", within)
		}
		if last := accepted[len(accepted)-1].Sub(start); last > 2*time.Minute {
			t.Errorf("the last request went at +%s: pacing must not stretch the work past the next window", last)
		}
	})
}

// While others share the budget, a new window starts with one request that
// asks the server before the others go; a slow one holds them back no longer
// than a request's share of the window.
func TestSharedWindowStartsWithOneRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &quotaServer{limit: 60, window: time.Minute}
		// Others send 5 before each of our requests: the budget is shared.
		srv.others = func(int) int { return 5 }
		slow := &server{respond: func(w http.ResponseWriter, r *http.Request, n int) {
			if r.URL.Path == "/v1/projects/slow" {
				time.Sleep(20 * time.Second)
			}
			srv.ServeHTTP(w, r)
		}}
		c, _ := newTestCaller(t, slow, nil) // 60 a minute: a request's share is a second
		sendAll(t, c, 1, 3)
		time.Sleep(61 * time.Second) // past the reset: nothing known of the new window
		var wg sync.WaitGroup
		wg.Go(func() {
			if _, err := c.Do(newReq(t, t.Context(), c, "GET", "/v1/projects/slow", "")); err != nil {
				t.Error(err)
			}
		})
		synctest.Wait()
		start := time.Now()
		if _, err := c.Do(newReq(t, t.Context(), c, "GET", "/v1/projects/next", "")); err != nil {
			t.Fatal(err)
		}
		if got := time.Since(start); got != time.Second {
			t.Errorf("the request after the slow one waited %s, want 1s", got)
		}
		wg.Wait()
	})
}
