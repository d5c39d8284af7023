// Package authz is the pipeline's authoriser: it asks the policy what a call
// may do and carries out the answer — issuing and checking one-time
// confirmation tokens, and opening and consuming approval requests — and it
// takes approvers' votes, recording each in the audit log in the same
// transaction that counts it.
package authz

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"go.etcd.io/bbolt"

	"github.com/supaops/supaops/internal/action"
	"github.com/supaops/supaops/internal/audit"
	"github.com/supaops/supaops/internal/consent"
	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/policy"
	"github.com/supaops/supaops/internal/principal"
	"github.com/supaops/supaops/internal/redact"
	"github.com/supaops/supaops/internal/tools"
)

// Rule names of the authoriser's own refusals.
const (
	// RuleTooLargeToShow refuses consent to arguments nobody could be shown.
	RuleTooLargeToShow = "builtin:too-large-to-show"
)

// Config holds the authoriser's dependencies.
type Config struct {
	// Policy returns the policy in force (a Watcher's Current, or a fixed one).
	Policy func() *policy.Policy
	// Consent keeps confirmations and approvals. Build it with VoteRecorder
	// so votes are audited.
	Consent *consent.Manager
	// Actions finds an action by name, to re-check stored approval requests.
	Actions func(name string) (*action.Action, bool)
	// Audit records refused votes (counted votes are recorded by Consent,
	// in the transaction that counts them). Nil records none.
	Audit *audit.Log
	// OnApprovalRequest, when set, is told of every new approval request,
	// after it is stored: a surface (Slack) posts it where approvers see it.
	// Its failure does not fail the call; the request stands.
	OnApprovalRequest func(ctx context.Context, a consent.Approval)
	Logger            zerolog.Logger
}

// Authorizer implements pipeline.Authorizer.
type Authorizer struct{ cfg Config }

// New checks the configuration.
func New(cfg Config) (*Authorizer, error) {
	if cfg.Policy == nil || cfg.Consent == nil || cfg.Actions == nil {
		return nil, errors.New("authz: a policy, a consent manager and the actions are required")
	}
	return &Authorizer{cfg: cfg}, nil
}

// VoteRecorder returns the consent.VoteRecorder that writes votes to log:
// give it to consent.New.
func VoteRecorder(log *audit.Log) consent.VoteRecorder {
	return func(tx *bbolt.Tx, v consent.VoteRecord) error {
		_, err := log.AppendTx(tx, voteRecord(v.Approval, v.Approver, v.Identities, v.Surface, v.Approve, v.Reason, nil))
		return err
	}
}

func voteRecord(a consent.Approval, approver string, identities []string, surface string, approve bool, reason string, refused error) pipeline.Record {
	rec := pipeline.Record{
		Event: pipeline.EventDeny, Time: time.Now().UTC(), Principal: approver, Identities: identities, Surface: surface,
		Action: a.Binding.Action, Project: a.Binding.Project, Organization: a.Organization, Args: a.Summary,
		ArgsHash: a.Binding.ArgsHash,
		Decision: pipeline.Decision{
			Effect: pipeline.Deny, Rule: "approval", ApprovalID: a.ID,
			Reason: fmt.Sprintf("requested by %s; %d of %d approvals; now %s", a.Binding.Principal, len(a.Votes), a.Needed, a.Status),
		},
	}
	if approve {
		rec.Event, rec.Decision.Effect = pipeline.EventApprove, pipeline.Approve
	}
	if reason != "" {
		rec.Decision.Reason += "; reason: " + reason
	}
	if refused != nil {
		rec.Error = redact.Text(refused.Error())
	}
	return rec
}

