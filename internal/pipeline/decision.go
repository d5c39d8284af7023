package pipeline

import (
	"context"
	"fmt"
	"time"

	"github.com/supaops/supaops/internal/action"
	"github.com/supaops/supaops/internal/sqlkind"
)

// Effect is what a policy decides for a call.
type Effect string

const (
	Allow Effect = "allow"
	Deny  Effect = "deny"
	// Confirm lets the call go ahead once the caller confirms it.
	Confirm Effect = "confirm"
	// Approve lets the call go ahead once someone else approves it.
	Approve Effect = "approve"
)

// Decision is an authoriser's answer, naming the rule that made it.
type Decision struct {
	Effect Effect `json:"effect"`
	Rule   string `json:"rule"`
	Reason string `json:"reason,omitempty"`
	// Approvals is how many approvers an approve decision needs.
	Approvals int `json:"approvals,omitempty"`
	// Approvers are the principal patterns allowed to approve.
	Approvers []string `json:"approvers,omitempty"`
	// Token is handed to the caller for confirm (a confirmation token) or
	// approve (the token to call again with once approved).
	Token string `json:"token,omitempty"`
	// ApprovalID names the pending approval request of an approve decision;
	// approvers refer to it.
	ApprovalID string `json:"approval_id,omitempty"`
	// ExpiresAt is when Token stops being good.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	// Consented: the call goes ahead because its caller confirmed it or it
	// was approved. A composite's consent covers the inner calls the policy
	// asks to confirm (not those it asks others to approve).
	Consented bool `json:"consented,omitempty"`
}

// NotAllowedError is returned when a call was denied or needs consent first.
type NotAllowedError struct {
	Action   string
	Risk     action.Risk
	Decision Decision
	// Project, Branch and Organization are what the call was about, as far
	// as it was worked out; Args its arguments, redacted.
	Project, Branch, Organization string
	Args                          map[string]any
	// SQL names the arguments that carry SQL: shown whole when consent is
	// asked, with what Statements says they would run.
	SQL        []string
	Statements *sqlkind.Summary
}

func (e *NotAllowedError) Error() string {
	reason := ""
	if e.Decision.Reason != "" {
		reason = ": " + e.Decision.Reason
	}
	switch e.Decision.Effect {
	case Confirm:
		return fmt.Sprintf("%s (%s) needs confirmation (rule %s)%s", e.Action, e.Risk, e.Decision.Rule, reason)
	case Approve:
		return fmt.Sprintf("%s (%s) needs approval by %d approver(s) (rule %s)%s", e.Action, e.Risk, max(1, e.Decision.Approvals), e.Decision.Rule, reason)
	default:
		return fmt.Sprintf("%s (%s) denied by rule %s%s", e.Action, e.Risk, e.Decision.Rule, reason)
	}
}

// DefaultAuthorizer is the authoriser used until a policy is configured: reads
// pass; writes and destructive actions are refused.
type DefaultAuthorizer struct{}

// Authorize implements Authorizer.
func (DefaultAuthorizer) Authorize(_ context.Context, call Call) (Decision, error) {
	if call.Action.Risk == action.Read {
		return Decision{Effect: Allow, Rule: "builtin:default", Reason: "reads are allowed"}, nil
	}
	return Decision{
		Effect: Deny,
		Rule:   "builtin:default",
		Reason: fmt.Sprintf("%s actions are refused until a policy allows them; no policy is configured", call.Action.Risk),
	}, nil
}

// AllowAll allows every call. It is for tests and for the sandbox benchmarks,
// never a default.
type AllowAll struct{}

// Authorize implements Authorizer.
func (AllowAll) Authorize(context.Context, Call) (Decision, error) {
	return Decision{Effect: Allow, Rule: "builtin:allow-all"}, nil
}
