package policy

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// markedLine is the 1-based line holding "# <-", where a test expects its problem.
func markedLine(t *testing.T, src string) int {
	t.Helper()
	for i, line := range strings.Split(src, "\n") {
		if strings.Contains(line, "# <-") {
			return i + 1
		}
	}
	t.Fatalf("no # <- marker in\n%s", src)
	return 0
}

func loadProblems(t *testing.T, src string) []Problem {
	t.Helper()
	p, err := Parse("test.yaml", yamlDoc(src), testOpts())
	if err == nil {
		t.Fatalf("Parse accepted a bad policy (%d rules)", len(p.rules))
	}
	var le *LoadError
	if !errors.As(err, &le) {
		t.Fatalf("Parse error is %T (%v), want *LoadError", err, err)
	}
	return le.Problems
}

func TestLoadErrors(t *testing.T) {
	rule := "rules:\n\t- name: r\n"
	tests := []struct {
		name string
		src  string
		want string // a part of the reason
		line int    // 0: the line marked "# <-"
	}{
		{"unknown top-level key", header + "rule: []  # <-\n", `unknown key "rule" (did you mean rules?)`, 0},
		{"unknown rule key", header + rule + "\t\teffect: deny\n\t\tprincipal: [\"*\"]  # <-\n", `rule "r": unknown key "principal"`, 0},
		{"unknown defaults key (risk)", "version: 1\ndefaults:\n\traed: allow  # <-\n", `defaults: unknown key "raed"`, 0},
		{"duplicate key", header + rule + "\t\teffect: deny\n\t\teffect: allow  # <-\n", `key "effect" given twice`, 0},
		{"missing version", "defaults:  # <-\n\tread: allow\n", "version: required", 0},
		{"unsupported version", "version: 2  # <-\n", "version: 2 is not supported", 0},
		{"version not a number", "version: one  # <-\n", "version: must be a whole number", 0},
		{"unknown effect", header + rule + "\t\teffect: permit  # <-\n", `unknown effect "permit"`, 0},
		{"missing effect", header + "rules:\n\t- name: r  # <-\n\t\treason: x\n", "effect: required", 0},
		{"unknown effect in defaults", "version: 1\ndefaults:\n\twrite: maybe  # <-\n", `defaults: write: unknown effect "maybe"`, 0},
		{"approve in defaults", "version: 1\ndefaults:\n\tdestructive: approve  # <-\n", "approve needs approvers", 0},
		{"missing rule name", header + "rules:\n\t- effect: deny  # <-\n", "rules[0]: name: required", 0},
		{"empty rule name", header + "rules:\n\t- name: \"\"  # <-\n\t\teffect: deny\n", "name: must not be empty", 0},
		{"rule name with a colon", header + "rules:\n\t- name: default:write  # <-\n\t\teffect: deny\n", "use letters, digits", 0},
		{"rule name not a string", header + "rules:\n\t- name: 12  # <-\n\t\teffect: deny\n", "name: must be a string", 0},
		{"duplicate rule name", header + rule + "\t\teffect: deny\n\t- name: r  # <-\n\t\teffect: allow\n", `name already used by the rule at line 7`, 0},
		{"rule not a mapping", header + "rules:\n\t- just a string  # <-\n", "must be a mapping", 0},
		{"rules not a list", header + "rules: {}  # <-\n", "rules: must be a list", 0},
		{"principal of unknown kind", header + rule + "\t\teffect: deny\n\t\tprincipals:\n\t\t\t- \"*\"\n\t\t\t- slak:user:x  # <-\n", `principal "slak:user:x" has an unknown kind`, 0},
		{"principal email", header + rule + "\t\teffect: deny\n\t\tprincipals: [\"email:a@b.c\"]  # <-\n", "unknown kind", 0},
		{"principal kind without a name", header + rule + "\t\teffect: deny\n\t\tprincipals: [\"job:\"]  # <-\n", `needs a name or id after "job:"`, 0},
		{"principal bad glob", header + rule + "\t\teffect: deny\n\t\tprincipals: [\"slack:user:[\"]  # <-\n", "not a valid glob", 0},
		{"except principal of unknown kind", header + rule + "\t\teffect: deny\n\t\texcept_principals: [\"slack:team:T1\"]  # <-\n", "except_principals: principal \"slack:team:T1\" has an unknown kind", 0},
		{"unknown action", header + rule + "\t\teffect: deny\n\t\tactions: [projct_delete]  # <-\n", `unknown action "projct_delete" (did you mean project_delete?)`, 0},
		{"action glob matching nothing", header + rule + "\t\teffect: deny\n\t\tactions: [\"branch_*\"]  # <-\n", `"branch_*" matches no action`, 0},
		{"action bad glob", header + rule + "\t\teffect: deny\n\t\tactions: [\"project_[\"]  # <-\n", "not a valid glob", 0},
		{"unknown toolset", header + rule + "\t\teffect: deny\n\t\tactions: [\"toolset:dtabase\"]  # <-\n", `unknown toolset "dtabase"`, 0},
		{"unknown risk", header + rule + "\t\teffect: deny\n\t\tactions: [\"risk:dangerous\"]  # <-\n", `unknown risk "dangerous"`, 0},
		{"unknown except action", header + rule + "\t\teffect: deny\n\t\texcept_actions: [nope]  # <-\n", `except_actions: unknown action "nope"`, 0},
		{"project bad glob", header + rule + "\t\teffect: deny\n\t\tprojects: [\"[abc\"]  # <-\n", "not a valid glob", 0},
		{"project unknown selector", header + rule + "\t\teffect: deny\n\t\tprojects: [\"env:prod\"]  # <-\n", `unknown project selector "env:prod"`, 0},
		{"org without slug", header + rule + "\t\teffect: deny\n\t\tprojects: [\"org:\"]  # <-\n", "needs an organization slug", 0},
		{"empty list", header + rule + "\t\teffect: deny\n\t\tactions: []  # <-\n", "an empty list matches nothing", 0},
		{"list item not a string", header + rule + "\t\teffect: deny\n\t\tactions:\n\t\t\t- [project_get]  # <-\n", "actions item: must be a string", 0},
		{"list given as a string", header + rule + "\t\teffect: deny\n\t\tactions: project_get  # <-\n", "actions: must be a list", 0},
		{"CEL syntax error", header + rule + "\t\teffect: deny\n\t\twhen: 'args.query ==' # <-\n", "when: Syntax error", 0},
		{"CEL syntax error in a block", header + rule + "\t\teffect: deny\n\t\twhen: |\n\t\t\thas(args.query) &&\n\t\t\targs.query.matches(\"x\") &&\n\t\t\t)  # <-\n", "condition line 3", 0},
		{"CEL undeclared variable", header + rule + "\t\teffect: deny\n\t\twhen: 'user == \"x\"'  # <-\n", "undeclared reference to 'user'", 0},
		{"CEL type error", header + rule + "\t\teffect: deny\n\t\twhen: 'action == 1'  # <-\n", "no matching overload", 0},
		{"CEL not bool", header + rule + "\t\teffect: deny\n\t\twhen: 'action'  # <-\n", "it must be bool", 0},
		{"CEL dyn is not bool", header + rule + "\t\teffect: deny\n\t\twhen: 'args.force'  # <-\n", "it must be bool", 0},
		{"CEL bad regex", header + rule + "\t\teffect: deny\n\t\twhen: 'args.q.matches(\"(\")'  # <-\n", "missing closing )", 0},
		{"CEL empty", header + rule + "\t\teffect: deny\n\t\twhen: \"  \"  # <-\n", "empty condition", 0},
		{"CEL not a string", header + rule + "\t\teffect: deny\n\t\twhen: true  # <-\n", "when: must be a string", 0},
		{"CEL too long", header + rule + "\t\teffect: deny\n\t\twhen: '" + strings.Repeat("true && ", 600) + "true'  # <-\n", "the limit is 4096", 0},
		{"approve without approvers", header + "rules:\n\t- name: r  # <-\n\t\teffect: approve\n", "an approve rule needs approvers", 0},
		{"approvals on a deny rule", header + rule + "\t\teffect: deny\n\t\tapprovals: 2  # <-\n", "only an approve rule takes approvals", 0},
		{"approvers on a confirm rule", header + rule + "\t\teffect: confirm\n\t\tapprovers: [\"slack:user:U1\"]  # <-\n", "only an approve rule takes approvers", 0},
		{"approvals zero", header + rule + "\t\teffect: approve\n\t\tapprovers: [\"slack:usergroup:S1\"]\n\t\tapprovals: 0  # <-\n", "out of range", 0},
		{"approvals not a number", header + rule + "\t\teffect: approve\n\t\tapprovers: [\"slack:usergroup:S1\"]\n\t\tapprovals: two  # <-\n", "approvals: must be a whole number", 0},
		{"more approvals than approvers", header + rule + "\t\teffect: approve\n\t\tapprovers: [\"slack:user:U1\", \"slack:user:U1\"]\n\t\tapprovals: 2  # <-\n", "only 1 approver(s) listed", 0},
		{"approver of unknown kind", header + rule + "\t\teffect: approve\n\t\tapprovers: [\"U1\"]  # <-\n", "approvers: principal \"U1\" has an unknown kind", 0},
		{"bad confirm_ttl", header + "confirm_ttl: 10 minutes  # <-\n", "not a duration", 0},
		{"negative approval_ttl", header + "approval_ttl: -1h  # <-\n", "must be positive", 0},
		{"ttl not a string", header + "confirm_ttl: 10  # <-\n", "confirm_ttl: must be a string", 0},
		{"YAML syntax error", header + "rules:\n\t- name: r\n\t\teffect: [deny  # <-\n", "invalid YAML", 0},
		{"YAML tab indentation", "version: 1\n\x09rules: []  # <-\n", "invalid YAML", 0},
		{"alias", header + "x: &a [\"*\"]  # <-\n", "anchors (&name) and aliases (*name) are not supported", 0},
		{"two documents", header + "---  # <-\nversion: 1\n", "one YAML document", 0},
		{"empty file", "", "empty policy", 1},
		{"only a comment", "# nothing\n", "empty policy", 1},
		{"not a mapping", "- version: 1  # <-\n", "policy: must be a mapping", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := tt.src
			if tt.name == "YAML tab indentation" {
				src = strings.ReplaceAll(src, "\x09", "\t") // keep the tab: yamlDoc would replace it
			}
			want := tt.line
			if want == 0 {
				want = markedLine(t, strings.ReplaceAll(src, "\t", "  "))
			}
			var problems []Problem
			if tt.name == "YAML tab indentation" {
				_, err := Parse("test.yaml", []byte(src), testOpts())
				var le *LoadError
				if !errors.As(err, &le) {
					t.Fatalf("got %v, want *LoadError", err)
				}
				problems = le.Problems
			} else {
				problems = loadProblems(t, src)
			}
			for _, p := range problems {
				if p.Line == want && strings.Contains(p.Reason, tt.want) && p.File == "test.yaml" {
					if !strings.HasPrefix(p.String(), "test.yaml:") {
						t.Errorf("problem renders as %q, want file:line: reason", p.String())
					}
					return
				}
			}
			t.Errorf("want a problem at line %d containing %q; got:\n%s", want, tt.want, (&LoadError{Problems: problems}).Error())
		})
	}
}

