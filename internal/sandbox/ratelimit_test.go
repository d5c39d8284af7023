package sandbox

import (
	"net/http"
	"strconv"
	"testing"
	"testing/synctest"
	"time"
)

func TestRateLimit(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		const budget = 3
		s := newTestSandbox(t, Options{Budget: budget, Window: time.Minute})
		tc := newTestClient(t, s)
		path := "/v1/projects/" + s.Seed().ProjectRef
		headers := func(r result) (limit, remaining, reset int) {
			t.Helper()
			var err error
			for name, dst := range map[string]*int{"X-RateLimit-Limit": &limit, "X-RateLimit-Remaining": &remaining, "X-RateLimit-Reset": &reset} {
				if *dst, err = strconv.Atoi(r.header.Get(name)); err != nil {
					t.Fatalf("%s = %q: %v", name, r.header.Get(name), err)
				}
			}
			return limit, remaining, reset
		}

		for i := 1; i <= budget; i++ {
			r := tc.get(path)
			mustStatus(t, r, http.StatusOK, "within budget")
			if l, rem, reset := headers(r); l != budget || rem != budget-i || reset != 60 {
				t.Fatalf("request %d: limit %d remaining %d reset %d", i, l, rem, reset)
			}
		}
		time.Sleep(20 * time.Second)
		r := tc.get(path)
		mustStatus(t, r, http.StatusTooManyRequests, "over budget")
		if msg := r.message(t); msg != "Rate limit exceeded" {
			t.Errorf("message %q", msg)
		}
		if _, rem, reset := headers(r); rem != 0 || reset != 40 {
			t.Fatalf("429: remaining %d reset %d, want 0 and 40", rem, reset)
		}
		if n := s.Requests("v1-get-project"); n != budget {
			t.Errorf("a rate-limited request reached the operation: Requests = %d", n)
		}

		// Another token has its own budget.
		other := newTestClient(t, s)
		other.token = "sbp_other"
		mustStatus(t, other.get(path), http.StatusOK, "another token")

		// Errors carry the headers too.
		mustStatus(t, other.get("/v1/nope"), http.StatusNotFound, "unknown path")

		time.Sleep(40 * time.Second)
		r = tc.get(path)
		mustStatus(t, r, http.StatusOK, "after the window")
		if _, rem, reset := headers(r); rem != budget-1 || reset != 60 {
			t.Fatalf("new window: remaining %d reset %d", rem, reset)
		}
	})
}

func TestRateLimitResetRoundsUp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		left time.Duration
		want int
	}{
		{0, 0}, {time.Millisecond, 1}, {time.Second, 1}, {1500 * time.Millisecond, 2}, {time.Minute, 60},
	}
	for _, tt := range tests {
		if got := ceilSeconds(tt.left); got != tt.want {
			t.Errorf("ceilSeconds(%v) = %d, want %d", tt.left, got, tt.want)
		}
	}
}

// The headers say the configured budget and window, whatever they are:
// Limit is the budget, Remaining what is left of it, Reset the whole
// seconds (rounded up) to the end of the window.
func TestRateLimitHeadersFollowTheBudget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		budget, wantLimit int
		window            time.Duration
	}{
		{0, 120, 0}, // the defaults: 120 a minute
		{1, 1, time.Minute},
		{50, 50, 10 * time.Second},
		{500, 500, time.Hour},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.budget), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := newTestSandbox(t, Options{Budget: tt.budget, Window: tt.window})
				tc := newTestClient(t, s)
				window := cmpOrDuration(tt.window, time.Minute)
				path := "/v1/projects/" + s.Seed().ProjectRef
				check := func(r result, wantRemaining, wantReset int) {
					t.Helper()
					h := r.header
					if h.Get("X-RateLimit-Limit") != strconv.Itoa(tt.wantLimit) || h.Get("X-RateLimit-Remaining") != strconv.Itoa(wantRemaining) ||
						h.Get("X-RateLimit-Reset") != strconv.Itoa(wantReset) {
						t.Errorf("status %d, X-RateLimit-Limit %q Remaining %q Reset %q; want %d, %d, %d", r.status,
							h.Get("X-RateLimit-Limit"), h.Get("X-RateLimit-Remaining"), h.Get("X-RateLimit-Reset"), tt.wantLimit, wantRemaining, wantReset)
					}
				}
				check(tc.get(path), tt.wantLimit-1, int(window/time.Second))
				time.Sleep(window / 4)
				left := int((window - window/4 + time.Second - 1) / time.Second)
				for i := 2; i <= tt.wantLimit; i++ {
					r := tc.get(path)
					mustStatus(t, r, http.StatusOK, "within the budget")
					if i == tt.wantLimit {
						check(r, 0, left)
					}
				}
				r := tc.get(path)
				mustStatus(t, r, http.StatusTooManyRequests, "past the budget")
				check(r, 0, left)
				time.Sleep(window - window/4)
				check(tc.get(path), tt.wantLimit-1, int(window/time.Second))
			})
		})
	}
}

func cmpOrDuration(d, fallback time.Duration) time.Duration {
	if d == 0 {
		return fallback
	}
	return d
}
