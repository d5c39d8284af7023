package policy

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/supaops/supaops/internal/action"
)

// rule is one compiled rule. A nil selector list means "any"; a nil except
// list means "no exception".
type rule struct {
	name   string
	line   int
	effect Effect
	reason string

	actions, exceptActions       actionSet
	principals, exceptPrincipals principalSet
	projects, exceptProjects     projectSet
	cond                         *condition

	approvals int
	approvers []string
}

// actionsMatch checks the action selectors alone.
func (r *rule) actionsMatch(a *action.Action) bool {
	return (r.actions == nil || r.actions.match(a)) &&
		(r.exceptActions == nil || !r.exceptActions.match(a))
}

// selectorsMatch checks everything but the condition, cheapest first.
func (r *rule) selectorsMatch(in *Input) bool {
	return r.actionsMatch(in.Action) &&
		(r.principals == nil || r.principals.match(in)) &&
		(r.exceptPrincipals == nil || !r.exceptPrincipals.match(in)) &&
		(r.projects == nil || r.projects.match(in)) &&
		(r.exceptProjects == nil || !r.exceptProjects.match(in))
}

// applies reports whether the rule applies to the call. A condition error is
// returned with the fail-closed answer: deny, approve and confirm rules apply,
// allow rules do not.
func (r *rule) applies(ctx context.Context, in *Input, ev *evaluation) (bool, error) {
	if !r.selectorsMatch(in) {
		return false, nil
	}
	if r.cond == nil {
		return true, nil
	}
	ok, err := r.cond.eval(ctx, ev.activation(in))
	if err != nil {
		return r.effect != Allow, err
	}
	return ok, nil
}

func (r *rule) decision(condErr error) Decision {
	d := Decision{Effect: r.effect, Rule: r.name, Reason: r.reason}
	if condErr != nil {
		d.Reason = strings.TrimSpace(fmt.Sprintf("%s (its condition could not be evaluated: %v; the rule was applied, failing closed)", r.reason, condErr))
	}
	if r.effect == Approve {
		d.Approvals = r.approvals
		d.Approvers = slices.Clone(r.approvers)
	}
	return d
}

// failedAllowWarning records an allow rule skipped because its condition failed.
func (r *rule) failedAllowWarning(err error) string {
	return fmt.Sprintf("rule %s (line %d): condition could not be evaluated: %v; the allow rule was not applied, failing closed", r.name, r.line, err)
}

// evaluation is the per-decision state shared by the rules: the CEL
// activation, built only if some condition is evaluated. It does not hold the
// Input: the activation goes to the heap, and the Input, kept apart, can stay
// on the stack.
type evaluation struct {
	act *activation
}

func (ev *evaluation) activation(in *Input) *activation {
	if ev.act == nil {
		ev.act = newActivation(in)
	}
	return ev.act
}
