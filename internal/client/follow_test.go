package client

import (
	"fmt"
	"net/http"
	"testing"
	"testing/synctest"
	"time"
)

// The global budget follows X-RateLimit-Limit, up and down, from the
// documented default; a configured one is a ceiling that the advertised
// limit may lower but not raise; anything but a whole number from 1 to
// maxAdvertisedLimit is ignored, and so are answers to requests under an
// endpoint rule (their limit is the endpoint's).
func TestGlobalBudgetFollowsTheAPI(t *testing.T) {
	type answer struct {
		path  string // "" = /v1/projects/p
		limit string // X-RateLimit-Limit; "-" = none
		want  int    // the global budget after it
	}
	minute := time.Minute
	tests := []struct {
		name    string
		global  Budget // configured; zero: follow from the default
		answers []answer
	}{
		{"the default until an answer says otherwise", Budget{}, []answer{{limit: "-", want: 120}}},
		{"raised", Budget{}, []answer{{limit: "200", want: 200}}},
		{"lowered", Budget{}, []answer{{limit: "30", want: 30}}},
		{"up and down", Budget{}, []answer{{limit: "30", want: 30}, {limit: "500", want: 500}, {limit: "-", want: 500}, {limit: "120", want: 120}}},
		{"a configured budget is a ceiling", Budget{Requests: 100, Window: minute}, []answer{
			{limit: "-", want: 100}, {limit: "200", want: 100}, {limit: "50", want: 50}, {limit: "200", want: 100},
		}},
		{"the window stays the configured one", Budget{Requests: 10, Window: 10 * time.Second}, []answer{{limit: "5", want: 5}}},
		{"invalid values are ignored", Budget{}, []answer{
			{limit: "abc", want: 120}, {limit: "0", want: 120}, {limit: "-5", want: 120}, {limit: "1.5", want: 120},
			{limit: "", want: 120}, {limit: "1000001", want: 120}, {limit: "NaN", want: 120}, {limit: "1e3", want: 120},
			{limit: "0x10", want: 120}, {limit: " 77 ", want: 77}, {limit: "1000000", want: 1_000_000},
		}},
		{"answers under an endpoint rule give the endpoint's limit", Budget{}, []answer{
			{path: "/v1/projects/a/analytics/endpoints/logs.all", limit: "30", want: 120},
			{path: "/v1/projects/a/database/context", limit: "10", want: 120},
			{path: "/v1/organizations", limit: "90", want: 90},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var next answer
				srv := &server{respond: func(w http.ResponseWriter, r *http.Request, n int) {
					if next.limit != "-" {
						w.Header().Set("X-RateLimit-Limit", next.limit)
					}
					okJSON(w, r, n)
				}}
				c, _ := newTestCaller(t, srv, func(cfg *Config) { cfg.Limits.Global = tt.global })
				window := cmpOrBudget(tt.global, DefaultGlobalBudget()).Window
				for i, a := range tt.answers {
					next = a
					path := cmpOr(a.path, "/v1/projects/p")
					if _, err := c.Do(newReq(t, t.Context(), c, "GET", fmt.Sprintf("%s?i=%d", path, i), "")); err != nil {
						t.Fatal(err)
					}
					g, bg := c.Budget().Global, c.Budget().Background
					if g.Allowed != a.want || g.Window != window {
						t.Errorf("after X-RateLimit-Limit %q on %s: the global budget is %d per %s, want %d per %s", a.limit, path, g.Allowed, g.Window, a.want, window)
					}
					if want := shareOf(a.want, DefaultBackgroundShare); bg.Allowed != want {
						t.Errorf("after X-RateLimit-Limit %q: the background share is %d, want %d", a.limit, bg.Allowed, want)
					}
				}
			})
		})
	}
}

func cmpOrBudget(b, fallback Budget) Budget {
	if b == (Budget{}) {
		return fallback
	}
	return b
}

// The budget followed is the one enforced, for interactive requests and for
// the background share alike.
func TestFollowedBudgetIsEnforced(t *testing.T) {
	tests := []struct {
		name       string
		global     Budget
		advertised int
		background bool
		n          int
		wantAtOnce int // sent at once, the first (interactive) request included
	}{
		{"lowered", Budget{}, 5, false, 12, 5},
		{"raised", Budget{}, 200, false, 250, 200},
		{"raised up to the ceiling", Budget{Requests: 150, Window: time.Minute}, 200, false, 250, 150},
		{"the background share of a raised budget", Budget{}, 200, true, 150, 100},
		{"the background share of a lowered budget", Budget{}, 10, true, 20, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := &server{respond: func(w http.ResponseWriter, r *http.Request, n int) {
					w.Header().Set("X-RateLimit-Limit", fmt.Sprint(tt.advertised))
					okJSON(w, r, n)
				}}
				c, _ := newTestCaller(t, srv, func(cfg *Config) {
					cfg.Limits.Global = tt.global
					cfg.Retry.MaxRateLimitWait = 10 * time.Minute
				})
				start := time.Now()
				// The first answer tells the limit.
				if _, err := c.Do(newReq(t, t.Context(), c, "GET", "/v1/projects/first", "")); err != nil {
					t.Fatal(err)
				}
				ctx := t.Context()
				if tt.background {
					ctx = WithBackground(ctx, "job:x", Budget{})
				}
				for i := range tt.n - 1 {
					if _, err := c.Do(newReq(t, ctx, c, "GET", fmt.Sprintf("/v1/projects/p%d", i), "")); err != nil {
						t.Fatal(err)
					}
				}
				times := srv.times("/v1/projects/")
				if got := countAt(times, start); got != tt.wantAtOnce {
					t.Errorf("%d requests sent at once, want %d", got, tt.wantAtOnce)
				}
				assertBudget(t, times, max(tt.wantAtOnce, 1), time.Minute)
			})
		})
	}
}

// A bad rate limit setting is refused, saying what is allowed.
func TestParseRateLimit(t *testing.T) {
	tests := []struct {
		in   string
		want int // 0: refused
	}{
		{"120", 120}, {"1", 1}, {" 30 ", 30}, {"1000000", 1_000_000},
		{"0", 0}, {"-1", 0}, {"1000001", 0}, {"", 0}, {"abc", 0}, {"60/min", 0}, {"1.5", 0}, {"1e3", 0},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseRateLimit(tt.in)
			switch {
			case tt.want == 0 && (err == nil || err.Error() != "want a whole number of requests per minute from 1 to 1000000"):
				t.Errorf("ParseRateLimit(%q) = %v, %v; want it refused, saying what is allowed", tt.in, got, err)
			case tt.want != 0 && (err != nil || got != Budget{Requests: tt.want, Window: time.Minute}):
				t.Errorf("ParseRateLimit(%q) = %v, %v; want %d per minute", tt.in, got, err, tt.want)
			}
		})
	}
}
