package slackbot

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/supaops/supaops/internal/action"
	"github.com/supaops/supaops/internal/consent"
	"github.com/supaops/supaops/internal/outcome"
)

// Nobody is asked to consent to what they are not shown: when the arguments
// do not fit in one message, the button that would let the call through is
// left out and this says why.
const tooLargeToConsent = ":no_entry: *These arguments are too large to show in one Slack message*, and nobody is asked to consent to what they are not shown, so this message cannot let the call through. Run it with fewer or shorter arguments."

// ConfirmBlocks shows exactly what will run (the action, its risk, the
// project, branch and organization, every argument with what of it is not
// shown, the rule and its reason, the expiry) with Confirm (primary; danger,
// behind a confirmation dialog, for destructive actions) and Cancel, both
// carrying pendingID. If the arguments cannot all be shown, there is no
// Confirm.
func ConfirmBlocks(c *outcome.Challenge, pendingID string) []slack.Block {
	return guard(confirmBlocks(c, pendingID, true))
}

// confirmBlocks lays out a challenge, with its buttons or, for a surface
// that asks elsewhere, a line saying confirmation is needed.
func confirmBlocks(c *outcome.Challenge, pendingID string, buttons bool) []slack.Block {
	if c == nil {
		return []slack.Block{section("_Nothing is waiting for confirmation._")}
	}
	head := []slack.Block{
		header("Confirm: " + riskWord(string(c.Risk)) + " action"),
		section(fmt.Sprintf(":warning: You are about to run %s (*%s*)%s.", code(c.Action), riskWord(string(c.Risk)), target(c.Project, c.Branch, c.Organization))),
	}
	head = append(head, fieldsSections(ruleFields(c.Rule, c.Reason, c.ExpiresAt.IsZero(), when(c.ExpiresAt)))...)
	confirm := slack.NewButtonBlockElement(ActionConfirm, pendingID, plain("Confirm"))
	if c.Risk == action.Destructive {
		confirm = confirm.WithStyle(slack.StyleDanger).WithConfirm(destructiveDialog("Run it?", c.Action, c.Project, "Run it"))
	} else {
		confirm = confirm.WithStyle(slack.StylePrimary)
	}
	cancel := slack.NewButtonBlockElement(ActionCancel, pendingID, plain("Cancel"))
	tail := []slack.Block{
		contextBlock("Nothing runs until you press Confirm. Arguments that change need a new confirmation."),
		slack.NewActionBlock("", confirm, cancel),
	}
	if !buttons {
		tail = []slack.Block{contextBlock("Nothing runs until it is confirmed.")}
	}
	r := roomBeside(head, tail, []slack.Block{section(tooLargeToConsent)})
	args, complete := argsBlocks(c.Args, &r)
	blocks := slices.Concat(head, args)
	if !complete && buttons {
		return append(blocks, section(tooLargeToConsent), slack.NewActionBlock("", cancel))
	}
	if !complete {
		blocks = append(blocks, section(tooLargeToConsent))
	}
	return append(blocks, tail...)
}

// ApprovalRequestBlocks is the message posted to approvers: who asks, for
// what (as ConfirmBlocks shows it), how many approvals are needed and who
// gave them, the expiry, and Approve / Deny buttons carrying the approval's
// id while it is pending. Approve is primary, or danger behind a
// confirmation dialog for destructive actions; it is left out when the
// arguments cannot all be shown.
func ApprovalRequestBlocks(a consent.Approval, shown []consent.Shown, risk action.Risk) []slack.Block {
	return guard(approvalBlocks(a, shown, risk))
}

// ApprovalStatusBlocks replaces the request as votes come in and once it is
// decided: the same facts, where it stands, and buttons only while it is
// still pending.
func ApprovalStatusBlocks(a consent.Approval, shown []consent.Shown, risk action.Risk) []slack.Block {
	return guard(approvalBlocks(a, shown, risk))
}

