package tools

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	reg := loadRegistry(t)
	const ref = "abcdefghijklmnopqrst"
	tests := []struct {
		name   string
		action string
		args   map[string]any
		// wantField is the argument the error must name; "" means valid.
		wantField string
		wantText  []string
	}{
		{"valid", "project_get", map[string]any{"ref": ref}, "", nil},
		{"short ref", "project_get", map[string]any{"ref": "abc"}, "ref", []string{"20", "Project ref"}},
		{"ref with capitals", "project_get", map[string]any{"ref": "ABCDEFGHIJKLMNOPQRST"}, "ref", []string{"^[a-z]+$"}},
		{"missing ref", "project_get", map[string]any{}, "ref", []string{"required"}},
		{"unknown argument lists valid ones", "project_get", map[string]any{"ref": ref, "project": "x"}, "project", []string{"unknown argument", "valid arguments: ref"}},
		{"typo gets a suggestion", "database_query", map[string]any{"ref": ref, "qeury": "select 1"}, "qeury", []string{"did you mean query"}},
		{"no arguments taken", "projects_list", map[string]any{"x": 1}, "x", []string{"takes no arguments"}},
		{"wrong type", "organization_projects_list", map[string]any{"slug": "acme", "limit": "ten"}, "limit", []string{"integer"}},
		{"out of range", "organization_projects_list", map[string]any{"slug": "acme", "limit": 1000}, "limit", []string{"100"}},
		{"enum lists allowed values", "organization_projects_list", map[string]any{"slug": "acme", "sort": "sideways"}, "sort", []string{"name_asc", "created_desc"}},
		{"missing body field", "project_create", map[string]any{"name": "x", "organization_slug": "acme"}, "db_pass", []string{"required"}},
		{"reserved secret name", "secrets_create", map[string]any{"ref": ref, "body": []any{map[string]any{"name": "SUPABASE_URL", "value": "x"}}}, "body.0.name", []string{"SUPABASE_"}},
		{"valid secrets", "secrets_create", map[string]any{"ref": ref, "body": []any{map[string]any{"name": "OPENAI_KEY", "value": "x"}}}, "", nil},
		{"uuid format", "api_key_get", map[string]any{"ref": ref, "id": "not-a-uuid"}, "id", []string{"uuid"}},
		// Path arguments that URL resolution would turn into another endpoint.
		{"dot-dot run id", "action_run_get", map[string]any{"ref": ref, "run_id": ".."}, "run_id", []string{`".." is not allowed`, "another endpoint", "Action Run ID"}},
		{"dot run id", "action_run_get", map[string]any{"ref": ref, "run_id": "."}, "run_id", []string{`"." is not allowed`}},
		{"empty run id", "action_run_get", map[string]any{"ref": ref, "run_id": ""}, "run_id", []string{`"" is not allowed`}},
		{"dot-dot run id of logs", "action_run_logs_get", map[string]any{"ref": ref, "run_id": ".."}, "run_id", []string{"not allowed"}},
		{"dot-dot run id of a write", "action_run_status_update", map[string]any{"ref": ref, "run_id": "..", "clone": "SUCCEEDED"}, "run_id", []string{"not allowed"}},
		{"dot-dot branch name", "branch_get_by_name", map[string]any{"ref": ref, "name": ".."}, "name", []string{"not allowed"}},
		{"dot claim token", "organization_project_claim_get", map[string]any{"slug": "acme", "token": "."}, "token", []string{"not allowed"}},
		{"dot-dot caught by the schema first", "branch_get", map[string]any{"branch_id_or_ref": ".."}, "branch_id_or_ref", nil},
		{"dots inside a value are fine", "action_run_get", map[string]any{"ref": ref, "run_id": "run..1"}, "", nil},
		{"three dots are a name", "branch_get_by_name", map[string]any{"ref": ref, "name": "..."}, "", nil},
		{"slash in a branch name is one segment", "branch_get_by_name", map[string]any{"ref": ref, "name": "feature/x"}, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := reg.Lookup(tt.action)
			if err != nil {
				t.Fatal(err)
			}
			args, err := Normalize(tt.args)
			if err != nil {
				t.Fatal(err)
			}
			err = a.Validate(args)
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			var inputErr *InputError
			if !errors.As(err, &inputErr) {
				t.Fatalf("want *InputError, got %v", err)
			}
			found := false
			for _, p := range inputErr.Problems {
				if p.Field == tt.wantField {
					found = true
				}
			}
			if !found {
				t.Errorf("problems %+v do not name %s", inputErr.Problems, tt.wantField)
			}
			for _, text := range tt.wantText {
				if !strings.Contains(err.Error(), text) {
					t.Errorf("message %q lacks %q", err, text)
				}
			}
		})
	}
}

func TestIntValue(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want int
		ok   bool
	}{
		{json.Number("42"), 42, true}, {json.Number("4.2"), 0, false}, {float64(7), 7, true},
		{7.5, 0, false}, {3, 3, true}, {int64(9), 9, true}, {"9", 0, false}, {nil, 0, false},
	} {
		if got, ok := IntValue(tc.in); got != tc.want || ok != tc.ok {
			t.Errorf("IntValue(%#v) = %d, %v", tc.in, got, ok)
		}
	}
}
