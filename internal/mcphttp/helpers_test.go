package mcphttp

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/rs/zerolog"

	"github.com/supaops/supaops/internal/principal"
)

const (
	tokenCI  = "ci-0123456789abcdef0123456789abcdef"
	tokenOps = "ops-0123456789abcdef0123456789abcdef"
)

var testTokens = map[string]string{tokenCI: "ci", tokenOps: "ops"}

// fixture is a small MCP server whose tools report what the HTTP layer handed
// them: whoami echoes the principal, sleep blocks until released, confirm
// asks the user through elicitation.
type fixture struct {
	srv     *server.MCPServer
	started chan string   // sleep sends its principal when it begins
	release chan struct{} // closing it lets every sleep return
	once    sync.Once
	// live counts the sessions registered in mcp-go, through its hooks.
	live atomic.Int64
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{started: make(chan string, 64), release: make(chan struct{})}
	t.Cleanup(f.releaseAll)
	hooks := &server.Hooks{}
	hooks.AddOnRegisterSession(func(context.Context, server.ClientSession) { f.live.Add(1) })
	hooks.AddOnUnregisterSession(func(context.Context, server.ClientSession) { f.live.Add(-1) })
	f.srv = server.NewMCPServer("mcphttp-test", "0.0.1",
		server.WithToolCapabilities(false), server.WithElicitation(), server.WithHooks(hooks))
	f.srv.AddTool(mcp.NewTool("whoami", mcp.WithReadOnlyHintAnnotation(true)),
		func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			id := "none"
			if p, ok := principal.From(ctx); ok {
				id = p.ID
			}
			return mcp.NewToolResultText(fmt.Sprintf("principal=%s authorization_header=%t",
				id, req.Header.Get("Authorization") != "")), nil
		})
	f.srv.AddTool(mcp.NewTool("sleep", mcp.WithReadOnlyHintAnnotation(true)),
		func(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			p, _ := principal.From(ctx)
			f.started <- p.ID
			select {
			case <-f.release:
				return mcp.NewToolResultText("slept"), nil
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		})
	f.srv.AddTool(mcp.NewTool("confirm", mcp.WithDestructiveHintAnnotation(true)),
		func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			if ans := server.ElicitationResponse(req.Params.InputResponses, "confirm"); ans != nil {
				return mcp.NewToolResultText(fmt.Sprintf("action=%s state=%s protocol=%s",
					ans.Action, req.Params.RequestState, server.RequestProtocolVersion(ctx))), nil
			}
			return server.NewInputRequestBuilder("st-1").Elicit("confirm", mcp.ElicitationParams{
				Message: "Really?",
				RequestedSchema: map[string]any{"type": "object", "properties": map[string]any{
					"ok": map[string]any{"type": "boolean"},
				}},
			}).ToolResult(), nil
		})
	return f
}

func (f *fixture) releaseAll() { f.once.Do(func() { close(f.release) }) }

// waitStarted waits for n sleep calls to be running.
func (f *fixture) waitStarted(t testing.TB, n int) {
	t.Helper()
	for range n {
		select {
		case <-f.started:
		case <-time.After(5 * time.Second):
			t.Fatal("sleep tool did not start")
		}
	}
}

// serve starts Handler(cfg) on an httptest server (a real loopback listener).
func (f *fixture) serve(t testing.TB, cfg Config) string {
	t.Helper()
	_, url := f.serveHandler(t, cfg)
	return url
}

// serveHandler is serve that also returns the handler.
func (f *fixture) serveHandler(t testing.TB, cfg Config) (*handler, string) {
	t.Helper()
	h, err := newHandler(f.srv, cfg)
	if err != nil {
		t.Fatalf("newHandler: %v", err)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(func() {
		f.releaseAll()
		ts.Close()
		h.close(context.Background())
	})
	return h, ts.URL
}

// newClient returns an initialized mcp-go client for url+/mcp.
func newClient(t testing.TB, url string, headers map[string]string, opts ...client.ClientOption) (*client.Client, error) {
	t.Helper()
	// The client logs expected failures (DELETE after shutdown) to stderr.
	tr, err := transport.NewStreamableHTTP(url+Path, transport.WithHTTPHeaders(headers),
		transport.WithHTTPLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatalf("transport: %v", err)
	}
	c := client.NewClient(tr, opts...)
	t.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		return nil, err
	}
	req := mcp.InitializeRequest{}
	req.Params.ClientInfo = mcp.Implementation{Name: "mcphttp-test", Version: "0"}
	if _, err := c.Initialize(ctx, req); err != nil {
		return nil, err
	}
	return c, nil
}

func bearer(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

// initialize opens a legacy session with a raw initialize and returns its ID.
func initialize(t testing.TB, url, tok string) string {
	t.Helper()
	h := map[string]string{}
	if tok != "" {
		h = bearer(tok)
	}
	status, hdr, body := post(t, url, legacyInit, h)
	sid := hdr.Get("Mcp-Session-Id")
	if status != http.StatusOK || !strings.HasPrefix(sid, sessionPrefix) {
		t.Fatalf("initialize: %d %q (%s)", status, sid, body)
	}
	return sid
}

// onSession POSTs body on session sid and returns the status.
func onSession(t testing.TB, url, tok, sid, body string) int {
	t.Helper()
	h := map[string]string{"Mcp-Session-Id": sid, "Mcp-Protocol-Version": mcp.ProtocolVersion20251125}
	if tok != "" {
		h["Authorization"] = "Bearer " + tok
	}
	status, _, _ := post(t, url, body, h)
	return status
}

const toolsList = `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`

// fakeClock is a settable clock for the session registry.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// useClock makes reg read time from a new fake clock.
func useClock(reg *sessionRegistry) *fakeClock {
	c := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	reg.mu.Lock()
	defer reg.mu.Unlock()
	reg.now = c.Now
	return c
}

func callText(ctx context.Context, c *client.Client, tool string) (string, error) {
	req := mcp.CallToolRequest{}
	req.Params.Name = tool
	res, err := c.CallTool(ctx, req)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, content := range res.Content {
		if tc, ok := content.(mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	if res.IsError {
		return b.String(), fmt.Errorf("tool error: %s", b.String())
	}
	return b.String(), nil
}

// legacyInit is a raw 2025-11-25 initialize message: it needs no session or
// protocol headers, which suits tests of the layers in front of mcp-go.
const legacyInit = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"0"}}}`

// post sends body to url+/mcp with headers and returns the status, headers
// and body.
func post(t testing.TB, url, body string, headers map[string]string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, url+Path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return do(t, req)
}

func do(t testing.TB, req *http.Request) (int, http.Header, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// syncBuffer collects log output written from handler goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func testLogger(w io.Writer) zerolog.Logger { return zerolog.New(w) }

func writeFile(t testing.TB, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil { // WriteFile's mode is masked by umask
		t.Fatal(err)
	}
	return p
}

// callAsync starts a tool call and hands back its text, or its error's.
func callAsync(c *client.Client, tool string) <-chan string {
	res := make(chan string, 1)
	go func() {
		got, err := callText(context.Background(), c, tool)
		if err != nil {
			got = err.Error()
		}
		res <- got
	}()
	return res
}
