package policy

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/supaops/supaops/internal/action"
	"github.com/supaops/supaops/internal/sqlkind"
)

// decideLinear is Decide without the index: every rule, strongest effect
// first, checked in turn. With a policy parsed in referenceConditions mode it
// is the decision as it was made before rules were indexed and conditions
// ran untracked; Decide must agree with it on every call.
func decideLinear(ctx context.Context, p *Policy, in Input) Decision {
	if d, ok := precheck(ctx, &in); !ok {
		return d
	}
	var ev evaluation
	var warnings []string
	for _, r := range p.ordered {
		ok, err := r.applies(ctx, &in, &ev)
		if ok {
			d := r.decision(err)
			d.Warnings = warnings
			return d
		}
		if err != nil {
			warnings = append(warnings, r.failedAllowWarning(err))
		}
	}
	d := p.defaultDecision(in.Action.Risk)
	d.Warnings = warnings
	return d
}

// mustParseReference compiles src as the reference scan expects it.
func mustParseReference(t testing.TB, name string, data []byte, opts LoadOptions) *Policy {
	t.Helper()
	p, err := parse(name, data, opts, referenceConditions)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return p
}

// Pools the random policies and calls draw from: every kind of selector the
// loader accepts (literals, trailing-star globs, ?, [..], escapes, a lone *,
// org: with each of those), conditions that are statically bounded or not,
// that fail, that loop and that hit a small cost limit.
var (
	// Each pool is split in narrow selectors (literals, specific globs) and
	// broad ones; a policy takes broad ones at its own rate.
	poolPrincipals = [2][]string{{
		"mcp:local", "cli:local", "mcp:token:ci", "mcp:token:cd", "mcp:token:c?", `mcp:token:c\i`,
		"slack:user:U1", "slack:user:U7", "slack:user:U[0-4]", "slack:usergroup:S1", "slack:usergroup:S2",
		"slack:channel:C1", "slack:channel:C*", "job:nightly", "job:weekly", "job:n*", "job:nightly*",
	}, {
		"*", "mcp:token:*", "mcp:*", "*:local", "?cp:*", "slack:user:*", "slack:*", "slack:usergroup:*", "job:*",
	}}
	poolActions = [2][]string{{
		"projects_list", "project_get", "project_update", "project_restore", "project_pause", "project_delete",
		"database_query_read_only", "database_query", "migration_apply", "restore_point_create", "organization_get",
		"migration_upsert", "migration_update", "migration_u*", "project_[dp]*",
	}, {
		"project_*", "*_get", "database_*", "*", "toolset:projects", "toolset:database", "toolset:backups",
		"toolset:account", "risk:read", "risk:write", "risk:destructive",
	}}
	poolProjects = [2][]string{{
		"abcdefghij", "zzzzzzzzzz", "zz*", "a?c*", "branchref01", "org:acme", "org:other", "org:ac?e",
	}, {
		"*", "abc*", "[a-m]*", "br*", "org:acme-*", "org:*", "org:[a-c]*",
	}}
	poolConditions = []string{
		`true`, `false`, `has(args.query)`, `args.query == "drop"`, `has(args.query) && args.query.startsWith("x")`,
		`args.n > 2`, `"slack:channel:C1" in identities`, `identities.size() > 2`, `sql.writes`, `sql.dynamic`,
		`"drop" in sql.kinds`, `sql.kinds.exists(k, k in ["drop", "truncate"])`, `surface == "slack"`,
		`project == "abcdefghij"`, `organization.startsWith("acme")`, `principal.matches("^slack:")`,
		`has(args.list) && args.list.exists(x, x == 3.0)`, `has(args.list) && args.list.all(x, args.list.all(y, x + y >= 0.0))`,
		`action.endsWith("_get")`, `risk == "write" || toolset == "database"`, `args.query.size() < 10`,
	}
	// Effect mixes, one per policy. Allow rules are the most common, so that
	// calls reach every effect and the defaults rather than nearly all
	// stopping at the first deny rule.
	poolEffectMixes = [][]string{
		{"allow", "allow", "allow", "allow", "allow", "allow", "allow", "allow", "confirm", "confirm", "approve", "deny"},
		{"allow", "allow", "allow", "allow", "confirm", "approve"},
		{"allow", "confirm", "approve", "deny"},
	}

	callPrincipals = []string{
		"mcp:local", "cli:local", "mcp:token:ci", "mcp:token:cd", "mcp:token:ci2", "slack:user:U1", "slack:user:U7",
		"slack:user:U12", "job:nightly", "job:weekly", "job:nightly-2", "job:a/b", "weird",
	}
	callIdentities = []string{
		"slack:usergroup:S1", "slack:usergroup:S2", "slack:usergroup:S10", "slack:channel:C1", "slack:channel:C2", "",
	}
	callProjects = []string{"", "abcdefghij", "zzzzzzzzzz", "abcxyz", "qqq"}
	callBranches = []string{"", "branchref01", "brx", "abcbranch"}
	callOrgs     = []string{"", "acme", "acme-prod", "acne", "other", "beta"}
	callSurfaces = []string{"", "mcp", "slack", "job", "cli"}
)

