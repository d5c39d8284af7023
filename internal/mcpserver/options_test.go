package mcpserver

import (
	"strings"
	"testing"

	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/scope"
)

func TestNewRefusesMalformedOptions(t *testing.T) {
	reg := registry(t)
	p, err := pipeline.New(pipeline.Config{Registry: reg, API: listingOnly{}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opts Options
		err  string
	}{
		{"short ref", Options{Scope: scope.Scope{Project: "abc"}}, "20 lowercase letters"},
		{"upper-case ref", Options{Scope: scope.Scope{Project: "SANDBOXPRODXXXXXXXXX"}}, "20 lowercase letters"},
		{"negative limit", Options{MaxResultBytes: -1}, "MaxResultBytes"},
		{"tiny limit", Options{MaxResultBytes: 100}, "at least 1024"},
		{"unknown toolset", Options{Toolsets: []string{"auth", "nope"}}, `unknown toolset "nope"`},
		{"fine", Options{Scope: scope.Scope{Project: "sandboxprodxxxxxxxxx"}, MaxResultBytes: 4096, Toolsets: []string{"auth"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(reg, p, tt.opts)
			if tt.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("want an error with %q, got %v", tt.err, err)
			}
		})
	}
	if _, err := New(nil, p, Options{}); err == nil {
		t.Error("a server without a registry must not start")
	}
	if _, err := New(reg, nil, Options{}); err == nil {
		t.Error("a server without a pipeline must not start")
	}
}
