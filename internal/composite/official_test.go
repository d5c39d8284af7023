package composite_test

import (
	"testing"

	"github.com/supaops/supaops/internal/composite"
	"github.com/supaops/supaops/internal/mcpserver"
)

// officialDefault is the official server's default tool set (v0.7.0,
// every group but storage) plus the tools it added later: none may be
// left without a supaops equivalent.
var officialDefault = []string{
	"list_organizations", "get_organization", "list_projects", "get_project", "get_cost", "confirm_cost",
	"create_project", "pause_project", "restore_project", "search_docs",
	"list_tables", "list_extensions", "list_migrations", "apply_migration", "execute_sql",
	"get_logs", "get_advisors", "get_project_url", "get_publishable_keys", "generate_typescript_types",
	"list_edge_functions", "get_edge_function", "deploy_edge_function",
	"create_branch", "list_branches", "delete_branch", "merge_branch", "reset_branch", "rebase_branch",
	"query_logs", "create_edge_function_secret",
}

// TestOfficialToolsAreMapped: every official tool has a row, and every
// action a row names exists (a registry action, or one of the MCP
// server's own tools).
func TestOfficialToolsAreMapped(t *testing.T) {
	reg, err := composite.Load()
	if err != nil {
		t.Fatal(err)
	}
	list, err := composite.Official()
	if err != nil {
		t.Fatal(err)
	}
	meta := map[string]bool{mcpserver.SearchActions: true, mcpserver.DescribeAction: true, mcpserver.CallAction: true}
	rows := map[string]bool{}
	for _, o := range list {
		if rows[o.Name] {
			t.Errorf("%s: two rows", o.Name)
		}
		rows[o.Name] = true
		if len(o.Actions) == 0 {
			t.Errorf("%s: no supaops action", o.Name)
		}
		for _, name := range o.Actions {
			if _, found := reg.Find(name); !found && !meta[name] {
				t.Errorf("%s maps to %s, which is no action", o.Name, name)
			}
		}
	}
	for _, name := range officialDefault {
		if !rows[name] {
			t.Errorf("official tool %s has no row in official.tsv", name)
		}
	}
}
