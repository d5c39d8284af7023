package mcpserver

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	mcpclient "github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/rs/zerolog"

	"github.com/supaops/supaops/internal/action"
	"github.com/supaops/supaops/internal/audit"
	"github.com/supaops/supaops/internal/authz"
	"github.com/supaops/supaops/internal/client"
	"github.com/supaops/supaops/internal/consent"
	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/policy"
	"github.com/supaops/supaops/internal/sandbox"
	"github.com/supaops/supaops/internal/store"
	"github.com/supaops/supaops/internal/tools"
)

const sandboxToken = "mcpserver-test-token"

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

// shared holds what is expensive and read-only: the sandbox spec and the registry.
var shared struct {
	once sync.Once
	spec *sandbox.Spec
	reg  *tools.Registry
	err  error
}

func registry(t testing.TB) *tools.Registry {
	t.Helper()
	shared.once.Do(func() {
		if shared.spec, shared.err = sandbox.LoadSpec(); shared.err != nil {
			return
		}
		shared.reg, shared.err = tools.Load()
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.reg
}

// stack is the whole server as cmd/mcp builds it, on a fresh sandbox and a
// fresh store.
type stack struct {
	seed  sandbox.SeedInfo
	reg   *tools.Registry
	audit *audit.Log
	authz *authz.Authorizer
	srv   *Server
}

func newStack(t testing.TB, opts Options) *stack {
	t.Helper()
	ctx := context.Background()
	reg := registry(t)
	sb, err := sandbox.New(sandbox.Options{Spec: shared.spec, Token: sandboxToken, Budget: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	api, err := client.New(client.Config{
		BaseURL: "http://sandbox.test", Token: sandboxToken, Transport: sb.RoundTripper(),
		Limits: client.Limits{Global: client.Budget{Requests: 1 << 20, Window: time.Minute}, Endpoints: []client.EndpointLimit{}},
	})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "supaops.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	descriptors := make([]*action.Action, 0, len(reg.Actions()))
	for _, a := range reg.Actions() {
		descriptors = append(descriptors, &a.Action)
	}
	pol, err := policy.Parse("test.yaml", []byte(testPolicy), policy.LoadOptions{Actions: descriptors})
	if err != nil {
		t.Fatal(err)
	}
	az, err := authz.New(authz.Config{
		Policy: func() *policy.Policy { return pol }, Consent: consent.New(st, nil), Actions: reg.Find,
	})
	if err != nil {
		t.Fatal(err)
	}
	var auth pipeline.Authorizer = az
	if opts.ProjectRef != "" {
		branches, err := authz.NewProjectBranches(reg, api, 0)
		if err != nil {
			t.Fatal(err)
		}
		auth = authz.ProjectScope{Ref: opts.ProjectRef, Branches: branches, Next: auth}
	}
	if opts.ReadOnly {
		auth = authz.ReadOnly{Next: auth}
	}
	log := audit.New(st, nil)
	p, err := pipeline.New(pipeline.Config{Registry: reg, API: api, Authorizer: auth, Recorder: log, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(reg, p, opts)
	if err != nil {
		t.Fatal(err)
	}
	return &stack{seed: sb.Seed(), reg: reg, audit: log, authz: az, srv: srv}
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
