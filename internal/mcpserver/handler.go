package mcpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/supaops/supaops/internal/outcome"
	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/principal"
	"github.com/supaops/supaops/internal/tools"
)

// actionHandler runs one first-class tool: its arguments are the action's.
func (s *Server) actionHandler(a *tools.Action) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		args, err := arguments(req)
		if err != nil {
			return mcp.NewToolResultError(err.Error()), nil
		}
		confirm, err := takeConfirm(args)
		if err != nil {
			return mcp.NewToolResultError(err.Error()), nil
		}
		return s.execute(ctx, req, a.Name, args, confirm), nil
	}
}

// execute is the one path of every call, whichever tool carried it: attach
// the scope and a consent the client gave, call the pipeline, render.
func (s *Server) execute(ctx context.Context, req mcp.CallToolRequest, name string, args map[string]any, confirm string) *mcp.CallToolResult {
	preq := request(ctx, name, args, confirm)
	preq.Scope = s.scope
	if answer := server.ElicitationResponse(req.Params.InputResponses, elicitationKey); answer != nil {
		if !accepted(answer) {
			return mcp.NewToolResultText(fmt.Sprintf("Not confirmed (the user chose %s): %s was not called; nothing was done.", answer.Action, name))
		}
		// The state is the consent token the pipeline issued; it is signed
		// and bound to this caller, action and arguments, so a forged or
		// replayed one is refused there.
		preq.Confirmation = req.Params.RequestState
	}
	res, err := s.pipeline.Call(ctx, preq)
	if err != nil {
		o := outcome.Of(res, err)
		if a, lookupErr := s.reg.Lookup(name); lookupErr == nil {
			o = o.Describe(a)
		}
		return s.failure(ctx, req, o)
	}
	out, err := s.renderResult(res)
	if err != nil {
		s.log.Error().Err(err).Str("action", name).Msg("rendering a result failed")
		return mcp.NewToolResultError(fmt.Sprintf("%s ran (HTTP %d) but its result could not be rendered: %v", name, res.Status, err))
	}
	return out
}

// request builds the pipeline request for whoever the context names.
func request(ctx context.Context, name string, args map[string]any, confirm string) pipeline.Request {
	// No front end put a principal in the context: the user of a local
	// stdio session.
	who := principal.Principal{ID: principal.MCPLocal}
	if p, ok := principal.From(ctx); ok {
		who = p
	}
	return pipeline.Request{
		Action: name, Args: args, Principal: who.ID, Identities: who.Identities,
		Surface: principal.SurfaceMCP, Confirmation: confirm,
	}
}

// arguments reads a call's arguments as a fresh map, from the wire bytes
// when there are some so large integers keep their precision.
func arguments(req mcp.CallToolRequest) (map[string]any, error) {
	args := map[string]any{}
	if raw := req.Params.RawArguments; len(bytes.TrimSpace(raw)) > 0 && !bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&args); err != nil {
			return nil, errors.New("arguments must be a JSON object of argument names to values")
		}
		return args, nil
	}
	switch v := req.Params.Arguments.(type) {
	case nil:
	case map[string]any:
		for k, x := range v {
			args[k] = x
		}
	default:
		return nil, errors.New("arguments must be a JSON object of argument names to values")
	}
	return args, nil
}

// takeConfirm removes the confirm argument, which is ours, not the action's.
func takeConfirm(args map[string]any) (string, error) {
	v, ok := args[confirmArg]
	if !ok {
		return "", nil
	}
	delete(args, confirmArg)
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%s must be the token string a previous result gave, not %T", confirmArg, v)
	}
	return s, nil
}
