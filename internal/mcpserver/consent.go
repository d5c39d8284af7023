package mcpserver

import (
	"context"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/redact"
	"github.com/supaops/supaops/internal/render"
)

// elicitationKey names our one input request in a multi round-trip result.
const elicitationKey = "confirm"

// maxShownArgs bounds the arguments quoted in a confirmation prompt.
const maxShownArgs = 1500

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
func (s *Server) elicit(preq pipeline.Request, d pipeline.Decision) *mcp.CallToolResult {
	return server.NewInputRequestBuilder(d.Token).Elicit(elicitationKey, mcp.ElicitationParams{
		Message: s.confirmPrompt(preq, d),
		RequestedSchema: map[string]any{
			"type": "object",
			"properties": map[string]any{
				elicitationKey: map[string]any{
					"type":        "boolean",
					"title":       "Go ahead",
					"description": "Run " + preq.Action + " with the arguments shown",
				},
			},
			"required": []string{elicitationKey},
		},
	}).ToolResult()
}

// confirmPrompt says what will happen, with the arguments redacted.
func (s *Server) confirmPrompt(preq pipeline.Request, d pipeline.Decision) string {
	var b strings.Builder
	risk, shownArgs := "", ""
	if a, err := s.reg.Lookup(preq.Action); err == nil {
		risk = " (" + string(a.Risk) + ")"
		shown, _ := redact.New(a.Secrets).Value(preq.Args).(map[string]any)
		if text, err := render.CompactJSON(shown); err == nil {
			shownArgs = string(render.CutUTF8(text, maxShownArgs))
		}
	}
	fmt.Fprintf(&b, "An AI assistant wants to run %s%s", preq.Action, risk)
	if ref, _ := preq.Args["ref"].(string); ref != "" {
		fmt.Fprintf(&b, " on project %s", ref)
	}
	fmt.Fprintf(&b, ". Policy rule %s asks you to confirm", d.Rule)
	if d.Reason != "" {
		fmt.Fprintf(&b, " (%s)", d.Reason)
	}
	b.WriteString(".")
	if shownArgs != "" {
		fmt.Fprintf(&b, "\nArguments: %s", shownArgs)
	}
	return b.String()
}

// confirmByToken is the fallback for clients that cannot show a form: the
// model must ask the user itself and call again with the token.
func confirmByToken(tool string, preq pipeline.Request, d pipeline.Decision) *mcp.CallToolResult {
	var b strings.Builder
	fmt.Fprintf(&b, "%s needs the user's confirmation (policy rule %s", preq.Action, d.Rule)
	if d.Reason != "" {
		fmt.Fprintf(&b, ": %s", d.Reason)
	}
	b.WriteString("). Nothing was done.\n")
	fmt.Fprintf(&b, "Ask the user whether to go ahead, saying what the call will do. Only if they agree, call %s again with the same arguments plus \"confirm\": %q. ", tool, d.Token)
	b.WriteString("The token is good once, for exactly these arguments, for a limited time. Never confirm on the user's behalf.")
	return mcp.NewToolResultError(b.String())
}

// awaitApproval explains an approval request: who may grant it and how,
// and how to call again once it is granted.
func awaitApproval(tool string, preq pipeline.Request, d pipeline.Decision) *mcp.CallToolResult {
	id := d.ApprovalID
	var b strings.Builder
	fmt.Fprintf(&b, "%s needs approval by %d approver(s) (policy rule %s", preq.Action, max(1, d.Approvals), d.Rule)
	if d.Reason != "" {
		fmt.Fprintf(&b, ": %s", d.Reason)
	}
	b.WriteString("). Nothing was done.\n")
	fmt.Fprintf(&b, "Pending approval id: %s.", id)
	if len(d.Approvers) > 0 {
		fmt.Fprintf(&b, " Who may approve: %s.", strings.Join(d.Approvers, ", "))
	}
	fmt.Fprintf(&b, " Tell the user; an approver grants it with `supaops-mcp approvals approve %s --as <their principal>` (or from Slack where it is set up). ", id)
	fmt.Fprintf(&b, "Once it is approved, call %s again with the same arguments plus \"confirm\": %q. Do not poll in a loop.", tool, d.Token)
	return mcp.NewToolResultError(b.String())
}