func TestLoadErrorsAreAggregatedAndSorted(t *testing.T) {
	src := header + `rules:
	- name: a
		effect: deny
		actions: [nope]
	- name: b
		efect: deny
	- name: a
		effect: approve
confirm_ttl: forever
`
	problems := loadProblems(t, src)
	if len(problems) < 5 {
		t.Fatalf("want at least 5 problems, got %d:\n%s", len(problems), (&LoadError{Problems: problems}).Error())
	}
	for i := 1; i < len(problems); i++ {
		if problems[i].Line < problems[i-1].Line {
			t.Fatalf("problems are not sorted by line:\n%s", (&LoadError{Problems: problems}).Error())
		}
	}
	msg := (&LoadError{Problems: problems}).Error()
	for _, want := range []string{"test.yaml:9: rule \"a\": actions: unknown action", "test.yaml:11: rule \"b\": unknown key \"efect\"", "test.yaml:10: rule \"b\": effect: required", "test.yaml:12: rule \"a\": name already used", "test.yaml:12: rule \"a\": an approve rule needs approvers", "test.yaml:14: confirm_ttl"} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing %q in:\n%s", want, msg)
		}
	}
}

func TestLoadAcceptsAFullRule(t *testing.T) {
	p := mustParse(t, header+`confirm_ttl: 5m
approval_ttl: 1h
rules:
	- name: everything.at_once-1
		effect: approve
		principals: ["slack:usergroup:S1", "mcp:token:*", "job:*", "cli:local", "mcp:local", "slack:channel:C?"]
		except_principals: ["slack:user:U0BOT"]
		actions: ["project_*", "toolset:database", "risk:destructive"]
		except_actions: [project_get]
		projects: ["abc*", "org:acme"]
		except_projects: ["org:acme-dev"]
		when: |
			has(args.query) ||
			action != "database_query"
		approvals: 2
		approvers: ["slack:usergroup:S0LEADS"]
		reason: "  spaces are trimmed  "
`)
	if p.ConfirmTTL().String() != "5m0s" || p.ApprovalTTL().String() != "1h0m0s" {
		t.Errorf("TTLs %s %s", p.ConfirmTTL(), p.ApprovalTTL())
	}
	if len(p.rules) != 1 || p.rules[0].reason != "spaces are trimmed" || p.rules[0].approvals != 2 {
		t.Errorf("rule compiled as %+v", p.rules[0])
	}
	if p.Name() != "test.yaml" || len(p.Digest()) != 64 {
		t.Errorf("name %q digest %q", p.Name(), p.Digest())
	}
}

