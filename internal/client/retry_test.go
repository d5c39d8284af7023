package client

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// (c) A 429 waits for the server's reset, then retries, for any method.
func TestTooManyRequestsWaitsForReset(t *testing.T) {
	tests := []struct {
		name     string
		method   string
		header   map[string]string
		wantWait time.Duration
	}{
		{"X-RateLimit-Reset", "GET", map[string]string{"X-RateLimit-Reset": "7"}, 7 * time.Second},
		{"X-RateLimit-Reset wins over Retry-After", "GET", map[string]string{"X-RateLimit-Reset": "7", "Retry-After": "30"}, 7 * time.Second},
		{"Retry-After fallback", "GET", map[string]string{"Retry-After": "3"}, 3 * time.Second},
		{"no header: the documented minute", "GET", nil, time.Minute},
		{"reset 0 still pauses a second", "GET", map[string]string{"X-RateLimit-Reset": "0"}, time.Second},
		{"POST is retried: a 429 applied nothing", "POST", map[string]string{"X-RateLimit-Reset": "2"}, 2 * time.Second},
		{"PATCH too", "PATCH", map[string]string{"X-RateLimit-Reset": "2"}, 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := &server{respond: func(w http.ResponseWriter, r *http.Request, n int) {
					if n == 1 {
						for k, v := range tt.header {
							w.Header().Set(k, v)
						}
						w.WriteHeader(http.StatusTooManyRequests)
						return
					}
					okJSON(w, r, n)
				}}
				c, _ := newTestCaller(t, srv, nil)
				start := time.Now()
				resp, err := c.Do(newReq(t, t.Context(), c, tt.method, "/v1/projects/abc/database/query", `{"query":"select 1"}`))
				if err != nil {
					t.Fatal(err)
				}
				if got := time.Since(start); got != tt.wantWait {
					t.Errorf("took %s, want %s", got, tt.wantWait)
				}
				if resp.Attempts != 2 || srv.count() != 2 {
					t.Errorf("attempts = %d, server hits = %d, want 2 and 2", resp.Attempts, srv.count())
				}
				if hits := srv.all(); hits[1].body != hits[0].body {
					t.Errorf("retried body %q, want %q", hits[1].body, hits[0].body)
				}
			})
		})
	}
}

// (c) Past the wait cap or the ctx deadline, a 429 comes back at once as an
// *APIError that says when to retry.
func TestTooManyRequestsCap(t *testing.T) {
	tests := []struct {
		name        string
		reset       string
		maxWait     time.Duration
		ctxTimeout  time.Duration
		wantHits    int
		wantElapsed time.Duration
		wantRetryIn time.Duration // RetryAt - start
		wantInError string
	}{
		{"reset beyond the cap", "30", 10 * time.Second, 0, 1, 0, 30 * time.Second, "waiting longer than 10s"},
		{"reset beyond the deadline", "7", 0, 5 * time.Second, 1, 0, 7 * time.Second, "deadline"},
		{"never wait", "1", -1, 0, 1, 0, time.Second, "waiting longer than 0s"},
		// The default cap (2m) is total: waits of 50s at +0 and +50s fit, a
		// third, ending at +150s, does not.
		{"repeated 429s exhaust the cap", "50", 0, 0, 3, 100 * time.Second, 150 * time.Second, "waiting longer than 2m0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := &server{respond: func(w http.ResponseWriter, r *http.Request, n int) {
					w.Header().Set("X-RateLimit-Reset", tt.reset)
					w.Header().Set("X-Request-Id", "req-429")
					w.WriteHeader(http.StatusTooManyRequests)
					w.Write([]byte(`{"message":"Too many requests, slow down."}`))
				}}
				c, _ := newTestCaller(t, srv, func(cfg *Config) { cfg.Retry.MaxRateLimitWait = tt.maxWait })
				ctx := t.Context()
				if tt.ctxTimeout > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tt.ctxTimeout)
					defer cancel()
				}
				start := time.Now()
				_, err := c.Do(newReq(t, ctx, c, "GET", "/v1/projects", ""))
				var apiErr *APIError
				if !errors.As(err, &apiErr) || apiErr.Status != http.StatusTooManyRequests {
					t.Fatalf("err = %v, want a 429 *APIError", err)
				}
				if got := time.Since(start); got != tt.wantElapsed {
					t.Errorf("gave up after %s, want %s", got, tt.wantElapsed)
				}
				if srv.count() != tt.wantHits {
					t.Errorf("%d requests reached the server, want %d", srv.count(), tt.wantHits)
				}
				if got := apiErr.RetryAt.Sub(start); got != tt.wantRetryIn {
					t.Errorf("RetryAt = start+%s, want start+%s", got, tt.wantRetryIn)
				}
				msg := err.Error()
				for _, want := range []string{"429", "Too many requests, slow down", "retry after", "req-429", tt.wantInError} {
					if !strings.Contains(msg, want) {
						t.Errorf("error %q does not mention %q", msg, want)
					}
				}
			})
		})
	}
}

