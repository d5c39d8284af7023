package authz

import (
	"context"
	"strings"
	"testing"

	"github.com/supaops/supaops/internal/client"
	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/sandbox"
	"github.com/supaops/supaops/internal/tools"
)

func TestGuards(t *testing.T) {
	reg, err := tools.Load()
	if err != nil {
		t.Fatal(err)
	}
	sb, err := sandbox.New(sandbox.Options{Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	api, err := client.New(client.Config{BaseURL: "http://sandbox.test", Token: "t", Transport: sb.RoundTripper()})
	if err != nil {
		t.Fatal(err)
	}
	branches, err := NewProjectBranches(reg, api, 0)
	if err != nil {
		t.Fatal(err)
	}
	seed := sb.Seed()
	scoped := ProjectScope{Ref: seed.ProjectRef, Branches: branches, Next: pipeline.AllowAll{}}
	readOnly := ReadOnly{Next: pipeline.AllowAll{}}
	other := seed.PausedProjectRef
	tests := []struct {
		name     string
		auth     pipeline.Authorizer
		action   string
		project  string
		branch   string
		want     pipeline.Effect
		wantText string
	}{
		{"read-only lets reads through", readOnly, "project_get", seed.ProjectRef, "", pipeline.Allow, ""},
		{"read-only refuses writes", readOnly, "project_update", seed.ProjectRef, "", pipeline.Deny, "read-only"},
		{"read-only refuses destructive", readOnly, "project_delete", seed.ProjectRef, "", pipeline.Deny, "read-only"},
		{"scope: the project", scoped, "project_get", seed.ProjectRef, "", pipeline.Allow, ""},
		{"scope: another project", scoped, "project_get", other, "", pipeline.Deny, "another project"},
		{"scope: not about a project", scoped, "projects_list", "", "", pipeline.Deny, "not about one project"},
		{"scope: its branch by ref", scoped, "branch_get", "", seed.PreviewBranchRef, pipeline.Allow, ""},
		{"scope: its branch by id", scoped, "branch_get", "", seed.PreviewBranchID, pipeline.Allow, ""},
		{"scope: a branch's own ref as project", scoped, "action_runs_list", seed.PreviewBranchRef, "", pipeline.Allow, ""},
		{"scope: a foreign branch", scoped, "branch_get", "", other, pipeline.Deny, "does not belong"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := reg.Lookup(tt.action)
			if err != nil {
				t.Fatal(err)
			}
			d, err := tt.auth.Authorize(context.Background(), pipeline.Call{Action: a, Project: tt.project, Branch: tt.branch})
			if err != nil {
				t.Fatal(err)
			}
			if d.Effect != tt.want || !strings.Contains(d.Reason, tt.wantText) {
				t.Errorf("got %+v, want %s (%q)", d, tt.want, tt.wantText)
			}
		})
	}
	if n := sb.Requests("v1-list-all-branches"); n != 1 {
		t.Errorf("branches listed %d times, want once (cached)", n)
	}
}
