package mcpserver

import (
	"context"
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/supaops/supaops/internal/action"
	"github.com/supaops/supaops/internal/scope"
)

// Description bounds: action tools stay one or two short sentences; the
// meta tools explain a little more.
const (
	maxActionDescription = 240
	maxMetaDescription   = 320
)

func TestEveryToolIsWellFormed(t *testing.T) {
	reg := registry(t)
	for _, p := range profiles {
		t.Run(p.name, func(t *testing.T) {
			s, err := listingServer(reg, p.opts)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for _, st := range s.MCP().ListTools() {
				tool := st.Tool
				if seen[tool.Name] {
					t.Errorf("duplicate tool %s", tool.Name)
				}
				seen[tool.Name] = true
				checkAnnotations(t, tool)
				checkSchema(t, tool)
				limit := maxActionDescription
				if tool.Name == SearchActions || tool.Name == DescribeAction || tool.Name == CallAction {
					limit = maxMetaDescription
				}
				if n := utf8.RuneCountInString(tool.Description); n == 0 || n > limit {
					t.Errorf("%s: description of %d characters (want 1..%d)", tool.Name, n, limit)
				}
				if a, err := reg.Lookup(tool.Name); err == nil {
					want := annotationsFor("", a.Risk, a.Method)
					if *tool.Annotations.ReadOnlyHint != *want.ReadOnlyHint || *tool.Annotations.DestructiveHint != *want.DestructiveHint {
						t.Errorf("%s (%s): hints do not follow the risk", tool.Name, a.Risk)
					}
				}
			}
		})
	}
}

func checkAnnotations(t *testing.T, tool mcp.Tool) {
	t.Helper()
	a := tool.Annotations
	if a.Title == "" || a.ReadOnlyHint == nil || a.DestructiveHint == nil || a.IdempotentHint == nil || a.OpenWorldHint == nil {
		t.Errorf("%s: every annotation must be set explicitly: %+v", tool.Name, a)
		return
	}
	if *a.ReadOnlyHint && *a.DestructiveHint {
		t.Errorf("%s: read-only and destructive at once", tool.Name)
	}
}

func checkSchema(t *testing.T, tool mcp.Tool) {
	t.Helper()
	var s map[string]any
	if err := json.Unmarshal(tool.RawInputSchema, &s); err != nil {
		t.Errorf("%s: input schema: %v", tool.Name, err)
		return
	}
	if s["type"] != "object" {
		t.Errorf("%s: input schema type %v, want object", tool.Name, s["type"])
	}
	// Some providers reject a whole tools/list over one of these.
	for _, key := range []string{"anyOf", "oneOf", "allOf"} {
		if _, ok := s[key]; ok {
			t.Errorf("%s: top-level %s in the input schema", tool.Name, key)
		}
	}
	if len(tool.RawOutputSchema) > 0 {
		var out map[string]any
		if err := json.Unmarshal(tool.RawOutputSchema, &out); err != nil || out["type"] != "object" {
			t.Errorf("%s: output schema must be an object schema: %s", tool.Name, tool.RawOutputSchema)
		}
	}
}

func TestNoActionTakesConfirm(t *testing.T) {
	// confirm is the server's own argument; an action taking one would clash.
	for _, a := range registry(t).Actions() {
		if _, ok := a.Param(confirmArg); ok {
			t.Errorf("%s has an argument called %s", a.Name, confirmArg)
		}
	}
}

// TestEveryActionReachable walks the registry: in the default profile each
// action is a tool or found by search_actions and callable by call_action;
// in the all profile each is a tool.
func TestEveryActionReachable(t *testing.T) {
	reg := registry(t)
	all, err := listingServer(reg, Options{Toolsets: []string{ToolsetAll}})
	if err != nil {
		t.Fatal(err)
	}
	def, err := listingServer(reg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	allNames, defNames := map[string]bool{}, map[string]bool{}
	for _, n := range all.ToolNames() {
		allNames[n] = true
	}
	for _, n := range def.ToolNames() {
		defNames[n] = true
	}
	if !defNames[CallAction] || !defNames[SearchActions] || !defNames[DescribeAction] {
		t.Fatalf("the default profile lacks a meta tool: %v", def.ToolNames())
	}
	ctx := context.Background()
	for _, a := range reg.Actions() {
		if !allNames[a.Name] {
			t.Errorf("%s is not a tool in the all profile", a.Name)
		}
		if defNames[a.Name] {
			continue
		}
		res, err := def.searchHandler(ctx, toolRequest(map[string]any{"query": a.Name, "limit": 1}))
		if err != nil || res.IsError {
			t.Fatalf("search %s: %v %v", a.Name, err, res)
		}
		found, _ := res.StructuredContent.(map[string]any)["actions"].([]any)
		if len(found) != 1 || found[0].(map[string]any)["name"] != a.Name {
			t.Errorf("search_actions %q does not find it first: %v", a.Name, found)
		}
		res, err = def.describeHandler(ctx, toolRequest(map[string]any{"name": a.Name}))
		if err != nil || res.IsError || res.StructuredContent.(map[string]any)["available"] != true {
			t.Errorf("describe_action %s: %v %v", a.Name, err, res)
		}
	}
}

func toolRequest(args map[string]any) mcp.CallToolRequest {
	return mcp.CallToolRequest{Params: mcp.CallToolParams{Arguments: args}}
}

func TestReadOnlyHidesEveryMutation(t *testing.T) {
	reg := registry(t)
	s, err := listingServer(reg, Options{Scope: scope.Scope{ReadOnly: true}, Toolsets: []string{ToolsetAll}})
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, n := range s.ToolNames() {
		listed[n] = true
	}
	for _, a := range reg.Actions() {
		if (a.Risk == action.Read) != listed[a.Name] {
			t.Errorf("%s (%s): listed=%v on a read-only server", a.Name, a.Risk, listed[a.Name])
		}
	}
}
