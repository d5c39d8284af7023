package client

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/supaops/supaops/internal/redact"
)

// (1) Every request carries auth, User-Agent and Accept, unless the caller
// set them; builders from client.gen.go work as they are.
func TestRequestHeaders(t *testing.T) {
	srv := &server{}
	c, _ := newTestCaller(t, srv, nil)

	get, err := NewV1GetProjectRequest(c.BaseURL(), "abcdefghijklmnopqrst")
	if err != nil {
		t.Fatal(err)
	}
	query, err := NewV1RunAQueryRequest(c.BaseURL(), "abcdefghijklmnopqrst", V1RunAQueryJSONRequestBody{Query: "select 1"})
	if err != nil {
		t.Fatal(err)
	}
	custom := newReq(t, t.Context(), c, "GET", "/v1/branches/x/diff", "")
	custom.Header.Set("Accept", "text/plain")
	custom.Header.Set("User-Agent", "custom/1")

	for _, req := range []*http.Request{get.WithContext(t.Context()), query.WithContext(t.Context()), custom} {
		if _, err := c.Do(req); err != nil {
			t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
		}
	}
	hits := srv.all()
	tests := []struct {
		hit                   hit
		wantAccept, wantAgent string
	}{
		{hits[0], "application/json", "supaops/test"},
		{hits[1], "application/json", "supaops/test"},
		{hits[2], "text/plain", "custom/1"},
	}
	for _, tt := range tests {
		h := tt.hit.header
		if got := h.Get("Authorization"); got != "Bearer "+testToken {
			t.Errorf("%s: Authorization = %q", tt.hit.path, got)
		}
		if got := h.Get("Accept"); got != tt.wantAccept {
			t.Errorf("%s: Accept = %q, want %q", tt.hit.path, got, tt.wantAccept)
		}
		if got := h.Get("User-Agent"); got != tt.wantAgent {
			t.Errorf("%s: User-Agent = %q, want %q", tt.hit.path, got, tt.wantAgent)
		}
	}
	if hits[1].body != `{"query":"select 1"}` || hits[1].header.Get("Content-Type") != "application/json" {
		t.Errorf("query request arrived as %q (%s)", hits[1].body, hits[1].header.Get("Content-Type"))
	}
}

func TestDefaultUserAgentAndBaseURL(t *testing.T) {
	srv := &server{}
	c, _ := newTestCaller(t, srv, func(cfg *Config) { cfg.UserAgent = "" })
	if c.BaseURL() != DefaultBaseURL {
		t.Errorf("BaseURL() = %q, want %q", c.BaseURL(), DefaultBaseURL)
	}
	if _, err := c.Do(newReq(t, t.Context(), c, "GET", "/v1/projects", "")); err != nil {
		t.Fatal(err)
	}
	if got := srv.all()[0].header.Get("User-Agent"); got != DefaultUserAgent {
		t.Errorf("User-Agent = %q, want %q", got, DefaultUserAgent)
	}
}

// The token is only ever sent to the configured API.
func TestRefusesOtherHosts(t *testing.T) {
	c, mt := newTestCaller(t, &server{}, nil)
	for _, url := range []string{"https://evil.example/v1/projects", "http://api.supabase.com/v1/projects"} {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
		_, err := c.Do(req)
		if err == nil || !strings.Contains(err.Error(), "refusing") || strings.Contains(err.Error(), testToken) {
			t.Errorf("%s: err = %v, want a refusal without the token", url, err)
		}
	}
	if mt.trips.Load() != 0 {
		t.Errorf("%d requests sent", mt.trips.Load())
	}
}

// A base URL with a path prefix (a proxy) still matches endpoint rules.
func TestBaseURLWithPathPrefix(t *testing.T) {
	c, _ := newTestCaller(t, &server{}, func(cfg *Config) { cfg.BaseURL = "https://proxy.example/supabase/" })
	if c.BaseURL() != "https://proxy.example/supabase" {
		t.Fatalf("BaseURL() = %q", c.BaseURL())
	}
	cl, err := c.newCall(newReq(t, t.Context(), c, "GET", "/v1/projects/abc/database/context", ""))
	if err != nil {
		t.Fatal(err)
	}
	if cl.route.label != "GET /v1/projects/{ref}/database/context" {
		t.Errorf("route label = %q, want the database/context rule", cl.route.label)
	}
}

