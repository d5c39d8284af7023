package resolve_test

import (
	"context"
	"errors"
	"testing"

	"github.com/supaops/supaops/internal/app/apptest"
	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/resolve"
	"github.com/supaops/supaops/internal/tools"
)

func call(t *testing.T, reg *tools.Registry, name string, args map[string]any) *pipeline.Call {
	t.Helper()
	a, err := reg.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	c := &pipeline.Call{Action: a, Args: args}
	if tg := a.Target; tg != nil {
		c.Project, _ = args[tg.Project].(string)
		c.Branch, _ = args[tg.Branch].(string)
		c.Organization, _ = args[tg.Organization].(string)
		c.OrganizationID, _ = args[tg.OrganizationID].(string)
	}
	return c
}

func TestResolve(t *testing.T) {
	a := apptest.New(t, apptest.Options{})
	seed := a.Sandbox.Seed()
	r, err := resolve.New(a.Registry, a.API, resolve.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name                 string
		action               string
		args                 map[string]any
		project, branch, org string
	}{
		{"a project is its own", "project_get", map[string]any{"ref": seed.ProjectRef}, seed.ProjectRef, "", seed.OrgSlug},
		{"a branch's own ref belongs to its parent", "project_get", map[string]any{"ref": seed.PreviewBranchRef}, seed.ProjectRef, seed.PreviewBranchRef, seed.OrgSlug},
		{"a branch by ref", "branch_get", map[string]any{"branch_id_or_ref": seed.PreviewBranchRef}, seed.ProjectRef, seed.PreviewBranchRef, seed.OrgSlug},
		{"a branch by id", "branch_get", map[string]any{"branch_id_or_ref": seed.PreviewBranchID}, seed.ProjectRef, seed.PreviewBranchID, seed.OrgSlug},
		{"the default branch", "branch_get", map[string]any{"branch_id_or_ref": seed.DefaultBranchID}, seed.ProjectRef, seed.DefaultBranchID, seed.OrgSlug},
		{"a project named in the query", "snippets_list", map[string]any{"project_ref": seed.ProjectRef}, seed.ProjectRef, "", seed.OrgSlug},
		{"an organization named in the body", "project_create", map[string]any{"organization_slug": seed.OrgSlug}, "", "", seed.OrgSlug},
		{"an organization named by id", "project_create", map[string]any{"organization_id": seed.OrgSlug}, "", "", seed.OrgSlug},
		{"nothing named", "projects_list", map[string]any{}, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := call(t, a.Registry, tt.action, tt.args)
			if err := r.Resolve(context.Background(), c); err != nil {
				t.Fatal(err)
			}
			if c.Project != tt.project || c.Branch != tt.branch || c.Organization != tt.org {
				t.Errorf("project %q branch %q org %q, want %q %q %q", c.Project, c.Branch, c.Organization, tt.project, tt.branch, tt.org)
			}
		})
	}
	c := call(t, a.Registry, "branch_get", map[string]any{"branch_id_or_ref": "zzzzzzzzzzzzzzzzzzzz"})
	if err := r.Resolve(context.Background(), c); !errors.Is(err, resolve.ErrUnknown) {
		t.Errorf("an unknown branch: %v", err)
	}
}

// Resolving costs rate-limit budget: answers are cached, and a call that
// needs no resolution costs nothing.
func TestResolveCaches(t *testing.T) {
	a := apptest.New(t, apptest.Options{})
	seed := a.Sandbox.Seed()
	needed := true
	r, err := resolve.New(a.Registry, a.API, resolve.Options{Needed: func(*pipeline.Call) bool { return needed }})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		c := call(t, a.Registry, "branch_get", map[string]any{"branch_id_or_ref": seed.PreviewBranchRef})
		if err := r.Resolve(context.Background(), c); err != nil || c.Project != seed.ProjectRef {
			t.Fatalf("%v %+v", err, c)
		}
	}
	lists, branches := a.Sandbox.Requests("v1-list-all-projects"), a.Sandbox.Requests("v1-list-all-branches")
	if lists != 1 || branches < 1 || branches > len(seed.ProjectRefs) {
		t.Errorf("%d project lists and %d branch lists for three resolutions", lists, branches)
	}
	needed = false
	c := call(t, a.Registry, "branch_get", map[string]any{"branch_id_or_ref": "zzzzzzzzzzzzzzzzzzzz"})
	if err := r.Resolve(context.Background(), c); err != nil || c.Project != "" {
		t.Errorf("resolved when not needed: %v %+v", err, c)
	}
}
