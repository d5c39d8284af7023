package slackbot_test

import (
	"strings"
	"testing"

	"github.com/supaops/supaops/internal/slackbot"
)

// Composites from Slack: a check answers in one message, and branch_rebase
// is confirmed once with the buttons, then pushes the branch once.
func TestCompositesFromSlack(t *testing.T) {
	e := newEnv(t, envOptions{}) // the shipped default: writes are confirmed
	_, name := e.command("U0DEV", "C0OPS", "rls_check ref="+e.seed.ProjectRef)
	contains(t, "rls_check", e.last(name, 1).text(), "orders", "rls_disabled", "open_policy")

	_, name = e.command("U0DEV", "C0OPS", "branch_rebase branch_id_or_ref="+e.seed.PreviewBranchRef)
	p := e.last(name, 1)
	contains(t, "the confirmation", p.text(), "branch_rebase", e.seed.PreviewBranchRef)
	id := buttons(p)[slackbot.ActionConfirm]
	if id == "" {
		t.Fatalf("no Confirm button: %s", p.text())
	}
	if n := e.app.Sandbox.Requests("v1-push-a-branch"); n != 0 {
		t.Fatalf("pushed before the confirmation: %d", n)
	}
	_, mine := e.press("U0DEV", "C0OPS", slackbot.ActionConfirm, id)
	if done := e.last(mine, 1); strings.Contains(done.text(), "Not confirmed") || strings.Contains(done.text(), "needs confirmation") {
		t.Fatalf("confirmed press: %s", done.text())
	}
	if n := e.app.Sandbox.Requests("v1-push-a-branch"); n != 1 {
		t.Errorf("pushed %d times, want once", n)
	}
}
