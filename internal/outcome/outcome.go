// Package outcome describes what came of a call, once, for every surface:
// done, denied, waiting for consent, refused for its input, failed at the
// API — and whether anything may have changed. MCP, the CLI, Slack and job
// alerts each word it in their own medium from the same facts; nothing here
// names a surface or a command.
package outcome

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/supaops/supaops/internal/action"
	"github.com/supaops/supaops/internal/client"
	"github.com/supaops/supaops/internal/consent"
	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/redact"
	"github.com/supaops/supaops/internal/sqlkind"
	"github.com/supaops/supaops/internal/tools"
)

// Kind classifies an outcome.
type Kind string

const (
	OK                Kind = "ok"
	Denied            Kind = "denied"
	NeedsConfirmation Kind = "needs_confirmation"
	NeedsApproval     Kind = "needs_approval"
	InvalidInput      Kind = "invalid_input"
	UnknownAction     Kind = "unknown_action"
	// MissingAccess: the API answered 401 or 403; the token lacks a scope or
	// permission.
	MissingAccess Kind = "missing_access"
	// RateLimited: the API (or the local budget) said 429; RetryAt says when.
	RateLimited Kind = "rate_limited"
	// APIError: any other non-2xx answer; Status says which.
	APIError Kind = "api_error"
	// CutShort: cancelled or out of time before an answer came.
	CutShort Kind = "cut_short"
	// Failed: no usable answer (connection, an unreadable answer).
	Failed Kind = "failed"
)

// Effect says what a call may have changed.
type Effect string

const (
	// NothingDone: nothing changed (the call was not sent, was refused by
	// the API, or only reads).
	NothingDone Effect = "nothing_done"
	// MayHaveApplied: the request may have reached the API and changed
	// something; read the state before trying again.
	MayHaveApplied Effect = "may_have_applied"
	// Done: the call succeeded.
	Done Effect = "done"
)

// Outcome is what came of one call.
type Outcome struct {
	Kind   Kind
	Effect Effect
	Action string
	Risk   action.Risk
	// Result is the redacted result of a successful call.
	Result *pipeline.Result
	// Decision is the policy's (or the scope's) decision on a refused or
	// consent-needing call: rule and reason.
	Decision pipeline.Decision
	// Challenge is what to show a person asked to confirm or approve.
	Challenge *Challenge
	// Problems and Valid describe invalid input: which argument, what is
	// allowed, and the action's arguments when an unknown one was given.
	Problems []tools.FieldProblem
	Valid    []string
	// Suggestions are the closest action names to an unknown one.
	Suggestions []string
	// Status, Message and RequestID describe an API answer or a failure;
	// Message is redacted.
	Status    int
	Message   string
	RequestID string
	// RetryAt says when a rate-limited call may be tried again.
	RetryAt time.Time
	// Scope and Permissions say what a token lacking access needs.
	Scope       string
	Permissions []string
	Err         error
}

// Challenge is a call waiting for consent, as a person deciding on it must
// see it: nobody is asked to consent to what they are not shown.
type Challenge struct {
	Action                        string
	Risk                          action.Risk
	Project, Branch, Organization string
	// Args are the redacted arguments laid out for consent; each says what
	// of it is not shown.
	Args         []consent.Shown
	Rule, Reason string
	// Token is what the caller passes back to go ahead (confirm) or once
	// approved (approve); ExpiresAt is when it stops being good.
	Token     string
	ExpiresAt time.Time
	// ApprovalID, Approvers and Approvals describe an approval request.
	ApprovalID string
	Approvers  []string
	Approvals  int
}

// Of classifies the result of pipeline.Call.
func Of(res *pipeline.Result, err error) Outcome {
	if err == nil {
		o := Outcome{Kind: OK, Effect: Done, Result: res}
		if res != nil && res.Action != nil {
			o.Action, o.Risk = res.Action.Name, res.Action.Risk
		}
		return o
	}
	o := Outcome{Kind: Failed, Effect: NothingDone, Err: err, Message: redact.Text(err.Error())}
	var (
		notAllowed *pipeline.NotAllowedError
		unknown    *tools.UnknownActionError
		invalid    *tools.InputError
		apiErr     *client.APIError
		reqErr     *client.RequestError
	)
	switch {
	case errors.As(err, &notAllowed):
		o.fromNotAllowed(notAllowed)
		return o
	case errors.As(err, &unknown):
		o.Kind, o.Action, o.Suggestions = UnknownAction, unknown.Name, unknown.Suggestions
		return o
	case errors.As(err, &invalid):
		o.Kind, o.Action, o.Problems, o.Valid = InvalidInput, invalid.Action, invalid.Problems, invalid.Valid
		return o
	case errors.As(err, &apiErr):
		o.fromAPI(apiErr)
	case errors.As(err, &reqErr):
		o.Status = 0
		if reqErr.Sent {
			o.Effect = MayHaveApplied
		}
	default:
		// Anything else came after the call was sent (an unreadable answer).
		o.Effect = MayHaveApplied
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		o.Kind = CutShort
	}
	return o
}

