package policy

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/supaops/supaops/internal/sqlkind"
)

// benchPolicySource has 100 rules. Scanned in turn, the call benchmarked
// passes over 90 rules on their selectors, evaluates 9 false conditions, and
// is decided by the 100th rule (an allow with a condition). The index leaves
// 10 rules to check: the 9 conditions are still evaluated.
func benchPolicySource() []byte {
	var s strings.Builder
	s.WriteString(header + "rules:\n")
	for i := range 30 {
		fmt.Fprintf(&s, "\t- name: deny-%d\n\t\teffect: deny\n\t\tprincipals: [\"slack:user:UX%d\", \"job:j%d*\"]\n", i, i, i)
	}
	for i := range 20 {
		fmt.Fprintf(&s, "\t- name: approve-%d\n\t\teffect: approve\n\t\tactions: [project_delete, \"toolset:database\"]\n\t\tapprovers: [\"slack:usergroup:S%d\"]\n", i, i)
	}
	for i := range 9 {
		fmt.Fprintf(&s, "\t- name: confirm-cel-%d\n\t\teffect: confirm\n\t\tactions: [\"risk:write\"]\n\t\twhen: 'has(args.query) && args.query.startsWith(\"x%d\")'\n", i, i)
	}
	for i := range 20 {
		fmt.Fprintf(&s, "\t- name: confirm-%d\n\t\teffect: confirm\n\t\tprojects: [\"org:other-%d\", \"zz%d*\"]\n", i, i, i)
	}
	for i := range 20 {
		fmt.Fprintf(&s, "\t- name: allow-%d\n\t\teffect: allow\n\t\tprincipals: [\"mcp:token:t%d\"]\n\t\tactions: [\"project_*\"]\n", i, i)
	}
	s.WriteString("\t- name: oncall\n\t\teffect: allow\n\t\tprincipals: [\"slack:usergroup:S0ONCALL\"]\n\t\tactions: [project_update]\n\t\tprojects: [\"org:acme\"]\n\t\twhen: '\"slack:channel:C0OPS\" in identities && args.name.size() < 64'\n")
	return yamlDoc(s.String())
}

// BenchmarkDecide100Rules decides calls on benchPolicySource with Decide
// (decider=indexed) and, in the same run, with the reference: every rule
// scanned in turn, every condition cost-tracked and watching the context
// (decider=linear), as decisions were made before rules were indexed.
func BenchmarkDecide100Rules(b *testing.B) {
	p, err := Parse("bench.yaml", benchPolicySource(), testOpts())
	if err != nil {
		b.Fatal(err)
	}
	if len(p.rules) != 100 {
		b.Fatalf("%d rules", len(p.rules))
	}
	ref := mustParseReference(b, "bench.yaml", benchPolicySource(), testOpts())
	in := Input{
		Principal: "slack:user:U1", Identities: []string{"slack:usergroup:S1", "slack:usergroup:S0ONCALL", "slack:channel:C0OPS"},
		Surface: "slack", Action: act(b, "project_update"), Project: "abcdefghij", Organization: "acme",
		Args: map[string]any{"ref": "abcdefghij", "name": "renamed", "query": "select 1"},
	}
	read := in
	read.Action = act(b, "project_get") // a read: no CEL rule's selectors match
	deadline, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	deciders := []struct {
		name   string
		decide func(context.Context, Input) Decision
	}{
		{"indexed", p.Decide},
		{"linear", func(ctx context.Context, in Input) Decision { return decideLinear(ctx, ref, in) }},
	}
	for _, bc := range []struct {
		name string
		ctx  context.Context
		in   Input
		rule string
	}{
		{"background", context.Background(), in, "oncall"},
		{"deadline", deadline, in, "oncall"},
		{"no-conditions-evaluated", context.Background(), read, "default:read"},
	} {
		for _, dc := range deciders {
			b.Run(bc.name+"/decider="+dc.name, func(b *testing.B) {
				if d := dc.decide(bc.ctx, bc.in); d.Rule != bc.rule || len(d.Warnings) > 0 {
					b.Fatalf("decided %+v, want %s", d, bc.rule)
				}
				b.ReportAllocs()
				for b.Loop() {
					dc.decide(bc.ctx, bc.in)
				}
			})
		}
	}
}

// BenchmarkDecideSQL is a call whose SQL a deny rule and a confirm rule read,
// as the shipped policies do; the classification is precomputed.
func BenchmarkDecideSQL(b *testing.B) {
	p, err := Parse("bench.yaml", yamlDoc(header+`rules:
	- name: no-drop
		effect: deny
		actions: [database_query, migration_apply]
		when: 'sql.kinds.exists(k, k in ["drop", "drop_column", "truncate"])'
	- name: dynamic
		effect: confirm
		actions: [database_query, migration_apply]
		when: 'sql.dynamic'
`), testOpts())
	if err != nil {
		b.Fatal(err)
	}
	in := Input{
		Principal: "mcp:local", Surface: "mcp", Action: act(b, "migration_apply"), Project: "abcdefghij",
		Args: map[string]any{"query": "create table t (id int); insert into t values (1)", "rollback": "drop table t"},
		SQL: &sqlkind.Summary{
			Result: sqlkind.Result{Statements: 2, Kinds: []string{"create_table", "insert"}, Writes: true},
			Args:   map[string]sqlkind.Result{"query": {Statements: 2, Kinds: []string{"create_table", "insert"}, Writes: true}},
		},
	}
	if d := p.Decide(context.Background(), in); d.Rule != "default:destructive" || len(d.Warnings) > 0 {
		b.Fatalf("decided %+v", d)
	}
	b.ReportAllocs()
	for b.Loop() {
		p.Decide(context.Background(), in)
	}
}
