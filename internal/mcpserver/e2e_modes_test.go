package mcpserver

import (
	"slices"
	"strings"
	"testing"

	"github.com/supaops/supaops/internal/scope"
)

func TestReadOnly(t *testing.T) {
	st := newStack(t, Options{Scope: scope.Scope{ReadOnly: true}})
	c := st.client(t)
	for _, tool := range listTools(t, c) {
		if tool.Name == CallAction {
			if !*tool.Annotations.ReadOnlyHint {
				t.Errorf("call_action on a read-only server should be marked read-only")
			}
			continue
		}
		if !*tool.Annotations.ReadOnlyHint {
			t.Errorf("read-only server lists %s, which is not read-only", tool.Name)
		}
	}
	res := call(t, c, SearchActions, map[string]any{"query": "delete project"})
	got := structured(t, res)
	for _, e := range got["actions"].([]any) {
		if m := e.(map[string]any); m["risk"] != "read" {
			t.Errorf("search shows %v on a read-only server", m)
		}
	}
	if got["hidden"] == nil || !strings.Contains(got["hidden_why"].(string), "read-only") {
		t.Errorf("search does not say matches were hidden: %v", got)
	}
	d := structured(t, call(t, c, DescribeAction, map[string]any{"name": "project_delete"}))
	if d["available"] != false || !strings.Contains(d["unavailable"].(string), "read-only") {
		t.Errorf("describe_action project_delete: %v", d)
	}
	mustError(t, call(t, c, CallAction, map[string]any{"name": "project_update", "arguments": map[string]any{"ref": st.seed.ProjectRef, "name": "x"}}), "scope:read-only", "Nothing was done")
	mustOK(t, call(t, c, CallAction, map[string]any{"name": "projects_list"}))
}

func TestProjectScope(t *testing.T) {
	st := newStack(t, Options{Scope: scope.Scope{Project: "sandboxprodxxxxxxxxx"}})
	c := st.client(t)
	names := map[string]bool{}
	for _, tool := range listTools(t, c) {
		names[tool.Name] = true
		if strings.Contains(string(tool.RawInputSchema), `"ref"`) {
			t.Errorf("%s still takes ref: %s", tool.Name, tool.RawInputSchema)
		}
	}
	for _, hidden := range []string{"projects_list", "organizations_list"} {
		if names[hidden] {
			t.Errorf("%s is listed on a project-scoped server", hidden)
		}
	}
	res := call(t, c, "project_get", nil)
	mustOK(t, res)
	if got := structured(t, res)["ref"]; got != st.seed.ProjectRef {
		t.Errorf("injected ref: got %v", got)
	}
	d := structured(t, call(t, c, DescribeAction, map[string]any{"name": "project_get"}))
	if props := d["input_schema"].(map[string]any)["properties"].(map[string]any); props["ref"] != nil {
		t.Errorf("describe_action still shows ref: %v", props)
	}
	other := st.seed.ProjectRefs[1]
	mustError(t, call(t, c, CallAction, map[string]any{"name": "project_get", "arguments": map[string]any{"ref": other}}), "scope:project", other)
	mustError(t, call(t, c, "project_get", map[string]any{"ref": other}), "scope:project")
	mustError(t, call(t, c, CallAction, map[string]any{"name": "projects_list"}), "scope:project")
	// A branch of the project stays in scope; call_action injects ref too.
	mustOK(t, call(t, c, CallAction, map[string]any{"name": "branches_list"}))
}

func TestToolsets(t *testing.T) {
	reg := registry(t)
	tests := []struct {
		toolsets []string
		has      []string
		count    int
		err      string
	}{
		{toolsets: []string{"auth", "secrets"}, has: []string{"auth_config_get", "secrets_list", "projects_list", SearchActions}},
		{toolsets: []string{"auth, secrets"}, has: []string{"auth_config_get", "secrets_list"}},
		{toolsets: []string{"auth,,secrets"}, err: `unknown toolset ""`},
		{toolsets: []string{" default "}, count: len(coreTools()) + 3},
		{toolsets: []string{"all"}, count: len(reg.Actions()) + 3},
		{toolsets: []string{"nope"}, err: `unknown toolset "nope": valid are all, default, account, advisors`},
		{toolsets: []string{""}, err: "unknown toolset"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.toolsets, ","), func(t *testing.T) {
			s, err := listingServer(reg, Options{Toolsets: tt.toolsets})
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("want error %q, got %v", tt.err, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range tt.has {
				if !slices.Contains(s.ToolNames(), h) {
					t.Errorf("lacks %s", h)
				}
			}
			if tt.count > 0 && len(s.ToolNames()) != tt.count {
				t.Errorf("%d tools, want %d", len(s.ToolNames()), tt.count)
			}
		})
	}
	// End to end: a toolset's tool is callable like a core one.
	st := newStack(t, Options{Toolsets: []string{"storage"}})
	mustOK(t, call(t, st.client(t), "storage_buckets_list", map[string]any{"ref": st.seed.ProjectRef}))
}

// Agents see scheduled jobs and their runs through the meta tools, and
// cannot change them (supaops-mcp serve without --manage-jobs); the default
// tools/list does not grow.
func TestJobsAreReadOnlyForAgents(t *testing.T) {
	plain := len(listTools(t, newStack(t, Options{}).client(t)))
	st := newStack(t, Options{Scope: scope.Scope{OwnStateReadOnly: true}})
	c := st.client(t)
	if n := len(listTools(t, c)); n != plain {
		t.Errorf("tools/list has %d tools, %d without the jobs' scope", n, plain)
	}
	got := structured(t, call(t, c, SearchActions, map[string]any{"query": "scheduled jobs runs"}))
	seen := map[string]bool{}
	for _, e := range got["actions"].([]any) {
		seen[e.(map[string]any)["name"].(string)] = true
	}
	if !seen["jobs_list"] || !seen["job_runs_list"] || seen["job_apply"] || seen["job_trigger"] {
		t.Errorf("search shows %v", seen)
	}
	res := call(t, c, CallAction, map[string]any{"name": "jobs_list", "arguments": map[string]any{}})
	mustOK(t, res)
	if !strings.Contains(text(res), `"total":0`) {
		t.Errorf("jobs_list answered %s", text(res))
	}
	mustError(t, call(t, c, CallAction, map[string]any{"name": "job_trigger", "arguments": map[string]any{"name": "x"}}),
		"scope:own-state-read-only", "supaops-mcp jobs")
}
