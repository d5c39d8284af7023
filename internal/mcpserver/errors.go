package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/supaops/supaops/internal/client"
	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/redact"
	"github.com/supaops/supaops/internal/tools"
)

// failure turns a pipeline error into a tool result a model can act on:
// isError with what went wrong and how to correct it. Confirmations become
// an elicitation when the client can show one. JSON-RPC errors are left to
// protocol faults.
func (s *Server) failure(ctx context.Context, req mcp.CallToolRequest, preq pipeline.Request, err error) *mcp.CallToolResult {
	tool := req.Params.Name
	var notAllowed *pipeline.NotAllowedError
	var unknown *tools.UnknownActionError
	var invalid *tools.InputError
	var apiErr *client.APIError
	switch {
	case errors.As(err, &notAllowed):
		d := notAllowed.Decision
		switch {
		case d.Effect == pipeline.Confirm && d.Token != "":
			// Ask once: an answer already given and still refused (a stale
			// or tampered state) falls back to the token.
			if len(req.Params.InputResponses) == 0 && canElicit(ctx) {
				return s.elicit(preq, d)
			}
			return confirmByToken(tool, preq, d)
		case d.Effect == pipeline.Approve && d.Token != "":
			return awaitApproval(tool, preq, d)
		}
		return denied(preq, d)
	case errors.As(err, &unknown):
		return unknownAction(unknown)
	case errors.As(err, &invalid):
		return s.invalidArguments(invalid)
	case errors.As(err, &apiErr):
		return apiFailure(preq.Action, apiErr)
	}
	msg := redact.Text(err.Error())
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return mcp.NewToolResultError(fmt.Sprintf("%s was cut short (%s); it may or may not have taken effect — read the state before trying again.", preq.Action, msg))
	}
	return mcp.NewToolResultError(fmt.Sprintf("%s failed: %s. If this looks transient, try once more later; otherwise tell the user.", preq.Action, msg))
}

func denied(preq pipeline.Request, d pipeline.Decision) *mcp.CallToolResult {
	var b strings.Builder
	fmt.Fprintf(&b, "Refused: %s was denied by policy rule %s", preq.Action, d.Rule)
	if d.Reason != "" {
		fmt.Fprintf(&b, " (%s)", d.Reason)
	}
	b.WriteString(". Nothing was done. Do not retry it or look for a way around it; tell the user, who can change the policy if this is wrong.")
	return mcp.NewToolResultError(b.String())
}

func unknownAction(e *tools.UnknownActionError) *mcp.CallToolResult {
	msg := fmt.Sprintf("Unknown action %q.", e.Name)
	if len(e.Suggestions) > 0 {
		msg += " Closest: " + strings.Join(e.Suggestions, ", ") + "."
	}
	return mcp.NewToolResultError(msg + " Use search_actions to find actions by keyword.")
}

func (s *Server) invalidArguments(e *tools.InputError) *mcp.CallToolResult {
	var b strings.Builder
	fmt.Fprintf(&b, "Invalid arguments for %s; nothing was sent. ", e.Action)
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		if p.Field != "" {
			b.WriteString(p.Field + ": ")
		}
		b.WriteString(p.Problem)
	}
	b.WriteString(".")
	valid := e.Valid
	if s.profile.ref != "" {
		// ref is filled in by the server; offering it would invite a mistake.
		valid = slices.DeleteFunc(slices.Clone(valid), func(v string) bool { return v == "ref" })
	}
	switch {
	case len(valid) > 0:
		fmt.Fprintf(&b, " Valid arguments: %s.", strings.Join(valid, ", "))
	case e.Valid != nil:
		b.WriteString(" This action takes no arguments.")
	}
	fmt.Fprintf(&b, " Fix the arguments named and call again; describe_action with name %q shows the full schema.", e.Action)
	return mcp.NewToolResultError(b.String())
}

// apiFailure says what the API refused and what to do about it, by status.
func apiFailure(name string, e *client.APIError) *mcp.CallToolResult {
	var b strings.Builder
	fmt.Fprintf(&b, "The Supabase API answered %d %s to %s", e.Status, http.StatusText(e.Status), name)
	if e.Message != "" && !strings.EqualFold(e.Message, http.StatusText(e.Status)) {
		fmt.Fprintf(&b, ": %s", redact.Text(e.Message))
	}
	b.WriteString(". ")
	switch {
	case e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden:
		var needs []string
		if e.Scope != "" {
			needs = append(needs, "OAuth scope "+e.Scope)
		}
		if len(e.Permissions) > 0 {
			needs = append(needs, "permission "+strings.Join(e.Permissions, " or "))
		}
		if len(needs) > 0 {
			fmt.Fprintf(&b, "The access token needs %s. ", strings.Join(needs, " and "))
		}
		b.WriteString("Retrying will not help: tell the user which access the token lacks.")
	case e.Status == http.StatusNotFound:
		b.WriteString("Check the identifiers (project ref, slug, ids): list them first (projects_list, or search_actions for the matching list action).")
	case e.Status == http.StatusConflict:
		b.WriteString("It conflicts with the current state: read the state again before deciding what to do.")
	case e.Status == http.StatusTooManyRequests:
		if !e.RetryAt.IsZero() {
			fmt.Fprintf(&b, "Rate limited until %s; ", e.RetryAt.UTC().Format(time.RFC3339))
		}
		b.WriteString("wait before calling again, and do not retry in a loop.")
	case e.Status >= http.StatusInternalServerError:
		b.WriteString("A server-side error: try once more later, or tell the user.")
	default:
		fmt.Fprintf(&b, "Fix the arguments the message names and call again; describe_action with name %q shows the schema.", name)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request id %s)", e.RequestID)
	}
	return mcp.NewToolResultError(b.String())
}
