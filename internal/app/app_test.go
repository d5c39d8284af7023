package app_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/supaops/supaops/internal/app"
	"github.com/supaops/supaops/internal/app/apptest"
	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/sandbox"
	"github.com/supaops/supaops/internal/scope"
)

// A rule on a project or an organization sees every call about it: on its
// branches (the default branch too), by ref or by id, and when the project
// or organization is named in the query or the body.
func TestProjectRulesSeeEveryCallAboutTheProject(t *testing.T) {
	probe := apptest.New(t, apptest.Options{})
	seed := probe.Sandbox.Seed()
	policy := `version: 1
defaults: {read: allow, write: allow, destructive: allow}
rules:
  - name: prod-is-frozen
    effect: deny
    actions: ["risk:write", "risk:destructive"]
    projects: ["` + seed.ProjectRef + `"]
  - name: prod-reads-need-a-lead
    effect: deny
    actions: [snippets_list]
    projects: ["` + seed.ProjectRef + `"]
  - name: no-new-projects-in-the-org
    effect: deny
    actions: [project_create]
    projects: ["org:` + seed.OrgSlug + `"]
`
	a := apptest.New(t, apptest.Options{Policy: policy})
	tests := []struct {
		name   string
		action string
		args   map[string]any
		rule   string
	}{
		{"the project itself", "project_update", map[string]any{"ref": seed.ProjectRef, "name": "x"}, "prod-is-frozen"},
		{"a preview branch by ref", "branch_update", map[string]any{"branch_id_or_ref": seed.PreviewBranchRef, "branch_name": "y"}, "prod-is-frozen"},
		{"a preview branch by id", "branch_delete", map[string]any{"branch_id_or_ref": seed.PreviewBranchID}, "prod-is-frozen"},
		{"the default branch", "branch_update", map[string]any{"branch_id_or_ref": seed.DefaultBranchID, "branch_name": "z"}, "prod-is-frozen"},
		{"the branch's own project ref", "project_update", map[string]any{"ref": seed.PreviewBranchRef, "name": "x"}, "prod-is-frozen"},
		{"a project named in the query", "snippets_list", map[string]any{"project_ref": seed.ProjectRef}, "prod-reads-need-a-lead"},
		{"an organization named in the body", "project_create", map[string]any{"name": "n", "organization_slug": seed.OrgSlug, "db_pass": "correct-horse-battery", "region": "us-east-1"}, "no-new-projects-in-the-org"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := a.Pipeline.Call(context.Background(), pipeline.Request{Principal: "mcp:local", Action: tt.action, Args: tt.args})
			var e *pipeline.NotAllowedError
			if !errors.As(err, &e) || e.Decision.Rule != tt.rule {
				t.Fatalf("got %v, want a denial by %s", err, tt.rule)
			}
		})
	}
	// Another project is not frozen.
	other := seed.ProjectRefs[len(seed.ProjectRefs)-1]
	if other == seed.ProjectRef {
		t.Fatal("the seed has one project")
	}
	if _, err := a.Pipeline.Call(context.Background(), pipeline.Request{Principal: "mcp:local", Action: "project_get", Args: map[string]any{"ref": other}}); err != nil {
		t.Errorf("another project: %v", err)
	}
	// What cannot be placed is refused, not guessed.
	_, err := a.Pipeline.Call(context.Background(), pipeline.Request{Principal: "mcp:local", Action: "branch_delete", Args: map[string]any{"branch_id_or_ref": "zzzzzzzzzzzzzzzzzzzz"}})
	var e *pipeline.NotAllowedError
	if !errors.As(err, &e) || e.Decision.Rule != "builtin:unresolved-target" {
		t.Errorf("an unknown branch: %v", err)
	}
}

// A scope to one project lets its branches through and refuses others'.
func TestProjectScopeThroughTheStack(t *testing.T) {
	a := apptest.New(t, apptest.Options{Policy: "version: 1\ndefaults: {read: allow, write: allow, destructive: allow}\n"})
	seed := a.Sandbox.Seed()
	sc := scope.Scope{Project: seed.ProjectRef}
	call := func(action string, args map[string]any) error {
		_, err := a.Pipeline.Call(context.Background(), pipeline.Request{Principal: "mcp:local", Action: action, Args: args, Scope: sc})
		return err
	}
	if err := call("branch_get", map[string]any{"branch_id_or_ref": seed.PreviewBranchRef}); err != nil {
		t.Errorf("its own branch: %v", err)
	}
	if err := call("project_get", nil); err != nil {
		t.Errorf("the injected project: %v", err)
	}
	other := seed.ProjectRefs[len(seed.ProjectRefs)-1]
	err := call("project_get", map[string]any{"ref": other})
	if err == nil || !strings.Contains(err.Error(), scope.RuleProject) {
		t.Errorf("another project: %v", err)
	}
}

// Every call sent is in the audit log twice: the intent before, the
// outcome after, linked.
func TestIntentsAndOutcomesAreLinked(t *testing.T) {
	a := apptest.New(t, apptest.Options{})
	seed := a.Sandbox.Seed()
	if _, err := a.Pipeline.Call(context.Background(), pipeline.Request{Principal: "mcp:local", Action: "project_get", Args: map[string]any{"ref": seed.ProjectRef}}); err != nil {
		t.Fatal(err)
	}
	report, err := a.Audit.Verify(context.Background())
	if err != nil || !report.OK() || len(report.Unfinished) != 0 || report.Checked != 2 {
		t.Fatalf("report %+v %v", report, err)
	}
}

