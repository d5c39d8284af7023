package policy

import (
	"context"
	"fmt"
	"time"

	"github.com/supaops/supaops/internal/action"
)

// Policy is a compiled policy file. It is immutable and safe for concurrent use.
type Policy struct {
	name   string
	digest string

	defaults    map[action.Risk]Decision
	confirmTTL  time.Duration
	approvalTTL time.Duration

	rules []*rule // in file order
	// ordered holds the rules strongest effect first, file order within an
	// effect, so the first rule that applies is the decision.
	ordered []*rule
	// idx narrows a call to the rules of ordered that could apply to it.
	idx *index
}

// UsesSQL reports whether any condition reads sql, so callers classify a
// call's SQL (which compiles the parser on first use, seconds) only when it
// can matter.
func (p *Policy) UsesSQL() bool {
	for _, r := range p.rules {
		if r.cond != nil && r.cond.reads["sql"] {
			return true
		}
	}
	return false
}

// Name is the name the policy was loaded under (its path, for a file).
func (p *Policy) Name() string { return p.name }

// Digest is the SHA-256 of the policy's source, hex-encoded, to record which
// policy made a decision.
func (p *Policy) Digest() string { return p.digest }

// ConfirmTTL is how long a confirmation stays valid.
func (p *Policy) ConfirmTTL() time.Duration { return p.confirmTTL }

// ApprovalTTL is how long a pending approval stays open.
func (p *Policy) ApprovalTTL() time.Duration { return p.approvalTTL }

// Decide decides one call. It never fails: what cannot be decided is denied.
func (p *Policy) Decide(ctx context.Context, in Input) Decision {
	if d, ok := precheck(ctx, &in); !ok {
		return d
	}
	var buf, tmp [stackWords]uint64
	cand := p.idx.candidates(&in, buf[:], tmp[:])
	var ev evaluation
	var warnings []string
	for i := cand.next(0); i >= 0; i = cand.next(i + 1) {
		r := p.ordered[i]
		ok, err := r.applies(ctx, &in, &ev)
		if ok {
			d := r.decision(err)
			d.Warnings = warnings
			return d
		}
		if err != nil {
			warnings = append(warnings, r.failedAllowWarning(err))
		}
	}
	d := p.defaultDecision(in.Action.Risk)
	d.Warnings = warnings
	return d
}

// precheck denies inputs no rule should see: they are bugs in the caller, and
// matching them against "*" would be guesswork.
func precheck(ctx context.Context, in *Input) (Decision, bool) {
	switch {
	case in.Action == nil:
		return Decision{Effect: Deny, Rule: "builtin:no-action", Reason: "the call names no action"}, false
	case in.Principal == "":
		return Decision{Effect: Deny, Rule: "builtin:no-principal", Reason: "the call names no principal"}, false
	case ctx.Err() != nil:
		return Decision{Effect: Deny, Rule: "builtin:cancelled", Reason: fmt.Sprintf("deciding was cancelled: %v", context.Cause(ctx))}, false
	}
	return Decision{}, true
}

// defaultDecision applies the defaults; an action of unknown risk is treated
// as destructive.
func (p *Policy) defaultDecision(risk action.Risk) Decision {
	if d, ok := p.defaults[risk]; ok {
		return d
	}
	d := p.defaults[action.Destructive]
	d.Reason = fmt.Sprintf("no rule applies; risk class %q is unknown, so it is treated as destructive: %s", risk, d.Reason)
	return d
}
