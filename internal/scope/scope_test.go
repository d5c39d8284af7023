package scope

import (
	"strings"
	"testing"

	"github.com/supaops/supaops/internal/tools"
)

const ref = "abcdefghijklmnopqrst"

func lookup(t *testing.T, name string) *tools.Action {
	t.Helper()
	reg, err := tools.Load()
	if err != nil {
		t.Fatal(err)
	}
	a, err := reg.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestUnavailable(t *testing.T) {
	tests := []struct {
		scope  Scope
		action string
		want   string // "" means visible
	}{
		{Scope{}, "project_delete", ""},
		{Scope{ReadOnly: true}, "project_get", ""},
		{Scope{ReadOnly: true}, "project_pause", "read-only"},
		{Scope{Project: ref}, "project_get", ""},
		{Scope{Project: ref}, "branch_get", ""},    // about a branch: checked by target
		{Scope{Project: ref}, "snippets_list", ""}, // project named by query
		{Scope{Project: ref}, "projects_list", "not about one project"},
		{Scope{Project: ref}, "organization_members_list", "not about one project"},
		{Scope{ReadOnly: true, Project: ref}, "project_update", "read-only"},
	}
	for _, tt := range tests {
		got := tt.scope.Unavailable(lookup(t, tt.action))
		if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
			t.Errorf("%s in %s: %q, want %q", tt.action, tt.scope, got, tt.want)
		}
		if tt.scope.Visible(lookup(t, tt.action)) != (tt.want == "") {
			t.Errorf("%s in %s: Visible disagrees with Unavailable", tt.action, tt.scope)
		}
	}
}

func TestInject(t *testing.T) {
	s := Scope{Project: ref}
	for _, tt := range []struct {
		action, arg string
	}{{"project_get", "ref"}, {"snippets_list", "project_ref"}} {
		args := map[string]any{}
		s.Inject(lookup(t, tt.action), args)
		if args[tt.arg] != ref {
			t.Errorf("%s: %v, want %s=%s", tt.action, args, tt.arg, ref)
		}
		named := map[string]any{tt.arg: "zyxwvutsrqponmlkjihg"}
		s.Inject(lookup(t, tt.action), named)
		if named[tt.arg] != "zyxwvutsrqponmlkjihg" {
			t.Errorf("%s: a named project must be kept for CheckTarget to refuse: %v", tt.action, named)
		}
	}
	args := map[string]any{}
	Scope{}.Inject(lookup(t, "project_get"), args)
	if len(args) != 0 {
		t.Errorf("an empty scope injected %v", args)
	}
}

func TestCheckTarget(t *testing.T) {
	s := Scope{Project: ref}
	if r := s.CheckTarget(ref, "zyxwvutsrqponmlkjihg"); r != nil {
		t.Errorf("a branch of the scoped project was refused: %+v", r)
	}
	r := s.CheckTarget("zyxwvutsrqponmlkjihg", "branchbranchbranchbr")
	if r == nil || r.Rule != RuleProject || !strings.Contains(r.Reason, "belongs to project zyxwvutsrqponmlkjihg") {
		t.Errorf("a branch of another project: %+v", r)
	}
	if r := (Scope{}).CheckTarget("anything", ""); r != nil {
		t.Errorf("an empty scope refused: %+v", r)
	}
}

func TestValidate(t *testing.T) {
	for _, bad := range []string{"abc", "ABCDEFGHIJKLMNOPQRST", "abcdefghijklmnopqrs1"} {
		if err := (Scope{Project: bad}).Validate(); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if err := (Scope{Project: ref}).Validate(); err != nil {
		t.Error(err)
	}
}
