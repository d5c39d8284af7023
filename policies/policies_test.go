package policies_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/supaops/supaops/internal/bindings"

	"github.com/supaops/supaops/internal/action"
	"github.com/supaops/supaops/internal/policy"
	"github.com/supaops/supaops/internal/sqlkind"
	"github.com/supaops/supaops/internal/tools"
	"github.com/supaops/supaops/policies"
)

func TestMain(m *testing.M) {
	// Compiling the SQL parser takes seconds (much longer under -race):
	// start it now, alongside the tests that need no SQL.
	sqlkind.Warm()
	os.Exit(m.Run())
}

// registry loads the real action list: the shipped files must load against it.
func registry(t *testing.T) (policy.LoadOptions, map[string]*action.Action) {
	t.Helper()
	reg, err := tools.Load()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*action.Action{}
	var opts policy.LoadOptions
	for _, a := range reg.Actions() {
		opts.Actions = append(opts.Actions, &a.Action)
		byName[a.Name] = &a.Action
	}
	for _, a := range bindings.Actions() {
		opts.Actions = append(opts.Actions, a)
		byName[a.Name] = a
	}
	return opts, byName
}

func TestShippedFilesLoad(t *testing.T) {
	opts, _ := registry(t)
	names, err := policies.Names()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"default.yaml", "readonly.yaml", "examples/team.yaml"}
	for _, w := range want {
		found := false
		for _, n := range names {
			found = found || n == w
		}
		if !found {
			t.Errorf("%s is not shipped (have %v)", w, names)
		}
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			if _, err := policies.Load(name, opts); err != nil {
				t.Fatalf("%v", err)
			}
		})
	}
	if _, err := policies.Load("missing.yaml", opts); err == nil {
		t.Error("loaded a file that is not shipped")
	}
}

type scenario struct {
	name       string
	principal  string
	identities []string
	action     string
	args       map[string]any
	org        string
	effect     policy.Effect
	rule       string
	approvals  int
}

func runScenarios(t *testing.T, p *policy.Policy, acts map[string]*action.Action, scenarios []scenario) {
	t.Helper()
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			a, ok := acts[sc.action]
			if !ok {
				t.Fatalf("no action %s", sc.action)
			}
			surface, _, _ := strings.Cut(sc.principal, ":")
			in := policy.Input{
				Principal: sc.principal, Identities: sc.identities, Surface: surface,
				Action: a, Args: sc.args, Project: "abcdefghijklmnopqrst", Organization: sc.org,
			}
			// As the pipeline does: the catalogue's SQL arguments, classified.
			if fields := a.SQL; len(fields) > 0 {
				sum, err := sqlkind.Summarize(context.Background(), sc.args, fields)
				if err != nil {
					t.Fatal(err)
				}
				in.SQL = &sum
			}
			d := p.Decide(context.Background(), in)
			if d.Effect != sc.effect || d.Rule != sc.rule || d.Approvals != sc.approvals || len(d.Warnings) > 0 {
				t.Errorf("got %+v, want %s by %s (approvals %d)\n%s", d, sc.effect, sc.rule, sc.approvals, p.Explain(context.Background(), in))
			}
		})
	}
}

