package slackbot_test

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/supaops/supaops/internal/audit"
	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/slackbot"
	"github.com/supaops/supaops/internal/slackbot/slackfake"
	"github.com/supaops/supaops/internal/store/storetest"
	"github.com/supaops/supaops/internal/textargs"
	"github.com/supaops/supaops/internal/tools"
)

// commandFor writes /supa text for an action with arguments.
func commandFor(a *tools.Action, args map[string]any) string {
	words := []string{a.Name}
	for _, k := range slices.Sorted(maps.Keys(args)) {
		v := args[k]
		var s string
		switch x := v.(type) {
		case string:
			s = x
		default:
			b, _ := jsonCompact(x)
			s = b
		}
		words = append(words, k+"="+s)
	}
	return textargs.Join(words)
}

// secretShapes are the starts of every secret value the sandbox hands out:
// none may reach Slack.
var secretShapes = []string{
	"sandbox-db-pass", "sandbox-jwt-secret", "sandbox-secret-", "sandbox-claim-token-", "sbp_oauth_",
	"sb_secret_sandbox", "sandbox-password-", "sandbox-refresh-token-", "sandbox-token",
}

// Every action of the registry is reachable as a slash command: its
// arguments parse, it reaches the pipeline, and what comes back is valid
// Block Kit with every secret redacted.
func TestEveryActionFromSlack(t *testing.T) {
	logs := &lockedBuffer{}
	e := newEnv(t, envOptions{policy: allowAll, logs: logs})
	known := map[string]any{
		"ref": e.seed.ProjectRef, "slug": e.seed.OrgSlug, "branch_id_or_ref": e.seed.PreviewBranchRef,
		"function_slug": e.seed.FunctionSlugs[0],
	}
	redacted := 0 // answers that showed a masked secret: the check below is not vacuous
	for _, a := range e.app.Registry.Actions() {
		t.Run(a.Name, func(t *testing.T) {
			text := commandFor(a, a.Example(known))
			reply, name := e.command("U0DEV", "C0OPS", text)
			if reply.Empty() || !strings.Contains(reply.Text, "Working on") {
				t.Fatalf("ack %+v", reply)
			}
			p := e.last(name, 1)
			for _, bad := range []string{"Unknown action", "could not read", "Invalid arguments"} {
				if strings.Contains(p.text(), bad) {
					t.Fatalf("%s: %s", text, p.text())
				}
			}
			for _, s := range secretShapes {
				if strings.Contains(p.text(), s) {
					t.Errorf("a secret (%s…) reached Slack:\n%.500s", s, p.text())
				}
			}
			if strings.Contains(p.text(), "[REDACTED]") {
				redacted++
			}
		})
	}
	if redacted < 10 {
		t.Errorf("only %d answers showed a masked secret", redacted)
	}
	// Nor may any reach the log of the whole run, at debug level.
	logged := logs.String()
	if n := strings.Count(logged, "\n"); n < len(e.app.Registry.Actions()) {
		t.Fatalf("only %d log lines for %d calls: the scan below would be vacuous", n, len(e.app.Registry.Actions()))
	}
	for line := range strings.Lines(logged) {
		for _, s := range append(secretShapes, "xoxb-test") {
			if strings.Contains(line, s) {
				t.Errorf("a secret (%s…) reached the log: %.500s", s, line)
			}
		}
	}
}

// lockedBuffer is a log destination for goroutines writing at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Slack resends a command it thinks was lost: it runs once.
func TestRetriesRunOnce(t *testing.T) {
	e := newEnv(t, envOptions{policy: allowAll})
	cmd := slack.SlashCommand{
		TeamID: e.team, UserID: "U0DEV", ChannelID: "C0OPS", Command: "/supa",
		Text: "project_update ref=" + e.seed.ProjectRef + " name=once", ResponseURL: e.fake.ResponseURL("retry"), TriggerID: "trigger-retry",
	}
	first := e.bot.Command(context.Background(), cmd)
	second := e.bot.Command(slackbot.WithRetry(context.Background(), 1, "http_timeout"), cmd)
	if first.Empty() || second.Empty() {
		t.Fatalf("every delivery is acknowledged: first %+v second %+v", first, second)
	}
	e.posts("retry", 1)
	time.Sleep(300 * time.Millisecond)
	if n := len(e.fake.ResponsePosts("retry")); n != 1 {
		t.Errorf("%d answers to one command", n)
	}
	if n := e.app.Sandbox.Requests("v1-update-a-project"); n != 1 {
		t.Errorf("the project was updated %d times", n)
	}
}