func TestLoadDefaultTTLs(t *testing.T) {
	p := mustParse(t, "version: 1\n")
	if p.ConfirmTTL() != defaultConfirmTTL || p.ApprovalTTL() != defaultApprovalTTL {
		t.Errorf("TTLs %s %s", p.ConfirmTTL(), p.ApprovalTTL())
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	if err := os.WriteFile(good, yamlDoc(header), 0o600); err != nil {
		t.Fatal(err)
	}
	if p, err := LoadFile(good, testOpts()); err != nil || p.Name() != good {
		t.Fatalf("LoadFile: %v", err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("version: 3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFile(bad, testOpts()); err == nil || !strings.HasPrefix(err.Error(), bad+":1: ") {
		t.Errorf("LoadFile(bad): %v, want %s:1: ...", err, bad)
	}
	if _, err := LoadFile(filepath.Join(dir, "missing.yaml"), testOpts()); err == nil || !strings.Contains(err.Error(), "reading policy") {
		t.Errorf("LoadFile(missing): %v", err)
	}
}

func TestLoadRefusesAHugeFile(t *testing.T) {
	_, err := Parse("big.yaml", make([]byte, maxPolicySize+1), testOpts())
	if err == nil || !strings.Contains(err.Error(), "the limit is") {
		t.Errorf("got %v", err)
	}
}
