package mcpserver

import (
	"slices"
	"strings"
	"testing"
)

func TestListAndCall(t *testing.T) {
	st := newStack(t, Options{})
	for _, era := range eras {
		t.Run(era.name, func(t *testing.T) {
			c := st.client(t, era.opts...)
			var names []string
			for _, tool := range listTools(t, c) {
				names = append(names, tool.Name)
			}
			if !slices.Equal(names, st.srv.ToolNames()) {
				t.Errorf("listed %v\nwant %v", names, st.srv.ToolNames())
			}
			for _, want := range []string{"projects_list", "database_query_read_only", SearchActions, DescribeAction, CallAction} {
				if !slices.Contains(names, want) {
					t.Errorf("default profile lacks %s", want)
				}
			}

			// A core tool: an array result arrives wrapped as {"items": [...]}.
			res := call(t, c, "projects_list", nil)
			mustOK(t, res)
			items, _ := structured(t, res)["items"].([]any)
			if len(items) < len(st.seed.ProjectRefs) {
				t.Errorf("projects_list: %d items, want at least %d", len(items), len(st.seed.ProjectRefs))
			}
			if !strings.Contains(text(res), st.seed.ProjectRef) {
				t.Errorf("text rendering lacks the seeded project: %s", text(res))
			}

			// The same action through call_action: same pipeline, same rendering.
			res = call(t, c, CallAction, map[string]any{"name": "project_get", "arguments": map[string]any{"ref": st.seed.ProjectRef}})
			mustOK(t, res)
			if got := structured(t, res)["ref"]; got != st.seed.ProjectRef {
				t.Errorf("call_action project_get: ref %v", got)
			}
			// Arguments given flat beside name are a common slip; they are accepted.
			res = call(t, c, CallAction, map[string]any{"name": "project_get", "ref": st.seed.ProjectRef})
			mustOK(t, res)
		})
	}
}

func TestSearchActions(t *testing.T) {
	st := newStack(t, Options{})
	c := st.client(t)
	tests := []struct {
		args  map[string]any
		first string // the best match
		has   string // somewhere in the results
	}{
		{args: map[string]any{"query": "pause project"}, first: "project_pause"},
		{args: map[string]any{"query": "project_delete"}, first: "project_delete"},
		{args: map[string]any{"query": "auth config"}, has: "auth_config_update"},
		{args: map[string]any{"query": "list secrets"}, first: "secrets_list"},
		{args: map[string]any{"query": "edge function"}, has: "function_deploy"},
		{args: map[string]any{"query": "sql"}, has: "database_query"},
		{args: map[string]any{"query": "", "toolset": "realtime"}, has: "realtime_shutdown"},
		{args: map[string]any{"query": "config", "risk": "read", "limit": 50}, has: "postgres_config_get"},
	}
	for _, tt := range tests {
		res := call(t, c, SearchActions, tt.args)
		mustOK(t, res)
		got := structured(t, res)
		list, _ := got["actions"].([]any)
		var names []string
		for _, e := range list {
			m, _ := e.(map[string]any)
			names = append(names, m["name"].(string))
			if m["summary"] == "" || m["risk"] == "" {
				t.Errorf("%v: entry without summary or risk: %v", tt.args, m)
			}
			if risk, ok := tt.args["risk"]; ok && m["risk"] != risk {
				t.Errorf("%v: risk filter let %v through", tt.args, m)
			}
		}
		if tt.first != "" && (len(names) == 0 || names[0] != tt.first) {
			t.Errorf("%v: first %v, want %s", tt.args, names, tt.first)
		}
		if tt.has != "" && !slices.Contains(names, tt.has) {
			t.Errorf("%v: %v lacks %s", tt.args, names, tt.has)
		}
	}
	mustError(t, call(t, c, SearchActions, map[string]any{"toolset": "nope"}), "unknown toolset", "auth")
}

func TestDescribeAction(t *testing.T) {
	st := newStack(t, Options{})
	c := st.client(t)
	res := call(t, c, DescribeAction, map[string]any{"name": "project_create"})
	mustOK(t, res)
	d := structured(t, res)
	for _, key := range []string{"input_schema", "risk", "oauth_scope", "permissions", "redacted", "poll", "example", "consent"} {
		if _, ok := d[key]; !ok {
			t.Errorf("describe_action project_create lacks %s: %v", key, d)
		}
	}
	if d["available"] != true {
		t.Errorf("available = %v", d["available"])
	}
	schema, _ := d["input_schema"].(map[string]any)
	props, _ := schema["properties"].(map[string]any)
	if _, ok := props["db_pass"]; !ok {
		t.Errorf("the full input schema lacks db_pass: %v", props)
	}

	// The example call passes validation: it reaches the policy (a write is confirmed).
	res = call(t, c, DescribeAction, map[string]any{"name": "project_update"})
	example, _ := structured(t, res)["example"].(map[string]any)
	exArgs, _ := example["arguments"].(map[string]any)
	mustError(t, call(t, c, CallAction, exArgs), "needs the user's confirmation")

	mustError(t, call(t, c, DescribeAction, map[string]any{"name": "pause_project"}), "project_pause")
}

func TestErrorsTellHowToCorrect(t *testing.T) {
	st := newStack(t, Options{})
	c := st.client(t)
	tests := []struct {
		name  string
		tool  string
		args  map[string]any
		wants []string
	}{
		{"invalid ref", "project_get", map[string]any{"ref": "short"}, []string{"Invalid arguments for project_get", "ref:", "describe_action"}},
		{"unknown argument", CallAction, map[string]any{"name": "project_get", "arguments": map[string]any{"ref": st.seed.ProjectRef, "refs": "x"}}, []string{"refs", "unknown argument", "Valid arguments: ref"}},
		{"missing required", "logs_query", map[string]any{}, []string{"ref", "required"}},
		{"unknown action", CallAction, map[string]any{"name": "pause_project"}, []string{`Unknown action "pause_project"`, "project_pause", "search_actions"}},
		{"deny by rule", CallAction, map[string]any{"name": "project_delete", "arguments": map[string]any{"ref": st.seed.ProjectRef}}, []string{"no-deleting-projects", "projects are deleted by hand", "Nothing was done"}},
		{"deny by default", "migration_apply", map[string]any{"ref": st.seed.ProjectRef, "query": "select 1"}, []string{"default:destructive"}},
		{"api 404", "project_get", map[string]any{"ref": "nosuchprojectxxxxxxx"}, []string{"404", "identifiers"}},
		{"confirm not a string", "branch_create", map[string]any{"ref": st.seed.ProjectRef, "branch_name": "x", "confirm": 1}, []string{"confirm must be the token string"}},
		{"call_action without name", CallAction, map[string]any{}, []string{"name is required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mustError(t, call(t, c, tt.tool, tt.args), tt.wants...)
		})
	}
}
