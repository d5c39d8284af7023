package mcpserver

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	mcpclient "github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/supaops/supaops/internal/app"
	"github.com/supaops/supaops/internal/app/apptest"
	"github.com/supaops/supaops/internal/audit"
	"github.com/supaops/supaops/internal/authz"
	"github.com/supaops/supaops/internal/composite"
	"github.com/supaops/supaops/internal/sandbox"
	"github.com/supaops/supaops/internal/tools"
)

// testPolicy: reads go, writes are confirmed, destructive actions denied,
// pausing needs a lead's approval, deleting projects has its own deny rule.
const testPolicy = `version: 1
defaults: {read: allow, write: confirm, destructive: deny}
rules:
  - name: pausing-needs-a-lead
    effect: approve
    actions: [project_pause]
    approvals: 1
    approvers: ["slack:user:ULEAD"]
  - name: no-deleting-projects
    effect: deny
    actions: [project_delete]
    reason: projects are deleted by hand
`

// stack is the whole server as cmd/mcp builds it (app.Open), on a fresh
// sandbox and a fresh store.
type stack struct {
	app   *app.App
	seed  sandbox.SeedInfo
	reg   *tools.Registry
	audit *audit.Log
	authz *authz.Authorizer
	srv   *Server
}

func newStack(t testing.TB, opts Options) *stack {
	t.Helper()
	a := apptest.New(t, apptest.Options{Policy: testPolicy})
	srv, err := New(a.Registry, a.Pipeline, opts)
	if err != nil {
		t.Fatal(err)
	}
	return &stack{app: a, seed: a.Sandbox.Seed(), reg: a.Registry, audit: a.Audit, authz: a.Authz, srv: srv}
}

// registry is the registry, for tests that need no server.
func registry(t testing.TB) *tools.Registry {
	t.Helper()
	reg, err := composite.Load()
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// eras are the two protocol generations a client may speak: the default
// (2026-07-28, multi round-trip) and the last initialize-handshake one.
var eras = []struct {
	name string
	opts []mcpclient.ClientOption
}{
	{"modern", nil},
	{"legacy", []mcpclient.ClientOption{mcpclient.WithProtocolVersion(mcp.ProtocolVersion20251125)}},
}

func (st *stack) client(t testing.TB, opts ...mcpclient.ClientOption) *mcpclient.Client {
	t.Helper()
	c, err := mcpclient.NewInProcessClientWithOptions(st.srv.MCP(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Initialize(ctx, mcp.InitializeRequest{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func call(t testing.TB, c *mcpclient.Client, name string, args map[string]any) *mcp.CallToolResult {
	t.Helper()
	return callCtx(context.Background(), t, c, name, args)
}

func callCtx(ctx context.Context, t testing.TB, c *mcpclient.Client, name string, args map[string]any) *mcp.CallToolResult {
	t.Helper()
	res, err := c.CallTool(ctx, mcp.CallToolRequest{Params: mcp.CallToolParams{Name: name, Arguments: args}})
	if err != nil {
		t.Fatalf("%s: a protocol error, want a tool result: %v", name, err)
	}
	return res
}

// text joins a result's text blocks.
func text(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if tc, ok := mcp.AsTextContent(c); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}

func mustOK(t testing.TB, res *mcp.CallToolResult) {
	t.Helper()
	if res.IsError {
		t.Fatalf("want success, got error: %s", text(res))
	}
}

func mustError(t testing.TB, res *mcp.CallToolResult, wants ...string) string {
	t.Helper()
	msg := text(res)
	if !res.IsError {
		t.Fatalf("want an isError result, got: %s", msg)
	}
	for _, w := range wants {
		if !strings.Contains(msg, w) {
			t.Errorf("error lacks %q:\n%s", w, msg)
		}
	}
	return msg
}

// structured returns structuredContent as plain JSON values.
func structured(t testing.TB, res *mcp.CallToolResult) map[string]any {
	t.Helper()
	if res.StructuredContent == nil {
		t.Fatalf("no structuredContent; text: %s", text(res))
	}
	b, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("structuredContent is not an object: %s", b)
	}
	return m
}

func listTools(t testing.TB, c *mcpclient.Client) []mcp.Tool {
	t.Helper()
	res, err := c.ListTools(context.Background(), mcp.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return res.Tools
}
