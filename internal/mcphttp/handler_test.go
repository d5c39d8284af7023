package mcphttp

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

func TestAuthPrincipalReachesTool(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tokenURL := f.serve(t, Config{Tokens: testTokens})
	localURL := f.serve(t, Config{})

	tests := []struct {
		name    string
		url     string
		headers map[string]string
		proto   string // "" = client default (2026-07-28, stateless)
		want    string
		wantErr bool
	}{
		{name: "token ci", url: tokenURL, headers: bearer(tokenCI), want: "principal=mcp:token:ci authorization_header=false"},
		{name: "token ops", url: tokenURL, headers: bearer(tokenOps), want: "principal=mcp:token:ops authorization_header=false"},
		{name: "token ci legacy session", url: tokenURL, headers: bearer(tokenCI), proto: mcp.ProtocolVersion20251125, want: "principal=mcp:token:ci authorization_header=false"},
		{name: "scheme is case-insensitive", url: tokenURL, headers: map[string]string{"Authorization": "bearer " + tokenCI}, want: "principal=mcp:token:ci authorization_header=false"},
		{name: "no token", url: tokenURL, wantErr: true},
		{name: "wrong token", url: tokenURL, headers: bearer(strings.Repeat("x", 40)), wantErr: true},
		{name: "token prefix", url: tokenURL, headers: bearer(tokenCI[:len(tokenCI)-1]), wantErr: true},
		{name: "basic auth", url: tokenURL, headers: map[string]string{"Authorization": "Basic " + tokenCI}, wantErr: true},
		{name: "loopback without tokens", url: localURL, want: "principal=mcp:local authorization_header=false"},
		{name: "loopback without tokens ignores header", url: localURL, headers: bearer("whatever"), want: "principal=mcp:local authorization_header=false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var opts []client.ClientOption
			if tt.proto != "" {
				opts = append(opts, client.WithProtocolVersion(tt.proto))
			}
			c, err := newClient(t, tt.url, tt.headers, opts...)
			if tt.wantErr {
				if err == nil {
					t.Fatal("initialize succeeded, want an error")
				}
				return
			}
			if err != nil {
				t.Fatalf("initialize: %v", err)
			}
			tools, err := c.ListTools(t.Context(), mcp.ListToolsRequest{})
			if err != nil || len(tools.Tools) != 3 {
				t.Fatalf("ListTools = %v, %v; want 3 tools", tools, err)
			}
			got, err := callText(t.Context(), c, "whoami")
			if err != nil || got != tt.want {
				t.Fatalf("whoami = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestUnauthorizedStatus(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	url := f.serve(t, Config{Tokens: testTokens})

	tests := []struct {
		name      string
		auth      string
		challenge string
	}{
		{name: "missing", auth: "", challenge: `Bearer realm="supaops"`},
		{name: "empty bearer", auth: "Bearer ", challenge: `Bearer realm="supaops"`},
		{name: "wrong", auth: "Bearer " + strings.Repeat("y", 40), challenge: `Bearer realm="supaops", error="invalid_token"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			status, hdr, body := post(t, url, legacyInit, map[string]string{"Authorization": tt.auth})
			if status != http.StatusUnauthorized || hdr.Get("WWW-Authenticate") != tt.challenge {
				t.Fatalf("status %d, WWW-Authenticate %q; want 401, %q", status, hdr.Get("WWW-Authenticate"), tt.challenge)
			}
			var msg rpcError
			if err := json.Unmarshal([]byte(body), &msg); err != nil || !strings.Contains(msg.Error.Message, "unauthorized") {
				t.Fatalf("body %q is not a JSON-RPC error saying unauthorized", body)
			}
		})
	}

	// The client reports the 401 as an authorization error.
	tr, err := transport.NewStreamableHTTP(url+Path, transport.WithHTTPHeaders(bearer("nope")),
		transport.WithHTTPLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	c := client.NewClient(tr, client.WithProtocolVersion(mcp.ProtocolVersion20251125))
	defer c.Close()
	if err := c.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	_, err = c.Initialize(t.Context(), mcp.InitializeRequest{})
	var authErr *transport.AuthorizationRequiredError
	if !errors.As(err, &authErr) {
		t.Fatalf("Initialize error = %v, want *transport.AuthorizationRequiredError", err)
	}
}

func TestOrigin(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	loopbackDefault := f.serve(t, Config{})
	explicit := f.serve(t, Config{Tokens: testTokens, AllowedOrigins: []string{"https://app.example.com", "http://localhost:6274/"}})

	tests := []struct {
		name   string
		url    string
		origin string
		want   int
	}{
		{name: "no origin (non-browser)", url: loopbackDefault, want: http.StatusOK},
		// Any page the user opens can reach a loopback port: by default no
		// browser origin is served, loopback ones included.
		{name: "default refuses localhost", url: loopbackDefault, origin: "http://localhost:3000", want: http.StatusForbidden},
		{name: "default refuses 127.0.0.1", url: loopbackDefault, origin: "http://127.0.0.1:9999", want: http.StatusForbidden},
		{name: "default refuses ::1", url: loopbackDefault, origin: "http://[::1]:8080", want: http.StatusForbidden},
		{name: "default refuses its own origin", url: loopbackDefault, origin: loopbackDefault, want: http.StatusForbidden},
		{name: "default refuses foreign site", url: loopbackDefault, origin: "https://evil.example", want: http.StatusForbidden},
		{name: "default refuses null", url: loopbackDefault, origin: "null", want: http.StatusForbidden},
		{name: "explicit null", url: explicit, origin: "null", want: http.StatusForbidden},
		{name: "explicit no origin", url: explicit, want: http.StatusOK},
		{name: "explicit allowed", url: explicit, origin: "https://app.example.com", want: http.StatusOK},
		{name: "explicit allowed case-insensitive", url: explicit, origin: "https://APP.example.com", want: http.StatusOK},
		{name: "explicit loopback listed", url: explicit, origin: "http://localhost:6274", want: http.StatusOK},
		{name: "explicit loopback other port", url: explicit, origin: "http://localhost:3000", want: http.StatusForbidden},
		{name: "explicit other port", url: explicit, origin: "https://app.example.com:8443", want: http.StatusForbidden},
		{name: "explicit other scheme", url: explicit, origin: "http://app.example.com", want: http.StatusForbidden},
		{name: "explicit lookalike", url: explicit, origin: "https://app.example.com.evil.example", want: http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			headers := bearer(tokenCI)
			if tt.origin != "" {
				headers["Origin"] = tt.origin
			}
			status, hdr, body := post(t, tt.url, legacyInit, headers)
			if status != tt.want {
				t.Fatalf("status = %d (%s), want %d", status, body, tt.want)
			}
			if status == http.StatusOK && tt.origin != "" && hdr.Get("Access-Control-Allow-Origin") != tt.origin {
				t.Errorf("Access-Control-Allow-Origin = %q, want %q", hdr.Get("Access-Control-Allow-Origin"), tt.origin)
			}
			if status != http.StatusOK && hdr.Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("refused response carries Access-Control-Allow-Origin %q", hdr.Get("Access-Control-Allow-Origin"))
			}
		})
	}

	t.Run("preflight from a loopback page refused by default", func(t *testing.T) {
		t.Parallel()
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodOptions, loopbackDefault+Path, http.NoBody)
		req.Header.Set("Origin", "http://localhost:3000")
		req.Header.Set("Access-Control-Request-Method", "POST")
		if status, hdr, _ := do(t, req); status != http.StatusForbidden || hdr.Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("preflight: %d %v, want 403 without CORS headers", status, hdr)
		}
	})
	t.Run("client with allowed origin", func(t *testing.T) {
		t.Parallel()
		h := bearer(tokenCI)
		h["Origin"] = "https://app.example.com"
		c, err := newClient(t, explicit, h)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := callText(t.Context(), c, "whoami"); err != nil || !strings.HasPrefix(got, "principal=mcp:token:ci") {
			t.Fatalf("whoami = %q, %v", got, err)
		}
	})
	t.Run("client with disallowed origin", func(t *testing.T) {
		t.Parallel()
		h := bearer(tokenCI)
		h["Origin"] = "https://evil.example"
		if _, err := newClient(t, explicit, h); err == nil {
			t.Fatal("initialize succeeded from a disallowed origin")
		}
	})
	t.Run("preflight from allowed origin skips auth", func(t *testing.T) {
		t.Parallel()
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodOptions, explicit+Path, http.NoBody)
		req.Header.Set("Origin", "https://app.example.com")
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization, content-type, mcp-protocol-version")
		status, hdr, _ := do(t, req)
		if status != http.StatusNoContent || hdr.Get("Access-Control-Allow-Headers") != "authorization, content-type, mcp-protocol-version" {
			t.Fatalf("preflight: %d %v", status, hdr)
		}
	})
	t.Run("rebinding Host on loopback", func(t *testing.T) {
		t.Parallel()
		// A page on a rebound domain sends its own Host and, for a same-origin
		// fetch, possibly no Origin: mcp-go's Host check catches it.
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, loopbackDefault+Path, strings.NewReader(legacyInit))
		req.Host = "evil.example:8080"
		req.Header.Set("Content-Type", "application/json")
		if status, _, body := do(t, req); status != http.StatusForbidden {
			t.Fatalf("status = %d (%s), want 403", status, body)
		}
	})
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	url := f.serve(t, Config{Tokens: testTokens, MaxBodyBytes: 1024})
	pad := func(n int) string {
		// A valid initialize message padded to n bytes with whitespace.
		return legacyInit[:len(legacyInit)-1] + strings.Repeat(" ", n-len(legacyInit)) + "}"
	}

	tests := []struct {
		name    string
		body    string
		chunked bool
		want    int
	}{
		{name: "at the limit", body: pad(1024), want: http.StatusOK},
		{name: "over the limit, Content-Length", body: pad(1025), want: http.StatusRequestEntityTooLarge},
		{name: "over the limit, chunked", body: pad(4096), chunked: true, want: http.StatusRequestEntityTooLarge},
		{name: "at the limit, chunked", body: pad(1024), chunked: true, want: http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, url+Path, strings.NewReader(tt.body))
			if tt.chunked {
				// Unknown length, so the client sends it chunked and only
				// MaxBytesReader can stop it.
				req.ContentLength = -1
				req.Body = io.NopCloser(struct{ io.Reader }{strings.NewReader(tt.body)})
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+tokenCI)
			status, _, body := do(t, req)
			if status != tt.want {
				t.Fatalf("status = %d (%s), want %d", status, body, tt.want)
			}
			if status == http.StatusRequestEntityTooLarge && !strings.Contains(body, "limit 1024 bytes") {
				t.Errorf("body %q does not state the limit", body)
			}
		})
	}
}

func TestConcurrencyLimit(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	url := f.serve(t, Config{Tokens: testTokens, MaxConcurrentPerPrincipal: 2})

	ci, err := newClient(t, url, bearer(tokenCI))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	results := make(chan string, 2)
	for range 2 {
		wg.Go(func() {
			got, err := callText(t.Context(), ci, "sleep")
			if err != nil {
				got = err.Error()
			}
			results <- got
		})
	}
	f.waitStarted(t, 2)

	// ci is at its limit: a third request is refused at once...
	status, hdr, body := post(t, url, legacyInit, bearer(tokenCI))
	if status != http.StatusTooManyRequests || hdr.Get("Retry-After") != "1" {
		t.Fatalf("third ci request: status %d, Retry-After %q (%s); want 429, 1", status, hdr.Get("Retry-After"), body)
	}
	// ...also through the client, as an error...
	if _, err := callText(t.Context(), ci, "whoami"); err == nil || !strings.Contains(err.Error(), "too many concurrent requests") {
		t.Fatalf("third ci call error = %v, want the 429 message", err)
	}
	// ...while another principal is unaffected.
	if status, _, body := post(t, url, legacyInit, bearer(tokenOps)); status != http.StatusOK {
		t.Fatalf("ops request: status %d (%s), want 200", status, body)
	}

	f.releaseAll()
	wg.Wait()
	close(results)
	for got := range results {
		if got != "slept" {
			t.Errorf("slow call = %q, want slept", got)
		}
	}
	// Slots are returned.
	if got, err := callText(t.Context(), ci, "whoami"); err != nil || !strings.HasPrefix(got, "principal=mcp:token:ci") {
		t.Fatalf("after release: whoami = %q, %v", got, err)
	}
}

func TestRouting(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	url := f.serve(t, Config{Tokens: testTokens})

	tests := []struct {
		method, path string
		want         int
	}{
		{http.MethodGet, HealthPath, http.StatusOK},
		{http.MethodHead, HealthPath, http.StatusOK},
		{http.MethodPost, HealthPath, http.StatusMethodNotAllowed},
		{http.MethodGet, "/", http.StatusNotFound},
		{http.MethodPost, "/mcp/", http.StatusNotFound},
		{http.MethodPost, "/sse", http.StatusNotFound},
		{http.MethodGet, Path, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			t.Parallel()
			req, _ := http.NewRequestWithContext(t.Context(), tt.method, url+tt.path, http.NoBody)
			if status, _, body := do(t, req); status != tt.want {
				t.Fatalf("status = %d (%s), want %d", status, body, tt.want)
			}
		})
	}
}

// The operator's paths: answered by Config.Ops without a token (like
// /healthz), and not found when no Ops is given.
func TestOpsPaths(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ops := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
		_, _ = io.WriteString(w, "ops "+r.URL.Path)
	})
	withOps := f.serve(t, Config{Tokens: testTokens, Ops: ops})
	without := f.serve(t, Config{Tokens: testTokens})
	tests := []struct {
		name, base, method, path, token string
		want                            int
	}{
		{"readyz, no token needed", withOps, http.MethodGet, ReadyPath, "", http.StatusTeapot},
		{"metrics", withOps, http.MethodGet, MetricsPath, tokenOps, http.StatusTeapot},
		{"metrics without a token", withOps, http.MethodGet, MetricsPath, "", http.StatusUnauthorized},
		{"metrics with a wrong token", withOps, http.MethodGet, MetricsPath, "not-a-token", http.StatusUnauthorized},
		{"metrics by POST", withOps, http.MethodPost, MetricsPath, tokenOps, http.StatusNotFound},
		{"readyz without ops", without, http.MethodGet, ReadyPath, "", http.StatusNotFound},
		{"metrics without ops", without, http.MethodGet, MetricsPath, tokenOps, http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, _ := http.NewRequestWithContext(t.Context(), tt.method, tt.base+tt.path, http.NoBody)
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			status, _, body := do(t, req)
			if status != tt.want {
				t.Fatalf("status = %d (%s), want %d", status, body, tt.want)
			}
			if tt.want == http.StatusTeapot && !strings.Contains(body, "ops "+tt.path) {
				t.Errorf("body %q", body)
			}
		})
	}
}

// TestElicitation checks that a tool asking for confirmation works over HTTP
// for both protocol eras: modern clients get input_required and retry (no
// session needed); legacy clients get a server-initiated elicitation/create on
// the POST's SSE stream and answer on their session.
func TestElicitation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	url := f.serve(t, Config{Tokens: testTokens})
	// The legacy answer is a second POST while the call holds the only slot.
	oneSlot := f.serve(t, Config{Tokens: testTokens, MaxConcurrentPerPrincipal: 1})

	tests := []struct {
		name   string
		url    string
		token  string // default tokenCI
		proto  string
		action mcp.ElicitationResponseAction
	}{
		{name: "modern accept", url: url, action: mcp.ElicitationResponseActionAccept},
		{name: "modern decline", url: url, action: mcp.ElicitationResponseActionDecline},
		{name: "legacy accept", url: url, proto: mcp.ProtocolVersion20251125, action: mcp.ElicitationResponseActionAccept},
		{name: "legacy decline", url: url, proto: mcp.ProtocolVersion20251125, action: mcp.ElicitationResponseActionDecline},
		{name: "2025-06-18 accept", url: url, proto: mcp.ProtocolVersion20250618, action: mcp.ElicitationResponseActionAccept},
		// Each one-slot case has a principal to itself: they run in parallel.
		{name: "modern accept, one slot", url: oneSlot, token: tokenCI, action: mcp.ElicitationResponseActionAccept},
		{name: "legacy accept, one slot", url: oneSlot, token: tokenOps, proto: mcp.ProtocolVersion20251125, action: mcp.ElicitationResponseActionAccept},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := []client.ClientOption{client.WithElicitationHandler(answer(tt.action))}
			if tt.proto != "" {
				opts = append(opts, client.WithProtocolVersion(tt.proto))
			}
			tok := tt.token
			if tok == "" {
				tok = tokenCI
			}
			c, err := newClient(t, tt.url, bearer(tok), opts...)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			got, err := callText(ctx, c, "confirm")
			proto := tt.proto
			if proto == "" {
				proto = mcp.ProtocolVersion20260728
			}
			want := "action=" + string(tt.action) + " state=st-1 protocol=" + proto
			if err != nil || got != want {
				t.Fatalf("confirm = %q, %v; want %q", got, err, want)
			}
		})
	}
}

type answer mcp.ElicitationResponseAction

func (a answer) Elicit(context.Context, mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	return &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{
		Action: mcp.ElicitationResponseAction(a), Content: map[string]any{"ok": true},
	}}, nil
}

// TestStreamsDoNotHoldCallSlots: listening streams stay open indefinitely, so
// they are limited in their own pool and never starve tool calls.
func TestStreamsDoNotHoldCallSlots(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	url := f.serve(t, Config{Tokens: testTokens, MaxConcurrentPerPrincipal: 2})
	sid := initialize(t, url, tokenCI)

	openStream := func() int {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, url+Path, http.NoBody)
		req.Header.Set("Accept", "text/event-stream")
		req.Header.Set("Authorization", "Bearer "+tokenCI)
		req.Header.Set("Mcp-Session-Id", sid)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK {
			resp.Body.Close()
		} else {
			t.Cleanup(func() { resp.Body.Close() })
		}
		return resp.StatusCode
	}
	for i := range 2 {
		if got := openStream(); got != http.StatusOK {
			t.Fatalf("stream %d: status %d", i+1, got)
		}
	}
	if got := openStream(); got != http.StatusTooManyRequests {
		t.Fatalf("third stream: status %d, want 429", got)
	}
	c, err := newClient(t, url, bearer(tokenCI))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := callText(t.Context(), c, "whoami"); err != nil || !strings.HasPrefix(got, "principal=mcp:token:ci") {
		t.Fatalf("whoami with streams open = %q, %v", got, err)
	}
}