func TestOtherWorkspacesAndCommandsAreRefused(t *testing.T) {
	e := newEnv(t, envOptions{policy: allowAll})
	reply := e.bot.Command(context.Background(), slack.SlashCommand{TeamID: "T0OTHER", UserID: "U1", ChannelID: "C1", Command: "/supa", Text: "projects"})
	if !strings.Contains(reply.Text, "not one this supaops serves") {
		t.Errorf("another workspace: %+v", reply)
	}
	reply = e.bot.Command(context.Background(), slack.SlashCommand{TeamID: e.team, UserID: "U1", ChannelID: "C1", Command: "/other", Text: "projects"})
	if !strings.Contains(reply.Text, "/supa") {
		t.Errorf("another command: %+v", reply)
	}
	if n := e.app.Sandbox.Requests("v1-list-all-projects"); n != 0 {
		t.Errorf("%d API calls", n)
	}
}

func TestHelpSearchDescribeAnswerAtOnce(t *testing.T) {
	e := newEnv(t, envOptions{})
	for text, want := range map[string]string{
		"help":                   "search",
		"search pause a project": "project_pause",
		"describe project_pause": "project_pause",
		"describe project_paus":  "project_pause", // the closest names
	} {
		reply, _ := e.command("U1", "C1", text)
		if reply.ResponseType != slack.ResponseTypeEphemeral || len(reply.Blocks) == 0 {
			t.Errorf("%s: %+v", text, reply)
			continue
		}
		if err := slackbot.Check(reply.Blocks); err != nil {
			t.Errorf("%s: %v", text, err)
		}
		blocks, _ := jsonCompact(reply.Blocks)
		if !strings.Contains(blocks, want) {
			t.Errorf("%s lacks %q: %.400s", text, want, blocks)
		}
	}
}

// Bad arguments: which one, what is allowed, an example; nothing is sent.
func TestBadArgumentsSayHowToFixThem(t *testing.T) {
	e := newEnv(t, envOptions{policy: allowAll})
	_, name := e.command("U1", "C1", "project_get ref=short")
	p := e.last(name, 1)
	contains(t, "the answer", p.text(), "ref", "20", "/supa project_get ref=")
	_, name = e.command("U1", "C1", "project_gett ref="+e.seed.ProjectRef)
	contains(t, "the answer", e.last(name, 1).text(), "project_get")
}

