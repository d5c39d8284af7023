package mcpserver

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/supaops/supaops/internal/outcome"
)

// elicitationKey names our one input request in a multi round-trip result.
const elicitationKey = "confirm"

// canElicit reports whether the client can show a form to its user. Modern
// requests declare capabilities on each request; legacy sessions declared
// them at initialize. Without the capability the legacy bridge would fail
// the whole call, so the caller falls back to a token.
func canElicit(ctx context.Context) bool {
	var caps *mcp.ClientCapabilities
	if info := server.RequestProtocolInfoFromContext(ctx); info != nil && info.ClientCapabilities != nil {
		caps = info.ClientCapabilities
	} else if sess, ok := server.ClientSessionFromContext(ctx).(server.SessionWithClientInfo); ok {
		c := sess.GetClientCapabilities()
		caps = &c
	}
	if caps == nil || caps.Elicitation == nil {
		return false
	}
	// An empty elicitation capability means form mode (the older spelling).
	return caps.Elicitation.Form != nil || caps.Elicitation.URL == nil
}

// accepted reads a user's answer: accept is yes unless the form's box came
// back explicitly unticked.
func accepted(ans *mcp.ElicitationResult) bool {
	if ans.Action != mcp.ElicitationResponseActionAccept {
		return false
	}
	if content, ok := ans.Content.(map[string]any); ok {
		if v, ok := content[elicitationKey].(bool); ok && !v {
			return false
		}
	}
	return true
}

// elicit asks the user through the client, carrying the consent token as
// the request state; the retry brings it back with the answer.
func (s *Server) elicit(c *outcome.Challenge) *mcp.CallToolResult {
	return server.NewInputRequestBuilder(c.Token).Elicit(elicitationKey, mcp.ElicitationParams{
		Message: confirmPrompt(c),
		RequestedSchema: map[string]any{
			"type": "object",
			"properties": map[string]any{
				elicitationKey: map[string]any{
					"type":        "boolean",
					"title":       "Go ahead",
					"description": "Run " + c.Action + " with the arguments shown",
				},
			},
			"required": []string{elicitationKey},
		},
	}).ToolResult()
}

// confirmPrompt says what will happen: every argument (redacted), and for
// any shown in part, exactly what is not shown.
func confirmPrompt(c *outcome.Challenge) string {
	var b strings.Builder
	fmt.Fprintf(&b, "An AI assistant wants to run %s (%s)", c.Action, c.Risk)
	writeTarget(&b, c)
	fmt.Fprintf(&b, ". Policy rule %s asks you to confirm", c.Rule)
	if c.Reason != "" {
		fmt.Fprintf(&b, " (%s)", c.Reason)
	}
	b.WriteString(".")
	writeArgs(&b, c)
	return b.String()
}

func writeTarget(b *strings.Builder, c *outcome.Challenge) {
	if c.Project != "" {
		fmt.Fprintf(b, " on project %s", c.Project)
	}
	if c.Branch != "" {
		fmt.Fprintf(b, " (branch %s)", c.Branch)
	}
}

func writeArgs(b *strings.Builder, c *outcome.Challenge) {
	if len(c.Args) == 0 {
		b.WriteString("\nNo arguments.")
		return
	}
	b.WriteString("\nArguments:")
	for _, a := range c.Args {
		b.WriteString("\n- ")
		b.WriteString(a.String())
	}
}

// confirmByToken is the fallback for clients that cannot show a form: the
// model must ask the user itself and call again with the token.
func confirmByToken(tool string, c *outcome.Challenge) *mcp.CallToolResult {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s) needs the user's confirmation (policy rule %s", c.Action, c.Risk, c.Rule)
	if c.Reason != "" {
		fmt.Fprintf(&b, ": %s", c.Reason)
	}
	b.WriteString("). Nothing was done.")
	writeArgs(&b, c)
	fmt.Fprintf(&b, "\nAsk the user whether to go ahead, showing what the call will do with these arguments. Only if they agree, call %s again with the same arguments plus \"confirm\": %q. ", tool, c.Token)
	b.WriteString("The token is good once, for exactly these arguments")
	if !c.ExpiresAt.IsZero() {
		fmt.Fprintf(&b, ", until %s", c.ExpiresAt.UTC().Format(time.RFC3339))
	}
	b.WriteString(". Never confirm on the user's behalf.")
	return mcp.NewToolResultError(b.String())
}

// awaitApproval explains an approval request: who may grant it and how,
// and how to call again once it is granted.
func awaitApproval(tool string, c *outcome.Challenge) *mcp.CallToolResult {
	var b strings.Builder
	fmt.Fprintf(&b, "%s needs approval by %d approver(s) (policy rule %s", c.Action, c.Approvals, c.Rule)
	if c.Reason != "" {
		fmt.Fprintf(&b, ": %s", c.Reason)
	}
	b.WriteString("). Nothing was done.\n")
	fmt.Fprintf(&b, "Pending approval id: %s.", c.ApprovalID)
	if len(c.Approvers) > 0 {
		fmt.Fprintf(&b, " Who may approve: %s.", strings.Join(c.Approvers, ", "))
	}
	fmt.Fprintf(&b, " Tell the user; an approver grants it with `supaops-mcp approvals approve %s --as <their principal>` (or from Slack where it is set up). ", c.ApprovalID)
	fmt.Fprintf(&b, "Once it is approved, call %s again with the same arguments plus \"confirm\": %q. Do not poll in a loop.", tool, c.Token)
	return mcp.NewToolResultError(b.String())
}