// A local budget that cannot be met in time fails without sending.
func TestLocalBudgetBeyondCapFailsWithoutSending(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &server{}
		c, _ := newTestCaller(t, srv, func(cfg *Config) { cfg.Retry.MaxRateLimitWait = 5 * time.Second })
		for i := range 11 {
			path := "/v1/projects/a/custom-hostname/reverify"
			_, err := c.Do(newReq(t, t.Context(), c, "POST", path, `{}`))
			if i < 10 && err != nil {
				t.Fatal(err)
			}
			if i == 10 {
				var apiErr *APIError
				if !errors.As(err, &apiErr) || apiErr.Status != http.StatusTooManyRequests || !strings.Contains(err.Error(), "not sent") {
					t.Fatalf("11th reverify: err = %v, want a local 429 *APIError", err)
				}
			}
		}
		if srv.count() != 10 {
			t.Errorf("%d requests reached the server, want 10", srv.count())
		}
	})
}

// (d) Retries happen only where repeating cannot do harm.
func TestRetryOnlyWhenSafe(t *testing.T) {
	type behaviour struct {
		status func(n int) int   // server status for the n-th hit
		fault  func(n int) fault // transport fault for the n-th round trip
		ctx    func(context.Context) context.Context
	}
	always := func(status int) func(int) int { return func(int) int { return status } }
	firstThen := func(first, then int) func(int) int {
		return func(n int) int {
			if n == 1 {
				return first
			}
			return then
		}
	}
	alwaysFault := func(f fault) func(int) fault { return func(int) fault { return f } }
	firstFault := func(f fault) func(int) fault {
		return func(n int) fault {
			if n == 1 {
				return f
			}
			return noFault
		}
	}
	tests := []struct {
		name         string
		method       string
		b            behaviour
		wantHits     int // requests that reached the server
		wantAttempts int
		wantStatus   int    // 0: want a *RequestError
		wantInError  string // for failures
	}{
		{"POST not retried after 500", "POST", behaviour{status: always(500)}, 1, 1, 500, "500 Internal Server Error"},
		{"PATCH not retried after 500", "PATCH", behaviour{status: always(500)}, 1, 1, 500, ""},
		{"POST not retried after 503", "POST", behaviour{status: always(503)}, 1, 1, 503, ""},
		{"POST not retried after a reset once written", "POST", behaviour{fault: alwaysFault(resetAfterWrite)}, 1, 1, 0, "may already have been applied"},
		{"PATCH not retried after a reset once written", "PATCH", behaviour{fault: alwaysFault(resetAfterWrite)}, 1, 1, 0, "may already have been applied"},
		{"POST retried after a failed dial", "POST", behaviour{fault: firstFault(dialFailed)}, 1, 2, 200, ""},
		{"POST gives up dialling after MaxAttempts", "POST", behaviour{fault: alwaysFault(dialFailed)}, 0, 4, 0, "could not connect"},
		{"POST marked retry-safe is retried", "POST", behaviour{status: always(500), ctx: WithRetrySafe}, 4, 4, 500, "after 4 attempts"},
		{"GET retried after 500", "GET", behaviour{status: firstThen(500, 200)}, 2, 2, 200, ""},
		{"GET gives up after MaxAttempts of 500", "GET", behaviour{status: always(500)}, 4, 4, 500, "after 4 attempts)"},
		{"GET gives up after MaxAttempts of 503", "GET", behaviour{status: always(503)}, 4, 4, 503, ""},
		{"GET retried after a reset", "GET", behaviour{fault: firstFault(resetAfterWrite)}, 2, 2, 200, ""},
		{"GET gives up after MaxAttempts of resets", "GET", behaviour{fault: alwaysFault(resetAfterWrite)}, 4, 4, 0, "connection to the Management API failed"},
		{"PUT retried after 500", "PUT", behaviour{status: always(500)}, 4, 4, 500, ""},
		{"PUT retried after 503", "PUT", behaviour{status: firstThen(503, 200)}, 2, 2, 200, ""},
		{"PUT retried after a reset", "PUT", behaviour{fault: alwaysFault(resetAfterWrite)}, 4, 4, 0, ""},
		{"DELETE retried after 503", "DELETE", behaviour{status: always(503)}, 4, 4, 503, ""},
		{"DELETE retried after a reset", "DELETE", behaviour{fault: firstFault(resetAfterWrite)}, 2, 2, 200, ""},
		{"GET not retried after 501", "GET", behaviour{status: always(501)}, 1, 1, 501, ""},
		{"GET not retried after 400", "GET", behaviour{status: always(400)}, 1, 1, 400, ""},
		{"GET not retried after 404", "GET", behaviour{status: always(404)}, 1, 1, 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := &server{respond: func(w http.ResponseWriter, r *http.Request, n int) {
					if tt.b.status != nil && tt.b.status(n) != 200 {
						w.WriteHeader(tt.b.status(n))
						w.Write([]byte(`{"message":"boom"}`))
						return
					}
					okJSON(w, r, n)
				}}
				c, mt := newTestCaller(t, srv, nil)
				if tt.b.fault != nil {
					mt.fault = func(_ *http.Request, n int) fault { return tt.b.fault(n) }
				}
				ctx := t.Context()
				if tt.b.ctx != nil {
					ctx = tt.b.ctx(ctx)
				}
				body := ""
				if tt.method != "GET" && tt.method != "DELETE" {
					body = `{"name":"x"}`
				}
				resp, err := c.Do(newReq(t, ctx, c, tt.method, "/v1/projects/abc/things", body))

				if srv.count() != tt.wantHits {
					t.Errorf("%d requests reached the server, want %d", srv.count(), tt.wantHits)
				}
				if got := int(mt.trips.Load()); got != tt.wantAttempts {
					t.Errorf("%d attempts, want %d", got, tt.wantAttempts)
				}
				for _, h := range srv.all() {
					if h.body != body {
						t.Errorf("server got body %q, want %q on every attempt", h.body, body)
					}
				}
				switch {
				case tt.wantStatus == 200:
					if err != nil {
						t.Fatalf("err = %v, want success", err)
					}
					if resp.Attempts != tt.wantAttempts {
						t.Errorf("Response.Attempts = %d, want %d", resp.Attempts, tt.wantAttempts)
					}
				case tt.wantStatus != 0:
					var apiErr *APIError
					if !errors.As(err, &apiErr) || apiErr.Status != tt.wantStatus {
						t.Fatalf("err = %v, want an *APIError with status %d", err, tt.wantStatus)
					}
					if apiErr.Attempts != tt.wantAttempts || apiErr.Message != "boom" {
						t.Errorf("APIError = %+v, want %d attempts and message boom", apiErr, tt.wantAttempts)
					}
				default:
					var reqErr *RequestError
					if !errors.As(err, &reqErr) {
						t.Fatalf("err = %v, want a *RequestError", err)
					}
				}
				if err != nil && !strings.Contains(err.Error(), tt.wantInError) {
					t.Errorf("error %q does not mention %q", err, tt.wantInError)
				}
			})
		})
	}
}

