package mcpserver

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/supaops/supaops/internal/outcome"
	"github.com/supaops/supaops/internal/tools"
)

// failure words an outcome as a tool result a model can act on: isError
// with what went wrong and how to correct it. Confirmations become an
// elicitation when the client can show one. JSON-RPC errors are left to
// protocol faults.
func (s *Server) failure(ctx context.Context, req mcp.CallToolRequest, o outcome.Outcome) *mcp.CallToolResult {
	tool := req.Params.Name
	switch o.Kind {
	case outcome.NeedsConfirmation:
		// Ask once: an answer already given and still refused (a stale or
		// tampered state) falls back to the token.
		if len(req.Params.InputResponses) == 0 && canElicit(ctx) {
			return s.elicit(o.Challenge)
		}
		return confirmByToken(tool, o.Challenge)
	case outcome.NeedsApproval:
		return awaitApproval(tool, o.Challenge)
	case outcome.Denied:
		return denied(o)
	case outcome.UnknownAction:
		return unknownAction(o.Action, o.Suggestions)
	case outcome.InvalidInput:
		return s.invalidArguments(o)
	case outcome.MissingAccess, outcome.RateLimited, outcome.APIError:
		return apiFailure(o)
	}
	what := "failed"
	if o.Kind == outcome.CutShort {
		what = "was cut short"
	}
	return mcp.NewToolResultError(fmt.Sprintf("%s %s (%s). %s", o.Action, what, o.Message, o.Advice()))
}

func denied(o outcome.Outcome) *mcp.CallToolResult {
	var b strings.Builder
	fmt.Fprintf(&b, "Refused: %s was denied by rule %s", o.Action, o.Decision.Rule)
	if o.Decision.Reason != "" {
		fmt.Fprintf(&b, " (%s)", o.Decision.Reason)
	}
	b.WriteString(". Nothing was done. Do not retry it or look for a way around it; tell the user, who can change the policy if this is wrong.")
	return mcp.NewToolResultError(b.String())
}

func unknownAction(name string, suggestions []string) *mcp.CallToolResult {
	msg := fmt.Sprintf("Unknown action %q.", name)
	if len(suggestions) > 0 {
		msg += " Closest: " + strings.Join(suggestions, ", ") + "."
	}
	return mcp.NewToolResultError(msg + " Use " + SearchActions + " to find actions by keyword.")
}

func (s *Server) invalidArguments(o outcome.Outcome) *mcp.CallToolResult {
	var b strings.Builder
	fmt.Fprintf(&b, "Invalid arguments for %s; nothing was sent. %s.", o.Action, tools.ProblemsText(o.Problems))
	valid := o.Valid
	if a, err := s.reg.Lookup(o.Action); err == nil && s.profile.scoped(a) {
		// The project is filled in by the server; offering it would invite a mistake.
		valid = slices.DeleteFunc(slices.Clone(valid), func(v string) bool { return v == a.Target.Project })
	}
	switch {
	case len(valid) > 0:
		fmt.Fprintf(&b, " Valid arguments: %s.", strings.Join(valid, ", "))
	case o.Valid != nil:
		b.WriteString(" This action takes no arguments.")
	}
	fmt.Fprintf(&b, " Fix the arguments named and call again; %s with name %q shows the full schema.", DescribeAction, o.Action)
	return mcp.NewToolResultError(b.String())
}

// apiFailure says what the API refused and what to do about it.
func apiFailure(o outcome.Outcome) *mcp.CallToolResult {
	var b strings.Builder
	fmt.Fprintf(&b, "The Supabase API answered %d to %s", o.Status, o.Action)
	if o.Message != "" {
		fmt.Fprintf(&b, ": %s", o.Message)
	}
	b.WriteString(". ")
	advice := o.Advice()
	if o.Kind == outcome.MissingAccess {
		advice += " Tell the user which access the token lacks."
	}
	if o.Kind == outcome.APIError && o.Status < 500 && o.Status != 404 && o.Status != 409 {
		advice = fmt.Sprintf("Fix the arguments the message names and call again; %s with name %q shows the schema.", DescribeAction, o.Action)
	}
	b.WriteString(advice)
	if o.RequestID != "" {
		fmt.Fprintf(&b, " (request id %s)", o.RequestID)
	}
	return mcp.NewToolResultError(b.String())
}
