package policy

import (
	"context"
	"slices"
	"testing"

	"github.com/supaops/supaops/internal/action"
)

const header = "version: 1\ndefaults:\n\tread: allow\n\twrite: confirm\n\tdestructive: deny\n"

func TestDecideEffects(t *testing.T) {
	p := mustParse(t, header+`rules:
	- name: allow-pause
		effect: allow
		actions: [project_pause]
	- name: confirm-update
		effect: confirm
		actions: [project_update]
	- name: approve-delete
		effect: approve
		actions: [project_delete]
		approvals: 2
		approvers: ["slack:usergroup:S1", "slack:user:U9"]
		reason: two people agree
	- name: deny-reads-of-orgs
		effect: deny
		actions: [organization_get]
		reason: not here
`)
	tests := []struct {
		action    string
		want      Effect
		rule      string
		reason    string
		approvals int
		approvers []string
	}{
		{"project_pause", Allow, "allow-pause", "", 0, nil},
		{"project_update", Confirm, "confirm-update", "", 0, nil},
		{"project_delete", Approve, "approve-delete", "two people agree", 2, []string{"slack:usergroup:S1", "slack:user:U9"}},
		{"organization_get", Deny, "deny-reads-of-orgs", "not here", 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.action, func(t *testing.T) {
			d := decide(t, p, Input{Principal: "cli:local", Action: act(t, tt.action)})
			if d.Effect != tt.want || d.Rule != tt.rule || d.Reason != tt.reason || d.Approvals != tt.approvals || !slices.Equal(d.Approvers, tt.approvers) {
				t.Errorf("got %+v, want %s by %s (%q, %d %v)", d, tt.want, tt.rule, tt.reason, tt.approvals, tt.approvers)
			}
		})
	}
}

func TestDecidePrecedence(t *testing.T) {
	rule := func(name, effect string) string {
		s := "\t- name: " + name + "\n\t\teffect: " + effect + "\n\t\tactions: [project_update]\n"
		if effect == "approve" {
			s += "\t\tapprovers: [\"mcp:token:" + name + "\"]\n"
		}
		return s
	}
	tests := []struct {
		name  string
		rules []string
		want  string
	}{
		{"deny beats approve", []string{rule("a", "approve"), rule("d", "deny")}, "d"},
		{"deny beats allow", []string{rule("a", "allow"), rule("d", "deny")}, "d"},
		{"approve beats confirm", []string{rule("c", "confirm"), rule("a", "approve")}, "a"},
		{"confirm beats allow", []string{rule("a", "allow"), rule("c", "confirm")}, "c"},
		{"deny beats all", []string{rule("al", "allow"), rule("c", "confirm"), rule("ap", "approve"), rule("d", "deny")}, "d"},
		{"ties go to the first deny", []string{rule("d1", "deny"), rule("d2", "deny")}, "d1"},
		{"ties go to the first allow", []string{rule("a2", "allow"), rule("a1", "allow")}, "a2"},
		{"ties go to the first approve", []string{rule("p2", "approve"), rule("c", "confirm"), rule("p1", "approve")}, "p2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := header + "rules:\n"
			for _, r := range tt.rules {
				src += r
			}
			d := decide(t, mustParse(t, src), Input{Principal: "cli:local", Action: act(t, "project_update")})
			if d.Rule != tt.want {
				t.Errorf("rule %s decided (%s), want %s", d.Rule, d.Effect, tt.want)
			}
		})
	}
}