// Authorize decides a call: allow and deny as the policy says; confirm and
// approve go ahead only with a valid token for exactly this call, and
// otherwise hand one out.
func (a *Authorizer) Authorize(ctx context.Context, call pipeline.Call) (pipeline.Decision, error) {
	in := policy.Input{
		Principal: call.Principal, Identities: call.Identities, Surface: call.Surface,
		Action: &call.Action.Action, Args: call.Args, Project: call.Project, Branch: call.Branch,
		Organization: call.Organization, SQL: call.SQL,
	}
	pol := a.cfg.Policy()
	d := pol.Decide(ctx, in)
	out := fromPolicy(d)
	if d.Effect != policy.Confirm && d.Effect != policy.Approve {
		return out, nil
	}
	// Nobody consents to what they cannot be shown.
	summary, _ := redact.New(call.Action.Secrets).Value(call.Args).(map[string]any)
	if _, err := consent.Display(summary, call.Action.SQL); err != nil {
		if !errors.Is(err, consent.ErrTooLargeToShow) {
			return pipeline.Decision{}, err
		}
		return pipeline.Decision{
			Effect: pipeline.Deny, Rule: RuleTooLargeToShow,
			Reason: fmt.Sprintf("rule %s asks for %s, but %v; make the call smaller (split it, or send large content another way)", d.Rule, d.Effect, err),
		}, nil
	}
	// Only consent needs the call bound to its exact arguments.
	binding, err := bindingOf(call)
	if err != nil {
		return pipeline.Decision{}, err
	}
	if d.Effect == policy.Confirm {
		if w := call.Within; w != nil && w.Consented {
			// The caller confirmed (or had approved) the composite action
			// that makes this call, having seen its arguments; asking again
			// for each of its calls would ask for what was given.
			out.Effect, out.Consented = pipeline.Allow, true
			out.Reason = joinReason(out.Reason, "confirmed with "+w.Composite)
			return out, nil
		}
		return a.confirm(ctx, call, binding, out, pol)
	}
	return a.approve(ctx, call, binding, summary, out, pol)
}

func (a *Authorizer) confirm(ctx context.Context, call pipeline.Call, b consent.Binding, d pipeline.Decision, pol *policy.Policy) (pipeline.Decision, error) {
	if call.Confirmation != "" {
		err := a.cfg.Consent.Confirm(ctx, call.Confirmation, b)
		if err == nil {
			d.Effect, d.Reason, d.Consented = pipeline.Allow, joinReason(d.Reason, "confirmed by the caller"), true
			return d, nil
		}
		if !isRefusal(err) {
			return pipeline.Decision{}, fmt.Errorf("checking the confirmation: %w", err)
		}
		// A refused token is not a yes: hand out a fresh one and say why.
		d.Reason = joinReason(d.Reason, "the confirmation given was refused: "+err.Error())
	}
	if line := preview(ctx, call); line != "" {
		d.Reason = joinReason(d.Reason, line)
	}
	tok, err := a.cfg.Consent.IssueConfirmation(ctx, b, pol.ConfirmTTL())
	if err != nil {
		return pipeline.Decision{}, fmt.Errorf("issuing a confirmation: %w", err)
	}
	d.Token = tok
	d.ExpiresAt, _ = consent.Expiry(tok)
	return d, nil
}

