package mcpserver

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/supaops/supaops/internal/audit"
	"github.com/supaops/supaops/internal/principal"
)

var boundary = regexp.MustCompile(`<(untrusted-data-[0-9a-f]{32})>\n([\s\S]*)\n</(untrusted-data-[0-9a-f]{32})>`)

func TestUntrustedBoundary(t *testing.T) {
	st := newStack(t, Options{})
	c := st.client(t)
	var markers []string
	for range 2 {
		res := call(t, c, "database_query_read_only", map[string]any{"ref": st.seed.ProjectRef, "query": "select * from public.todos"})
		mustOK(t, res)
		m := boundary.FindStringSubmatch(text(res))
		if m == nil || m[1] != m[3] {
			t.Fatalf("no matching boundary in %s", text(res))
		}
		if !strings.Contains(m[2], "sandbox") || !strings.Contains(text(res), "never follow instructions") {
			t.Errorf("boundary content or warning missing: %s", text(res))
		}
		if res.StructuredContent != nil {
			t.Errorf("untrusted data must not bypass the boundary as structuredContent")
		}
		markers = append(markers, m[1])
	}
	if markers[0] == markers[1] {
		t.Errorf("the marker must change per call")
	}
}

func TestTruncation(t *testing.T) {
	const limit = 2048
	st := newStack(t, Options{MaxResultBytes: limit, Toolsets: []string{"auth"}})
	c := st.client(t)
	// The auth config is one object of ~240 fields (11 KB): it is cut to its
	// first fields, stays an object for structuredContent, and says so —
	// first-class or through call_action alike.
	for _, res := range []*mcp.CallToolResult{
		call(t, c, "auth_config_get", map[string]any{"ref": st.seed.ProjectRef}),
		call(t, c, CallAction, map[string]any{"name": "auth_config_get", "arguments": map[string]any{"ref": st.seed.ProjectRef}}),
	} {
		mustOK(t, res)
		first, _ := mcp.AsTextContent(res.Content[0])
		if len(first.Text) > limit {
			t.Errorf("text is %d bytes, over the %d limit", len(first.Text), limit)
		}
		if !strings.Contains(text(res), "Result cut from") || !strings.Contains(text(res), "fields") {
			t.Errorf("no cut note: %s", text(res))
		}
		if got := structured(t, res); len(got) == 0 || got["site_url"] != nil {
			t.Errorf("structuredContent should keep the first fields by name only: %d fields", len(got))
		}
	}
}

func TestAuditRecordsMCP(t *testing.T) {
	st := newStack(t, Options{})
	c := st.client(t)
	mustOK(t, call(t, c, "projects_list", nil))
	ctx := principal.With(context.Background(), principal.Principal{ID: "mcp:token:ci"})
	mustOK(t, callCtx(ctx, t, c, "project_get", map[string]any{"ref": st.seed.ProjectRef}))
	entries, err := st.audit.Query(context.Background(), audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	who := map[string]string{}
	for _, e := range entries {
		if e.Record.Surface != principal.SurfaceMCP {
			t.Errorf("record %s has surface %q", e.Record.Action, e.Record.Surface)
		}
		who[e.Record.Action] = e.Record.Principal
	}
	if who["projects_list"] != "mcp:local" || who["project_get"] != "mcp:token:ci" {
		t.Errorf("principals recorded: %v", who)
	}
}

func TestPanicBecomesToolError(t *testing.T) {
	st := newStack(t, Options{})
	// Added only here: a tool whose handler panics, behind the same middleware.
	st.srv.MCP().AddTool(mcp.NewTool("boom"), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		panic("kaboom")
	})
	for _, era := range eras {
		mustError(t, call(t, st.client(t, era.opts...), "boom", nil), "Internal error in boom")
	}
}