func TestDecideDefaults(t *testing.T) {
	tests := []struct {
		name     string
		defaults string
		action   string
		want     Effect
		rule     string
	}{
		{"read", "\tread: allow\n\twrite: confirm\n\tdestructive: deny\n", "project_get", Allow, "default:read"},
		{"write", "\tread: allow\n\twrite: confirm\n\tdestructive: deny\n", "project_update", Confirm, "default:write"},
		{"destructive", "\tread: allow\n\twrite: confirm\n\tdestructive: deny\n", "project_delete", Deny, "default:destructive"},
		{"destructive may be confirm", "\tread: allow\n\twrite: allow\n\tdestructive: confirm\n", "project_delete", Confirm, "default:destructive"},
		{"write left out is denied", "\tread: allow\n", "project_update", Deny, "default:write"},
		{"read left out is denied", "\twrite: allow\n", "project_get", Deny, "default:read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, "version: 1\ndefaults:\n"+tt.defaults)
			d := decide(t, p, Input{Principal: "cli:local", Action: act(t, tt.action)})
			if d.Effect != tt.want || d.Rule != tt.rule || d.Reason == "" {
				t.Errorf("got %+v, want %s by %s with a reason", d, tt.want, tt.rule)
			}
		})
	}
	t.Run("no defaults at all denies everything", func(t *testing.T) {
		p := mustParse(t, "version: 1\n")
		for _, a := range testActions() {
			if d := decide(t, p, Input{Principal: "cli:local", Action: a}); d.Effect != Deny {
				t.Errorf("%s: %+v, want deny", a.Name, d)
			}
		}
	})
	t.Run("unknown risk is treated as destructive", func(t *testing.T) {
		p := mustParse(t, header)
		a := *act(t, "project_get")
		a.Risk = "weird"
		if d := decide(t, p, Input{Principal: "cli:local", Action: &a}); d.Effect != Deny || d.Rule != "default:destructive" {
			t.Errorf("got %+v, want deny by default:destructive", d)
		}
	})
}

func TestDecidePrincipals(t *testing.T) {
	tests := []struct {
		pattern    string
		principal  string
		identities []string
		want       bool
	}{
		{"mcp:local", "mcp:local", nil, true},
		{"mcp:local", "cli:local", nil, false},
		{"cli:local", "cli:local", nil, true},
		{"mcp:token:ci", "mcp:token:ci", nil, true},
		{"mcp:token:ci", "mcp:token:cd", nil, false},
		{"mcp:token:*", "mcp:token:anything", nil, true},
		{"mcp:token:*", "mcp:local", nil, false},
		{"mcp:*", "mcp:local", nil, true},
		{"slack:user:U1", "slack:user:U1", nil, true},
		{"slack:user:U1", "slack:user:U2", nil, false},
		{"slack:user:*", "slack:user:U2", nil, true},
		{"slack:user:U?", "slack:user:U2", nil, true},
		{"slack:user:U[0-4]", "slack:user:U7", nil, false},
		{"slack:usergroup:S1", "slack:user:U1", []string{"slack:usergroup:S0", "slack:usergroup:S1"}, true},
		{"slack:usergroup:S1", "slack:user:U1", []string{"slack:usergroup:S0"}, false},
		{"slack:channel:C1", "slack:user:U1", []string{"slack:usergroup:S0", "slack:channel:C1"}, true},
		{"slack:channel:C1", "slack:user:U1", []string{"slack:channel:C2"}, false},
		{"slack:*", "slack:user:U1", nil, true},
		{"job:nightly", "job:nightly", nil, true},
		{"job:*", "job:weekly", nil, true},
		{"job:*", "cli:local", nil, false},
		{"*", "job:x", nil, true},
		{"*", "slack:user:U1", []string{"slack:channel:C1"}, true},
		// '*' does not cross '/', as in path.Match; a lone '*' does.
		{"job:*", "job:a/b", nil, false},
		{"*", "job:a/b", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+"/"+tt.principal, func(t *testing.T) {
			src := header + "rules:\n\t- name: r\n\t\teffect: deny\n\t\tactions: [project_get]\n\t\tprincipals: [\"" + tt.pattern + "\"]\n"
			d := decide(t, mustParse(t, src), Input{Principal: tt.principal, Identities: tt.identities, Action: act(t, "project_get")})
			if got := d.Rule == "r"; got != tt.want {
				t.Errorf("rule applied = %v, want %v (decision %+v)", got, tt.want, d)
			}
		})
	}
}

