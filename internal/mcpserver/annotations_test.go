package mcpserver

import (
	"testing"

	"github.com/supaops/supaops/internal/action"
)

func TestAnnotationsFor(t *testing.T) {
	tests := []struct {
		risk                                      action.Risk
		method                                    string
		readOnly, destructive, idempotent, openWd bool
	}{
		{action.Read, "GET", true, false, true, true},
		{action.Read, "POST", true, false, true, true},
		{action.Write, "POST", false, false, false, true},
		{action.Write, "PATCH", false, false, false, true},
		{action.Write, "PUT", false, false, true, true},
		{action.Destructive, "DELETE", false, true, true, true},
		{action.Destructive, "POST", false, true, false, true},
	}
	for _, tt := range tests {
		a := annotationsFor("T", tt.risk, tt.method)
		if *a.ReadOnlyHint != tt.readOnly || *a.DestructiveHint != tt.destructive || *a.IdempotentHint != tt.idempotent || *a.OpenWorldHint != tt.openWd || a.Title != "T" {
			t.Errorf("%s %s: %+v", tt.risk, tt.method, a)
		}
	}
}

func TestTitleFor(t *testing.T) {
	tests := map[string]string{
		"projects_list":             "List projects",
		"project_health_get":        "Get project health",
		"api_keys_list":             "List API keys",
		"typescript_types_generate": "Generate TypeScript types",
		"branching_disable":         "Disable branching",
		"profile":                   "Profile",
	}
	for name, want := range tests {
		if got := titleFor(name); got != want {
			t.Errorf("titleFor(%q) = %q, want %q", name, got, want)
		}
	}
}