func approvalBlocks(a consent.Approval, shown []consent.Shown, risk action.Risk) []slack.Block {
	rw := riskWord(string(risk))
	head := []slack.Block{
		header(approvalTitle(a.Status)),
		section(fmt.Sprintf("%s asks to run %s (*%s*)%s.", who(a.Binding.Principal), code(a.Binding.Action), rw, target(a.Binding.Project, a.Branch, a.Organization))),
	}
	facts := []string{
		field("Approvals", fmt.Sprintf("%d of %d", len(a.Votes), max(a.Needed, 1))),
		field("Status", text(string(a.Status))),
		field("Request", code(a.ID)),
		field("Expires", when(a.ExpiresAt)),
		field("Approvers", clipEscaped(whoList(a.Approvers), 1000)),
	}
	if a.Preview != "" {
		facts = append(facts, field("Preview", clipEscaped(text(a.Preview), 1000)))
	}
	if len(a.Votes) > 0 {
		votes := make([]string, len(a.Votes))
		for i, v := range a.Votes {
			votes[i] = who(v.Approver) + " " + when(v.At)
		}
		facts = append(facts, field("Approved by", clipEscaped(strings.Join(votes, "\n"), 1500)))
	}
	head = append(head, fieldsSections(facts)...)

	var tail []slack.Block
	if s := approvalState(a); s != "" {
		tail = append(tail, contextBlock(s))
	}
	var approve, deny *slack.ButtonBlockElement
	if a.Status == consent.Pending {
		approve = slack.NewButtonBlockElement(ActionApprove, a.ID, plain("Approve"))
		if risk == action.Destructive {
			approve = approve.WithStyle(slack.StyleDanger).WithConfirm(destructiveDialog("Approve it?", a.Binding.Action, a.Binding.Project, "Approve"))
		} else {
			approve = approve.WithStyle(slack.StylePrimary)
		}
		deny = slack.NewButtonBlockElement(ActionDeny, a.ID, plain("Deny"))
		tail = append(tail, slack.NewActionBlock("", approve, deny))
	}
	r := roomBeside(head, tail, []slack.Block{section(tooLargeToConsent)})
	args, complete := argsBlocks(shown, &r)
	blocks := slices.Concat(head, args)
	if !complete && a.Status == consent.Pending {
		// Deny stays: refusing what one cannot see is always safe.
		return append(blocks, section(tooLargeToConsent), contextBlock(approvalState(a)), slack.NewActionBlock("", deny))
	}
	if !complete {
		blocks = append(blocks, contextBlock("Some arguments are not shown: they do not fit in one message."))
	}
	return append(blocks, tail...)
}

func approvalTitle(s consent.Status) string {
	switch s {
	case consent.Pending:
		return "Approval requested"
	case consent.Approved:
		return "Approved"
	case consent.Denied:
		return "Denied"
	case consent.Used:
		return "Approved and run"
	case consent.Expired:
		return "Approval expired"
	}
	return "Approval request"
}

// approvalState says where a request stands, in a sentence.
func approvalState(a consent.Approval) string {
	switch a.Status {
	case consent.Pending:
		return fmt.Sprintf(":hourglass: Waiting for %d more approval(s). Nothing runs until then; the requester cannot approve their own request.", max(a.Needed, 1)-len(a.Votes))
	case consent.Approved:
		return ":white_check_mark: Approved: it can now run, once, before it expires."
	case consent.Denied:
		s := ":no_entry: Denied by " + who(a.DeniedBy) + " " + when(a.DeniedAt)
		if a.DenyReason != "" {
			s += ": " + short(a.DenyReason, 500)
		}
		return s + ". Nothing was run."
	case consent.Used:
		return ":white_check_mark: Run " + when(a.UsedAt) + "."
	case consent.Expired:
		return ":hourglass: Expired " + when(a.ExpiresAt) + " without being run."
	}
	return ""
}

// ApprovalWaitingBlocks tells the requester an approval was asked for: the
// request's id, who may approve, how many must, where it was posted, and
// what will run.
func ApprovalWaitingBlocks(c *outcome.Challenge, postedTo string) []slack.Block {
	if c == nil {
		return []slack.Block{section("_No approval was requested._")}
	}
	head := []slack.Block{
		section(fmt.Sprintf(":hourglass: *Approval requested* to run %s (*%s*)%s. Nothing runs until it is approved.", code(c.Action), riskWord(string(c.Risk)), target(c.Project, c.Branch, c.Organization))),
	}
	facts := []string{
		field("Request", code(c.ApprovalID)),
		field("Needs", fmt.Sprintf("%d approval(s)", max(c.Approvals, 1))),
		field("Approvers", clipEscaped(whoList(c.Approvers), 1000)),
		field("Expires", when(c.ExpiresAt)),
	}
	if postedTo != "" {
		facts = append(facts, field("Posted to", channel(clip(postedTo, 200))))
	}
	facts = append(facts, ruleFields(c.Rule, c.Reason, true, "")...)
	head = append(head, fieldsSections(facts)...)
	r := roomBeside(head).less(1, 200)
	args, complete := argsBlocks(c.Args, &r)
	blocks := slices.Concat(head, args)
	if !complete {
		blocks = append(blocks, contextBlock("Some arguments are not shown: they do not fit in one message."))
	}
	return guard(blocks)
}

