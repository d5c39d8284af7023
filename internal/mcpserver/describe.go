package mcpserver

import (
	"context"
	"errors"
	"sort"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/supaops/supaops/internal/action"
	"github.com/supaops/supaops/internal/tools"
)

// describeHandler answers describe_action: everything needed to call an
// action correctly, with the full input schema the listed tools abbreviate.
func (s *Server) describeHandler(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	args, err := arguments(req)
	if err != nil {
		return mcp.NewToolResultError(err.Error()), nil
	}
	name, _ := args["name"].(string)
	if name == "" {
		return mcp.NewToolResultError(`name is required: the action to describe (search_actions finds it)`), nil
	}
	a, err := s.reg.Lookup(name)
	if err != nil {
		var unknown *tools.UnknownActionError
		if errors.As(err, &unknown) {
			return unknownAction(unknown.Name, unknown.Suggestions), nil
		}
		return nil, err
	}
	d, err := s.describe(a)
	if err != nil {
		return nil, err
	}
	return structuredResult(d)
}

func (s *Server) describe(a *tools.Action) (map[string]any, error) {
	scoped := s.profile.scoped(a)
	schema, err := fullInputSchema(a, scoped)
	if err != nil {
		return nil, err
	}
	d := map[string]any{
		"name": a.Name, "toolset": a.Toolset, "risk": a.Risk, "summary": a.Summary,
		"method": a.Method, "path": a.Path, "input_schema": schema,
	}
	if a.Description != "" {
		d["description"] = a.Description
	}
	if why := s.profile.unavailable(a); why != "" {
		d["available"] = false
		d["unavailable"] = why
	} else {
		d["available"] = true
		d["example"] = s.example(a, scoped)
	}
	if s.profile.firstClass[a.Name] && s.profile.visible(a) {
		d["tool"] = a.Name
	}
	if scoped {
		d[a.Target.Project] = "injected: this server is scoped to project " + s.scope.Project
	}
	if a.Scope != "" {
		d["oauth_scope"] = a.Scope
	}
	if len(a.Permissions) > 0 {
		d["permissions"] = a.Permissions
	}
	if len(a.Secrets) > 0 {
		d["redacted"] = a.Secrets
	}
	if a.Poll != nil {
		d["poll"] = a.Poll
	}
	if a.Risk != action.Read {
		d["consent"] = "The policy may ask for the user's confirmation or for approval; the result then says how, and the call is repeated with confirm."
	}
	if a.Untrusted {
		d["untrusted_output"] = true
	}
	if fields := outputFields(a); len(fields) > 0 {
		d["output_fields"] = fields
	}
	for key, on := range map[string]bool{"deprecated": a.Deprecated, "beta": a.Beta} {
		if on {
			d[key] = true
		}
	}
	if a.Note != "" {
		d["note"] = a.Note
	}
	return d, nil
}

// example is a call_action call that passes validation: real values where
// the server knows them (the scoped project), placeholders elsewhere.
func (s *Server) example(a *tools.Action, scoped bool) map[string]any {
	known := map[string]any{}
	if scoped {
		known[a.Target.Project] = s.scope.Project
	}
	args := a.Example(known)
	if scoped {
		delete(args, a.Target.Project)
	}
	return map[string]any{"tool": CallAction, "arguments": map[string]any{"name": a.Name, "arguments": args}}
}

// outputFields lists the top-level fields of a JSON result.
func outputFields(a *tools.Action) []string {
	out := compactOutputSchema(a)
	props, _ := out["properties"].(map[string]any)
	fields := make([]string, 0, len(props))
	for name := range props {
		fields = append(fields, name)
	}
	sort.Strings(fields)
	return fields
}