func (a *Authorizer) approve(ctx context.Context, call pipeline.Call, b consent.Binding, summary map[string]any, d pipeline.Decision, pol *policy.Policy) (pipeline.Decision, error) {
	if call.Confirmation != "" {
		approval, err := a.cfg.Consent.ConsumeApproval(ctx, call.Confirmation, b)
		switch {
		case err == nil:
			d.Effect, d.Consented = pipeline.Allow, true
			d.ApprovalID = approval.ID
			d.Reason = joinReason(d.Reason, "approved by "+strings.Join(voters(approval), ", "))
			return d, nil
		case errors.Is(err, consent.ErrPending), errors.Is(err, consent.ErrNotEnoughApprovals):
			d.Token, d.ApprovalID, d.ExpiresAt = call.Confirmation, approval.ID, approval.ExpiresAt
			d.Reason = joinReason(d.Reason, fmt.Sprintf("approval %s is still waiting: %d of %d approvals", approval.ID, len(approval.Votes), approval.Needed))
			return d, nil
		case !isRefusal(err):
			return pipeline.Decision{}, fmt.Errorf("checking the approval: %w", err)
		default:
			d.Reason = joinReason(d.Reason, "the approval given was refused: "+err.Error())
		}
	}
	line := preview(ctx, call)
	approval, err := a.cfg.Consent.RequestApproval(ctx, b, max(1, d.Approvals), d.Approvers, pol.ApprovalTTL(), consent.Details{
		Summary: summary, Identities: call.Identities, Surface: call.Surface, Organization: call.Organization, Branch: call.Branch,
		SQL: call.SQL, Preview: line,
	})
	if err != nil {
		return pipeline.Decision{}, fmt.Errorf("requesting approval: %w", err)
	}
	d.Token, d.ApprovalID, d.ExpiresAt = approval.Token, approval.ID, approval.ExpiresAt
	d.Reason = joinReason(d.Reason, fmt.Sprintf("approval request %s opened", approval.ID))
	if line != "" {
		d.Reason = joinReason(d.Reason, line)
	}
	if a.cfg.OnApprovalRequest != nil {
		a.cfg.OnApprovalRequest(context.WithoutCancel(ctx), approval)
	}
	return d, nil
}

// preview is the line a person asked to consent to call is shown first
// (what a create will cost), or "" when the call has none. A preview that
// fails does not stop the asking: the line says it is unknown, and why.
func preview(ctx context.Context, call pipeline.Call) string {
	if call.Preview == nil {
		return ""
	}
	line, err := call.Preview(ctx)
	if err != nil {
		return "preview unknown: " + redact.Text(err.Error())
	}
	return line
}

// ErrPolicyChanged refuses an approval whose call the policy no longer sends to approvers.
var ErrPolicyChanged = errors.New("the policy no longer asks for this approval")

// Approve records an approver's yes. The policy is asked again about the
// original call (as its requester made it, with its redacted arguments): if
// it no longer requires approval, or the approver is not among its
// approvers now, the approval is refused. approver and identities must be
// canonical principals (principal.Parse). Refused votes are recorded too.
func (a *Authorizer) Approve(ctx context.Context, id, approver string, identities []string, surface string) (consent.Approval, error) {
	approver, identities, err := canonical(approver, identities)
	if err != nil {
		return consent.Approval{}, fmt.Errorf("approving %s: %w", id, err)
	}
	req, err := a.recheck(ctx, id, approver, identities)
	if err == nil {
		req, err = a.cfg.Consent.Approve(ctx, id, approver, identities, surface)
	}
	if err != nil {
		a.recordRefusal(ctx, req, approver, identities, surface, true, "", err)
	}
	return req, err
}

func (a *Authorizer) recheck(ctx context.Context, id, approver string, identities []string) (consent.Approval, error) {
	req, err := a.cfg.Consent.Get(ctx, id)
	if err != nil {
		return consent.Approval{}, err
	}
	act, ok := a.cfg.Actions(req.Binding.Action)
	if !ok {
		return req, fmt.Errorf("approval %s names an unknown action %s", id, req.Binding.Action)
	}
	project, branch := req.Binding.Project, req.Branch
	if b, ok := strings.CutPrefix(project, "branch:"); ok {
		project, branch = "", b // a branch whose project was not resolved; see bindingOf
	}
	d := a.cfg.Policy().Decide(ctx, policy.Input{
		Principal: req.Binding.Principal, Identities: req.Identities, Surface: req.Surface,
		Action: act, Args: req.Summary, Project: project, Branch: branch, Organization: req.Organization,
		SQL: req.SQL,
	})
	if d.Effect != policy.Approve {
		return req, fmt.Errorf("%w: it now says %s (rule %s)", ErrPolicyChanged, d.Effect, d.Rule)
	}
	all := append([]string{approver}, identities...)
	if !d.ApprovedBy(all...) {
		return req, fmt.Errorf("%w: %s is not among the approvers of rule %s (%s)", consent.ErrNotApprover, approver, d.Rule, strings.Join(d.Approvers, ", "))
	}
	return req, nil
}