// The shipped default policy decides on what SQL runs, in every SQL
// argument, whatever its spelling; SQL it cannot classify is refused.
func TestDefaultPolicyOnSQL(t *testing.T) {
	a := apptest.New(t, apptest.Options{})
	ref := a.Sandbox.Seed().ProjectRef
	tests := []struct {
		name   string
		action string
		args   map[string]any
		rule   string // "" means it gets past the SQL rules (to confirmation or the API)
	}{
		{"a plain read", "database_query_read_only", map[string]any{"query": "select * from todos"}, ""},
		{"drop spelt out", "database_query_read_only", map[string]any{"query": "DROP TABLE users"}, "no-drop-or-truncate"},
		{"drop built at run time", "database_query_read_only", map[string]any{"query": "DO $$BEGIN EXECUTE 'DR'||'OP TABLE users'; END$$"}, "no-drop-or-truncate"},
		{"a decoded string", "database_query_read_only", map[string]any{"query": `DO $$BEGIN EXECUTE convert_from('\x44524f50205441424c45207573657273', 'UTF8'); END$$`}, "no-dynamic-sql"},
		{"drop in a rollback", "migration_upsert", map[string]any{"query": "create table t (id int)", "rollback": "drop table t"}, "no-drop-or-truncate"},
		{"the word drop in a string is no drop", "database_query_read_only", map[string]any{"query": "select 'drop table users' as s"}, ""},
		{"SQL that does not parse", "database_query_read_only", map[string]any{"query": "selec * frm"}, "builtin:sql-unparsed"},
		{"SQL over the limit", "database_query_read_only", map[string]any{"query": "select 1;" + strings.Repeat(" ", 2<<20)}, "builtin:sql-too-large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.args["ref"] = ref
			_, err := a.Pipeline.Call(context.Background(), pipeline.Request{Principal: "mcp:local", Action: tt.action, Args: tt.args})
			var e *pipeline.NotAllowedError
			refusedBySQL := errors.As(err, &e) && e.Decision.Effect == pipeline.Deny
			switch {
			case tt.rule == "" && refusedBySQL:
				t.Fatalf("refused: %v", err)
			case tt.rule != "" && (!refusedBySQL || e.Decision.Rule != tt.rule):
				t.Fatalf("got %v, want a denial by %s", err, tt.rule)
			}
			if tt.rule == "builtin:sql-unparsed" && !strings.Contains(err.Error(), "could not be parsed") {
				t.Errorf("the refusal must say why: %v", err)
			}
			if tt.rule == "builtin:sql-too-large" && !strings.Contains(err.Error(), "the limit is") {
				t.Errorf("the refusal must give the limit: %v", err)
			}
		})
	}
}

// A lazy sandbox is not built by Open (loading its spec is most of a
// start) but on the first request, which it then answers; options it
// would refuse are still refused by Open.
func TestLazySandbox(t *testing.T) {
	open := func(sb sandbox.Options) (*app.App, error) {
		return app.Open(context.Background(), app.Options{
			StoreFile: filepath.Join(t.TempDir(), "s.db"), API: true, Sandbox: true, LazySandbox: true, SandboxOptions: sb,
		})
	}
	a, err := open(sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if a.Sandbox != nil {
		t.Fatal("Open built the sandbox")
	}
	res, err := a.Pipeline.Call(context.Background(), pipeline.Request{Principal: "mcp:local", Action: "projects_list"})
	if err != nil || !strings.Contains(fmt.Sprint(res.Data), "sandbox-production") {
		t.Fatalf("the first call: %v %v", res, err)
	}
	if _, err := open(sandbox.Options{Budget: -1}); err == nil || !strings.Contains(err.Error(), "budget") {
		t.Errorf("a negative budget: %v, want it refused by Open", err)
	}
}

// A deferred policy: Open does not wait for it, Ready reports how a policy
// file loaded, and if it did not, every call is refused; the shipped
// default is compiled on the first decision.
func TestDeferredPolicy(t *testing.T) {
	const good = "version: 1\ndefaults: {read: allow, write: confirm, destructive: deny}\n"
	const bad = good + "rules:\n  - {name: broken, effect: deny, actions: [projects_list], when: 'args.x =='}\n"
	tests := []struct {
		name, policy string // "" is the shipped default
		wantErr      bool
	}{
		{"a file that loads", good, false},
		{"a file that does not load", bad, true},
		{"the shipped default", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			file := ""
			if tt.policy != "" {
				file = filepath.Join(dir, "policy.yaml")
				if err := os.WriteFile(file, []byte(tt.policy), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			a, err := app.Open(context.Background(), app.Options{
				StoreFile: filepath.Join(dir, "s.db"), PolicyFile: file, DeferPolicy: true,
				API: true, Sandbox: true, LazySandbox: true,
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := a.Ready(context.Background()); (err != nil) != tt.wantErr || tt.wantErr && !strings.Contains(err.Error(), file) {
				t.Fatalf("Ready: %v, want an error: %v", err, tt.wantErr)
			}
			_, err = a.Pipeline.Call(context.Background(), pipeline.Request{Principal: "mcp:local", Action: "projects_list"})
			var denied *pipeline.NotAllowedError
			if refused := errors.As(err, &denied); refused != tt.wantErr || refused && denied.Decision.Rule != "policy-not-loaded" {
				t.Errorf("a read: %v; refused %v, want %v", err, refused, tt.wantErr)
			}
		})
	}
}
