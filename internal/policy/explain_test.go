package policy

import (
	"context"
	"reflect"
	"strings"
	"testing"
)

const explainPolicy = header + `rules:
	- name: wrong-action
		effect: deny
		actions: [project_delete]
	- name: excepted-action
		effect: deny
		except_actions: ["toolset:projects"]
	- name: wrong-principal
		effect: deny
		principals: ["job:*"]
	- name: excepted-principal
		effect: deny
		except_principals: ["slack:channel:C1"]
	- name: wrong-project
		effect: deny
		projects: ["org:other"]
	- name: excepted-project
		effect: deny
		except_projects: ["abc*"]
	- name: false-condition
		effect: deny
		when: 'surface == "mcp"'
	- name: failing-allow
		effect: allow
		when: 'args.missing == 1'
	- name: failing-confirm
		effect: confirm
		when: 'args.missing == 1'
	- name: lead-approves
		effect: approve
		principals: ["slack:usergroup:S1"]
		actions: ["risk:write"]
		projects: ["org:acme"]
		when: 'surface == "slack"'
		approvers: ["slack:user:U9"]
	- name: bare
		effect: allow
`

func TestExplain(t *testing.T) {
	p := mustParse(t, explainPolicy)
	in := Input{
		Principal: "slack:user:U1", Identities: []string{"slack:usergroup:S1", "slack:channel:C1"},
		Surface: "slack", Action: act(t, "project_update"), Project: "abcdefghij", Organization: "acme",
	}
	ex := p.Explain(context.Background(), in)
	if want := p.Decide(context.Background(), in); !reflect.DeepEqual(ex.Decision, want) {
		t.Fatalf("Explain decided %+v, Decide %+v", ex.Decision, want)
	}
	if ex.Decision.Rule != "lead-approves" {
		t.Fatalf("decision %+v, want lead-approves", ex.Decision)
	}
	tests := []struct {
		rule     string
		applies  bool
		decided  bool
		why      string
		condErr  string
		wantLine int
	}{
		{"wrong-action", false, false, "action project_update is not in actions [project_delete]", "", 7},
		{"excepted-action", false, false, "excepted by except_actions toolset:projects", "", 10},
		{"wrong-principal", false, false, "no identity of the caller (slack:user:U1, slack:usergroup:S1, slack:channel:C1) is in principals [job:*]", "", 13},
		{"excepted-principal", false, false, "identity slack:channel:C1 is excepted by except_principals slack:channel:C1", "", 16},
		{"wrong-project", false, false, "project abcdefghij (organization acme) is not in projects [org:other]", "", 19},
		{"excepted-project", false, false, "excepted by except_projects abc*", "", 22},
		{"false-condition", false, false, `condition is false: surface == "mcp"`, "", 25},
		{"failing-allow", false, false, "an allow rule then does not apply (fail closed)", "no such key", 28},
		{"failing-confirm", true, false, "a confirm rule then applies (fail closed)", "no such key", 31},
		{"lead-approves", true, true, "action project_update matches risk:write; identity slack:usergroup:S1 matches slack:usergroup:S1; project abcdefghij (organization acme) matches org:acme; condition is true", "", 34},
		{"bare", true, false, "no selectors", "", 41},
	}
	if len(ex.Rules) != len(tests) {
		t.Fatalf("%d traces, want %d:\n%s", len(ex.Rules), len(tests), ex)
	}
	for i, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			got := ex.Rules[i]
			if got.Rule != tt.rule || got.Applies != tt.applies || got.Decided != tt.decided || got.Line != tt.wantLine {
				t.Errorf("trace %+v, want rule %s line %d applies=%v decided=%v", got, tt.rule, tt.wantLine, tt.applies, tt.decided)
			}
			if !strings.Contains(got.Why, tt.why) {
				t.Errorf("why %q, want it to contain %q", got.Why, tt.why)
			}
			if !strings.Contains(got.ConditionError, tt.condErr) || (tt.condErr == "") != (got.ConditionError == "") {
				t.Errorf("condition error %q, want %q", got.ConditionError, tt.condErr)
			}
		})
	}
	text := ex.String()
	for _, want := range []string{
		"decision: approve by lead-approves",
		"approvals: 1 from slack:user:U9",
		"DECIDED lead-approves (line 34, approve)",
		"applies failing-confirm (line 31, confirm)",
		"skip    wrong-action (line 7, deny)",
		"condition error: no such key",
		"policy: test.yaml (sha256 ",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("String() lacks %q:\n%s", want, text)
		}
	}
}

// Decide stops at the strongest rule that applies, so its warnings cover only
// the rules it evaluated; Explain's traces cover all of them.
func TestExplainWarnings(t *testing.T) {
	p := mustParse(t, header+"rules:\n\t- name: failing-allow\n\t\teffect: allow\n\t\twhen: 'args.x == 1'\n")
	ex := p.Explain(context.Background(), Input{Principal: "cli:local", Action: act(t, "project_update")})
	if ex.Decision.Rule != "default:write" || len(ex.Decision.Warnings) != 1 {
		t.Fatalf("got %+v", ex.Decision)
	}
	if !strings.Contains(ex.String(), "warning: rule failing-allow (line 7): condition could not be evaluated: no such key: x") {
		t.Errorf("String():\n%s", ex)
	}
}

func TestExplainUndecidable(t *testing.T) {
	p := mustParse(t, explainPolicy)
	ex := p.Explain(context.Background(), Input{Action: act(t, "project_get")})
	if ex.Decision.Rule != "builtin:no-principal" || len(ex.Rules) != 0 {
		t.Errorf("got %+v", ex)
	}
}

func TestExplainDefault(t *testing.T) {
	p := mustParse(t, header+"rules:\n\t- name: only-deletes\n\t\teffect: deny\n\t\tactions: [project_delete]\n")
	ex := p.Explain(context.Background(), Input{Principal: "cli:local", Action: act(t, "project_update")})
	if ex.Decision.Rule != "default:write" || len(ex.Rules) != 1 || ex.Rules[0].Applies || ex.Rules[0].Decided {
		t.Errorf("got %+v", ex)
	}
	if !strings.Contains(ex.String(), "decision: confirm by default:write: no rule applies") {
		t.Errorf("String():\n%s", ex)
	}
}