// ruleFields are the rule, its reason and (unless noExpiry) the expiry.
func ruleFields(rule, reason string, noExpiry bool, expires string) []string {
	var out []string
	if rule != "" {
		out = append(out, field("Rule", code(clip(rule, 200))))
	}
	if reason != "" {
		out = append(out, field("Reason", short(reason, 1000)))
	}
	if !noExpiry {
		out = append(out, field("Expires", expires))
	}
	return out
}

// target says what a call is about: " on project `x`, branch `y`, ...".
func target(project, branch, org string) string {
	var parts []string
	for _, p := range [][2]string{{"project", project}, {"branch", branch}, {"organization", org}} {
		if p[1] != "" {
			parts = append(parts, p[0]+" "+code(clip(p[1], 100)))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " on " + strings.Join(parts, ", ")
}

// destructiveDialog asks once more before a destructive call is let
// through. Slack wants plain text in a dialog, so the action and project
// are named only as far as identifiers go (see plainName).
func destructiveDialog(title, act, project, yes string) *slack.ConfirmationBlockObject {
	msg := plainName(act) + " is destructive: what it deletes or overwrites cannot be restored through the API."
	if project != "" {
		msg = plainName(act) + " on project " + plainName(project) + " is destructive: what it deletes or overwrites cannot be restored through the API."
	}
	return slack.NewConfirmationBlockObject(plain(title), plain(msg), plain(yes), plain("Cancel")).WithStyle(slack.StyleDanger)
}

// plainName is an identifier (an action name, a project ref) fit for plain
// text: letters, digits, '_', '-' and '.', at most 60 of them; anything
// else becomes '?'. Values are otherwise kept out of plain text.
func plainName(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i >= 60 {
			b.WriteString("…")
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('?')
		}
	}
	if b.Len() == 0 {
		return "?"
	}
	return b.String()
}

// clipEscaped cuts escaped mrkdwn to at most n characters.
func clipEscaped(s string, n int) string {
	if slackLen(s) <= n {
		return s
	}
	s = firstPiece(s, n-1)
	if strings.Count(s, "`")%2 == 1 {
		// A cut code span would swallow what follows.
		s = s[:strings.LastIndexByte(s, '`')]
	}
	return s + "…"
}

// argsBlocks shows every argument in full as consent.Display laid it out:
// the value as code, what of it is not shown, and what it means. It reports
// false when they did not all fit in r.
func argsBlocks(shown []consent.Shown, r *room) ([]slack.Block, bool) {
	label := fmt.Sprintf("*Arguments* (%d)", len(shown))
	if len(shown) == 0 {
		label = "*Arguments:* none"
	}
	var pieces []string
	pieces = append(pieces, label)
	for _, s := range shown {
		pieces = append(pieces, argPieces(s)...)
	}
	blocks, placed := packLines(pieces, r, false)
	return blocks, placed == len(pieces)
}

// argPieces lays out one argument in pieces of at most a section each.
func argPieces(s consent.Shown) []string {
	name := "• " + code(clip(s.Name, 200))
	var tail []string
	if s.HiddenBytes > 0 {
		tail = append(tail, fmt.Sprintf("_… and %d more bytes not shown; the whole value has sha256_ %s", s.HiddenBytes, code(s.SHA256)))
	}
	if s.Note != "" {
		tail = append(tail, "_"+short(s.Note, 1000)+"_")
	}
	if strings.ContainsRune(s.Text, '`') {
		tail = append(tail, fmt.Sprintf("_(%c stands for a backtick)_", backtick))
	}
	if utf8.RuneCountInString(s.Text) <= 80 && !strings.ContainsAny(s.Text, "\r\n") {
		return []string{strings.Join(append([]string{name + ": " + code(s.Text)}, tail...), "\n")}
	}
	escaped := esc(s.Text, true)
	var pieces []string
	for first := true; escaped != "" || first; first = false {
		lead := ""
		if first {
			lead = name + ":\n"
		}
		piece := firstPiece(escaped, MaxTextLen-fenceLen-slackLen(lead)-1)
		if piece == "" && escaped != "" {
			break // cannot happen with a limit of thousands
		}
		pieces = append(pieces, lead+fence(piece))
		escaped = strings.TrimPrefix(escaped[len(piece):], "\n")
	}
	return append(pieces, tail...)
}
