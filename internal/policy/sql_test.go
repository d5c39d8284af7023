package policy

import (
	"context"
	"strings"
	"testing"

	"github.com/supaops/supaops/internal/sqlkind"
)

// sqlSummary is what sqlkind.Summarize returns for a migration whose query
// creates a table and whose rollback drops it inside a DO block that also
// runs EXECUTE. Built by hand: the policy never parses, and its tests do not
// pay for compiling the parser.
func sqlSummary() *sqlkind.Summary {
	return &sqlkind.Summary{
		Result: sqlkind.Result{Statements: 3, Kinds: []string{"create_table", "insert", "do", "execute", "drop"}, Writes: true, Dynamic: true},
		Args: map[string]sqlkind.Result{
			"query":    {Statements: 2, Kinds: []string{"create_table", "insert"}, Writes: true},
			"rollback": {Statements: 1, Kinds: []string{"do", "execute", "drop"}, Writes: true, Dynamic: true},
		},
	}
}

func TestConditionSQL(t *testing.T) {
	readOnly := &sqlkind.Summary{
		Result: sqlkind.Result{Statements: 1, Kinds: []string{"select"}},
		Args:   map[string]sqlkind.Result{"query": {Statements: 1, Kinds: []string{"select"}}},
	}
	tests := []struct {
		when string
		sql  *sqlkind.Summary
		want bool
	}{
		// No SQL: empty and false, never an error.
		{`'sql.statements == 0'`, nil, true},
		{`'sql.kinds.size() == 0'`, nil, true},
		{`'"drop" in sql.kinds'`, nil, false},
		{`'sql.writes'`, nil, false},
		{`'sql.dynamic'`, nil, false},
		{`'sql.args.size() == 0'`, nil, true},
		{`'"query" in sql.args'`, nil, false},
		{`'has(sql.args.query)'`, nil, false},
		// Over all SQL arguments.
		{`'sql.statements == 3'`, sqlSummary(), true},
		{`'sql.kinds == ["create_table", "insert", "do", "execute", "drop"]'`, sqlSummary(), true},
		{`'"drop" in sql.kinds'`, sqlSummary(), true},
		{`'sql.kinds.exists(k, k in ["drop", "truncate"])'`, sqlSummary(), true},
		{`'sql.kinds.exists(k, k in ["drop", "truncate"])'`, readOnly, false},
		{`'sql.writes'`, sqlSummary(), true},
		{`'sql.writes'`, readOnly, false},
		{`'sql.dynamic'`, sqlSummary(), true},
		{`'sql.dynamic'`, readOnly, false},
		{`'sql.kinds.all(k, k == "select")'`, readOnly, true},
		{`'sql.kinds.all(k, k == "select")'`, sqlSummary(), false},
		// Per argument.
		{`'"drop" in sql.args.rollback.kinds'`, sqlSummary(), true},
		{`'"drop" in sql.args["query"].kinds'`, sqlSummary(), false},
		{`'sql.args.rollback.dynamic && !sql.args.query.dynamic'`, sqlSummary(), true},
		{`'sql.args.query.statements == 2'`, sqlSummary(), true},
		{`'has(sql.args.rollback)'`, readOnly, false},
		{`'sql.args.exists(a, sql.args[a].dynamic)'`, sqlSummary(), true},
		{`'"query" in sql.args && !sql.writes'`, readOnly, true},
		{`'"query" in sql.args && !sql.writes'`, nil, false},
	}
	for _, tt := range tests {
		name := tt.when
		if tt.sql == nil {
			name += " (no SQL)"
		}
		t.Run(name, func(t *testing.T) {
			p := conditionPolicy(t, "deny", tt.when, LoadOptions{})
			in := Input{Principal: "cli:local", Action: act(t, "migration_apply"), SQL: tt.sql}
			for _, ctx := range contexts(t) {
				d := p.Decide(ctx, in)
				if got := d.Rule == "c"; got != tt.want {
					t.Errorf("applied = %v, want %v (%+v)", got, tt.want, d)
				}
				if len(d.Warnings) > 0 || strings.Contains(d.Reason, "could not") {
					t.Errorf("unexpected evaluation error: %+v", d)
				}
			}
		})
	}
}

// sql is typed: a misspelt field or a wrong type is refused at load, not
// discovered at the first call.
func TestConditionSQLTypeErrors(t *testing.T) {
	for _, when := range []string{
		`'sql.kind == "drop"'`,
		`'sql.args.query.args.size() > 0'`,
		`'sql.writes == "yes"'`,
		`'sql.statements'`,
		`'sql'`,
	} {
		t.Run(when, func(t *testing.T) {
			src := header + "rules:\n\t- name: c\n\t\teffect: deny\n\t\twhen: " + when + "\n"
			if _, err := Parse("test.yaml", yamlDoc(src), testOpts()); err == nil {
				t.Errorf("loaded a condition with a type error")
			}
		})
	}
}

// Reading an argument the call does not have fails, and fails closed.
func TestConditionSQLMissingArgFailsClosed(t *testing.T) {
	in := Input{Principal: "cli:local", Action: act(t, "migration_apply"), SQL: &sqlkind.Summary{
		Args: map[string]sqlkind.Result{"query": {Statements: 1, Kinds: []string{"select"}}},
	}}
	deny := conditionPolicy(t, "deny", `'sql.args.rollback.writes'`, LoadOptions{})
	if d := decide(t, deny, in); d.Effect != Deny || d.Rule != "c" || !strings.Contains(d.Reason, "no such key") {
		t.Errorf("deny rule: %+v", d)
	}
	allow := conditionPolicy(t, "allow", `'!sql.args.rollback.writes'`, LoadOptions{})
	if d := decide(t, allow, in); d.Rule == "c" || len(d.Warnings) == 0 {
		t.Errorf("allow rule: %+v", d)
	}
}

func TestUsesSQL(t *testing.T) {
	tests := []struct {
		when string
		want bool
	}{
		{`'sql.dynamic'`, true},
		{`'"drop" in sql.args.query.kinds'`, true},
		{`'has(args.query) && args.query.contains("sql")'`, false},
		{`'args.sql == 1'`, false},
	}
	for _, tt := range tests {
		t.Run(tt.when, func(t *testing.T) {
			if got := conditionPolicy(t, "deny", tt.when, LoadOptions{}).UsesSQL(); got != tt.want {
				t.Errorf("UsesSQL() = %v, want %v", got, tt.want)
			}
		})
	}
	if mustParse(t, header).UsesSQL() {
		t.Error("a policy without rules uses sql")
	}
}

func TestExplainShowsSQL(t *testing.T) {
	p := conditionPolicy(t, "deny", `'"drop" in sql.kinds'`, LoadOptions{})
	in := Input{Principal: "cli:local", Action: act(t, "migration_apply"), SQL: sqlSummary()}
	ex := p.Explain(context.Background(), in)
	if ex.SQL == nil || ex.Decision.Rule != "c" {
		t.Fatalf("explanation %+v", ex)
	}
	out := ex.String()
	for _, want := range []string{"sql: 3 statements", "create_table, insert, do, execute, drop", "writes", "dynamic", "rollback: 1 statement"} {
		if !strings.Contains(out, want) {
			t.Errorf("explanation lacks %q:\n%s", want, out)
		}
	}
}
