package slackfake_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/supaops/supaops/internal/slackbot/slackfake"
)

func TestWebAPIMethods(t *testing.T) {
	f := slackfake.New(t)
	f.SetUsergroups(
		slackfake.Usergroup{ID: "S1", Handle: "dba", Name: "DBAs", Users: []string{"U1", "U2"}},
		slackfake.Usergroup{ID: "S2", Handle: "oncall", Name: "On call"},
	)
	api := f.Client("xoxb-bot")
	ctx := t.Context()

	auth, err := api.AuthTestContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	id := slackfake.DefaultIdentity()
	if auth.TeamID != id.TeamID || auth.UserID != id.BotUserID || auth.BotID != id.BotID {
		t.Errorf("auth.test = %+v", auth)
	}

	ch, ts, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("hello", false),
		slack.MsgOptionBlocks(slack.NewDividerBlock()))
	if err != nil || ch != "C1" || ts == "" {
		t.Fatalf("chat.postMessage = %q %q %v", ch, ts, err)
	}
	if _, err := api.PostEphemeralContext(ctx, "C1", "U1", slack.MsgOptionText("psst", false)); err != nil {
		t.Fatal(err)
	}
	uch, uts, _, err := api.UpdateMessageContext(ctx, "C1", ts, slack.MsgOptionText("hello again", false))
	if err != nil || uch != "C1" || uts != ts {
		t.Fatalf("chat.update = %q %q %v", uch, uts, err)
	}

	groups, err := api.GetUserGroupsContext(ctx, slack.GetUserGroupsOptionIncludeUsers(true))
	if err != nil || len(groups) != 2 || groups[0].Handle != "dba" || !slices.Equal(groups[0].Users, []string{"U1", "U2"}) {
		t.Fatalf("usergroups.list = %+v, %v", groups, err)
	}
	if groups, _ := api.GetUserGroupsContext(ctx); len(groups) != 2 || groups[0].Users != nil || groups[0].UserCount != 2 {
		t.Errorf("usergroups.list without include_users = %+v", groups)
	}
	members, err := api.GetUserGroupMembersContext(ctx, "S1")
	if err != nil || !slices.Equal(members, []string{"U1", "U2"}) {
		t.Fatalf("usergroups.users.list = %v, %v", members, err)
	}
	if _, err := api.GetUserGroupMembersContext(ctx, "S9"); err == nil || err.Error() != "no_such_subteam" {
		t.Errorf("unknown usergroup: %v", err)
	}

	file, err := api.UploadFileContext(ctx, slack.UploadFileParameters{
		Content: "a,b\n1,2\n", FileSize: 8, Filename: "rows.csv", Title: "Rows", Channel: "C1", ThreadTimestamp: ts,
	})
	if err != nil {
		t.Fatal(err)
	}
	ups := f.Uploads()
	if len(ups) != 1 || ups[0].FileID != file.ID || string(ups[0].Content) != "a,b\n1,2\n" || ups[0].Filename != "rows.csv" ||
		ups[0].Title != "Rows" || ups[0].ChannelID != "C1" || ups[0].ThreadTS != ts || !ups[0].Completed {
		t.Errorf("uploads = %+v", ups)
	}

	var methods []string
	for _, c := range f.Calls() {
		methods = append(methods, c.Method)
		if c.Token != "xoxb-bot" || c.Error != "" && c.Method != "usergroups.users.list" {
			t.Errorf("call %s: token %q error %q", c.Method, c.Token, c.Error)
		}
		if c.Param("token") != "" {
			t.Errorf("call %s: token left in params", c.Method)
		}
	}
	want := []string{"auth.test", "chat.postMessage", "chat.postEphemeral", "chat.update", "usergroups.list", "usergroups.list",
		"usergroups.users.list", "usergroups.users.list", "files.getUploadURLExternal", "files.completeUploadExternal"}
	if !slices.Equal(methods, want) {
		t.Errorf("calls = %v\nwant %v", methods, want)
	}
	post := f.CallsTo("chat.postMessage")[0]
	if post.Param("channel") != "C1" || post.Param("text") != "hello" || !strings.Contains(post.Param("blocks"), `"divider"`) {
		t.Errorf("chat.postMessage params = %v", post.Params)
	}
	if c := f.CallsTo("usergroups.list")[0]; c.Param("include_users") != "true" {
		t.Errorf("usergroups.list params = %v", c.Params)
	}
	if u := f.UnknownCalls(); len(u) != 0 {
		t.Errorf("unknown calls: %+v", u)
	}
}