func TestNewValidatesConfig(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"no token", Config{}, "SUPABASE_ACCESS_TOKEN"},
		{"token with a newline", Config{Token: "sbp_abc\nsbp_def"}, "whitespace"},
		{"relative base URL", Config{Token: testToken, BaseURL: "api.supabase.com"}, "absolute"},
		{"base URL with query", Config{Token: testToken, BaseURL: "https://api.supabase.com/?x=1"}, "query"},
		{"base URL with credentials", Config{Token: testToken, BaseURL: "https://user:pw@proxy.example/supabase"}, "credentials"},
		{"base URL with a dot-dot segment", Config{Token: testToken, BaseURL: "https://proxy.example/supabase/../admin"}, `".."`},
		{"bad global budget", Config{Token: testToken, Limits: Limits{Global: Budget{Requests: 10}}}, "invalid budget"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "sbp_abc") {
				t.Errorf("error %q shows the token", err)
			}
		})
	}
	if _, err := New(Config{}); !errors.Is(err, ErrNoToken) {
		t.Errorf("New without a token: err = %v, want ErrNoToken", err)
	}
}

// (1) Each attempt has its own timeout; a shorter ctx deadline wins; slow
// operations can ask for more.
func TestTimeouts(t *testing.T) {
	hang := func(w http.ResponseWriter, r *http.Request, n int) {
		select {
		case <-time.After(5 * time.Second):
			okJSON(w, r, n)
		case <-r.Context().Done():
		}
	}
	tests := []struct {
		name         string
		method       string
		ctx          func(context.Context) (context.Context, context.CancelFunc)
		wantAttempts int
		wantElapsed  [2]time.Duration // bounds
		wantOK       bool
		wantInError  []string
	}{
		{
			name: "GET retried after each attempt timeout", method: "GET",
			wantAttempts: 4, wantElapsed: [2]time.Duration{8*time.Second + 875*time.Millisecond, 8*time.Second + 1750*time.Millisecond},
			wantInError: []string{"GET /v1/projects/abc: timed out after 2s", "after 4 attempts"},
		},
		{
			name: "POST not retried after a timeout", method: "POST",
			wantAttempts: 1, wantElapsed: [2]time.Duration{2 * time.Second, 2 * time.Second},
			wantInError: []string{"POST /v1/projects/abc: timed out after 2s", "may already have been applied"},
		},
		{
			name: "a shorter ctx deadline wins", method: "GET",
			ctx: func(ctx context.Context) (context.Context, context.CancelFunc) {
				return context.WithTimeout(ctx, time.Second)
			},
			wantAttempts: 1, wantElapsed: [2]time.Duration{time.Second, time.Second},
			wantInError: []string{"timed out", "deadline"},
		},
		{
			name: "WithTimeout allows a slow operation", method: "POST",
			ctx: func(ctx context.Context) (context.Context, context.CancelFunc) {
				return WithTimeout(ctx, 10*time.Second), func() {}
			},
			wantAttempts: 1, wantElapsed: [2]time.Duration{5 * time.Second, 5 * time.Second}, wantOK: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := &server{respond: hang}
				c, _ := newTestCaller(t, srv, func(cfg *Config) { cfg.Timeout = 2 * time.Second })
				ctx := t.Context()
				if tt.ctx != nil {
					var cancel context.CancelFunc
					ctx, cancel = tt.ctx(ctx)
					defer cancel()
				}
				start := time.Now()
				_, err := c.Do(newReq(t, ctx, c, tt.method, "/v1/projects/abc?sql=select+1", ""))
				elapsed := time.Since(start)
				if elapsed < tt.wantElapsed[0] || elapsed > tt.wantElapsed[1] {
					t.Errorf("took %s, want within %v", elapsed, tt.wantElapsed)
				}
				if srv.count() != tt.wantAttempts {
					t.Errorf("%d attempts, want %d", srv.count(), tt.wantAttempts)
				}
				if tt.wantOK {
					if err != nil {
						t.Fatal(err)
					}
					return
				}
				var reqErr *RequestError
				if !errors.As(err, &reqErr) || !reqErr.Timeout() || !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("err = %v, want a timed-out *RequestError wrapping context.DeadlineExceeded", err)
				}
				for _, want := range tt.wantInError {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not mention %q", err, want)
					}
				}
				if strings.Contains(err.Error(), "select") {
					t.Errorf("error %q shows the query string", err)
				}
			})
		})
	}
}

