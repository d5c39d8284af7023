package policy

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// fuzzInputs are calls every policy that loads must decide without panicking.
func fuzzInputs() []Input {
	acts := testActions()
	return []Input{
		{Principal: "cli:local", Action: acts[0]},
		{Principal: "slack:user:U1", Identities: []string{"slack:usergroup:S1", "slack:channel:C1"}, Surface: "slack",
			Action: acts[7], Project: "abcdefghij", Organization: "acme",
			Args: map[string]any{"query": "drop table x", "n": json.Number("3"), "l": []any{1.0, "a", nil}, "m": map[string]any{"k": true}}},
		{Principal: "mcp:token:ci", Surface: "mcp", Action: acts[4], Args: map[string]any{}},
		{Principal: "mcp:local", Surface: "mcp", Action: acts[8], Args: map[string]any{"query": "x", "rollback": "y"}, SQL: sqlSummary()},
	}
}

func checkDecision(t *testing.T, d Decision) {
	t.Helper()
	switch d.Effect {
	case Allow, Confirm, Approve, Deny:
	default:
		t.Fatalf("invalid effect in %+v", d)
	}
	if d.Rule == "" {
		t.Fatalf("decision names no rule: %+v", d)
	}
	if d.Effect == Approve && (d.Approvals < 1 || len(d.Approvers) == 0) {
		t.Fatalf("approve decision without approvals or approvers: %+v", d)
	}
}

// FuzzParse feeds arbitrary bytes to the loader. Run it with a short
// -fuzzminimizetime (e.g. 2s): minimising an input that compiles several CEL
// conditions takes long enough at the default 60s to stall the run.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"default.yaml", "readonly.yaml", "examples/team.yaml"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "policies", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, seed := range []string{
		"", "version: 1\n", "version: 1\nrules: [{name: a, effect: deny}]\n",
		string(yamlDoc(explainPolicy)),
		"version: 1\nrules:\n- {name: a, effect: approve, approvers: ['*'], approvals: 3}\n",
		"version: 1\nx: &a [1]\ny: *a\n", "version: 1\n---\nversion: 1\n", "[", "{{{", "\x00", "- - - -",
		"version: 1\nrules:\n- name: c\n  effect: allow\n  when: 'args.a.b.c == 1'\n",
	} {
		f.Add([]byte(seed))
	}
	opts := testOpts()
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("fuzz.yaml", data, opts)
		if err != nil {
			var le *LoadError
			if !errors.As(err, &le) || len(le.Problems) == 0 {
				t.Fatalf("error %v is not a *LoadError with problems", err)
			}
			for _, pr := range le.Problems {
				if pr.Reason == "" || pr.Line < 0 || pr.File != "fuzz.yaml" {
					t.Fatalf("bad problem %+v", pr)
				}
			}
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for _, in := range fuzzInputs() {
			checkDecision(t, p.Decide(ctx, in))
			if ex := p.Explain(ctx, in); len(ex.Rules) != len(p.rules) {
				t.Fatalf("explain traced %d of %d rules", len(ex.Rules), len(p.rules))
			}
		}
	})
}

// FuzzCondition puts arbitrary text in a deny rule's when: and checks that a
// condition that loads decides either deny (true or failed) or the default.
func FuzzCondition(f *testing.F) {
	for _, seed := range []string{
		`true`, `false`, `args.query.matches("(?i)\\bdrop\\b")`, `has(args.x) && args.x > 1`,
		`args.missing == 1`, `"slack:channel:C1" in identities`, `args.l.exists(x, x == 1)`,
		`[1,2,3].map(x, [1,2,3].map(y, x * y)).size() > 0`, `1/0 == 1`, `args.n + 1 == 4`,
		`size(principal) > 0 && surface.startsWith("s")`, `(`, `action`, `a.b.c`, "\x00", `"\u00ff".matches("[")`,
		`"drop" in sql.kinds`, `sql.args.rollback.dynamic`, `sql.kind`,
	} {
		f.Add(seed)
	}
	opts := testOpts()
	f.Fuzz(func(t *testing.T, when string) {
		doc := map[string]any{
			"version":  1,
			"defaults": map[string]string{"read": "allow", "write": "confirm", "destructive": "confirm"},
			"rules":    []map[string]any{{"name": "c", "effect": "deny", "when": when}},
		}
		data, err := yaml.Marshal(doc)
		if err != nil {
			t.Skip() // text yaml cannot carry, e.g. invalid UTF-8
		}
		p, err := Parse("fuzz.yaml", data, opts)
		if err != nil {
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("error %v is not a *LoadError", err)
			}
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for _, in := range fuzzInputs() {
			d := p.Decide(ctx, in)
			checkDecision(t, d)
			if d.Rule != "c" && d.Rule != "default:"+string(in.Action.Risk) {
				t.Fatalf("decided by %s", d.Rule)
			}
			if d.Rule != "c" && d.Effect == Deny {
				t.Fatalf("unexpected deny %+v", d)
			}
		}
	})
}
