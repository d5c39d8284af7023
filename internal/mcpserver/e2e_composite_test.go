package mcpserver

import (
	"context"
	"strings"
	"testing"

	"github.com/supaops/supaops/internal/action"
	"github.com/supaops/supaops/internal/audit"
	"github.com/supaops/supaops/internal/composite"
	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/scope"
)

// TestCompositesOverMCP: composites are tools like any action, their inner
// calls recorded as the MCP session's; branch_rebase is hidden and refused
// on a read-only server.
func TestCompositesOverMCP(t *testing.T) {
	st := newStack(t, Options{})
	c := st.client(t)
	res := call(t, c, "tables_list", map[string]any{"ref": st.seed.ProjectRef})
	mustOK(t, res)
	if got := text(res); !strings.Contains(got, "orders") || !strings.Contains(got, "rls_enabled") {
		t.Errorf("tables_list: %s", got)
	}
	mustOK(t, call(t, c, CallAction, map[string]any{"name": "rls_check", "arguments": map[string]any{"ref": st.seed.ProjectRef}}))
	entries, err := st.audit.Query(context.Background(), audit.Filter{Action: "database_query_read_only"})
	if err != nil {
		t.Fatal(err)
	}
	via := map[string]bool{}
	for _, e := range entries {
		if e.Record.Surface == "mcp" {
			via[e.Record.Via] = true
		}
	}
	if !via["tables_list"] || !via["rls_check"] {
		t.Errorf("inner calls recorded via %v, want tables_list and rls_check", via)
	}

	ro := newStack(t, Options{Scope: scope.Scope{ReadOnly: true}})
	rc := ro.client(t)
	for _, tool := range listTools(t, rc) {
		if tool.Name == "branch_rebase" {
			t.Error("branch_rebase is listed on a read-only server")
		}
	}
	mustError(t, call(t, rc, CallAction, map[string]any{"name": "branch_rebase", "arguments": map[string]any{"branch_id_or_ref": ro.seed.PreviewBranchRef}}),
		"scope:read-only")
	mustOK(t, call(t, rc, "tables_list", map[string]any{"ref": ro.seed.ProjectRef}))
}

// TestEveryCompositeOverMCP calls each composite action through call_action
// with its example arguments on the sandbox: reads answer, and each inner
// call is in the audit log as the MCP session's, via the composite; the
// write (branch_rebase) asks to be confirmed first, before any inner call.
func TestEveryCompositeOverMCP(t *testing.T) {
	st := newStack(t, Options{})
	c := st.client(t)
	known := map[string]any{
		"ref": st.seed.ProjectRef, "branch_id_or_ref": st.seed.PreviewBranchRef,
		"organization_slug": st.seed.OrgSlug, "kind": "branch",
	}
	defs := composite.Defs()
	if len(defs) < 9 {
		t.Fatalf("%d composites", len(defs))
	}
	for _, d := range defs {
		t.Run(d.Name, func(t *testing.T) {
			a, err := st.reg.Lookup(d.Name)
			if err != nil {
				t.Fatal(err)
			}
			res := call(t, c, CallAction, map[string]any{"name": d.Name, "arguments": a.Example(known)})
			entries, err := st.audit.Query(context.Background(), audit.Filter{Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			inner := 0
			for _, e := range entries {
				if e.Record.Via == d.Name && e.Record.Surface == "mcp" && e.Record.Event != pipeline.EventIntent {
					inner++
				}
			}
			if a.Risk != action.Read {
				mustError(t, res, "confirm")
				if inner != 0 {
					t.Errorf("%d inner calls before the confirmation", inner)
				}
				return
			}
			mustOK(t, res)
			if inner == 0 {
				t.Errorf("no inner call of %s in the audit log", d.Name)
			}
		})
	}
}