// (7) Bodies are read with a cap, and exceeding it says so.
func TestResponseBodyCap(t *testing.T) {
	big := strings.Repeat("x", 2048)
	srv := &server{respond: func(w http.ResponseWriter, r *http.Request, n int) {
		if r.URL.Path == "/v1/fail" {
			w.WriteHeader(http.StatusBadRequest)
		}
		io.WriteString(w, big)
	}}
	c, _ := newTestCaller(t, srv, func(cfg *Config) { cfg.MaxResponseBytes = 1024 })

	_, err := c.Do(newReq(t, t.Context(), c, "GET", "/v1/big", ""))
	var reqErr *RequestError
	if !errors.As(err, &reqErr) || !strings.Contains(err.Error(), "response body exceeds the 1024 bytes limit") {
		t.Errorf("err = %v, want a *RequestError about the 1024 bytes limit", err)
	}
	if srv.count() != 1 {
		t.Errorf("%d attempts, want 1: a bigger body will not shrink on a retry", srv.count())
	}

	_, err = c.Do(newReq(t, t.Context(), c, "GET", "/v1/fail", ""))
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusBadRequest || len(apiErr.Body) != 1024 {
		t.Errorf("err = %v, want a 400 *APIError with the first 1024 bytes of body", err)
	}
}

// (5) A body without GetBody is buffered so retries send it again.
func TestBodyWithoutGetBodyIsReplayed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &server{respond: func(w http.ResponseWriter, r *http.Request, n int) {
			if n == 1 {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			okJSON(w, r, n)
		}}
		c, _ := newTestCaller(t, srv, nil)
		req := newReq(t, t.Context(), c, "PUT", "/v1/projects/abc/config", "")
		req.Body = io.NopCloser(strings.NewReader(`{"a":1}`)) // no GetBody
		if _, err := c.Do(req); err != nil {
			t.Fatal(err)
		}
		for _, h := range srv.all() {
			if h.body != `{"a":1}` {
				t.Errorf("attempt got body %q", h.body)
			}
		}
	})
}

// With a path prefix, the token goes only under that prefix, and never with
// a path a server would resolve elsewhere.
func TestRefusesPathsOutsideBase(t *testing.T) {
	c, mt := newTestCaller(t, &server{}, func(cfg *Config) { cfg.BaseURL = "https://proxy.example/supabase" })
	tests := []struct {
		name, url string
	}{
		{"beside the prefix", "https://proxy.example/supabase-admin/v1/projects"},
		{"another path", "https://proxy.example/admin/v1/projects"},
		{"the host root", "https://proxy.example/v1/projects"},
		{"dot-dot out of the prefix", "https://proxy.example/supabase/../admin"},
		{"encoded dot-dot", "https://proxy.example/supabase/v1/projects/%2e%2e/%2E%2E/x"},
		{"dot segment", "https://proxy.example/supabase/v1/projects/./abc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, tt.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Do(req)
			if err == nil || !strings.Contains(err.Error(), "refusing") || strings.Contains(err.Error(), testToken) {
				t.Errorf("err = %v, want a refusal without the token", err)
			}
		})
	}
	t.Run("opaque URL", func(t *testing.T) {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, "https://proxy.example/supabase/v1/projects", nil)
		req.URL.Opaque = "//proxy.example/admin"
		if _, err := c.Do(req); err == nil || !strings.Contains(err.Error(), "refusing") {
			t.Errorf("err = %v, want a refusal", err)
		}
	})
	if mt.trips.Load() != 0 {
		t.Fatalf("%d requests sent", mt.trips.Load())
	}
	if _, err := c.Do(newReq(t, t.Context(), c, "GET", "/v1/projects", "")); err != nil {
		t.Errorf("a request under the prefix: %v", err)
	}
}

// MaskToken lets results and records built elsewhere mask the token without
// the token being handed out.
func TestMaskToken(t *testing.T) {
	const token = "my-gateway-token-1234" // no sbp_ shape: only its value can catch it
	c, _ := newTestCaller(t, &server{}, func(cfg *Config) { cfg.Token = token })
	r := c.MaskToken(redact.New(nil))
	if got := r.Text("echo " + token); got != "echo "+redact.Mask {
		t.Errorf("Text = %q, want the token masked", got)
	}
	if got, _ := r.Value(map[string]any{"note": token}).(map[string]any); got["note"] != redact.Mask {
		t.Errorf("Value = %v, want the token masked", got)
	}
}
