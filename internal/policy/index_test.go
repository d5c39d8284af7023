package policy

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/supaops/supaops/internal/action"
)

// candidateNames lists the rules the index yields for in, in the order
// Decide checks them.
func candidateNames(p *Policy, in Input) []string {
	var buf, tmp [stackWords]uint64
	s := p.idx.candidates(&in, buf[:], tmp[:])
	var out []string
	for i := s.next(0); i >= 0; i = s.next(i + 1) {
		out = append(out, p.ordered[i].name)
	}
	return out
}

// The index leaves out the rules whose selectors cannot match, and only
// those; every rule it yields is checked in full afterwards.
func TestIndexCandidates(t *testing.T) {
	p := mustParse(t, header+`rules:
	- name: deny-u1
		effect: deny
		principals: ["slack:user:U1"]
	- name: deny-jobs
		effect: deny
		principals: ["job:n*"]
	- name: approve-ops-group
		effect: approve
		principals: ["slack:usergroup:S0OPS"]
		approvers: ["slack:usergroup:S0LEADS"]
	- name: confirm-acme
		effect: confirm
		projects: ["org:acme"]
	- name: confirm-any-org
		effect: confirm
		projects: ["org:*"]
	- name: confirm-prod
		effect: confirm
		projects: ["prod*"]
	- name: confirm-everywhere
		effect: confirm
		projects: ["*"]
	- name: allow-updates
		effect: allow
		actions: [project_update]
	- name: allow-reads-but-u1
		effect: allow
		actions: ["risk:read"]
		except_principals: ["slack:user:U1"]
	- name: allow-all
		effect: allow
`)
	tests := []struct {
		name string
		in   Input
		want []string
	}{
		{"a literal principal", Input{Principal: "slack:user:U1", Action: act(t, "project_update")},
			[]string{"deny-u1", "confirm-everywhere", "allow-updates", "allow-all"}},
		{"a principal no rule names", Input{Principal: "mcp:local", Action: act(t, "project_update")},
			[]string{"confirm-everywhere", "allow-updates", "allow-all"}},
		{"a glob's prefix", Input{Principal: "job:nightly", Action: act(t, "project_get")},
			[]string{"deny-jobs", "confirm-everywhere", "allow-reads-but-u1", "allow-all"}},
		{"outside a glob's prefix", Input{Principal: "job:weekly", Action: act(t, "project_get")},
			[]string{"confirm-everywhere", "allow-reads-but-u1", "allow-all"}},
		{"identities count", Input{Principal: "slack:user:U2", Identities: []string{"slack:usergroup:S0OPS"}, Action: act(t, "project_delete")},
			[]string{"approve-ops-group", "confirm-everywhere", "allow-all"}},
		{"except lists narrow nothing", Input{Principal: "slack:user:U1", Action: act(t, "project_get")},
			[]string{"deny-u1", "confirm-everywhere", "allow-reads-but-u1", "allow-all"}},
		{"an organization", Input{Principal: "mcp:local", Action: act(t, "project_delete"), Project: "abc", Organization: "acme"},
			[]string{"confirm-acme", "confirm-any-org", "confirm-everywhere", "allow-all"}},
		{"another organization", Input{Principal: "mcp:local", Action: act(t, "project_delete"), Organization: "beta"},
			[]string{"confirm-any-org", "confirm-everywhere", "allow-all"}},
		{"a project by ref", Input{Principal: "mcp:local", Action: act(t, "project_delete"), Project: "prod1"},
			[]string{"confirm-prod", "confirm-everywhere", "allow-all"}},
		{"a project by branch", Input{Principal: "mcp:local", Action: act(t, "project_delete"), Project: "abc", Branch: "prodbranch"},
			[]string{"confirm-prod", "confirm-everywhere", "allow-all"}},
		{"an action not seen at load meets every action selector", Input{Principal: "mcp:local", Action: &action.Action{Name: "new", Toolset: "x", Risk: action.Read}},
			[]string{"confirm-everywhere", "allow-updates", "allow-reads-but-u1", "allow-all"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := candidateNames(p, tt.in)
			if !slices.Equal(got, tt.want) {
				t.Errorf("candidates %v, want %v", got, tt.want)
			}
		})
	}
}

// Prefixes of more lengths than are looked up are cut to a shorter length in
// use; none may be lost, the rare short one included.
func TestKeyIndexCapsPrefixLengths(t *testing.T) {
	const lengths = 12
	if lengths <= maxPrefixLens {
		t.Fatalf("the test needs more than maxPrefixLens (%d) prefix lengths", maxPrefixLens)
	}
	var globs []glob
	// Lengths 1 (once) to 12 (often): the shortest is the least used.
	for n := 1; n <= lengths; n++ {
		for range n {
			g, err := compileGlob(strings.Repeat("a", n) + "*")
			if err != nil {
				t.Fatal(err)
			}
			globs = append(globs, g)
		}
	}
	b := keyIndexBuilder{words: (len(globs) + 63) / 64}
	for i := range globs {
		b.add(&globs[i], i)
	}
	k := b.build()
	if len(k.lens) > maxPrefixLens {
		t.Errorf("%d prefix lengths looked up, want at most %d", len(k.lens), maxPrefixLens)
	}
	for n := 1; n <= lengths+1; n++ {
		key := strings.Repeat("a", n)
		got := make(ruleSet, b.words)
		k.collect(got, key)
		for i := range globs {
			if globs[i].match(key) && got[i/64]&(1<<(i%64)) == 0 {
				t.Errorf("key %q: pattern %q (rule %d) matches but was not collected", key, globs[i].src, i)
			}
		}
	}
}

func TestRuleSetNext(t *testing.T) {
	s := newRuleSet(200)
	want := []int{0, 1, 63, 64, 127, 128, 199}
	for _, i := range want {
		s.add(i)
	}
	var got []int
	for i := s.next(0); i >= 0; i = s.next(i + 1) {
		got = append(got, i)
	}
	if !slices.Equal(got, want) {
		t.Errorf("members %v, want %v", got, want)
	}
	if i := newRuleSet(10).next(0); i != -1 {
		t.Errorf("next on an empty set = %d, want -1", i)
	}
}

// A decision that evaluates no condition does not allocate: its Input stays
// on the stack and the candidate sets fit in the frame.
func TestDecideWithoutConditionsAllocatesNothing(t *testing.T) {
	var src strings.Builder
	src.WriteString(header + "rules:\n")
	for i := range 100 {
		fmt.Fprintf(&src, "\t- name: r%d\n\t\teffect: %s\n\t\tprincipals: [\"mcp:token:t%d*\"]\n\t\twhen: 'args.n > %d'\n", i, []string{"deny", "allow"}[i%2], i, i)
	}
	p := mustParse(t, src.String())
	in := Input{Principal: "slack:user:U1", Identities: []string{"slack:channel:C1"}, Action: act(t, "project_update"), Project: "abc", Organization: "acme"}
	if d := decide(t, p, in); d.Rule != "default:write" {
		t.Fatalf("decided %+v, want the default", d)
	}
	if n := testing.AllocsPerRun(100, func() { p.Decide(context.Background(), in) }); n != 0 {
		t.Errorf("%v allocations per decision, want 0", n)
	}
}