func TestUnknownMethodAnsweredAndRecorded(t *testing.T) {
	f := slackfake.New(t)
	api := f.Client("xoxb-bot")
	_, err := api.GetConversationInfoContext(t.Context(), &slack.GetConversationInfoInput{ChannelID: "C1"})
	if err == nil || err.Error() != "unknown_method" {
		t.Fatalf("err = %v", err)
	}
	u := f.UnknownCalls()
	if len(u) != 1 || u[0].Method != "conversations.info" || u[0].Param("channel") != "C1" || u[0].Token != "xoxb-bot" {
		t.Fatalf("unknown calls = %+v", u)
	}
}

func TestTokens(t *testing.T) {
	f := slackfake.New(t)
	f.RefuseToken("xoxb-revoked")
	ctx := t.Context()
	tests := []struct {
		token, want string
	}{
		{"xoxb-revoked", "invalid_auth"},
		{"", "not_authed"},
		{"xapp-app-token", "not_allowed_token_type"},
		{"xoxb-fine", ""},
	}
	for _, tt := range tests {
		_, err := f.Client(tt.token).AuthTestContext(ctx)
		if got := errString(err); got != tt.want {
			t.Errorf("token %q: %q, want %q", tt.token, got, tt.want)
		}
	}
	if _, _, err := f.Client("xoxb-revoked").PostMessageContext(ctx, "C1", slack.MsgOptionText("x", false)); errString(err) != "invalid_auth" {
		t.Errorf("chat.postMessage with a refused token: %v", err)
	}
	calls := f.Calls()
	if len(calls) != 5 || calls[0].Error != "invalid_auth" || calls[3].Error != "" {
		t.Errorf("calls = %+v", calls)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestRateLimit(t *testing.T) {
	f := slackfake.New(t)
	f.RateLimit("chat.postMessage", 7, 1)
	api := f.Client("xoxb-bot")
	_, _, err := api.PostMessageContext(t.Context(), "C1", slack.MsgOptionText("x", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 7*time.Second {
		t.Fatalf("err = %v", err)
	}
	if _, _, err := api.PostMessageContext(t.Context(), "C1", slack.MsgOptionText("x", false)); err != nil {
		t.Fatalf("after the limit: %v", err)
	}
	f.RateLimit("auth.test", 1, -1)
	for range 3 {
		if _, err := api.AuthTestContext(t.Context()); !errors.As(err, &rl) {
			t.Fatalf("auth.test limited for ever: %v", err)
		}
	}
	f.RateLimit("auth.test", 0, 0)
	if _, err := api.AuthTestContext(t.Context()); err != nil {
		t.Fatalf("limit lifted: %v", err)
	}
	if c := f.CallsTo("chat.postMessage"); len(c) != 2 || c[0].Error != "ratelimited" || c[1].Error != "" {
		t.Errorf("calls = %+v", c)
	}
}

func TestResponseURL(t *testing.T) {
	f := slackfake.New(t)
	ctx := t.Context()
	u := f.ResponseURL("cmd 1/x")
	if err := slack.PostWebhookContext(ctx, u, &slack.WebhookMessage{Text: "done", ResponseType: slack.ResponseTypeInChannel}); err != nil {
		t.Fatal(err)
	}
	// slack-go's other way there: chat options with a response URL.
	if _, _, err := f.Client("xoxb-bot").PostMessageContext(ctx, "", slack.MsgOptionText("replaced", false), slack.MsgOptionReplaceOriginal(u)); err != nil {
		t.Fatal(err)
	}
	f.ExpireResponseURL("cmd 1/x")
	err := slack.PostWebhookContext(ctx, u, &slack.WebhookMessage{Text: "late"})
	if sc, ok := errors.AsType[slack.StatusCodeError](err); !ok || sc.Code != http.StatusNotFound {
		t.Fatalf("expired: %v", err)
	}

	posts := f.ResponsePosts("cmd 1/x")
	if len(posts) != 3 || posts[0].Expired || posts[1].Expired || !posts[2].Expired {
		t.Fatalf("posts = %+v", posts)
	}
	var first, second slack.WebhookMessage
	if err := json.Unmarshal(posts[0].Body, &first); err != nil || first.Text != "done" || first.ResponseType != "in_channel" {
		t.Errorf("first post %s: %v", posts[0].Body, err)
	}
	if err := json.Unmarshal(posts[1].Body, &second); err != nil || second.Text != "replaced" || !second.ReplaceOriginal {
		t.Errorf("second post %s: %v", posts[1].Body, err)
	}
	if len(f.ResponsePosts("other")) != 0 || len(f.Calls()) != 0 {
		t.Error("posts to a response_url recorded elsewhere")
	}
}

func TestSignedRequestsAreSlacks(t *testing.T) {
	const secret = "shhh"
	now := time.Now()
	cmd := slack.SlashCommand{
		Token: "tok", TeamID: "T1", TeamDomain: "acme", EnterpriseID: "E1", EnterpriseName: "Acme Inc",
		ChannelID: "C1", ChannelName: "ops", UserID: "U1", UserName: "alice", Command: "/supa",
		Text: `sql "select 1" & more+stuff`, ResponseURL: "https://hooks.slack.com/commands/1", TriggerID: "tr1", APIAppID: "A1",
	}
	r := slackfake.NewSlashCommandRequest("https://bot.example/slack/commands", secret, now, cmd)
	body := verify(t, r, secret)
	if !strings.HasPrefix(string(body), "token=tok&team_id=T1&team_domain=acme&enterprise_id=E1&enterprise_name=Acme+Inc&channel_id=C1") {
		t.Errorf("form not in Slack's order: %s", body)
	}
	got, err := slack.SlashCommandParse(r)
	if err != nil || got != cmd {
		t.Fatalf("parsed %+v, %v\nwant %+v", got, err, cmd)
	}

	press := slackfake.BlockActions{
		TeamID: "T1", UserID: "U2", UserName: "bob", ChannelID: "C1", TriggerID: "tr2",
		ResponseURL: "https://hooks.slack.com/actions/1", MessageTS: "1.2", ActionID: "a1", BlockID: "b1", Value: "v1",
	}
	r = slackfake.NewBlockActionsRequest("https://bot.example/slack/interactions", secret, now, press)
	verify(t, r, secret)
	cb, err := slack.InteractionCallbackParse(r)
	if err != nil {
		t.Fatal(err)
	}
	acts := cb.ActionCallback.BlockActions
	if cb.Type != slack.InteractionTypeBlockActions || cb.User.ID != "U2" || cb.Team.ID != "T1" || cb.TriggerID != "tr2" ||
		cb.Container.MessageTs != "1.2" || cb.ResponseURL != press.ResponseURL || len(acts) != 1 ||
		acts[0].ActionID != "a1" || acts[0].BlockID != "b1" || acts[0].Value != "v1" {
		t.Errorf("parsed %+v, actions %+v", cb, acts)
	}
}

// verify checks r's signature with slack-go's verifier and returns the
// body, put back for parsing.
func verify(t *testing.T, r *http.Request, secret string) []byte {
	t.Helper()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	r.Body = io.NopCloser(strings.NewReader(string(body)))
	v, err := slack.NewSecretsVerifier(r.Header, secret)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = v.Write(body)
	if err := v.Ensure(); err != nil {
		t.Fatalf("slack-go refuses the fake's signature: %v", err)
	}
	if r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		t.Errorf("Content-Type = %q", r.Header.Get("Content-Type"))
	}
	return body
}

func TestWaitEndsWithContext(t *testing.T) {
	f := slackfake.New(t)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if err := f.Wait(ctx, func() bool { return false }); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
}

// Without a client connected, sends wait for one until their context ends;
// Disconnect has nobody to tell.
func TestSocketNeedsAClient(t *testing.T) {
	f := slackfake.New(t)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, err := f.SendSlashCommand(ctx, slackfake.Envelope{}, slack.SlashCommand{}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("send: %v", err)
	}
	if err := f.Disconnect("warning"); err == nil {
		t.Error("disconnect without a connection")
	}
}

// The Socket Mode side with slack-go's client directly: hello, envelopes as
// Slack shapes them, acknowledgements recorded, refused connections.
func TestSocketModeWithSlackGo(t *testing.T) {
	f := slackfake.New(t)
	client := f.SocketModeClient("xoxb-bot", "xapp-app")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() { _ = client.RunContext(ctx) }()

	got := make(chan string, 10)
	go func() {
		for {
			var evt socketmode.Event
			select {
			case evt = <-client.Events:
			case <-ctx.Done():
				return
			}
			switch evt.Type {
			case "hello":
				got <- "hello"
			case "slash_commands":
				cmd := evt.Data.(slack.SlashCommand)
				got <- "slash " + cmd.Command + " " + cmd.Text + " " + cmd.UserID
				_ = client.Ack(*evt.Request, map[string]string{"text": "ack " + cmd.Text})
			case "interactive":
				cb := evt.Data.(slack.InteractionCallback)
				got <- "interactive " + string(cb.Type) + " " + cb.ActionCallback.BlockActions[0].ActionID
				_ = client.Ack(*evt.Request)
			}
		}
	}()
	next := func() string {
		select {
		case s := <-got:
			return s
		case <-time.After(5 * time.Second):
			t.Fatal("no event")
			return ""
		}
	}
	if s := next(); s != "hello" {
		t.Fatalf("first event %q", s)
	}
	wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
	defer wcancel()
	id, err := f.SendSlashCommand(wctx, slackfake.Envelope{ID: "e1"}, slack.SlashCommand{Command: "/supa", Text: "help", UserID: "U1"})
	if err != nil || id != "e1" {
		t.Fatal(id, err)
	}
	if s := next(); s != "slash /supa help U1" {
		t.Fatalf("event %q", s)
	}
	ack, err := f.AwaitAck(wctx, "e1")
	if err != nil || string(ack.Payload) != `{"text":"ack help"}` {
		t.Fatalf("ack %s %v", ack.Payload, err)
	}
	id, err = f.SendInteraction(wctx, slackfake.Envelope{}, slackfake.BlockActions{UserID: "U1", ActionID: "go", BlockID: "b"})
	if err != nil {
		t.Fatal(err)
	}
	if s := next(); s != "interactive block_actions go" {
		t.Fatalf("event %q", s)
	}
	if ack, err := f.AwaitAck(wctx, id); err != nil || ack.Payload != nil {
		t.Fatalf("ack %s %v", ack.Payload, err)
	}

	f.RefuseSocket(true)
	if err := f.Disconnect("refresh_requested"); err != nil {
		t.Fatal(err)
	}
	// The client comes back for a new URL and is turned away at the socket.
	if err := f.Wait(wctx, func() bool { return len(f.CallsTo("apps.connections.open")) >= 2 }); err != nil {
		t.Fatal(err)
	}
	if f.Connections() != 1 {
		t.Errorf("connections = %d", f.Connections())
	}
	f.RefuseSocket(false)
	if err := f.Wait(wctx, func() bool { return f.Connections() == 2 }); err != nil {
		t.Fatal(err)
	}
	if s := next(); s != "hello" {
		t.Fatalf("after reconnecting: %q", s)
	}
}
