package mcpserver

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/supaops/supaops/internal/action"
	"github.com/supaops/supaops/internal/render"
	"github.com/supaops/supaops/internal/search"
	"github.com/supaops/supaops/internal/tools"
)

// Names of the meta tools, which reach the whole registry.
const (
	SearchActions  = "search_actions"
	DescribeAction = "describe_action"
	CallAction     = "call_action"
)

// metaTools declares search_actions, describe_action and call_action.
func (s *Server) metaTools() ([]server.ServerTool, error) {
	var toolsets []string
	seen := map[string]bool{}
	risks := map[action.Risk]bool{}
	count := 0
	for _, a := range s.reg.Actions() {
		if !s.profile.visible(a) {
			continue
		}
		count++
		risks[a.Risk] = true
		if !seen[a.Toolset] {
			seen[a.Toolset] = true
			toolsets = append(toolsets, a.Toolset)
		}
	}
	sort.Strings(toolsets)
	var riskNames []string
	for _, r := range action.Risks() {
		if risks[r] {
			riskNames = append(riskNames, string(r))
		}
	}
	searchSchema := map[string]any{
		"type": "object",
		"properties": map[string]any{
			"query":   map[string]any{"type": "string", "description": `Keywords, e.g. "auth config", "pause project"`},
			"toolset": map[string]any{"type": "string", "enum": toolsets},
			"risk":    map[string]any{"type": "string", "enum": riskNames},
			"limit":   map[string]any{"type": "integer", "minimum": 1, "maximum": search.MaxLimit},
		},
	}
	describe := map[string]any{
		"type":       "object",
		"properties": map[string]any{"name": map[string]any{"type": "string"}},
		"required":   []string{"name"},
	}
	call := map[string]any{
		"type": "object",
		"properties": map[string]any{
			"name":      map[string]any{"type": "string"},
			"arguments": map[string]any{"type": "object"},
			confirmArg:  map[string]any{"type": "string", "description": "Token from an earlier result, once the user agreed"},
		},
		"required": []string{"name"},
	}
	callRisk := action.Destructive
	if s.scope.ReadOnly {
		// Only reads get through a read-only server, so say so: clients then
		// need not prompt for every call.
		callRisk = action.Read
	}
	list := []struct {
		name, desc string
		in, out    map[string]any
		ann        mcp.ToolAnnotation
		handler    server.ToolHandlerFunc
	}{
		{
			name: SearchActions,
			desc: fmt.Sprintf("Find any of the %d Supabase Management API actions, listed here or not (auth config, secrets, domains, network, billing...). Returns names and one-line summaries, best first; then describe_action, call_action.", count),
			in:   searchSchema,
			out:  objectSchema(map[string]string{"actions": "array", "total": "integer"}),
			ann:  localAnnotations("Search actions"), handler: s.searchHandler,
		},
		{
			name: DescribeAction,
			desc: "An action's input schema, risk, token scope, redacted fields, polling and an example call.",
			in:   describe,
			out:  objectSchema(map[string]string{"name": "string", "risk": "string", "input_schema": "object"}),
			ann:  localAnnotations("Describe action"), handler: s.describeHandler,
		},
		{
			name: CallAction,
			desc: "Run any action by name with its arguments, through the same policy, consent and audit as the listed tools.",
			in:   call,
			ann:  annotationsFor("Call action", callRisk, ""), handler: s.callHandler,
		},
	}
	out := make([]server.ServerTool, 0, len(list))
	for _, m := range list {
		in, err := json.Marshal(m.in)
		if err != nil {
			return nil, fmt.Errorf("schema of %s: %w", m.name, err)
		}
		t := mcp.Tool{Name: m.name, Description: m.desc, RawInputSchema: in, Annotations: m.ann}
		if m.out != nil {
			if t.RawOutputSchema, err = json.Marshal(m.out); err != nil {
				return nil, fmt.Errorf("output schema of %s: %w", m.name, err)
			}
		}
		out = append(out, server.ServerTool{Tool: t, Handler: m.handler})
	}
	return out, nil
}

// localAnnotations are for the meta tools that only read the registry: they
// never reach the API, so the world they touch is closed.
func localAnnotations(title string) mcp.ToolAnnotation {
	a := annotationsFor(title, action.Read, "")
	a.OpenWorldHint = mcp.ToBoolPtr(false)
	return a
}

func objectSchema(props map[string]string) map[string]any {
	p := make(map[string]any, len(props))
	for name, typ := range props {
		p[name] = map[string]any{"type": typ}
	}
	return map[string]any{"type": "object", "properties": p}
}

// searchHandler answers search_actions.
func (s *Server) searchHandler(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	args, err := arguments(req)
	if err != nil {
		return mcp.NewToolResultError(err.Error()), nil
	}
	f := search.Filter{}
	for key, dst := range map[string]*string{"query": &f.Query, "toolset": &f.Toolset, "risk": &f.Risk} {
		if v, ok := args[key]; ok {
			str, ok := v.(string)
			if !ok {
				return mcp.NewToolResultError(fmt.Sprintf("%s must be a string", key)), nil
			}
			*dst = str
		}
	}
	if v, ok := args["limit"]; ok {
		n, ok := tools.IntValue(v)
		if !ok || n < 1 {
			return mcp.NewToolResultError(fmt.Sprintf("limit must be an integer from 1 to %d", search.MaxLimit)), nil
		}
		f.Limit = n
	}
	found, err := search.Find(s.reg.Actions(), f, s.profile.visible)
	if err != nil {
		return mcp.NewToolResultError(err.Error()), nil
	}
	type entry struct {
		Name    string `json:"name"`
		Toolset string `json:"toolset"`
		Risk    string `json:"risk"`
		Summary string `json:"summary"`
		// Tool is true when the action is also a listed tool of its own.
		Tool bool `json:"tool,omitempty"`
	}
	entries := make([]entry, 0, len(found.Found))
	for _, a := range found.Found {
		entries = append(entries, entry{Name: a.Name, Toolset: a.Toolset, Risk: string(a.Risk), Summary: s.profile.summary(a), Tool: s.profile.firstClass[a.Name]})
	}
	out := map[string]any{"actions": entries, "total": found.Total}
	if found.Hidden > 0 {
		out["hidden"] = found.Hidden
		out["hidden_why"] = s.hiddenWhy()
	}
	if len(entries) == 0 {
		out["hint"] = "No match: try other words, or leave out toolset and risk."
	} else {
		out["hint"] = "describe_action shows an action's arguments; call_action runs it (or call it directly when tool is true)."
	}
	return structuredResult(out)
}

// hiddenWhy says why this server hides some actions.
func (s *Server) hiddenWhy() string {
	var why []string
	if s.scope.ReadOnly {
		why = append(why, "this server is read-only (write and destructive actions are unavailable)")
	}
	if s.scope.Project != "" {
		why = append(why, "this server is scoped to project "+s.scope.Project+" (actions not about one project are unavailable)")
	}
	return strings.Join(why, "; ")
}

// structuredResult renders a meta tool's answer as structuredContent plus
// the same compact JSON as text.
func structuredResult(v map[string]any) (*mcp.CallToolResult, error) {
	text, err := render.CompactJSON(v)
	if err != nil {
		return nil, err
	}
	// Round-trip so structuredContent holds plain JSON values, as a client
	// decoding the wire would see them.
	var plain map[string]any
	if err := json.Unmarshal(text, &plain); err != nil {
		return nil, fmt.Errorf("rendering the result: %w", err)
	}
	return &mcp.CallToolResult{Content: []mcp.Content{mcp.NewTextContent(string(text))}, StructuredContent: plain}, nil
}
