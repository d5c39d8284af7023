package policy

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// conditionPolicy is one rule with a condition, over the defaults in header.
func conditionPolicy(t testing.TB, effect, when string, opts LoadOptions) *Policy {
	t.Helper()
	src := header + "rules:\n\t- name: c\n\t\teffect: " + effect + "\n\t\twhen: " + when + "\n\t\treason: because\n"
	if effect == "approve" {
		src += "\t\tapprovers: [\"slack:user:U1\"]\n"
	}
	opts.Actions = testActions()
	p, err := Parse("test.yaml", yamlDoc(src), opts)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return p
}

func TestConditionVariables(t *testing.T) {
	in := Input{
		Principal:    "slack:user:U1",
		Identities:   []string{"slack:usergroup:S1", "slack:channel:C1"},
		Surface:      "slack",
		Project:      "abcdefghij",
		Organization: "acme",
		Args: map[string]any{
			"query":  "DROP TABLE users",
			"limit":  json.Number("20"),
			"ratio":  json.Number("0.5"),
			"float":  20.0,
			"force":  true,
			"nested": map[string]any{"n": json.Number("3"), "list": []any{json.Number("1"), "x"}},
		},
	}
	tests := []struct {
		when string
		want bool
	}{
		{`'args.query.matches("(?i)\\bdrop\\b")'`, true},
		{`'args.query.lowerAscii().contains("truncate")'`, false},
		{`'args.limit > 10'`, true},
		{`'args.limit == 20'`, true},
		{`'args.ratio < 1'`, true},
		{`'args.float > 10'`, true},
		{`'args.force == true'`, true},
		{`'args.nested.n == 3'`, true},
		{`'args.nested.list.exists(x, x == 1)'`, true},
		{`'has(args.query)'`, true},
		{`'has(args.missing)'`, false},
		{`'"missing" in args'`, false},
		{`'action == "project_update"'`, true},
		{`'toolset == "projects"'`, true},
		{`'risk == "write"'`, true},
		{`'principal == "slack:user:U1"'`, true},
		{`'"slack:channel:C1" in identities'`, true},
		{`'"slack:user:U1" in identities'`, true},
		{`'identities.size() == 3'`, true},
		{`'project == "abcdefghij" && organization == "acme"'`, true},
		{`'surface == "slack"'`, true},
		{`'surface == "mcp"'`, false},
	}
	for _, tt := range tests {
		t.Run(tt.when, func(t *testing.T) {
			p := conditionPolicy(t, "deny", tt.when, LoadOptions{})
			in := in
			in.Action = act(t, "project_update")
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

// contexts covers both evaluation paths: without and with a Done channel.
func contexts(t *testing.T) []context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return []context.Context{context.Background(), ctx}
}

func TestConditionNilArgs(t *testing.T) {
	p := conditionPolicy(t, "deny", `'!has(args.query)'`, LoadOptions{})
	d := decide(t, p, Input{Principal: "cli:local", Action: act(t, "project_get")})
	if d.Rule != "c" {
		t.Errorf("has() on nil args: %+v, want rule c", d)
	}
}

// An evaluation error applies deny, approve and confirm rules and skips allow
// rules: an error never grants more than a true or false answer could.
func TestConditionFailsClosed(t *testing.T) {
	bigList := make([]any, 1000)
	for i := range bigList {
		bigList[i] = json.Number(fmt.Sprint(i))
	}
	expensive := `'args.list.all(x, args.list.all(y, x + y >= 0))'`
	tests := []struct {
		name    string
		effect  string
		when    string
		opts    LoadOptions
		args    map[string]any
		want    Effect
		rule    string
		errText string
	}{
		{"missing key, deny applies", "deny", `'args.query == "x"'`, LoadOptions{}, nil, Deny, "c", "no such key"},
		{"missing key, approve applies", "approve", `'args.query == "x"'`, LoadOptions{}, nil, Approve, "c", "no such key"},
		{"missing key, confirm applies", "confirm", `'args.query == "x"'`, LoadOptions{}, nil, Confirm, "c", "no such key"},
		{"missing key, allow does not apply", "allow", `'args.query == "x"'`, LoadOptions{}, nil, Confirm, "default:write", "no such key"},
		{"type mismatch, deny applies", "deny", `'args.query > 3'`, LoadOptions{}, map[string]any{"query": "x"}, Deny, "c", "no such overload"},
		{"type mismatch, allow does not apply", "allow", `'args.query > 3'`, LoadOptions{}, map[string]any{"query": "x"}, Confirm, "default:write", "no such overload"},
		{"cost limit, deny applies", "deny", expensive, LoadOptions{}, map[string]any{"list": bigList}, Deny, "c", "cost limit"},
		{"cost limit, allow does not apply", "allow", expensive, LoadOptions{}, map[string]any{"list": bigList}, Confirm, "default:write", "cost limit"},
		{"small cost limit", "deny", `'args.list.exists(x, x == 999)'`, LoadOptions{CostLimit: 50}, map[string]any{"list": bigList}, Deny, "c", "cost limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := conditionPolicy(t, tt.effect, tt.when, tt.opts)
			d := decide(t, p, Input{Principal: "cli:local", Action: act(t, "project_update"), Args: tt.args})
			if d.Effect != tt.want || d.Rule != tt.rule {
				t.Fatalf("got %s by %s, want %s by %s (%+v)", d.Effect, d.Rule, tt.want, tt.rule, d)
			}
			said := d.Reason
			if tt.effect == "allow" {
				said = strings.Join(d.Warnings, "\n")
			}
			if !strings.Contains(said, "fail") || !strings.Contains(said, tt.errText) {
				t.Errorf("the decision does not say the condition failed (%q): %+v", tt.errText, d)
			}
		})
	}
}

func TestConditionWithinCostLimit(t *testing.T) {
	list := make([]any, 1000)
	for i := range list {
		list[i] = float64(i)
	}
	p := conditionPolicy(t, "deny", `'args.list.exists(x, x == 999.0)'`, LoadOptions{})
	if d := decide(t, p, Input{Principal: "cli:local", Action: act(t, "project_update"), Args: map[string]any{"list": list}}); d.Rule != "c" || len(d.Warnings) > 0 || strings.Contains(d.Reason, "could not") {
		t.Errorf("a linear scan of 1000 items should fit the default limit: %+v", d)
	}
}

func TestConditionCancelled(t *testing.T) {
	env, err := newConditionEnv()
	if err != nil {
		t.Fatal(err)
	}
	c, problems := compileCondition(env, `args.list.all(x, args.list.all(y, x + y >= 0))`, 1<<62, fastConditions)
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	list := make([]any, 2000)
	for i := range list {
		list[i] = float64(i)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	in := Input{Principal: "cli:local", Action: act(t, "project_update"), Args: map[string]any{"list": list}}
	start := time.Now()
	_, err = c.eval(ctx, newActivation(&in))
	if err == nil || !strings.Contains(err.Error(), "cancel") {
		t.Errorf("eval with a cancelled context: %v, want a cancellation error", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("cancellation took %s", time.Since(start))
	}
}