func TestDecideSelectors(t *testing.T) {
	tests := []struct {
		name     string
		selector string
		in       Input
		want     bool
	}{
		{"action name", "actions: [project_update]", Input{}, true},
		{"action glob", "actions: [\"project_*\"]", Input{}, true},
		{"action glob misses", "actions: [\"database_*\"]", Input{}, false},
		{"toolset", "actions: [\"toolset:projects\"]", Input{}, true},
		{"other toolset", "actions: [\"toolset:database\"]", Input{}, false},
		{"risk", "actions: [\"risk:write\"]", Input{}, true},
		{"other risk", "actions: [\"risk:read\", \"risk:destructive\"]", Input{}, false},
		{"any of several", "actions: [database_query, \"risk:write\"]", Input{}, true},
		{"project ref", "projects: [abcdefghij]", Input{Project: "abcdefghij"}, true},
		{"other project ref", "projects: [abcdefghij]", Input{Project: "zzzzzzzzzz"}, false},
		{"project glob", "projects: [\"abc*\"]", Input{Project: "abcdefghij"}, true},
		{"project star matches no project", "projects: [\"*\"]", Input{}, true},
		{"project glob needs a project", "projects: [\"a*\"]", Input{}, false},
		{"org", "projects: [\"org:acme\"]", Input{Project: "abc", Organization: "acme"}, true},
		{"other org", "projects: [\"org:acme\"]", Input{Project: "abc", Organization: "other"}, false},
		{"org glob", "projects: [\"org:acme-*\"]", Input{Organization: "acme-prod"}, true},
		{"org star needs an org", "projects: [\"org:*\"]", Input{Project: "abc"}, false},
		{"except action", "except_actions: [\"toolset:projects\"]", Input{}, false},
		{"except other action", "except_actions: [database_query]", Input{}, true},
		{"except principal", "except_principals: [\"slack:channel:C1\"]", Input{Identities: []string{"slack:channel:C1"}}, false},
		{"except other principal", "except_principals: [\"slack:channel:C1\"]", Input{Identities: []string{"slack:channel:C2"}}, true},
		{"except project", "except_projects: [\"org:prod\"]", Input{Organization: "prod"}, false},
		{"except other project", "except_projects: [\"org:prod\"]", Input{Organization: "dev"}, true},
		{"all selectors", "principals: [\"slack:user:*\"]\n\t\tactions: [\"risk:write\"]\n\t\tprojects: [\"org:acme\"]", Input{Principal: "slack:user:U1", Organization: "acme"}, true},
		{"all selectors but one", "principals: [\"slack:user:*\"]\n\t\tactions: [\"risk:write\"]\n\t\tprojects: [\"org:acme\"]", Input{Principal: "job:x", Organization: "acme"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, header+"rules:\n\t- name: r\n\t\teffect: deny\n\t\t"+tt.selector+"\n")
			in := tt.in
			in.Action = act(t, "project_update")
			if in.Principal == "" {
				in.Principal = "slack:user:U1"
			}
			if got := decide(t, p, in).Rule == "r"; got != tt.want {
				t.Errorf("rule applied = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDecideUndecidableInputs(t *testing.T) {
	p := mustParse(t, header+"rules:\n\t- name: allow-all\n\t\teffect: allow\n")
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		in   Input
		rule string
	}{
		{"no action", context.Background(), Input{Principal: "cli:local"}, "builtin:no-action"},
		{"no principal", context.Background(), Input{Action: act(t, "project_get")}, "builtin:no-principal"},
		{"cancelled", cancelled, Input{Principal: "cli:local", Action: act(t, "project_get")}, "builtin:cancelled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := p.Decide(tt.ctx, tt.in)
			if d.Effect != Deny || d.Rule != tt.rule {
				t.Errorf("got %+v, want deny by %s", d, tt.rule)
			}
		})
	}
}

func TestDecisionApprovedBy(t *testing.T) {
	d := Decision{Effect: Approve, Approvers: []string{"slack:usergroup:S1", "slack:user:U9", "mcp:token:lead-*"}}
	tests := []struct {
		ids  []string
		want bool
	}{
		{[]string{"slack:user:U1", "slack:usergroup:S1"}, true},
		{[]string{"slack:user:U9"}, true},
		{[]string{"mcp:token:lead-bot"}, true},
		{[]string{"slack:user:U1", "slack:usergroup:S2"}, false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := d.ApprovedBy(tt.ids...); got != tt.want {
			t.Errorf("ApprovedBy(%v) = %v, want %v", tt.ids, got, tt.want)
		}
	}
	if (Decision{Effect: Deny, Approvers: []string{"*"}}).ApprovedBy("cli:local") {
		t.Error("a deny decision must not be approvable")
	}
}

func TestDecideReturnsACopyOfApprovers(t *testing.T) {
	p := mustParse(t, header+"rules:\n\t- name: a\n\t\teffect: approve\n\t\tapprovers: [\"slack:user:U1\"]\n")
	in := Input{Principal: "cli:local", Action: act(t, "project_get")}
	d := decide(t, p, in)
	d.Approvers[0] = "*"
	if again := decide(t, p, in); again.Approvers[0] != "slack:user:U1" {
		t.Errorf("changing a decision changed the policy: %v", again.Approvers)
	}
}

// Decide narrows the rules by action using what was known at load; an action
// that is new or has changed since must still meet every rule.
func TestDecideActionsNotSeenAtLoad(t *testing.T) {
	p := mustParse(t, header+`rules:
	- name: deny-destructive
		effect: deny
		actions: ["risk:destructive"]
	- name: confirm-projects
		effect: confirm
		actions: ["project_*"]
	- name: allow-backups
		effect: allow
		actions: ["toolset:backups"]
`)
	grown := *act(t, "project_get")
	grown.Risk = "destructive"
	moved := *act(t, "project_get")
	moved.Toolset = "backups"
	tests := []struct {
		name string
		a    action.Action
		rule string
	}{
		{"risk grew since load", grown, "deny-destructive"},
		{"toolset changed since load", moved, "confirm-projects"},
		{"new action by glob", action.Action{Name: "project_new", Toolset: "other", Risk: action.Read}, "confirm-projects"},
		{"new action by toolset", action.Action{Name: "backup_new", Toolset: "backups", Risk: action.Read}, "allow-backups"},
		{"new action by risk", action.Action{Name: "thing_nuke", Toolset: "other", Risk: action.Destructive}, "deny-destructive"},
		{"new action, no rule", action.Action{Name: "thing_get", Toolset: "other", Risk: action.Read}, "default:read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if d := decide(t, p, Input{Principal: "cli:local", Action: &tt.a}); d.Rule != tt.rule {
				t.Errorf("decided by %s, want %s", d.Rule, tt.rule)
			}
		})
	}
}

func TestUsesTargets(t *testing.T) {
	tests := []struct {
		name string
		rule string
		want bool
	}{
		{"no rules", "", false},
		{"org selector", "  - {name: r, effect: deny, projects: [\"org:acme\"]}\n", true},
		{"org in an exception", "  - {name: r, effect: deny, except_projects: [\"org:acme\"]}\n", true},
		{"condition reads organization", "  - {name: r, effect: deny, when: 'organization == \"acme\"'}\n", true},
		{"refs", "  - {name: r, effect: deny, projects: [\"abc*\"]}\n", true},
		{"condition reads project", "  - {name: r, effect: deny, when: 'project == \"abc\"'}\n", true},
		{"any project", "  - {name: r, effect: deny, projects: [\"*\"]}\n", false},
		{"the word project in a string only", "  - {name: r, effect: deny, when: 'principal == \"project\"'}\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "version: 1\ndefaults: {read: allow, write: confirm, destructive: deny}\n"
			if tt.rule != "" {
				src += "rules:\n" + tt.rule
			}
			p := mustParse(t, src)
			if got := p.UsesTargets(); got != tt.want {
				t.Errorf("UsesTargets() = %v, want %v", got, tt.want)
			}
		})
	}
}