// Describe fills in the action and risk of an outcome that failed at or
// after the API, which the error does not carry.
func (o Outcome) Describe(a *tools.Action) Outcome {
	if a == nil {
		return o
	}
	if o.Action == "" {
		o.Action = a.Name
	}
	if o.Risk == "" {
		o.Risk = a.Risk
	}
	// A read changes nothing, whatever happened to it.
	if a.Risk == action.Read && o.Effect == MayHaveApplied {
		o.Effect = NothingDone
	}
	return o
}

func (o *Outcome) fromNotAllowed(e *pipeline.NotAllowedError) {
	o.Action, o.Risk, o.Decision = e.Action, e.Risk, e.Decision
	d := e.Decision
	switch {
	case d.Effect == pipeline.Confirm && d.Token != "":
		o.Kind = NeedsConfirmation
	case d.Effect == pipeline.Approve && d.Token != "":
		o.Kind = NeedsApproval
	default:
		o.Kind = Denied
		return
	}
	shown, err := consent.Display(e.Args, e.SQL)
	if err != nil {
		// The authoriser refuses consent to what cannot be shown, so this
		// only happens if it was bypassed: do not ask.
		o.Kind, o.Decision.Effect, o.Decision.Token = Denied, pipeline.Deny, ""
		o.Decision.Reason = err.Error()
		return
	}
	if e.Statements != nil {
		for i := range shown {
			if r, ok := e.Statements.Args[shown[i].Name]; ok {
				shown[i].Note = describeSQL(r)
			}
		}
	}
	o.Challenge = &Challenge{
		Action: e.Action, Risk: e.Risk, Project: e.Project, Branch: e.Branch, Organization: e.Organization,
		Args: shown, Rule: d.Rule, Reason: d.Reason, Token: d.Token, ExpiresAt: d.ExpiresAt,
		ApprovalID: d.ApprovalID, Approvers: d.Approvers, Approvals: max(1, d.Approvals),
	}
}

// describeSQL says in a few words what SQL would run, for the person asked
// to consent to it.
func describeSQL(r sqlkind.Result) string {
	if r.Statements == 0 {
		return "no statements"
	}
	s := fmt.Sprintf("%d statement(s): %s", r.Statements, strings.Join(r.Kinds, ", "))
	switch {
	case r.Dynamic:
		s += "; builds and runs SQL at run time, which cannot be checked before it runs"
	case r.Writes:
		s += "; writes"
	default:
		s += "; reads only"
	}
	return s
}

func (o *Outcome) fromAPI(e *client.APIError) {
	o.Status, o.RequestID, o.RetryAt = e.Status, e.RequestID, e.RetryAt
	o.Message = redact.Text(e.Message)
	switch e.Status {
	case http.StatusUnauthorized, http.StatusForbidden:
		o.Kind, o.Scope, o.Permissions = MissingAccess, e.Scope, e.Permissions
	case http.StatusTooManyRequests:
		o.Kind = RateLimited
	default:
		o.Kind = APIError
	}
	// The API refused a 4xx: nothing changed. A 5xx may come after a write
	// was applied in part.
	if e.Status >= http.StatusInternalServerError {
		o.Effect = MayHaveApplied
	}
}

// Refused reports outcomes where the call was not let through.
func (o Outcome) Refused() bool {
	switch o.Kind {
	case Denied, NeedsConfirmation, NeedsApproval, InvalidInput, UnknownAction:
		return true
	}
	return false
}

// Needs says, for a token lacking access, what it needs; "" otherwise.
func (o Outcome) Needs() string {
	var needs []string
	if o.Scope != "" {
		needs = append(needs, "OAuth scope "+o.Scope)
	}
	if len(o.Permissions) > 0 {
		needs = append(needs, "permission "+strings.Join(o.Permissions, " or "))
	}
	return strings.Join(needs, " and ")
}

// Advice says, in words for any reader, what to do about a failed or
// refused call. Surfaces add their own (which command, which tool).
func (o Outcome) Advice() string {
	switch o.Kind {
	case Denied:
		return "Nothing was done. If this is wrong, the policy (or the scope) is what would let it through."
	case MissingAccess:
		if needs := o.Needs(); needs != "" {
			return fmt.Sprintf("The access token needs %s. Retrying will not help.", needs)
		}
		return "The access token lacks access. Retrying will not help."
	case RateLimited:
		if !o.RetryAt.IsZero() {
			return fmt.Sprintf("Rate limited until %s: wait before calling again, and do not retry in a loop.", o.RetryAt.UTC().Format(time.RFC3339))
		}
		return "Rate limited: wait before calling again, and do not retry in a loop."
	case APIError:
		switch {
		case o.Status == http.StatusNotFound:
			return "Check the identifiers (project ref, slug, ids): list them first."
		case o.Status == http.StatusConflict:
			return "It conflicts with the current state: read the state again before deciding what to do."
		case o.Status >= http.StatusInternalServerError:
			return "A server-side error: try once more later." + o.effectNote()
		}
		return "Fix the arguments the message names and call again."
	case CutShort:
		return "It was cut short before an answer came." + o.effectNote()
	case Failed:
		return "No usable answer came." + o.effectNote()
	}
	return ""
}

func (o Outcome) effectNote() string {
	if o.Effect == MayHaveApplied {
		return " It may or may not have taken effect: read the state before trying again."
	}
	return " Nothing was changed."
}
