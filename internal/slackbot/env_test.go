package slackbot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	"github.com/supaops/supaops/internal/app"
	"github.com/supaops/supaops/internal/app/apptest"
	"github.com/supaops/supaops/internal/sandbox"
	"github.com/supaops/supaops/internal/slackbot"
	"github.com/supaops/supaops/internal/slackbot/slackfake"
)

// allowAll lets every call through, so a test reaches the API.
const allowAll = "version: 1\ndefaults: {read: allow, write: allow, destructive: allow}\n"

// env is a bot over the whole stack (a fresh sandbox and store) and a fake
// Slack.
type env struct {
	t    testing.TB
	app  *app.App
	fake *slackfake.Fake
	bot  *slackbot.Bot
	seed sandbox.SeedInfo
	team string
	n    *atomic.Int64
}

type envOptions struct {
	policy           string
	groups           []slackfake.Usergroup
	storeFile        string
	approvalsChannel string
	fake             *slackfake.Fake
	now              func() time.Time // nil: time.Now
	// logs, when set, receives every line the app and the bot log, at
	// debug level.
	logs io.Writer
}

func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	logger := zerolog.Nop()
	if o.logs != nil {
		logger = zerolog.New(o.logs).Level(zerolog.DebugLevel).With().Timestamp().Logger()
	}
	a := apptest.New(t, apptest.Options{Policy: o.policy, StoreFile: o.storeFile, Now: o.now, Logger: &logger})
	f := o.fake
	if f == nil {
		f = slackfake.New(t)
	}
	f.SetUsergroups(o.groups...)
	bot, err := slackbot.New(a, f.Client("xoxb-test"), slackbot.Options{
		Teams: []string{f.Identity().TeamID}, ApprovalsChannel: o.approvalsChannel,
		PollInterval: 100 * time.Millisecond, PollTimeout: 30 * time.Second, Now: o.now, Logger: logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = bot.Close(ctx)
	})
	return &env{t: t, app: a, fake: f, bot: bot, seed: a.Sandbox.Seed(), team: f.Identity().TeamID, n: new(atomic.Int64)}
}

// command sends /supa text as user in channel; it returns the
// acknowledgement and the name of the command's response_url.
func (e *env) command(user, channel, text string) (slackbot.Reply, string) {
	e.t.Helper()
	name := fmt.Sprintf("cmd-%d", e.n.Add(1))
	cmd := slack.SlashCommand{
		TeamID: e.team, UserID: user, ChannelID: channel, Command: "/supa", Text: text,
		ResponseURL: e.fake.ResponseURL(name), TriggerID: "trigger-" + name,
	}
	return e.bot.Command(context.Background(), cmd), name
}

// post is one message the bot sent to a response_url.
type post struct {
	Text            string       `json:"text"`
	ResponseType    string       `json:"response_type"`
	ReplaceOriginal bool         `json:"replace_original"`
	Blocks          slack.Blocks `json:"blocks"`
	raw             string
}

// posts waits for at least n posts to the response_url called name.
func (e *env) posts(name string, n int) []post {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.fake.Wait(ctx, func() bool { return len(e.fake.ResponsePosts(name)) >= n }); err != nil {
		e.t.Fatalf("%s: %d posts, want %d: %v", name, len(e.fake.ResponsePosts(name)), n, err)
	}
	var out []post
	for _, rp := range e.fake.ResponsePosts(name) {
		var p post
		if err := json.Unmarshal(rp.Body, &p); err != nil {
			e.t.Fatalf("%s: a post that is not a message: %v\n%s", name, err, rp.Body)
		}
		p.raw = string(rp.Body)
		if err := slackbot.Check(p.Blocks.BlockSet); err != nil {
			e.t.Errorf("%s: a post breaks Slack's limits: %v", name, err)
		}
		out = append(out, p)
	}
	return out
}

// last waits for the post that answers the command (the n-th).
func (e *env) last(name string, n int) post {
	e.t.Helper()
	p := e.posts(name, n)
	return p[len(p)-1]
}

// buttons returns the buttons of a post: action id → value.
func buttons(p post) map[string]string {
	out := map[string]string{}
	for _, b := range p.Blocks.BlockSet {
		ab, ok := b.(*slack.ActionBlock)
		if !ok || ab.Elements == nil {
			continue
		}
		for _, el := range ab.Elements.ElementSet {
			if btn, ok := el.(*slack.ButtonBlockElement); ok {
				out[btn.ActionID] = btn.Value
			}
		}
	}
	return out
}

// press presses a button as user in channel; the bot answers on the
// response_url called name.
func (e *env) press(user, channel, actionID, value string) (slackbot.Reply, string) {
	e.t.Helper()
	name := fmt.Sprintf("press-%d", e.n.Add(1))
	payload, err := json.Marshal(slackfake.BlockActions{
		TeamID: e.team, UserID: user, ChannelID: channel, TriggerID: "trigger-" + name,
		ResponseURL: e.fake.ResponseURL(name), ActionID: actionID, Value: value, ActionTS: fmt.Sprintf("1700000000.%06d", e.n.Load()),
	})
	if err != nil {
		e.t.Fatal(err)
	}
	var cb slack.InteractionCallback
	if err := json.Unmarshal(payload, &cb); err != nil {
		e.t.Fatal(err)
	}
	return e.bot.Interaction(context.Background(), cb), name
}

// text is everything a post says, for assertions.
func (p post) text() string { return p.raw }

func contains(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q:\n%.2000s", what, w, text)
		}
	}
}

func jsonCompact(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// buttonsOfCall reads the buttons of a chat.postMessage call.
func buttonsOfCall(c slackfake.Call) map[string]string {
	raw := c.Param("blocks")
	if raw == "" && c.JSON != nil {
		var m struct {
			Blocks json.RawMessage `json:"blocks"`
		}
		_ = json.Unmarshal(c.JSON, &m)
		raw = string(m.Blocks)
	}
	var blocks slack.Blocks
	_ = json.Unmarshal([]byte(raw), &blocks)
	return buttons(post{Blocks: blocks})
}
