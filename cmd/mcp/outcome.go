package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/supaops/supaops/internal/outcome"
	"github.com/supaops/supaops/internal/tools"
)

// cliError words an outcome that is not a success for a terminal: what
// happened, whether anything changed, and the command that goes on.
func cliError(o outcome.Outcome) error {
	var b strings.Builder
	switch o.Kind {
	case outcome.NeedsConfirmation:
		b.WriteString(describeChallenge(o.Challenge))
		fmt.Fprintf(&b, "\nto go ahead, run the same command again with --confirm %s", o.Challenge.Token)
		writeExpiry(&b, o.Challenge.ExpiresAt)
	case outcome.NeedsApproval:
		c := o.Challenge
		b.WriteString(describeChallenge(c))
		fmt.Fprintf(&b, "\napproval request %s needs %d approval(s)", c.ApprovalID, c.Approvals)
		if len(c.Approvers) > 0 {
			fmt.Fprintf(&b, " from %s", strings.Join(c.Approvers, ", "))
		}
		fmt.Fprintf(&b, "\nan approver runs: supaops-mcp approvals approve %s --as <their principal, e.g. slack:user:U123>", c.ApprovalID)
		fmt.Fprintf(&b, "\nonce approved, run the same command again with --confirm %s", c.Token)
		writeExpiry(&b, c.ExpiresAt)
	case outcome.Denied:
		fmt.Fprintf(&b, "refused: %s (%s) denied by rule %s", o.Action, o.Risk, o.Decision.Rule)
		if o.Decision.Reason != "" {
			fmt.Fprintf(&b, ": %s", o.Decision.Reason)
		}
		b.WriteString("\nnothing was done")
	case outcome.UnknownAction:
		fmt.Fprintf(&b, "unknown action %q", o.Action)
		if len(o.Suggestions) > 0 {
			fmt.Fprintf(&b, "; did you mean %s?", strings.Join(o.Suggestions, ", "))
		}
		b.WriteString(" (list them with `supaops-mcp actions`)")
	case outcome.InvalidInput:
		fmt.Fprintf(&b, "invalid arguments for %s: %s", o.Action, tools.ProblemsText(o.Problems))
		switch {
		case len(o.Valid) > 0:
			fmt.Fprintf(&b, "\nvalid arguments: %s", strings.Join(o.Valid, ", "))
		case o.Valid != nil:
			b.WriteString("\nthis action takes no arguments")
		}
		b.WriteString("\nnothing was sent")
	case outcome.MissingAccess, outcome.RateLimited, outcome.APIError:
		fmt.Fprintf(&b, "the Supabase API answered %d to %s", o.Status, o.Action)
		if o.Message != "" {
			fmt.Fprintf(&b, ": %s", o.Message)
		}
		fmt.Fprintf(&b, "\n%s", o.Advice())
		if o.RequestID != "" {
			fmt.Fprintf(&b, " (request id %s)", o.RequestID)
		}
	default:
		fmt.Fprintf(&b, "%s: %s\n%s", o.Action, o.Message, o.Advice())
	}
	return errors.New(b.String())
}

// describeChallenge shows a call waiting for consent: what, where, why,
// and every argument (saying what of it is not shown).
func describeChallenge(c *outcome.Challenge) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s)", c.Action, c.Risk)
	if c.Project != "" {
		fmt.Fprintf(&b, " on project %s", c.Project)
	}
	if c.Branch != "" {
		fmt.Fprintf(&b, " (branch %s)", c.Branch)
	}
	what := "confirmation"
	if c.ApprovalID != "" {
		what = "approval"
	}
	fmt.Fprintf(&b, " needs %s (rule %s", what, c.Rule)
	if c.Reason != "" {
		fmt.Fprintf(&b, ": %s", c.Reason)
	}
	b.WriteString(")")
	for _, a := range c.Args {
		fmt.Fprintf(&b, "\n  %s", a)
	}
	return b.String()
}

func writeExpiry(b *strings.Builder, at time.Time) {
	if !at.IsZero() {
		fmt.Fprintf(b, " (good until %s)", at.Local().Format(time.DateTime))
	}
}
