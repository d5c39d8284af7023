package mcphttp

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
)

// startServe runs ServeListener on a fresh loopback port and returns its base
// URL and a channel with Serve's result.
func startServe(t *testing.T, ctx context.Context, f *fixture, cfg Config) (string, <-chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- ServeListener(ctx, ln, f.srv, cfg) }()
	return "http://" + ln.Addr().String(), done
}

func waitServe(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return")
		return nil
	}
}

// waitRefused waits until the listener is closed, i.e. shutdown has begun.
func waitRefused(t *testing.T, url string) {
	t.Helper()
	addr := strings.TrimPrefix(url, "http://")
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err != nil {
			return
		}
		_ = c.Close()
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("listener still accepting after cancel")
}

func TestServeDrainsCallsInFlight(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		proto  string
		stream bool // also hold a legacy GET listening stream open
	}{
		{name: "modern"},
		{name: "legacy session", proto: mcp.ProtocolVersion20251125},
		{name: "legacy with GET stream open", proto: mcp.ProtocolVersion20251125, stream: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			url, done := startServe(t, ctx, f, Config{Tokens: testTokens, ShutdownGrace: 10 * time.Second})

			var opts []client.ClientOption
			if tt.proto != "" {
				opts = append(opts, client.WithProtocolVersion(tt.proto))
			}
			c, err := newClient(t, url, bearer(tokenCI), opts...)
			if err != nil {
				t.Fatal(err)
			}
			type result struct {
				text string
				err  error
			}
			res := make(chan result, 1)
			go func() {
				text, err := callText(context.Background(), c, "sleep")
				res <- result{text, err}
			}()
			f.waitStarted(t, 1)

			streamEnded := make(chan error, 1)
			if tt.stream {
				req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, url+Path, http.NoBody)
				req.Header.Set("Accept", "text/event-stream")
				req.Header.Set("Authorization", "Bearer "+tokenCI)
				req.Header.Set("Mcp-Session-Id", initialize(t, url, tokenCI))
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatalf("GET stream: %v", err)
				}
				t.Cleanup(func() { resp.Body.Close() })
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("GET stream: status %d", resp.StatusCode)
				}
				go func() {
					defer resp.Body.Close()
					_, err := io.Copy(io.Discard, resp.Body)
					streamEnded <- err
				}()
			}

			start := time.Now()
			cancel()
			waitRefused(t, url) // new connections are refused while the call runs
			select {
			case r := <-res:
				t.Fatalf("call ended before release: %q, %v", r.text, r.err)
			case <-time.After(50 * time.Millisecond):
			}
			f.releaseAll()

			if r := <-res; r.err != nil || r.text != "slept" {
				t.Fatalf("call in flight = %q, %v; want slept", r.text, r.err)
			}
			if err := waitServe(t, done); err != nil {
				t.Fatalf("Serve = %v, want nil", err)
			}
			if took := time.Since(start); took > 5*time.Second {
				t.Fatalf("shutdown took %s: something held it for the grace period", took)
			}
			if tt.stream {
				select {
				case <-streamEnded:
				case <-time.After(5 * time.Second):
					t.Fatal("GET stream still open after Serve returned")
				}
			}
			if _, err := newClient(t, url, bearer(tokenCI)); err == nil {
				t.Fatal("a new client connected after shutdown")
			}
		})
	}
}

func TestServeGraceExpires(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	url, done := startServe(t, ctx, f, Config{ShutdownGrace: 100 * time.Millisecond})
	c, err := newClient(t, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = callText(context.Background(), c, "sleep") }()
	f.waitStarted(t, 1)
	cancel()
	err = waitServe(t, done)
	if err == nil || !strings.Contains(err.Error(), "still in flight after 100ms") {
		t.Fatalf("Serve = %v, want the grace error", err)
	}
}

func TestServeRefusesBadConfig(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{name: "exposed without tokens", cfg: Config{Addr: "0.0.0.0:0"}, want: "--tokens-file"},
		{name: "bad address", cfg: Config{Addr: "nope"}, want: "host:port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := Serve(t.Context(), f.srv, tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Serve = %v, want error containing %q", err, tt.want)
			}
		})
	}
	// ServeListener checks the address it actually got.
	ln, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := ServeListener(t.Context(), ln, f.srv, Config{}); err == nil || !strings.Contains(err.Error(), "--tokens-file") {
		t.Fatalf("ServeListener on 0.0.0.0 without tokens = %v", err)
	}
}

