package sandbox

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// Options.Now drives everything that depends on time: a test moves a
// ManualClock by hours and the sandbox follows at once, outside synctest.
func TestOptionsNowDrivesTheSandbox(t *testing.T) {
	t.Parallel()
	const delay = 2 * time.Hour
	t0 := time.Date(2030, 6, 1, 0, 0, 0, 0, time.UTC)
	clock := NewManualClock(t0)
	s := newTestSandbox(t, Options{Now: clock.Now, TransitionDelay: delay, Budget: 2, Window: time.Hour})
	seed := s.Seed()
	prod, staging := seed.ProjectRef, seed.ProjectRefs[1]

	// The budget is two requests per hour per token: every other call gets
	// a token of its own, so only the rate-limit step meets the limit.
	limited := newTestClient(t, s)
	limited.token = "sbp_limited"
	calls := 0
	checker := func() *testClient {
		calls++
		c := newTestClient(t, s)
		c.token = fmt.Sprintf("sbp_checker_%d", calls)
		return c
	}

	steps := []struct {
		name  string
		act   func(t *testing.T)
		check func(t *testing.T)
	}{
		{
			name: "pausing lasts TransitionDelay on the given clock",
			act: func(t *testing.T) {
				mustStatus(t, checker().send(request{method: http.MethodPost, path: "/v1/projects/" + staging + "/pause"}), http.StatusOK, "pause")
				clock.Advance(delay - time.Second)
			},
			check: func(t *testing.T) {
				if got := checker().projectStatus(staging); got != statusPausing {
					t.Errorf("a second before the delay: %s, want PAUSING", got)
				}
			},
		},
		{
			name: "inactive once the clock passes the delay",
			act:  func(t *testing.T) { clock.Advance(time.Second) },
			check: func(t *testing.T) {
				if got := checker().projectStatus(staging); got != statusInactive {
					t.Errorf("after the delay: %s, want INACTIVE", got)
				}
			},
		},
		{
			name: "rate-limit windows run on the clock",
			act: func(t *testing.T) {
				for range 2 {
					mustStatus(t, limited.get("/v1/projects"), http.StatusOK, "within the budget")
				}
				r := limited.get("/v1/projects")
				mustStatus(t, r, http.StatusTooManyRequests, "over the budget")
				if r.header.Get("X-RateLimit-Reset") != "3600" {
					t.Errorf("X-RateLimit-Reset %s, want 3600 (the window, on the frozen clock)", r.header.Get("X-RateLimit-Reset"))
				}
				clock.Advance(time.Hour)
			},
			check: func(t *testing.T) {
				mustStatus(t, limited.get("/v1/projects"), http.StatusOK, "after the window")
			},
		},
		{
			name: "expiries are dated by the clock",
			act: func(t *testing.T) {
				mustStatus(t, checker().send(request{method: http.MethodPost, path: "/v1/projects/" + prod + "/readonly/temporary-disable"}), http.StatusCreated, "disable read-only")
			},
			check: func(t *testing.T) {
				r := checker().get("/v1/projects/" + prod + "/readonly")
				mustStatus(t, r, http.StatusOK, "read-only status")
				var ro struct {
					Until string `json:"override_active_until"`
				}
				r.json(t, &ro)
				if want := rfc3339(clock.Now().Add(15 * time.Minute)); ro.Until != want {
					t.Errorf("override_active_until %s, want %s", ro.Until, want)
				}
			},
		},
		{
			name: "log windows default to the minute before the clock's now",
			act: func(t *testing.T) {
				if err := s.AppendLogs(prod,
					LogRow{ID: "old", Timestamp: clock.Now().Add(-2 * time.Minute)},
					LogRow{ID: "now", EventMessage: "stamped by the clock"}, // zero Timestamp: now
				); err != nil {
					t.Fatal(err)
				}
				clock.Advance(time.Second)
			},
			check: func(t *testing.T) {
				rows := logsAt(t, s, checker(), prod, "", time.Time{}, time.Time{})
				if len(rows) != 1 || rows[0]["id"] != "now" || int64(rows[0]["timestamp"].(float64)) != clock.Now().Add(-time.Second).UnixMicro() {
					t.Errorf("default window: %v, want only the row stamped a second ago", rows)
				}
			},
		},
	}
	for _, st := range steps {
		st.act(t)
		st.check(t)
		if t.Failed() {
			t.Fatalf("failed at %q", st.name)
		}
	}
}
