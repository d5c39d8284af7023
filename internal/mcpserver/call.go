package mcpserver

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
)

// callHandler answers call_action: the named action, with its arguments,
// through the same execute path as a listed tool.
func (s *Server) callHandler(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	args, err := arguments(req)
	if err != nil {
		return mcp.NewToolResultError(err.Error()), nil
	}
	name, _ := args["name"].(string)
	if name == "" {
		return mcp.NewToolResultError(`name is required: the action to call (search_actions finds it), with its arguments in "arguments"`), nil
	}
	confirm, err := takeConfirm(args)
	if err != nil {
		return mcp.NewToolResultError(err.Error()), nil
	}
	delete(args, "name")
	inner, err := innerArguments(args)
	if err != nil {
		return mcp.NewToolResultError(err.Error()), nil
	}
	// A token put among the action's arguments is still ours: no action has
	// an argument called confirm.
	if nested, err := takeConfirm(inner); err != nil {
		return mcp.NewToolResultError(err.Error()), nil
	} else if confirm == "" {
		confirm = nested
	}
	return s.execute(ctx, req, name, inner, confirm), nil
}

// innerArguments finds the action's arguments: in "arguments", or — a
// common slip — given flat beside name, which is accepted when there is no
// "arguments" to conflict with.
func innerArguments(rest map[string]any) (map[string]any, error) {
	raw, given := rest["arguments"]
	delete(rest, "arguments")
	if !given {
		return rest, nil
	}
	if len(rest) > 0 {
		keys := make([]string, 0, len(rest))
		for k := range rest {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return nil, fmt.Errorf("unexpected %s beside arguments: put every argument of the action inside \"arguments\"", strings.Join(keys, ", "))
	}
	switch v := raw.(type) {
	case nil:
		return map[string]any{}, nil
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = x
		}
		return out, nil
	}
	return nil, fmt.Errorf("arguments must be a JSON object of the action's argument names to values, not %T", raw)
}