func TestAccessLog(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var buf syncBuffer
	url := f.serve(t, Config{Tokens: testTokens, Logger: testLogger(&buf)})

	c, err := newClient(t, url, bearer(tokenCI))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := callText(t.Context(), c, "whoami"); err != nil {
		t.Fatal(err)
	}
	post(t, url, legacyInit, bearer(tokenOps+"-wrong"))

	type entry struct {
		Level     string  `json:"level"`
		Method    string  `json:"method"`
		Path      string  `json:"path"`
		Status    int     `json:"status"`
		Principal string  `json:"principal"`
		Duration  float64 `json:"duration"`
		RPCMethod string  `json:"rpc_method"`
		Tool      string  `json:"tool"`
		Denied    string  `json:"denied"`
	}
	var call, denied *entry
	for line := range strings.SplitSeq(strings.TrimSpace(buf.String()), "\n") {
		var e entry
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		switch {
		case e.Tool == "whoami":
			call = &e
		case e.Status == http.StatusUnauthorized:
			denied = &e
		}
	}
	if call == nil || call.Method != http.MethodPost || call.Path != Path || call.Status != http.StatusOK ||
		call.Principal != "mcp:token:ci" || call.RPCMethod != "tools/call" || call.Duration <= 0 {
		t.Errorf("tool call log entry = %+v", call)
	}
	if denied == nil || denied.Level != "warn" || denied.Denied != "invalid bearer token" || denied.Principal != "" {
		t.Errorf("denied log entry = %+v", denied)
	}
	for _, tok := range []string{tokenCI, tokenOps} {
		if strings.Contains(buf.String(), tok) {
			t.Fatal("a token appears in the log")
		}
	}
}

// TestServeNotHeldByStalledBody: a connection whose body stalls does not hold
// shutdown: the body deadline is an hour here, the grace period 5 s, and Serve
// must return nil (every request done) rather than the grace error. The
// client gets an error response and its connection is closed.
func TestServeNotHeldByStalledBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		req  string
		want int
	}{
		{name: "body being read", req: stalledRequest(Path, "Authorization: Bearer "+tokenCI), want: http.StatusServiceUnavailable},
		{name: "refused, body being discarded", req: stalledRequest(Path), want: http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			cfg := Config{Tokens: testTokens, BodyReadTimeout: time.Hour, ShutdownGrace: 5 * time.Second}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			cfg.Addr = ln.Addr().String()
			h, err := newHandler(f.srv, cfg)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- serve(ctx, ln, h, cfg.withDefaults()) }()

			conn := dialSend(t, "http://"+cfg.Addr, tt.req)
			deadline := time.Now().Add(10 * time.Second)
			for h.pendingBodies.Load() == 0 {
				if time.Now().After(deadline) {
					t.Fatal("request never reached the handler")
				}
				time.Sleep(time.Millisecond)
			}
			cancel()
			if err := waitServe(t, done); err != nil {
				t.Fatalf("Serve = %v, want nil: the stalled body held shutdown", err)
			}
			if resp := readUntilClosed(t, conn, 10*time.Second); resp.StatusCode != tt.want { //nolint:bodyclose // readUntilClosed drains and closes it
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
}

// TestNoNewStreamsWhileDraining: streams are ended when the drain starts; one
// opened after that (on a connection already reading its request) would hold
// shutdown for the whole grace period, so it is refused.
func TestNoNewStreamsWhileDraining(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	h, url := f.serveHandler(t, Config{Tokens: testTokens})
	sid := initialize(t, url, tokenCI)
	h.stop()

	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, url+Path, http.NoBody)
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+tokenCI)
	req.Header.Set("Mcp-Session-Id", sid)
	if status, _, body := do(t, req); status != http.StatusServiceUnavailable {
		t.Fatalf("GET stream while draining: %d (%s), want 503", status, body)
	}
	h2 := modernHeaders(tokenCI, "subscriptions/listen")
	if status, _, body := post(t, url, `{"jsonrpc":"2.0","id":3,"method":"subscriptions/listen","params":{`+modernMeta+`}}`, h2); status != http.StatusServiceUnavailable {
		t.Fatalf("subscriptions/listen while draining: %d (%s), want 503", status, body)
	}
}
