package policy

import (
	"context"
	"strings"
	"testing"

	"github.com/supaops/supaops/internal/action"
)

// testActions is a small stand-in for the registry, covering each toolset
// and risk the tests select on.
func testActions() []*action.Action {
	mk := func(name, toolset string, risk action.Risk) *action.Action {
		return &action.Action{Name: name, Toolset: toolset, Risk: risk}
	}
	return []*action.Action{
		mk("projects_list", "projects", action.Read),
		mk("project_get", "projects", action.Read),
		mk("project_update", "projects", action.Write),
		mk("project_restore", "projects", action.Write),
		mk("project_pause", "projects", action.Destructive),
		mk("project_delete", "projects", action.Destructive),
		mk("database_query_read_only", "database", action.Read),
		mk("database_query", "database", action.Destructive),
		mk("migration_apply", "database", action.Destructive),
		mk("restore_point_create", "backups", action.Write),
		mk("organization_get", "account", action.Read),
		mk("migration_upsert", "database", action.Write),
		mk("migration_update", "database", action.Write),
	}
}

func testOpts() LoadOptions { return LoadOptions{Actions: testActions()} }

func act(t testing.TB, name string) *action.Action {
	t.Helper()
	for _, a := range testActions() {
		if a.Name == name {
			return a
		}
	}
	t.Fatalf("no test action %s", name)
	return nil
}

// yamlDoc turns a literal written with tabs for readability into YAML.
func yamlDoc(s string) []byte { return []byte(strings.ReplaceAll(s, "\t", "  ")) }

func mustParse(t testing.TB, src string) *Policy {
	t.Helper()
	p, err := Parse("test.yaml", yamlDoc(src), testOpts())
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return p
}

func decide(t testing.TB, p *Policy, in Input) Decision {
	t.Helper()
	return p.Decide(context.Background(), in)
}
