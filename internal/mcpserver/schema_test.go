package mcpserver

import (
	"encoding/json"
	"testing"

	"github.com/supaops/supaops/internal/tools"
)

func mustLookup(t *testing.T, name string) *tools.Action {
	t.Helper()
	a, err := registry(t).Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestCompactInputSchema(t *testing.T) {
	tests := []struct {
		action      string
		scoped      bool
		confirm     bool
		wantProps   []string
		absentProps []string
		required    []string
	}{
		{action: "project_get", wantProps: []string{"ref"}, required: []string{"ref"}},
		{action: "project_get", scoped: true, absentProps: []string{"ref"}},
		{action: "branch_create", confirm: true, wantProps: []string{"ref", "branch_name", "confirm", "desired_instance_size"}, required: []string{"branch_name", "ref"}},
		{action: "logs_query", scoped: true, wantProps: []string{"sql", "iso_timestamp_start"}, absentProps: []string{"ref"}},
	}
	for _, tt := range tests {
		s, err := compactInputSchema(mustLookup(t, tt.action), tt.scoped, tt.confirm)
		if err != nil {
			t.Fatal(err)
		}
		props := s["properties"].(map[string]any)
		for _, p := range tt.wantProps {
			if props[p] == nil {
				t.Errorf("%s: lacks %s", tt.action, p)
			}
		}
		for _, p := range tt.absentProps {
			if props[p] != nil {
				t.Errorf("%s: still has %s", tt.action, p)
			}
		}
		got, _ := json.Marshal(s["required"])
		want, _ := json.Marshal(tt.required)
		if tt.required != nil && string(got) != string(want) {
			t.Errorf("%s: required %s, want %s", tt.action, got, want)
		}
		if tt.required == nil && s["required"] != nil {
			t.Errorf("%s: required %s, want none", tt.action, got)
		}
	}
}

func TestCompactProperty(t *testing.T) {
	ref := map[string]any{"type": "string", "minLength": float64(20), "maxLength": float64(20), "pattern": "^[a-z]+$", "description": "Project ref"}
	got := compactProperty(ref, 1)
	if got["pattern"] != "^[a-z]{20}$" || got["description"] != nil || got["minLength"] != nil {
		t.Errorf("ref compacts to %v", got)
	}
	long := map[string]any{"type": "string", "enum": []any{"1", "2", "3", "4", "5", "6", "7", "8", "9"}}
	if got := compactProperty(long, 1); got["enum"] != nil {
		t.Errorf("a %d-value enum should be dropped: %v", maxEnumValues+1, got)
	}
	short := map[string]any{"type": "string", "enum": []any{"a", "b"}}
	if got := compactProperty(short, 1); got["enum"] == nil {
		t.Errorf("a short enum should stay: %v", got)
	}
}

func TestCompactOutputSchema(t *testing.T) {
	tests := []struct {
		action string
		shape  outputShape
		props  []string
	}{
		{"projects_list", wrappedOutput, []string{"items"}},
		{"project_get", objectOutput, []string{"ref", "name", "status"}},
		{"database_query_read_only", noStructured, nil},
		{"project_pause", noStructured, nil},
	}
	for _, tt := range tests {
		a := mustLookup(t, tt.action)
		shape, _ := shapeOf(a)
		if shape != tt.shape {
			t.Errorf("%s: shape %v, want %v", tt.action, shape, tt.shape)
		}
		out := compactOutputSchema(a)
		if tt.props == nil {
			if out != nil {
				t.Errorf("%s: want no output schema, got %v", tt.action, out)
			}
			continue
		}
		props := out["properties"].(map[string]any)
		for _, p := range tt.props {
			if props[p] == nil {
				t.Errorf("%s: output schema lacks %s: %v", tt.action, p, props)
			}
		}
		if out["required"] != nil {
			t.Errorf("%s: a compact output schema requires nothing", tt.action)
		}
	}
	// A redacted field has no type: the mask is a string whatever it hides.
	out := compactOutputSchema(mustLookup(t, "api_key_get"))
	if p, ok := out["properties"].(map[string]any)["api_key"].(map[string]any); ok && p["type"] != nil {
		t.Errorf("api_key keeps a type: %v", p)
	}
}