func TestDefaultPolicy(t *testing.T) {
	opts, acts := registry(t)
	p, err := policies.Default(opts)
	if err != nil {
		t.Fatal(err)
	}
	if p.ConfirmTTL().String() != "10m0s" || p.ApprovalTTL().String() != "24h0m0s" {
		t.Errorf("TTLs %s, %s", p.ConfirmTTL(), p.ApprovalTTL())
	}
	runScenarios(t, p, acts, []scenario{
		{name: "read", principal: "mcp:local", action: "project_get", effect: policy.Allow, rule: "default:read"},
		{name: "read-only SQL", principal: "mcp:local", action: "database_query_read_only", args: map[string]any{"query": "select 1"}, effect: policy.Allow, rule: "default:read"},
		{name: "write", principal: "mcp:local", action: "project_update", effect: policy.Confirm, rule: "default:write"},
		{name: "destructive", principal: "mcp:local", action: "project_delete", effect: policy.Deny, rule: "default:destructive"},
		{name: "DROP", principal: "cli:local", action: "database_query", args: map[string]any{"query": "drop table users"}, effect: policy.Deny, rule: "no-drop-or-truncate"},
		{name: "TRUNCATE in a migration", principal: "cli:local", action: "migration_apply", args: map[string]any{"query": "Truncate audit;"}, effect: policy.Deny, rule: "no-drop-or-truncate"},
		{name: "other SQL", principal: "cli:local", action: "database_query", args: map[string]any{"query": "update t set dropped = true"}, effect: policy.Deny, rule: "default:destructive"},
		// The bypasses of the text rule this policy had.
		{name: "DROP built by concatenation in a DO block", principal: "mcp:local", action: "migration_upsert", args: map[string]any{"query": bypassConcat}, effect: policy.Deny, rule: "no-drop-or-truncate"},
		{name: "DROP decoded at run time in a DO block", principal: "mcp:local", action: "migration_upsert", args: map[string]any{"query": bypassDecoded}, effect: policy.Deny, rule: "no-dynamic-sql"},
		{name: "DROP decoded at run time, read-only query", principal: "mcp:local", action: "database_query_read_only", args: map[string]any{"query": bypassDecoded}, effect: policy.Deny, rule: "no-dynamic-sql"},
		{name: "DROP in a migration's rollback", principal: "mcp:local", action: "migration_upsert", args: map[string]any{"query": "create table t (id int)", "rollback": "drop table t"}, effect: policy.Deny, rule: "no-drop-or-truncate"},
		{name: "TRUNCATE in a migration update's rollback", principal: "mcp:local", action: "migration_update", args: map[string]any{"rollback": "truncate t"}, effect: policy.Deny, rule: "no-drop-or-truncate"},
		{name: "DROP hidden by a comment", principal: "mcp:local", action: "migration_upsert", args: map[string]any{"query": "dRoP/**/TABLE users"}, effect: policy.Deny, rule: "no-drop-or-truncate"},
		{name: "static DROP in a DO block", principal: "mcp:local", action: "migration_upsert", args: map[string]any{"query": "DO $$BEGIN DROP TABLE users; END$$"}, effect: policy.Deny, rule: "no-drop-or-truncate"},
		{name: "DROP COLUMN", principal: "mcp:local", action: "migration_upsert", args: map[string]any{"query": "alter table users drop column email"}, effect: policy.Deny, rule: "no-drop-or-truncate"},
		{name: "dblink from a read-only query", principal: "mcp:local", action: "database_query_read_only", args: map[string]any{"query": "select dblink_exec(current_setting('app.conn'), 'delete from users')"}, effect: policy.Deny, rule: "no-dynamic-sql"},
		{name: "migration without DROP", principal: "mcp:local", action: "migration_upsert", args: map[string]any{"query": "create table t (id int)", "rollback": "delete from t where id > 0"}, effect: policy.Confirm, rule: "default:write"},
		{name: "static DO block", principal: "mcp:local", action: "migration_upsert", args: map[string]any{"query": "DO $$BEGIN IF NOT EXISTS (SELECT 1 FROM t) THEN INSERT INTO t VALUES (1); END IF; END$$"}, effect: policy.Confirm, rule: "default:write"},
		{name: "the word drop in a string", principal: "mcp:local", action: "migration_upsert", args: map[string]any{"query": "insert into notes values ('drop table users')"}, effect: policy.Confirm, rule: "default:write"},
	})
}

// The outside review's bypasses of a text rule on SQL.
const (
	bypassConcat  = `DO $$BEGIN EXECUTE 'DR'||'OP TABLE users'; END$$`
	bypassDecoded = `DO $$BEGIN EXECUTE convert_from('\x44524f50205441424c45207573657273', 'UTF8'); END$$`
)

