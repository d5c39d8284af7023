package slackbot

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/supaops/supaops/internal/audit"
	"github.com/supaops/supaops/internal/consent"
)

// ApprovalsListBlocks lists approval requests, one a line: id, status,
// action and project, who asked, approvals so far, expiry.
func ApprovalsListBlocks(list []consent.Approval) []slack.Block {
	if len(list) == 0 {
		return []slack.Block{section("_No approval requests._")}
	}
	head := []slack.Block{header("Approval requests")}
	lines := make([]string, len(list))
	for i, a := range list {
		line := fmt.Sprintf("• %s · *%s* · %s%s · asked by %s · %d of %d approvals",
			code(a.ID), text(string(a.Status)), code(clip(a.Binding.Action, 128)), target(a.Binding.Project, a.Branch, ""),
			who(a.Binding.Principal), len(a.Votes), max(a.Needed, 1))
		switch a.Status {
		case consent.Pending, consent.Approved:
			line += " · expires " + when(a.ExpiresAt)
		case consent.Denied:
			line += " · denied by " + who(a.DeniedBy)
		}
		lines[i] = line
	}
	r := roomBeside(head).less(2, 2*noteChars)
	body, placed := packLines(lines, &r, false)
	blocks := slices.Concat(head, body)
	var notes []string
	if placed < len(lines) {
		notes = append(notes, fmt.Sprintf("Showing %d of %d requests.", placed, len(lines)))
	}
	notes = append(notes, text("Act on one by its id: approve <id>, or deny <id> [reason]."))
	return guard(append(blocks, contextBlock(notes...)))
}

// AuditBlocks lists audit entries as given, one a line: sequence, time,
// event, who, action and project, the decision, and what came of it.
func AuditBlocks(entries []audit.Entry) []slack.Block {
	if len(entries) == 0 {
		return []slack.Block{section("_No audit entries match._")}
	}
	head := []slack.Block{header("Audit log")}
	lines := make([]string, len(entries))
	for i, e := range entries {
		lines[i] = auditLine(e)
	}
	r := roomBeside(head).less(1, noteChars)
	body, placed := packLines(lines, &r, false)
	blocks := slices.Concat(head, body)
	if placed < len(lines) {
		blocks = append(blocks, contextBlock(fmt.Sprintf("Showing %d of %d entries; narrow with --since, --action or --project.", placed, len(lines))))
	}
	return guard(blocks)
}

func auditLine(e audit.Entry) string {
	rec := e.Record
	parts := []string{fmt.Sprintf("`#%d` %s", e.Seq, when(e.Time))}
	if rec.Event != "" {
		parts = append(parts, "*"+text(string(rec.Event))+"*")
	}
	parts = append(parts, who(clip(rec.Principal, 100)), code(clip(rec.Action, 128))+target(rec.Project, rec.Branch, ""))
	if d := rec.Decision; d.Effect != "" {
		s := text(string(d.Effect))
		if d.Rule != "" {
			s += " by " + code(clip(d.Rule, 100))
		}
		parts = append(parts, s)
	}
	if rec.Status != 0 {
		parts = append(parts, fmt.Sprintf("HTTP %d %s", rec.Status, http.StatusText(rec.Status)))
	}
	if rec.Duration > 0 {
		parts = append(parts, duration(rec.Duration))
	}
	if rec.Error != "" {
		parts = append(parts, "_"+short(rec.Error, 200)+"_")
	}
	return "• " + strings.Join(parts, " · ")
}

// ProgressBlocks shows a long-running operation: the action, its state so
// far, whether it is done, failed or still running, and how long it has
// taken; note (optional) says more, such as how it is followed.
func ProgressBlocks(action string, state string, done, failed bool, elapsed time.Duration, note string) []slack.Block {
	var s string
	switch {
	case failed:
		s = ":x: " + code(clip(action, 128)) + " failed"
	case done:
		s = ":white_check_mark: " + code(clip(action, 128)) + " is done"
	default:
		s = ":hourglass_flowing_sand: " + code(clip(action, 128)) + " is still running"
	}
	if state != "" {
		s += " · state " + code(clip(state, 200))
	}
	s += " · " + duration(elapsed)
	blocks := []slack.Block{section(s)}
	if note != "" {
		blocks = append(blocks, contextBlock(short(note, 1000)))
	}
	return guard(blocks)
}