// Deny records an approver's no (or the requester's withdrawal).
func (a *Authorizer) Deny(ctx context.Context, id, approver string, identities []string, surface, reason string) (consent.Approval, error) {
	approver, identities, err := canonical(approver, identities)
	if err != nil {
		return consent.Approval{}, fmt.Errorf("denying %s: %w", id, err)
	}
	req, err := a.cfg.Consent.Deny(ctx, id, approver, identities, surface, reason)
	if err != nil {
		a.recordRefusal(ctx, req, approver, identities, surface, false, reason, err)
	}
	return req, err
}

// recordRefusal records a vote that was not counted. Nothing changed, so a
// failure to record it is logged rather than returned.
func (a *Authorizer) recordRefusal(ctx context.Context, req consent.Approval, approver string, identities []string, surface string, approve bool, reason string, refused error) {
	if a.cfg.Audit == nil {
		return
	}
	if req.ID == "" {
		req.Binding.Action = "approval"
	}
	rec := voteRecord(req, approver, identities, surface, approve, reason, refused)
	if _, err := a.cfg.Audit.Record(context.WithoutCancel(ctx), rec); err != nil {
		a.cfg.Logger.Error().Err(err).Str("approval", req.ID).Msg("recording a refused vote failed")
	}
}

// canonical makes an approver's identities canonical: one identity, one
// spelling, so "mcp:local " cannot pass for someone else or vote twice.
func canonical(approver string, identities []string) (string, []string, error) {
	who, err := principal.Parse(approver)
	if err != nil {
		return "", nil, fmt.Errorf("approver: %w", err)
	}
	var ids []string
	for _, id := range identities {
		c, err := principal.Parse(id)
		if err != nil {
			return "", nil, fmt.Errorf("approver's identity: %w", err)
		}
		ids = append(ids, c)
	}
	return who, ids, nil
}

func fromPolicy(d policy.Decision) pipeline.Decision {
	reason := d.Reason
	if len(d.Warnings) > 0 {
		reason = joinReason(reason, "warnings: "+strings.Join(d.Warnings, "; "))
	}
	return pipeline.Decision{
		Effect: pipeline.Effect(d.Effect), Rule: d.Rule, Reason: reason,
		Approvals: d.Approvals, Approvers: d.Approvers,
	}
}

// bindingOf ties consent to the call: who, what, on which project (or
// branch, when the call names one the project of which is not known), with
// which exact arguments.
func bindingOf(call pipeline.Call) (consent.Binding, error) {
	hash, err := tools.HashArgs(call.Args)
	if err != nil {
		return consent.Binding{}, fmt.Errorf("hashing the arguments: %w", err)
	}
	project := call.Project
	if project == "" && call.Branch != "" {
		project = "branch:" + call.Branch
	}
	return consent.Binding{Principal: call.Principal, Action: call.Action.Name, Project: project, ArgsHash: hash}, nil
}

// isRefusal tells a token that does not fit from a failure to check it.
func isRefusal(err error) bool {
	for _, e := range []error{
		consent.ErrForged, consent.ErrUnknown, consent.ErrArgsChanged, consent.ErrOtherPrincipal,
		consent.ErrOtherAction, consent.ErrOtherProject, consent.ErrExpired, consent.ErrUsed,
		consent.ErrDenied, consent.ErrPending, consent.ErrNotEnoughApprovals,
	} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func voters(a consent.Approval) []string {
	out := make([]string, 0, len(a.Votes))
	for _, v := range a.Votes {
		out = append(out, v.Approver)
	}
	return out
}

func joinReason(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
