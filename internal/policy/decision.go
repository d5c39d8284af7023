package policy

import (
	"github.com/supaops/supaops/internal/action"
	"github.com/supaops/supaops/internal/sqlkind"
)

// Input is one call as the policy sees it.
type Input struct {
	// Principal is the primary identity, e.g. "slack:user:U1", "mcp:token:ci", "job:nightly".
	Principal string
	// Identities are further identities of the same caller: its Slack usergroups
	// ("slack:usergroup:S1") and the channel it speaks in ("slack:channel:C1").
	Identities []string
	// Surface is where the call came in: mcp, slack, job or cli.
	Surface string
	Action  *action.Action
	// Args are the call's validated arguments; CEL conditions read them as args.
	Args map[string]any
	// Project is the project ref the call targets, if any: for a call on a
	// branch, the project the branch belongs to.
	Project string
	// Branch is the branch the call targets (its id or its own project
	// ref), if any. A project selector naming it matches too.
	Branch string
	// Organization is the slug of the organization the call (or its project)
	// belongs to, resolved by the caller; org: selectors match it.
	Organization string
	// SQL is the classification of the call's SQL-bearing arguments
	// (sqlkind.Summarize), made by the caller: the policy never parses. Nil
	// when the action has none; conditions then see no statements. A caller
	// must set it for every action with SQL-bearing arguments, or rules on
	// sql see nothing.
	SQL *sqlkind.Summary
}

// Decision is the policy's answer, naming the rule that made it.
type Decision struct {
	Effect Effect `json:"effect"`
	// Rule is the rule's name, "default:<risk>" when no rule applied, or
	// "builtin:<why>" when the input could not be decided on.
	Rule   string `json:"rule"`
	Reason string `json:"reason,omitempty"`
	// Approvals is how many distinct approvers an approve decision needs.
	Approvals int `json:"approvals,omitempty"`
	// Approvers are the principal patterns allowed to approve; see ApprovedBy.
	Approvers []string `json:"approvers,omitempty"`
	// Warnings name conditions that failed to evaluate on the way to this
	// decision, for the audit record.
	Warnings []string `json:"warnings,omitempty"`
}

// ApprovedBy reports whether a caller with these identities may approve the
// decision. It does not check that the approver differs from the requester;
// the consent layer does.
func (d Decision) ApprovedBy(identities ...string) bool {
	if d.Effect != Approve {
		return false
	}
	for _, pattern := range d.Approvers {
		// Patterns were checked at load; a bad one cannot get here.
		g, err := compileGlob(pattern)
		if err != nil {
			continue
		}
		for _, id := range identities {
			if g.match(id) {
				return true
			}
		}
	}
	return false
}