func pick[T any](r *rand.Rand, pool []T) T { return pool[r.IntN(len(pool))] }

// pickSome picks one or two selectors, each broad at the rate given.
func pickSome(r *rand.Rand, pool [2][]string, broad float64) []string {
	out := make([]string, 1+r.IntN(2))
	for i := range out {
		if r.Float64() < broad {
			out[i] = pick(r, pool[1])
		} else {
			out[i] = pick(r, pool[0])
		}
	}
	return out
}

// randomPolicy is a policy of n rules, as YAML.
func randomPolicy(r *rand.Rand, n int) []byte {
	doc := map[string]any{"version": 1}
	defaults := map[string]string{}
	for _, risk := range []string{"read", "write", "destructive"} {
		if r.IntN(4) > 0 {
			defaults[risk] = pick(r, []string{"allow", "confirm", "deny"})
		}
	}
	doc["defaults"] = defaults
	effects := pick(r, poolEffectMixes)
	broad := pick(r, []float64{0, 0.05, 0.1, 0.3})
	rules := make([]map[string]any, n)
	for i := range rules {
		rule := map[string]any{"name": fmt.Sprintf("r%d", i), "effect": pick(r, effects)}
		if r.IntN(2) == 0 {
			rule["reason"] = fmt.Sprintf("reason %d", i)
		}
		for _, sel := range []struct {
			key   string
			pool  [2][]string
			often float64 // how often the rule has the selector
		}{
			{"principals", poolPrincipals, 0.8}, {"actions", poolActions, 0.8}, {"projects", poolProjects, 0.5},
			{"except_principals", poolPrincipals, 0.15}, {"except_actions", poolActions, 0.15}, {"except_projects", poolProjects, 0.15},
		} {
			if r.Float64() < sel.often {
				rule[sel.key] = pickSome(r, sel.pool, broad)
			}
		}
		if r.IntN(3) == 0 {
			rule["when"] = pick(r, poolConditions)
		}
		if rule["effect"] == "approve" {
			rule["approvers"] = []string{"slack:usergroup:S1"}
		}
		rules[i] = rule
	}
	doc["rules"] = rules
	data, err := yaml.Marshal(doc)
	if err != nil {
		panic(err) // the document holds plain strings and numbers
	}
	return data
}

// randomAction is a catalogued action, or one that is new or has changed
// since the policy was loaded.
func randomAction(r *rand.Rand) *action.Action {
	acts := testActions()
	a := *pick(r, acts)
	switch r.IntN(8) {
	case 0:
		a.Risk = pick(r, action.Risks())
	case 1:
		a.Toolset = pick(r, []string{"projects", "database", "backups", "other"})
	case 2:
		a = action.Action{Name: pick(r, []string{"project_new", "thing_get", "backup_new"}), Toolset: pick(r, []string{"projects", "backups", "other"}), Risk: pick(r, action.Risks())}
	}
	return &a
}