func TestReadOnlyPolicy(t *testing.T) {
	opts, acts := registry(t)
	p, err := policies.ReadOnly(opts)
	if err != nil {
		t.Fatal(err)
	}
	runScenarios(t, p, acts, []scenario{
		{name: "read", principal: "mcp:token:bot", action: "projects_list", effect: policy.Allow, rule: "default:read"},
		{name: "read-only SQL", principal: "mcp:token:bot", action: "database_query_read_only", args: map[string]any{"query": "select 1"}, effect: policy.Allow, rule: "read-only-sql"},
		{name: "write", principal: "cli:local", action: "restore_point_create", effect: policy.Deny, rule: "default:write"},
		{name: "SQL", principal: "cli:local", action: "database_query", args: map[string]any{"query": "select 1"}, effect: policy.Deny, rule: "default:destructive"},
	})
}

func TestTeamPolicy(t *testing.T) {
	opts, acts := registry(t)
	p, err := policies.Load("examples/team.yaml", opts)
	if err != nil {
		t.Fatal(err)
	}
	ops := "slack:channel:C0OPS"
	oncall := []string{"slack:usergroup:S0ONCALL", ops}
	runScenarios(t, p, acts, []scenario{
		{name: "on-call pauses from #ops with confirm", principal: "slack:user:U1", identities: oncall, action: "project_pause", effect: policy.Confirm, rule: "oncall-pause-restore"},
		{name: "on-call restores from #ops with confirm", principal: "slack:user:U1", identities: oncall, action: "project_restore", effect: policy.Confirm, rule: "oncall-pause-restore"},
		{name: "on-call in a DM is refused", principal: "slack:user:U1", identities: []string{"slack:usergroup:S0ONCALL"}, action: "project_pause", effect: policy.Deny, rule: "slack-changes-only-in-ops"},
		{name: "on-call deleting needs two leads", principal: "slack:user:U1", identities: oncall, action: "project_delete", effect: policy.Approve, rule: "project-delete-two-leads", approvals: 2},
		{name: "someone else pausing needs a lead", principal: "slack:user:U2", identities: []string{ops}, action: "project_pause", effect: policy.Approve, rule: "pause-needs-a-lead", approvals: 1},
		{name: "destructive from #ops needs a lead", principal: "slack:user:U2", identities: []string{ops}, action: "branch_delete", effect: policy.Approve, rule: "leads-approve-destructive", approvals: 1},
		{name: "slack read anywhere", principal: "slack:user:U2", action: "project_get", effect: policy.Allow, rule: "default:read"},
		{name: "agent reads", principal: "mcp:token:claude", action: "logs_query", effect: policy.Allow, rule: "default:read"},
		{name: "agent read-only SQL", principal: "mcp:token:claude", action: "database_query_read_only", args: map[string]any{"query": "select count(*) from orders"}, effect: policy.Allow, rule: "default:read"},
		{name: "agent SQL over auth", principal: "mcp:token:claude", action: "database_query_read_only", args: map[string]any{"query": "select email from auth.users"}, effect: policy.Deny, rule: "agents-stay-out-of-auth"},
		{name: "agent write", principal: "mcp:token:claude", action: "project_update", effect: policy.Deny, rule: "agents-read-only"},
		{name: "agent destructive", principal: "mcp:token:claude", action: "project_delete", effect: policy.Deny, rule: "agents-read-only"},
		{name: "agent migration needs approval", principal: "mcp:token:claude", action: "migration_apply", args: map[string]any{"query": "create table t (id int)"}, effect: policy.Approve, rule: "agents-migrations-need-approval", approvals: 1},
		{name: "agent migration with DROP", principal: "mcp:token:claude", action: "migration_apply", args: map[string]any{"query": "drop table t"}, effect: policy.Deny, rule: "no-drop-or-truncate"},
		{name: "agent migration with DROP built by concatenation", principal: "mcp:token:claude", action: "migration_apply", args: map[string]any{"query": bypassConcat}, effect: policy.Deny, rule: "no-drop-or-truncate"},
		{name: "agent migration with SQL decoded at run time", principal: "mcp:token:claude", action: "migration_apply", args: map[string]any{"query": bypassDecoded}, effect: policy.Approve, rule: "dynamic-sql-needs-a-lead", approvals: 1},
		{name: "agent migration with DROP in the rollback", principal: "mcp:token:claude", action: "migration_upsert", args: map[string]any{"query": "create table t (id int)", "rollback": "drop table t"}, effect: policy.Deny, rule: "no-drop-or-truncate"},
		{name: "agent migration with a static DO block", principal: "mcp:token:claude", action: "migration_apply", args: map[string]any{"query": "create table t (id int); DO $$BEGIN INSERT INTO t VALUES (1); END$$"}, effect: policy.Approve, rule: "agents-migrations-need-approval", approvals: 1},
		{name: "agent read-only SQL that writes", principal: "mcp:token:claude", action: "database_query_read_only", args: map[string]any{"query": "with d as (delete from orders returning *) select count(*) from d"}, effect: policy.Deny, rule: "agents-sql-reads-only"},
		{name: "agent read-only SQL through dblink", principal: "mcp:token:claude", action: "database_query_read_only", args: map[string]any{"query": "select * from dblink('dbname=postgres', current_setting('x')) as t(a int)"}, effect: policy.Deny, rule: "agents-sql-reads-only"},
		{name: "dynamic migration from #ops needs a lead", principal: "slack:user:U3", identities: oncall, action: "migration_upsert", args: map[string]any{"query": bypassDecoded}, effect: policy.Approve, rule: "dynamic-sql-needs-a-lead", approvals: 1},
		{name: "plain migration from #ops is confirmed", principal: "slack:user:U3", identities: oncall, action: "migration_upsert", args: map[string]any{"query": "create table t (id int)"}, effect: policy.Confirm, rule: "default:write"},
		{name: "TRUNCATE in a migration update's rollback", principal: "slack:user:U3", identities: []string{ops}, action: "migration_update", args: map[string]any{"rollback": "truncate t"}, effect: policy.Deny, rule: "no-drop-or-truncate"},
		{name: "a Slack user who is not on call does not write", principal: "slack:user:U3", identities: []string{ops}, action: "project_update", effect: policy.Deny, rule: "slack-writes-are-for-oncall"},
		{name: "on-call confirms a write", principal: "slack:user:U3", identities: oncall, action: "project_update", effect: policy.Confirm, rule: "default:write"},
		{name: "a lead binds a channel", principal: "slack:user:U4", identities: []string{ops, "slack:usergroup:S0LEADS"}, action: "scope_bind", effect: policy.Confirm, rule: "default:write"},
		{name: "others do not bind channels", principal: "slack:user:U3", identities: oncall, action: "scope_bind", effect: policy.Deny, rule: "only-leads-bind-channels"},
		{name: "local agent writes with confirm", principal: "mcp:local", action: "project_update", effect: policy.Confirm, rule: "default:write"},
		{name: "nightly backup restore point", principal: "job:nightly-backup", action: "restore_point_create", effect: policy.Allow, rule: "nightly-backup-restore-points"},
		{name: "other job restore point", principal: "job:weekly-report", action: "restore_point_create", effect: policy.Confirm, rule: "default:write"},
		{name: "job destructive", principal: "job:nightly-backup", action: "backup_restore_pitr", effect: policy.Deny, rule: "jobs-never-destructive"},
		{name: "engineer on staging", principal: "slack:user:U3", identities: []string{"slack:usergroup:S0ENG", ops}, action: "postgres_config_update", org: "acme-staging", effect: policy.Allow, rule: "staging-writes-unconfirmed"},
		{name: "engineer on prod", principal: "slack:user:U3", identities: []string{"slack:usergroup:S0ENG", ops}, action: "postgres_config_update", org: "acme-prod", effect: policy.Confirm, rule: "default:write"},
		{name: "operator shell on staging", principal: "cli:local", action: "postgres_config_update", org: "acme-staging", effect: policy.Allow, rule: "staging-writes-unconfirmed"},
	})
}
