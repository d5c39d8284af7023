package metrics_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/supaops/supaops/internal/client"
	"github.com/supaops/supaops/internal/metrics"
	"github.com/supaops/supaops/internal/pipeline"
)

// scripted answers a request with the next status of its list.
type scripted struct {
	mu       sync.Mutex
	statuses []int
}

func (s *scripted) RoundTrip(r *http.Request) (*http.Response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.statuses) == 0 {
		return nil, errors.New("no more answers")
	}
	status := s.statuses[0]
	s.statuses = s.statuses[1:]
	h := http.Header{"Content-Type": {"application/json"}}
	if status == http.StatusTooManyRequests {
		h.Set("X-RateLimit-Reset", "0") // the shortest hold: a second
	}
	return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader("{}")), Request: r}, nil
}

// The client's observer feeds the upstream families: each attempt by
// status class, 429s, retries and waits for the budget.
func TestClientAttemptsAreCounted(t *testing.T) {
	tests := []struct {
		name                              string
		statuses                          []int
		twoXX, fiveXX, throttled, retries float64
		waits                             float64
	}{
		{"one success", []int{200}, 1, 0, 0, 0, 0},
		{"a 429, then the budget's hold, then success", []int{429, 200}, 1, 0, 1, 1, 1},
		{"a 503 retried", []int{503, 200}, 1, 1, 0, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := metrics.New(metrics.Options{Program: "test"})
			c, err := client.New(client.Config{
				Token: "test-token", BaseURL: "http://api.invalid", Transport: &scripted{statuses: tt.statuses}, Observer: m,
				Retry: client.RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond},
			})
			if err != nil {
				t.Fatal(err)
			}
			m.WatchBudget(c.Budget)
			req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, "http://api.invalid/v1/projects", nil)
			if _, err := c.Do(req); err != nil {
				t.Fatal(err)
			}
			families := map[string]float64{}
			mfs, err := m.Registry().Gather()
			if err != nil {
				t.Fatal(err)
			}
			for _, mf := range mfs {
				for _, mm := range mf.GetMetric() {
					key := mf.GetName()
					for _, l := range mm.GetLabel() {
						key += "/" + l.GetValue()
					}
					families[key] += mm.GetCounter().GetValue()
				}
			}
			for key, want := range map[string]float64{
				"supaops_api_requests_total/2xx": tt.twoXX, "supaops_api_requests_total/5xx": tt.fiveXX,
				"supaops_api_requests_total/429": tt.throttled, "supaops_api_rate_limited_total": tt.throttled,
				"supaops_api_retries_total": tt.retries, "supaops_ratelimit_waits_total": tt.waits,
			} {
				if families[key] != want {
					t.Errorf("%s = %v, want %v", key, families[key], want)
				}
			}
			if n := testutil.CollectAndCount(m.Registry(), "supaops_ratelimit_budget_allowed"); n != 1 {
				t.Errorf("budget gauge: %d series", n)
			}
		})
	}
}

// BenchmarkObservePerCall is what metrics add to one call that reaches the
// API: the pipeline's, one attempt's and two audit appends' observations.
func BenchmarkObservePerCall(b *testing.B) {
	m := metrics.New(metrics.Options{Program: "bench"})
	s := pipeline.CallStats{Action: "projects_list", Surface: "mcp", Decision: "allow", Outcome: "ok", Duration: time.Millisecond}
	b.ReportAllocs()
	for b.Loop() {
		m.ObserveAttempt(200, time.Millisecond, false)
		m.ObserveAppend(time.Millisecond, nil)
		m.ObserveAppend(time.Millisecond, nil)
		m.ObserveCall(s)
	}
}