func randomInput(r *rand.Rand) Input {
	in := Input{
		Principal: pick(r, callPrincipals), Surface: pick(r, callSurfaces), Action: randomAction(r),
		Project: pick(r, callProjects), Branch: pick(r, callBranches), Organization: pick(r, callOrgs),
	}
	for range r.IntN(4) {
		in.Identities = append(in.Identities, pick(r, callIdentities))
	}
	list := make([]any, 40)
	for i := range list {
		list[i] = float64(i)
	}
	in.Args = pick(r, []map[string]any{
		nil, {}, {"query": "drop"}, {"query": "xselect"}, {"n": json.Number("3")}, {"n": "x"},
		{"list": list}, {"query": "select 1", "n": 1.0},
	})
	in.SQL = pick(r, []*sqlkind.Summary{
		nil,
		{Result: sqlkind.Result{Statements: 1, Kinds: []string{"insert"}, Writes: true}},
		{Result: sqlkind.Result{Statements: 1, Kinds: []string{"drop"}, Writes: true}},
		{Result: sqlkind.Result{Statements: 1, Kinds: []string{"do"}, Writes: true, Dynamic: true}},
	})
	return in
}

// checkAgainstLinear decides calls from r with Decide on a policy and with the
// reference scan on the same source compiled for reference. It counts in seen
// (if not nil) the kinds of decision met.
func checkAgainstLinear(t *testing.T, r *rand.Rand, rules, calls int, seen map[string]int) {
	t.Helper()
	src := randomPolicy(r, rules)
	opts := testOpts()
	opts.CostLimit = pick(r, []uint64{0, 0, 30, 500})
	p, err := Parse("random.yaml", src, opts)
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, src)
	}
	ref := mustParseReference(t, "random.yaml", src, opts)
	deadline, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	for range calls {
		in := randomInput(r)
		for _, ctx := range []context.Context{context.Background(), deadline} {
			got, want := p.Decide(ctx, in), decideLinear(ctx, ref, in)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("call %+v (action %+v):\nindexed %+v\nlinear  %+v\npolicy (cost limit %d):\n%s", in, *in.Action, got, want, opts.CostLimit, src)
			}
			if seen != nil {
				countDecision(seen, got)
			}
		}
	}
}

// countDecision sorts a decision into the kinds the random calls must reach
// for the comparison to mean something.
func countDecision(seen map[string]int, d Decision) {
	if strings.HasPrefix(d.Rule, "default:") {
		seen["default"]++
	} else {
		seen["rule:"+string(d.Effect)]++
	}
	if len(d.Warnings) > 0 {
		seen["allow rule skipped on an error"]++
	}
	if strings.Contains(d.Reason, "could not be evaluated") {
		seen["rule applied on an error"]++
	}
	if strings.Contains(d.Reason+strings.Join(d.Warnings, ""), "cost limit") {
		seen["cost limit"]++
	}
}

// TestDecideMatchesLinearScan is the index's correctness argument put to the
// test: on random policies and calls, Decide's decision (effect, rule,
// reason, approvers, warnings) is the reference scan's. Sizes cross the
// 64-rule word boundaries and the 512 rules kept on the stack.
func TestDecideMatchesLinearScan(t *testing.T) {
	policies, calls := 60, 150
	if testing.Short() {
		policies, calls = 15, 60
	}
	r := rand.New(rand.NewPCG(1, 2))
	seen := map[string]int{}
	for i := range policies {
		n := 100
		switch i % 5 {
		case 3:
			n = 1 + r.IntN(70)
		case 4:
			n = 60 + r.IntN(140)
		}
		t.Run(fmt.Sprintf("%d-rules-%d", i, n), func(t *testing.T) { checkAgainstLinear(t, r, n, calls, seen) })
	}
	t.Run("more-rules-than-the-stack-holds", func(t *testing.T) { checkAgainstLinear(t, r, stackWords*64+30, calls/3, seen) })
	for _, kind := range []string{
		"default", "rule:allow", "rule:confirm", "rule:approve", "rule:deny",
		"allow rule skipped on an error", "rule applied on an error", "cost limit",
	} {
		if seen[kind] == 0 {
			t.Errorf("no random call was decided as %q: the comparison misses a case (%v)", kind, seen)
		}
	}
	t.Logf("decisions compared: %v", seen)
}

// FuzzDecideMatchesLinearScan lets the fuzzer choose the random policies and
// calls: go test -fuzz FuzzDecideMatchesLinearScan ./internal/policy.
func FuzzDecideMatchesLinearScan(f *testing.F) {
	for _, seed := range []uint64{1, 2, 3, 42} {
		f.Add(seed, seed*7, uint8(100))
	}
	f.Fuzz(func(t *testing.T, a, b uint64, rules uint8) {
		checkAgainstLinear(t, rand.New(rand.NewPCG(a, b)), int(rules), 40, nil)
	})
}