// Confirm: only the requester can press, once; the call runs then.
func TestConfirmWithButtons(t *testing.T) {
	e := newEnv(t, envOptions{}) // the shipped default: writes are confirmed
	_, name := e.command("U0DEV", "C0OPS", "project_update ref="+e.seed.ProjectRef+" name=renamed-in-slack")
	p := e.last(name, 1)
	contains(t, "the confirmation", p.text(), "project_update", "renamed-in-slack", "default:write")
	btn := buttons(p)
	id := btn[slackbot.ActionConfirm]
	if id == "" || btn[slackbot.ActionCancel] != id {
		t.Fatalf("buttons %v", btn)
	}
	if strings.Contains(p.text(), "c1.") {
		t.Error("the consent token reached Slack")
	}
	// Someone else presses Confirm: refused, nothing runs.
	_, other := e.press("U0OTHER", "C0OPS", slackbot.ActionConfirm, id)
	contains(t, "the refusal", e.last(other, 1).text(), "Not confirmed", "only the person who asked")
	if n := e.app.Sandbox.Requests("v1-update-a-project"); n != 0 {
		t.Fatalf("ran on someone else's press: %d", n)
	}
	// The requester presses: it runs.
	_, mine := e.press("U0DEV", "C0OPS", slackbot.ActionConfirm, id)
	done := e.last(mine, 1)
	if !done.ReplaceOriginal || strings.Contains(done.text(), "Not confirmed") {
		t.Fatalf("confirmed press: %s", done.text())
	}
	if n := e.app.Sandbox.Requests("v1-update-a-project"); n != 1 {
		t.Fatalf("ran %d times", n)
	}
	// A replay is refused.
	_, again := e.press("U0DEV", "C0OPS", slackbot.ActionConfirm, id)
	contains(t, "the replay", e.last(again, 1).text(), "no longer waiting")
	if n := e.app.Sandbox.Requests("v1-update-a-project"); n != 1 {
		t.Errorf("ran %d times after a replay", n)
	}
	// Every press is in the audit log, refusals included.
	entries, err := e.app.Audit.Query(context.Background(), auditFilter("slack:confirm"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Errorf("%d refused presses recorded, want 2 (another user, the replay)", len(entries))
	}
}

// A confirmation pressed after it expired is refused, and says why.
func TestConfirmExpires(t *testing.T) {
	clock := storetest.NewClock()
	e := newEnv(t, envOptions{now: clock.Now})
	_, name := e.command("U0DEV", "C0OPS", "project_update ref="+e.seed.ProjectRef+" name=late")
	id := buttons(e.last(name, 1))[slackbot.ActionConfirm]
	clock.Advance(11 * time.Minute) // the shipped default confirms within 10 minutes
	_, pressed := e.press("U0DEV", "C0OPS", slackbot.ActionConfirm, id)
	contains(t, "a late confirmation", e.last(pressed, 1).text(), "Not confirmed", "expired")
	if n := e.app.Sandbox.Requests("v1-update-a-project"); n != 0 {
		t.Errorf("ran %d times", n)
	}
}

// Cancel drops the call; it is recorded.
func TestCancel(t *testing.T) {
	e := newEnv(t, envOptions{})
	_, name := e.command("U0DEV", "C0OPS", "project_update ref="+e.seed.ProjectRef+" name=never")
	id := buttons(e.last(name, 1))[slackbot.ActionCancel]
	_, pressed := e.press("U0DEV", "C0OPS", slackbot.ActionCancel, id)
	contains(t, "the cancel", e.last(pressed, 1).text(), "Cancelled", "nothing was done")
	_, late := e.press("U0DEV", "C0OPS", slackbot.ActionConfirm, id)
	contains(t, "a confirm after cancel", e.last(late, 1).text(), "no longer waiting")
	if n := e.app.Sandbox.Requests("v1-update-a-project"); n != 0 {
		t.Errorf("ran %d times", n)
	}
}

const approvePolicy = `version: 1
defaults: {read: allow, write: confirm, destructive: deny}
rules:
  - name: pausing-needs-a-lead
    effect: approve
    actions: [project_pause]
    approvers: ["slack:usergroup:S0LEADS"]
`

var leads = slackfake.Usergroup{ID: "S0LEADS", Handle: "leads", Users: []string{"U0LEAD"}}

// Approve: the request is posted to the requester's channel with buttons;
// the requester cannot approve; a lead can, and the call then runs once and
// the requester is told.
func TestApprovalInSlack(t *testing.T) {
	e := newEnv(t, envOptions{policy: approvePolicy, groups: []slackfake.Usergroup{leads}})
	_, name := e.command("U0DEV", "C0OPS", "project_pause ref="+e.seed.ProjectRef)
	contains(t, "the requester's answer", e.last(name, 1).text(), "approval")
	msg := waitChannelPost(t, e, "C0OPS")
	btn := buttonsOfCall(msg)
	id := btn[slackbot.ActionApprove]
	if id == "" || btn[slackbot.ActionDeny] != id {
		t.Fatalf("approval buttons %v", btn)
	}
	_, self := e.press("U0DEV", "C0OPS", slackbot.ActionApprove, id)
	contains(t, "self-approval", e.last(self, 1).text(), "Not counted")
	_, lead := e.press("U0LEAD", "C0OPS", slackbot.ActionApprove, id)
	status := e.last(lead, 1)
	if !status.ReplaceOriginal || buttons(status)[slackbot.ActionApprove] != "" {
		t.Errorf("the request message must be replaced, without buttons: %s", status.text())
	}
	// The held call runs, once, and the requester hears of it.
	e.posts(name, 2)
	if n := e.app.Sandbox.Requests("v1-pause-a-project"); n != 1 {
		t.Errorf("paused %d times", n)
	}
	_, twice := e.press("U0LEAD", "C0OPS", slackbot.ActionApprove, id)
	contains(t, "a second approval", e.last(twice, 1).text(), "Not counted")
	time.Sleep(200 * time.Millisecond)
	if n := e.app.Sandbox.Requests("v1-pause-a-project"); n != 1 {
		t.Errorf("paused %d times", n)
	}
}

// A request made over MCP is announced in Slack, also by a bot started
// after it (a restart), approved there, and run by its requester.
func TestApproveInSlackWhatMCPAsked(t *testing.T) {
	store := t.TempDir() + "/shared.db"
	mcp := newEnv(t, envOptions{policy: approvePolicy, storeFile: store})
	req := pipeline.Request{Principal: "mcp:local", Surface: "mcp", Action: "project_pause", Args: map[string]any{"ref": mcp.seed.ProjectRef}}
	_, err := mcp.app.Pipeline.Call(context.Background(), req)
	na := asNotAllowed(t, err)
	// The bot of another process on the same store, started now.
	bot := newEnv(t, envOptions{policy: approvePolicy, storeFile: store, groups: []slackfake.Usergroup{leads}, approvalsChannel: "C0LEADS"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go bot.bot.WatchApprovals(ctx, 50*time.Millisecond)
	msg := waitChannelPost(t, bot, "C0LEADS")
	if buttonsOfCall(msg)[slackbot.ActionApprove] != na.Decision.ApprovalID {
		t.Fatalf("announced %v, want approval %s", buttonsOfCall(msg), na.Decision.ApprovalID)
	}
	_, pressed := bot.press("U0LEAD", "C0LEADS", slackbot.ActionApprove, na.Decision.ApprovalID)
	contains(t, "the status", bot.last(pressed, 1).text(), "approved")
	req.Confirmation = na.Decision.Token
	if _, err := mcp.app.Pipeline.Call(context.Background(), req); err != nil {
		t.Fatalf("the approved call: %v", err)
	}
}

// A channel bound to a project scopes every call there, as --project-ref.
func TestBoundChannel(t *testing.T) {
	e := newEnv(t, envOptions{policy: allowAll})
	_, name := e.command("U0LEAD", "C0OPS", "bind "+e.seed.ProjectRef)
	contains(t, "the binding", e.last(name, 1).text(), "bound to project "+e.seed.ProjectRef)
	_, name = e.command("U0DEV", "C0OPS", "project_get")
	contains(t, "an injected ref", e.last(name, 1).text(), e.seed.ProjectRef)
	other := e.seed.ProjectRefs[len(e.seed.ProjectRefs)-1]
	_, name = e.command("U0DEV", "C0OPS", "project_get ref="+other)
	contains(t, "another project", e.last(name, 1).text(), "scope:project")
	_, name = e.command("U0DEV", "C0ELSEWHERE", "project_get ref="+other)
	if strings.Contains(e.last(name, 1).text(), "scope:project") {
		t.Error("another channel is scoped too")
	}
}

// Policies name user groups; membership comes from Slack, by id.
func TestUsergroupsReachThePolicy(t *testing.T) {
	policy := `version: 1
defaults: {read: allow, write: deny, destructive: deny}
rules:
  - name: oncall-writes
    effect: allow
    principals: ["slack:usergroup:S0ONCALL"]
    actions: [project_update]
`
	e := newEnv(t, envOptions{policy: policy, groups: []slackfake.Usergroup{{ID: "S0ONCALL", Handle: "oncall", Users: []string{"U0ONCALL"}}}})
	_, name := e.command("U0DEV", "C0OPS", "project_update ref="+e.seed.ProjectRef+" name=x")
	contains(t, "not on call", e.last(name, 1).text(), "default:write")
	_, name = e.command("U0ONCALL", "C0OPS", "project_update ref="+e.seed.ProjectRef+" name=x")
	if p := e.last(name, 1); strings.Contains(p.text(), "Refused") || strings.Contains(p.text(), "denied") {
		t.Errorf("on call: %s", p.text())
	}
}

// A long-running operation is followed until it is done.
func TestLongRunningIsFollowed(t *testing.T) {
	e := newEnv(t, envOptions{policy: allowAll})
	_, name := e.command("U0DEV", "C0OPS", "project_pause ref="+e.seed.ProjectRef)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := e.fake.Wait(ctx, func() bool {
		posts := e.fake.ResponsePosts(name)
		return len(posts) > 1 && strings.Contains(string(posts[len(posts)-1].Body), "INACTIVE")
	})
	if err != nil {
		t.Fatalf("never saw the project paused: %v", e.fake.ResponsePosts(name))
	}
	n := len(e.fake.ResponsePosts(name))
	if n > slackbot.ResponseURLPosts {
		t.Errorf("%d posts to one response_url, Slack takes %d", n, slackbot.ResponseURLPosts)
	}
	t.Logf("%d messages posted for one project_pause, followed to its end", n)
}

func waitChannelPost(t *testing.T, e *env, channel string) slackfake.Call {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var found slackfake.Call
	err := e.fake.Wait(ctx, func() bool {
		for _, c := range e.fake.CallsTo("chat.postMessage") {
			if c.Param("channel") == channel {
				found = c
				return true
			}
		}
		return false
	})
	if err != nil {
		t.Fatalf("nothing posted to %s: %v", channel, e.fake.Calls())
	}
	return found
}

func asNotAllowed(t *testing.T, err error) *pipeline.NotAllowedError {
	t.Helper()
	var na *pipeline.NotAllowedError
	if !errors.As(err, &na) {
		t.Fatalf("want a refusal, got %v", err)
	}
	return na
}

func auditFilter(action string) audit.Filter { return audit.Filter{Action: action} }
