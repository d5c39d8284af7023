// Package authz is the pipeline's authoriser: it asks the policy what a call
// may do and carries out the answer — issuing and checking one-time
// confirmation tokens, and opening and consuming approval requests.
package authz

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/rs/zerolog"

	"github.com/supaops/supaops/internal/action"
	"github.com/supaops/supaops/internal/consent"
	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/policy"
	"github.com/supaops/supaops/internal/redact"
)

// OrgResolver finds the organization a project belongs to, for policies that
// select projects by organization.
type OrgResolver interface {
	Organization(ctx context.Context, projectRef string) (string, error)
}

// Config holds the authoriser's dependencies.
type Config struct {
	// Policy returns the policy in force (a Watcher's Current, or a fixed one).
	Policy func() *policy.Policy
	// Consent keeps confirmations and approvals.
	Consent *consent.Manager
	// Actions finds an action by name, to re-check stored approval requests.
	Actions func(name string) (*action.Action, bool)
	// Orgs may be nil: org: selectors then never match.
	Orgs   OrgResolver
	Logger zerolog.Logger
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

// Authorize decides a call: allow and deny as the policy says; confirm and
// approve go ahead only with a valid token for exactly this call, and
// otherwise hand one out.
func (a *Authorizer) Authorize(ctx context.Context, call pipeline.Call) (pipeline.Decision, error) {
	in := policy.Input{
		Principal: call.Principal, Identities: call.Identities, Surface: call.Surface,
		Action: &call.Action.Action, Args: call.Args, Project: call.Project, Organization: call.Organization,
	}
	pol := a.cfg.Policy()
	if in.Organization == "" && in.Project != "" && a.cfg.Orgs != nil && pol.UsesOrganizations() {
		org, err := a.cfg.Orgs.Organization(ctx, in.Project)
		if err != nil {
			// Without the organization an org: rule cannot match; say so rather than guess.
			a.cfg.Logger.Warn().Err(err).Str("project", in.Project).Msg("resolving the project's organization failed")
		}
		in.Organization = org
	}
	d := pol.Decide(ctx, in)
	out := fromPolicy(d)
	if d.Effect != policy.Confirm && d.Effect != policy.Approve {
		return out, nil
	}
	// Only consent needs the call bound to its exact arguments.
	binding, err := bindingOf(call)
	if err != nil {
		return pipeline.Decision{}, err
	}
	if d.Effect == policy.Confirm {
		return a.confirm(ctx, call, binding, out, pol)
	}
	return a.approve(ctx, call, in.Organization, binding, out, pol)
}

func (a *Authorizer) confirm(ctx context.Context, call pipeline.Call, b consent.Binding, d pipeline.Decision, pol *policy.Policy) (pipeline.Decision, error) {
	if call.Confirmation != "" {
		err := a.cfg.Consent.Confirm(ctx, call.Confirmation, b)
		if err == nil {
			d.Effect, d.Reason = pipeline.Allow, joinReason(d.Reason, "confirmed by the caller")
			return d, nil
		}
		if !isRefusal(err) {
			return pipeline.Decision{}, fmt.Errorf("checking the confirmation: %w", err)
		}
		// A refused token is not a yes: hand out a fresh one and say why.
		d.Reason = joinReason(d.Reason, "the confirmation given was refused: "+err.Error())
	}
	tok, err := a.cfg.Consent.IssueConfirmation(ctx, b, pol.ConfirmTTL())
	if err != nil {
		return pipeline.Decision{}, fmt.Errorf("issuing a confirmation: %w", err)
	}
	d.Token = tok
	return d, nil
}

func (a *Authorizer) approve(ctx context.Context, call pipeline.Call, org string, b consent.Binding, d pipeline.Decision, pol *policy.Policy) (pipeline.Decision, error) {
	if call.Confirmation != "" {
		approval, err := a.cfg.Consent.ConsumeApproval(ctx, call.Confirmation, b)
		switch {
		case err == nil:
			d.Effect = pipeline.Allow
			d.Reason = joinReason(d.Reason, "approved by "+strings.Join(voters(approval), ", "))
			return d, nil
		case errors.Is(err, consent.ErrPending), errors.Is(err, consent.ErrNotEnoughApprovals):
			d.Token, d.ApprovalID = call.Confirmation, approval.ID
			d.Reason = joinReason(d.Reason, fmt.Sprintf("approval %s is still waiting: %d of %d approvals", approval.ID, len(approval.Votes), approval.Needed))
			return d, nil
		case !isRefusal(err):
			return pipeline.Decision{}, fmt.Errorf("checking the approval: %w", err)
		default:
			d.Reason = joinReason(d.Reason, "the approval given was refused: "+err.Error())
		}
	}
	summary, _ := redact.New(call.Action.Secrets).Value(call.Args).(map[string]any)
	approval, err := a.cfg.Consent.RequestApproval(ctx, b, max(1, d.Approvals), d.Approvers, pol.ApprovalTTL(), consent.Details{
		Summary: summary, Identities: call.Identities, Surface: call.Surface, Organization: org,
	})
	if err != nil {
		return pipeline.Decision{}, fmt.Errorf("requesting approval: %w", err)
	}
	d.Token, d.ApprovalID = approval.Token, approval.ID
	d.Reason = joinReason(d.Reason, fmt.Sprintf("approval request %s opened; an approver runs `supaops-mcp approvals approve %s`", approval.ID, approval.ID))
	return d, nil
}

// ErrPolicyChanged refuses an approval whose call the policy no longer sends to approvers.
var ErrPolicyChanged = errors.New("the policy no longer asks for this approval")

// Approve records an approver's yes. The policy is asked again about the
// original call (as its requester made it, with its redacted arguments): if it no longer requires
// approval, or the approver is not among its approvers now, the approval is
// refused.
func (a *Authorizer) Approve(ctx context.Context, id, approver string, identities []string) (consent.Approval, error) {
	req, err := a.cfg.Consent.Get(ctx, id)
	if err != nil {
		return consent.Approval{}, err
	}
	act, ok := a.cfg.Actions(req.Binding.Action)
	if !ok {
		return req, fmt.Errorf("approval %s names an unknown action %s", id, req.Binding.Action)
	}
	project := req.Binding.Project
	if strings.HasPrefix(project, "branch:") {
		project = "" // a branch call names no project; see bindingOf
	}
	d := a.cfg.Policy().Decide(ctx, policy.Input{
		Principal: req.Binding.Principal, Identities: req.Identities, Surface: req.Surface,
		Action: act, Args: req.Summary, Project: project, Organization: req.Organization,
	})
	if d.Effect != policy.Approve {
		return req, fmt.Errorf("%w: it now says %s (rule %s)", ErrPolicyChanged, d.Effect, d.Rule)
	}
	all := append([]string{approver}, identities...)
	if !d.ApprovedBy(all...) {
		return req, fmt.Errorf("%w: %s is not among the approvers of rule %s (%s)", consent.ErrNotApprover, approver, d.Rule, strings.Join(d.Approvers, ", "))
	}
	return a.cfg.Consent.Approve(ctx, id, approver, identities)
}

// Deny records an approver's no (or the requester's withdrawal).
func (a *Authorizer) Deny(ctx context.Context, id, approver string, identities []string, reason string) (consent.Approval, error) {
	return a.cfg.Consent.Deny(ctx, id, approver, identities, reason)
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

func bindingOf(call pipeline.Call) (consent.Binding, error) {
	hash, err := consent.HashArgs(call.Args)
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
