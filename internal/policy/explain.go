package policy

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/supaops/supaops/internal/sqlkind"
)

// Explanation is a decision with the story of every rule: whether it applied
// and, if not, the first thing that did not match.
type Explanation struct {
	Policy   string   `json:"policy"`
	Digest   string   `json:"digest"`
	Decision Decision `json:"decision"`
	// SQL is the classification of the call's SQL the conditions saw as sql.
	SQL   *sqlkind.Summary `json:"sql,omitempty"`
	Rules []RuleTrace      `json:"rules"`
}

// RuleTrace is one rule's part in an explanation.
type RuleTrace struct {
	Rule   string `json:"rule"`
	Line   int    `json:"line"`
	Effect Effect `json:"effect"`
	// Applies says the rule applied to the call (counting fail-closed
	// condition errors); Decided says it made the decision.
	Applies bool   `json:"applies"`
	Decided bool   `json:"decided"`
	Why     string `json:"why"`
	// ConditionError is set when the when: condition could not be evaluated.
	ConditionError string `json:"condition_error,omitempty"`
}

// Explain decides the call and traces every rule, in file order. Every
// condition whose selectors match is evaluated, so it costs more than Decide.
func (p *Policy) Explain(ctx context.Context, in Input) Explanation {
	ex := Explanation{Policy: p.name, Digest: p.digest, Decision: p.Decide(ctx, in), SQL: in.SQL}
	if _, ok := precheck(ctx, &in); !ok {
		return ex
	}
	var ev evaluation
	for _, r := range p.rules {
		t := r.trace(ctx, &in, &ev)
		t.Decided = t.Applies && r.name == ex.Decision.Rule
		ex.Rules = append(ex.Rules, t)
	}
	return ex
}

// trace explains one rule, checking in the same order as selectorsMatch.
func (r *rule) trace(ctx context.Context, in *Input, ev *evaluation) RuleTrace {
	t := RuleTrace{Rule: r.name, Line: r.line, Effect: r.effect}
	var matched []string
	if r.actions != nil {
		sel, ok := r.actions.matchedBy(in.Action)
		if !ok {
			t.Why = fmt.Sprintf("action %s is not in actions %s", in.Action.Name, r.actions)
			return t
		}
		matched = append(matched, "action "+in.Action.Name+" matches "+sel)
	}
	if sel, ok := r.exceptActions.matchedBy(in.Action); ok {
		t.Why = fmt.Sprintf("action %s is excepted by except_actions %s", in.Action.Name, sel)
		return t
	}
	if r.principals != nil {
		pattern, id, ok := r.principals.matchedBy(in)
		if !ok {
			t.Why = fmt.Sprintf("no identity of the caller (%s) is in principals %s", identities(in), r.principals)
			return t
		}
		matched = append(matched, "identity "+id+" matches "+pattern)
	}
	if pattern, id, ok := r.exceptPrincipals.matchedBy(in); ok {
		t.Why = fmt.Sprintf("identity %s is excepted by except_principals %s", id, pattern)
		return t
	}
	if r.projects != nil {
		sel, ok := r.projects.matchedBy(in)
		if !ok {
			t.Why = fmt.Sprintf("%s is not in projects %s", target(in), r.projects)
			return t
		}
		matched = append(matched, target(in)+" matches "+sel)
	}
	if sel, ok := r.exceptProjects.matchedBy(in); ok {
		t.Why = fmt.Sprintf("%s is excepted by except_projects %s", target(in), sel)
		return t
	}
	if r.cond != nil {
		ok, err := r.cond.eval(ctx, ev.activation(in))
		switch {
		case err != nil && r.effect == Allow:
			t.ConditionError = err.Error()
			t.Why = "condition could not be evaluated; an allow rule then does not apply (fail closed)"
			return t
		case err != nil:
			t.ConditionError = err.Error()
			matched = append(matched, fmt.Sprintf("condition could not be evaluated; a %s rule then applies (fail closed)", r.effect))
		case !ok:
			t.Why = "condition is false: " + r.cond.src
			return t
		default:
			matched = append(matched, "condition is true")
		}
	}
	t.Applies = true
	if len(matched) == 0 {
		t.Why = "the rule has no selectors: it applies to every call"
	} else {
		t.Why = strings.Join(matched, "; ")
	}
	return t
}

// String renders the explanation for a terminal.
func (e Explanation) String() string {
	var b strings.Builder
	d := e.Decision
	fmt.Fprintf(&b, "decision: %s by %s", d.Effect, d.Rule)
	if d.Reason != "" {
		fmt.Fprintf(&b, ": %s", d.Reason)
	}
	b.WriteString("\n")
	if d.Effect == Approve {
		fmt.Fprintf(&b, "approvals: %d from %s\n", d.Approvals, strings.Join(d.Approvers, ", "))
	}
	for _, w := range d.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", w)
	}
	if e.Policy != "" {
		fmt.Fprintf(&b, "policy: %s (sha256 %.12s)\n", e.Policy, e.Digest)
	}
	if e.SQL != nil {
		fmt.Fprintf(&b, "sql: %s\n", sqlLine(e.SQL.Result))
		for _, name := range slices.Sorted(maps.Keys(e.SQL.Args)) {
			fmt.Fprintf(&b, "  %s: %s\n", name, sqlLine(e.SQL.Args[name]))
		}
	}
	for _, t := range e.Rules {
		mark := "skip"
		switch {
		case t.Decided:
			mark = "DECIDED"
		case t.Applies:
			mark = "applies"
		}
		fmt.Fprintf(&b, "  %-7s %s (line %d, %s): %s\n", mark, t.Rule, t.Line, t.Effect, t.Why)
		if t.ConditionError != "" {
			fmt.Fprintf(&b, "          condition error: %s\n", t.ConditionError)
		}
	}
	return b.String()
}

// sqlLine renders a classification: "2 statements (select, drop); writes".
func sqlLine(r sqlkind.Result) string {
	s := fmt.Sprintf("%d statements", r.Statements)
	if r.Statements == 1 {
		s = "1 statement"
	}
	if len(r.Kinds) > 0 {
		s += " (" + strings.Join(r.Kinds, ", ") + ")"
	}
	if r.Writes {
		s += "; writes"
	}
	if r.Dynamic {
		s += "; dynamic"
	}
	return s
}

func identities(in *Input) string {
	return strings.Join(append([]string{in.Principal}, in.Identities...), ", ")
}

func target(in *Input) string {
	switch {
	case in.Project != "" && in.Organization != "":
		return fmt.Sprintf("project %s (organization %s)", in.Project, in.Organization)
	case in.Project != "":
		return "project " + in.Project
	case in.Organization != "":
		return "organization " + in.Organization
	}
	return "the call (no project)"
}