// Retries back off exponentially with jitter, within [d/2, d] per step.
func TestRetryBackoffTiming(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &server{respond: func(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(http.StatusBadGateway) }}
		c, _ := newTestCaller(t, srv, nil)
		start := time.Now()
		_, err := c.Do(newReq(t, t.Context(), c, "GET", "/v1/projects", ""))
		if err == nil {
			t.Fatal("want an error")
		}
		hits := srv.all()
		if len(hits) != DefaultMaxAttempts {
			t.Fatalf("%d attempts, want %d", len(hits), DefaultMaxAttempts)
		}
		prev := start
		for i, h := range hits[1:] {
			full := DefaultBaseDelay << i
			if gap := h.at.Sub(prev); gap < full/2 || gap > full {
				t.Errorf("pause before attempt %d = %s, want within [%s, %s]", i+2, gap, full/2, full)
			}
			prev = h.at
		}
	})
}

func TestBackoffIsCappedAndHonoursRetryAfter(t *testing.T) {
	p := RetryPolicy{}.withDefaults()
	for failures := 1; failures < 100; failures++ {
		if d := p.backoff(failures, nil, time.Now()); d <= 0 || d > p.MaxDelay {
			t.Fatalf("backoff(%d) = %s, want within (0, %s]", failures, d, p.MaxDelay)
		}
	}
	h := http.Header{"Retry-After": {"5"}}
	if d := p.backoff(1, h, time.Now()); d != 5*time.Second {
		t.Errorf("backoff with Retry-After: 5 = %s, want 5s", d)
	}
	h = http.Header{"Retry-After": {"3600"}}
	if d := p.backoff(1, h, time.Now()); d != p.MaxDelay {
		t.Errorf("backoff with Retry-After: 3600 = %s, want the cap %s", d, p.MaxDelay)
	}
}

// A dial error proves nothing was sent only if no connection was obtained;
// other errors prove nothing, so a POST is then not repeated.
func TestNeverSent(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"dial", (&memTransport{}).dialError(), true},
		{"reset", errors.New("read: connection reset by peer"), false},
		{"timeout", context.DeadlineExceeded, false},
	}
	for _, tt := range tests {
		if got := neverSent(tt.err); got != tt.want {
			t.Errorf("%s: neverSent = %v, want %v", tt.name, got, tt.want)
		}
	}
}
