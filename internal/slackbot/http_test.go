package slackbot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	"github.com/supaops/supaops/internal/slackbot/slackfake"
)

const testSecret = "8f742231b10e8888abcd99yyyzzz85a5"

// testNow is the HTTP transport's clock in tests.
var testNow = time.Unix(1_700_000_000, 0)

// delivered is what one Handler call saw.
type delivered struct {
	cmd    *slack.SlashCommand
	cb     *slack.InteractionCallback
	retry  int
	reason string
}

// recordingHandler records what reaches it and answers reply.
type recordingHandler struct {
	reply Reply
	// panicText makes Command panic for a command with that text.
	panicText string

	mu   sync.Mutex
	seen []delivered
}

func (h *recordingHandler) Command(ctx context.Context, cmd slack.SlashCommand) Reply {
	h.mu.Lock()
	h.seen = append(h.seen, delivered{cmd: &cmd, retry: RetryNum(ctx), reason: RetryReason(ctx)})
	h.mu.Unlock()
	if h.panicText != "" && cmd.Text == h.panicText {
		panic("handler bug")
	}
	return h.reply
}

func (h *recordingHandler) Interaction(ctx context.Context, cb slack.InteractionCallback) Reply {
	h.mu.Lock()
	h.seen = append(h.seen, delivered{cb: &cb, retry: RetryNum(ctx), reason: RetryReason(ctx)})
	h.mu.Unlock()
	return h.reply
}

func (h *recordingHandler) calls() []delivered {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]delivered(nil), h.seen...)
}

func testCommand() slack.SlashCommand {
	return slack.SlashCommand{
		Token: "legacy-verification-token", TeamID: "T1", TeamDomain: "acme",
		ChannelID: "C1", ChannelName: "ops", UserID: "U1", UserName: "alice",
		Command: "/supa", Text: "advisors prod", APIAppID: "A1",
		ResponseURL: "https://hooks.slack.com/commands/T1/1/abc", TriggerID: "13345224609.738474920.8088930838d88f008e0",
	}
}

func testPress() slackfake.BlockActions {
	return slackfake.BlockActions{
		TeamID: "T1", TeamDomain: "acme", UserID: "U2", UserName: "bob",
		ChannelID: "C1", ChannelName: "ops", APIAppID: "A1", Token: "legacy-verification-token",
		TriggerID: "trig-2", ResponseURL: "https://hooks.slack.com/actions/T1/2/def",
		MessageTS: "1700000000.000100", MessageText: "restore prod?",
		ActionID: ActionConfirm, BlockID: "confirm", Value: "pending-42", ButtonText: "Confirm",
		ActionTS: "1700000001.000200",
	}
}

func newTestHTTP(t *testing.T, h Handler, cfg HTTPConfig) http.Handler {
	t.Helper()
	if cfg.SigningSecret == "" {
		cfg.SigningSecret = testSecret
	}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return testNow }
	}
	hh, err := NewHTTPHandler(h, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return hh
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestHTTPCommandReachesHandlerAndRepliesJSON(t *testing.T) {
	reply := Reply{ResponseType: slack.ResponseTypeEphemeral, Text: "queued as run 42",
		Blocks: []slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*queued*", false, false), nil, nil)}}
	rec := &recordingHandler{reply: reply}
	h := newTestHTTP(t, rec, HTTPConfig{})

	w := serve(h, slackfake.NewSlashCommandRequest(CommandsPath, testSecret, testNow, testCommand()))
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	want, _ := json.Marshal(reply)
	if !bytes.Equal(w.Body.Bytes(), want) {
		t.Errorf("body = %s\nwant %s", w.Body, want)
	}
	calls := rec.calls()
	if len(calls) != 1 || calls[0].cmd == nil {
		t.Fatalf("handler calls = %+v", calls)
	}
	if got := *calls[0].cmd; got != testCommand() {
		t.Errorf("command = %+v\nwant %+v", got, testCommand())
	}
	if calls[0].retry != 0 || calls[0].reason != "" {
		t.Errorf("first delivery seen as retry %d %q", calls[0].retry, calls[0].reason)
	}
}

func TestHTTPEmptyReplyIsEmpty200(t *testing.T) {
	rec := &recordingHandler{reply: Reply{ResponseType: slack.ResponseTypeInChannel}} // says nothing
	h := newTestHTTP(t, rec, HTTPConfig{})
	w := serve(h, slackfake.NewSlashCommandRequest(CommandsPath, testSecret, testNow, testCommand()))
	if w.Code != http.StatusOK || w.Body.Len() != 0 {
		t.Fatalf("status %d, body %q; want empty 200", w.Code, w.Body)
	}
	if len(rec.calls()) != 1 {
		t.Fatal("handler not called")
	}
}

// Through a real server and client, as Slack reaches it.
func TestHTTPOverTheWire(t *testing.T) {
	rec := &recordingHandler{reply: Reply{Text: "ok"}}
	srv := httptest.NewServer(newTestHTTP(t, rec, HTTPConfig{Now: time.Now}))
	defer srv.Close()
	resp, err := srv.Client().Do(slackfake.NewSlashCommandRequest(srv.URL+CommandsPath, testSecret, time.Now(), testCommand()))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != `{"text":"ok"}` {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
}

func TestHTTPRefusesWithoutValidSignature(t *testing.T) {
	cmdBody := slackfake.SlashCommandBody(testCommand())
	pressBody := slackfake.BlockActionsBody(testPress())
	sixMin := 6 * time.Minute
	tests := []struct {
		name   string
		path   string
		req    func(path string) *http.Request
		status int
		reason string
	}{
		{"wrong secret", CommandsPath, func(p string) *http.Request {
			return slackfake.NewSignedRequest(p, "not-the-secret", testNow, cmdBody)
		}, 401, "bad signature"},
		{"body changed after signing", CommandsPath, func(p string) *http.Request {
			r := slackfake.NewSignedRequest(p, testSecret, testNow, cmdBody)
			r.Body = io.NopCloser(bytes.NewReader(bytes.Replace(cmdBody, []byte("advisors"), []byte("restore+"), 1)))
			return r
		}, 401, "bad signature"},
		{"timestamp changed after signing", CommandsPath, func(p string) *http.Request {
			r := slackfake.NewSignedRequest(p, testSecret, testNow, cmdBody)
			r.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(testNow.Unix()+1, 10))
			return r
		}, 401, "bad signature"},
		{"stale timestamp (6 min)", CommandsPath, func(p string) *http.Request {
			return slackfake.NewSignedRequest(p, testSecret, testNow.Add(-sixMin), cmdBody)
		}, 401, "stale timestamp"},
		{"future timestamp (6 min)", CommandsPath, func(p string) *http.Request {
			return slackfake.NewSignedRequest(p, testSecret, testNow.Add(sixMin), cmdBody)
		}, 401, "timestamp in the future"},
		{"missing signature", CommandsPath, func(p string) *http.Request {
			r := slackfake.NewSignedRequest(p, testSecret, testNow, cmdBody)
			r.Header.Del("X-Slack-Signature")
			return r
		}, 401, "missing signature headers"},
		{"missing timestamp", CommandsPath, func(p string) *http.Request {
			r := slackfake.NewSignedRequest(p, testSecret, testNow, cmdBody)
			r.Header.Del("X-Slack-Request-Timestamp")
			return r
		}, 401, "missing signature headers"},
		{"no v0 prefix", CommandsPath, func(p string) *http.Request {
			r := slackfake.NewSignedRequest(p, testSecret, testNow, cmdBody)
			r.Header.Set("X-Slack-Signature", strings.TrimPrefix(r.Header.Get("X-Slack-Signature"), "v0="))
			return r
		}, 401, "bad signature"},
		{"short signature", CommandsPath, func(p string) *http.Request {
			r := slackfake.NewSignedRequest(p, testSecret, testNow, cmdBody)
			r.Header.Set("X-Slack-Signature", r.Header.Get("X-Slack-Signature")[:40])
			return r
		}, 401, "bad signature"},
		{"timestamp not a number", CommandsPath, func(p string) *http.Request {
			r := slackfake.NewSignedRequest(p, testSecret, testNow, cmdBody)
			r.Header.Set("X-Slack-Request-Timestamp", "yesterday")
			return r
		}, 401, "bad timestamp"},
		{"interaction, wrong secret", InteractionsPath, func(p string) *http.Request {
			return slackfake.NewSignedRequest(p, "not-the-secret", testNow, pressBody)
		}, 401, "bad signature"},
		{"interaction, stale", InteractionsPath, func(p string) *http.Request {
			return slackfake.NewSignedRequest(p, testSecret, testNow.Add(-sixMin), pressBody)
		}, 401, "stale timestamp"},
		{"oversized body", CommandsPath, func(p string) *http.Request {
			return slackfake.NewSignedRequest(p, testSecret, testNow, bytes.Repeat([]byte("a"), 4096+1))
		}, 413, "request body too large"},
		{"oversized body, length unknown", InteractionsPath, func(p string) *http.Request {
			r := slackfake.NewSignedRequest(p, testSecret, testNow, bytes.Repeat([]byte("a"), 4096+1))
			r.ContentLength = -1
			return r
		}, 413, "request body too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recordingHandler{reply: Reply{Text: "must not be seen"}}
			h := newTestHTTP(t, rec, HTTPConfig{MaxBodyBytes: 4096})
			w := serve(h, tt.req(tt.path))
			if w.Code != tt.status {
				t.Errorf("status = %d, want %d (%s)", w.Code, tt.status, w.Body)
			}
			if got := strings.TrimSpace(w.Body.String()); got != tt.reason {
				t.Errorf("reason = %q, want %q", got, tt.reason)
			}
			if n := len(rec.calls()); n != 0 {
				t.Errorf("handler called %d times", n)
			}
		})
	}
}

// The window is 5 minutes either way, inclusive.
func TestHTTPAcceptsWithinWindow(t *testing.T) {
	for _, d := range []time.Duration{-5 * time.Minute, -time.Second, 0, time.Second, 5 * time.Minute} {
		rec := &recordingHandler{}
		h := newTestHTTP(t, rec, HTTPConfig{})
		if w := serve(h, slackfake.NewSlashCommandRequest(CommandsPath, testSecret, testNow.Add(d), testCommand())); w.Code != http.StatusOK {
			t.Errorf("timestamp %v from now: status %d %s", d, w.Code, w.Body)
		}
	}
}

func TestHTTPDefaultBodyCap(t *testing.T) {
	rec := &recordingHandler{}
	h := newTestHTTP(t, rec, HTTPConfig{})
	cmd := testCommand()
	cmd.Text = strings.Repeat("x", DefaultMaxBodyBytes) // the form is a bit more
	if w := serve(h, slackfake.NewSlashCommandRequest(CommandsPath, testSecret, testNow, cmd)); w.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d", w.Code)
	}
	cmd.Text = strings.Repeat("x", DefaultMaxBodyBytes-1024)
	if w := serve(h, slackfake.NewSlashCommandRequest(CommandsPath, testSecret, testNow, cmd)); w.Code != http.StatusOK {
		t.Fatalf("status %d under the cap", w.Code)
	}
}

func TestHTTPMalformedPayloads(t *testing.T) {
	form := func(kv ...string) []byte {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return []byte(v.Encode())
	}
	payload := func(js string) []byte { return form("payload", js) }
	noUser := testCommand()
	noUser.UserID = ""
	tests := []struct {
		name string
		path string
		body []byte
	}{
		{"command: bad form escape", CommandsPath, []byte("command=%2/supa&user_id=U1")},
		{"command: empty", CommandsPath, nil},
		{"command: no user", CommandsPath, slackfake.SlashCommandBody(noUser)},
		{"command: no command", CommandsPath, form("team_id", "T1", "user_id", "U1", "text", "x")},
		{"interaction: no payload", InteractionsPath, form("other", "x")},
		{"interaction: payload not JSON", InteractionsPath, payload("{not json")},
		{"interaction: payload wrong shape", InteractionsPath, payload(`{"type":"block_actions","user":"U1"}`)},
		{"interaction: no user", InteractionsPath, payload(`{"type":"block_actions","actions":[]}`)},
		{"interaction: no type", InteractionsPath, payload(`{"user":{"id":"U1"}}`)},
		{"interaction: null action", InteractionsPath, payload(`{"type":"block_actions","user":{"id":"U1"},"actions":[null]}`)},
		{"interaction: no actions", InteractionsPath, payload(`{"type":"block_actions","user":{"id":"U1"},"actions":[]}`)},
		{"interaction: attachment action only", InteractionsPath, payload(`{"type":"block_actions","user":{"id":"U1"},"actions":[{"name":"n","value":"v"}]}`)},
		{"interaction: bad form escape", InteractionsPath, []byte("payload=%zz")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recordingHandler{reply: Reply{Text: "must not be seen"}}
			h := newTestHTTP(t, rec, HTTPConfig{})
			w := serve(h, slackfake.NewSignedRequest(tt.path, testSecret, testNow, tt.body))
			if w.Code != http.StatusBadRequest {
				t.Errorf("status = %d, want 400 (%s)", w.Code, w.Body)
			}
			if n := len(rec.calls()); n != 0 {
				t.Errorf("handler called %d times", n)
			}
		})
	}
}

// A signed form of the wrong content type parses as empty: 400, no call.
func TestHTTPWrongContentType(t *testing.T) {
	rec := &recordingHandler{}
	h := newTestHTTP(t, rec, HTTPConfig{})
	r := slackfake.NewSlashCommandRequest(CommandsPath, testSecret, testNow, testCommand())
	r.Header.Set("Content-Type", "application/json")
	if w := serve(h, r); w.Code != http.StatusBadRequest || len(rec.calls()) != 0 {
		t.Fatalf("status %d, calls %d", w.Code, len(rec.calls()))
	}
}

func TestHTTPInteractionParsesBlockActions(t *testing.T) {
	rec := &recordingHandler{reply: Reply{Text: "confirmed", ReplaceOriginal: true}}
	h := newTestHTTP(t, rec, HTTPConfig{})
	w := serve(h, slackfake.NewBlockActionsRequest(InteractionsPath, testSecret, testNow, testPress()))
	if w.Code != http.StatusOK || w.Body.String() != `{"text":"confirmed","replace_original":true}` {
		t.Fatalf("status %d body %s", w.Code, w.Body)
	}
	calls := rec.calls()
	if len(calls) != 1 || calls[0].cb == nil {
		t.Fatalf("handler calls = %+v", calls)
	}
	cb := calls[0].cb
	if cb.Type != slack.InteractionTypeBlockActions {
		t.Errorf("type = %q", cb.Type)
	}
	acts := cb.ActionCallback.BlockActions
	if len(acts) != 1 || acts[0].ActionID != ActionConfirm || acts[0].Value != "pending-42" || acts[0].BlockID != "confirm" {
		t.Fatalf("actions = %+v", acts)
	}
	p := testPress()
	got := []string{cb.User.ID, cb.Team.ID, cb.Channel.ID, cb.Container.ChannelID, cb.Container.MessageTs, cb.ResponseURL, cb.TriggerID, cb.Message.Timestamp}
	want := []string{p.UserID, p.TeamID, p.ChannelID, p.ChannelID, p.MessageTS, p.ResponseURL, p.TriggerID, p.MessageTS}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("field %d = %q, want %q", i, got[i], want[i])
		}
	}
}

// Other interaction types (shortcuts, modals) are not the Handler's: an
// empty 200, no call.
func TestHTTPInteractionOtherTypesSkipped(t *testing.T) {
	rec := &recordingHandler{reply: Reply{Text: "must not be seen"}}
	h := newTestHTTP(t, rec, HTTPConfig{})
	body := []byte("payload=" + url.QueryEscape(`{"type":"shortcut","user":{"id":"U1"},"team":{"id":"T1"},"callback_id":"x","trigger_id":"t"}`))
	w := serve(h, slackfake.NewSignedRequest(InteractionsPath, testSecret, testNow, body))
	if w.Code != http.StatusOK || w.Body.Len() != 0 || len(rec.calls()) != 0 {
		t.Fatalf("status %d body %q calls %d", w.Code, w.Body, len(rec.calls()))
	}
}

func TestHTTPSSLCheck(t *testing.T) {
	rec := &recordingHandler{}
	h := newTestHTTP(t, rec, HTTPConfig{})
	w := serve(h, slackfake.NewSignedRequest(CommandsPath, testSecret, testNow, []byte("ssl_check=1&token=x")))
	if w.Code != http.StatusOK || len(rec.calls()) != 0 {
		t.Fatalf("status %d calls %d", w.Code, len(rec.calls()))
	}
}

func TestHTTPRetryNumReachesHandler(t *testing.T) {
	tests := []struct {
		num, reason string
		wantNum     int
		wantReason  string
	}{
		{"", "", 0, ""},
		{"1", "http_timeout", 1, "http_timeout"},
		{"3", "http_error", 3, "http_error"},
		{"-2", "", 0, ""},
		{"many", "x", 0, "x"},
		{"2", strings.Repeat("r", 100), 2, strings.Repeat("r", maxRetryReason)},
	}
	for _, tt := range tests {
		for _, route := range []string{CommandsPath, InteractionsPath} {
			rec := &recordingHandler{}
			h := newTestHTTP(t, rec, HTTPConfig{})
			r := slackfake.NewSlashCommandRequest(route, testSecret, testNow, testCommand())
			if route == InteractionsPath {
				r = slackfake.NewBlockActionsRequest(route, testSecret, testNow, testPress())
			}
			if tt.num != "" {
				r.Header.Set("X-Slack-Retry-Num", tt.num)
			}
			if tt.reason != "" {
				r.Header.Set("X-Slack-Retry-Reason", tt.reason)
			}
			if w := serve(h, r); w.Code != http.StatusOK {
				t.Fatalf("%s: status %d", route, w.Code)
			}
			calls := rec.calls()
			if len(calls) != 1 || calls[0].retry != tt.wantNum || calls[0].reason != tt.wantReason {
				t.Errorf("%s retry %q %q: seen %+v", route, tt.num, tt.reason, calls)
			}
		}
	}
}

func TestHTTPRoutes(t *testing.T) {
	rec := &recordingHandler{}
	h := newTestHTTP(t, rec, HTTPConfig{})
	tests := []struct {
		method, path string
		status       int
	}{
		{http.MethodGet, HealthPath, 200},
		{http.MethodHead, HealthPath, 200},
		{http.MethodPost, HealthPath, 405},
		{http.MethodGet, CommandsPath, 405},
		{http.MethodPut, InteractionsPath, 405},
		{http.MethodPost, "/slack/events", 404},
		{http.MethodPost, "/", 404},
		{http.MethodPost, CommandsPath + "/", 404},
	}
	for _, tt := range tests {
		w := serve(h, httptest.NewRequest(tt.method, tt.path, nil))
		if w.Code != tt.status {
			t.Errorf("%s %s = %d, want %d", tt.method, tt.path, w.Code, tt.status)
		}
	}
	if len(rec.calls()) != 0 {
		t.Error("handler called")
	}
}

func TestNewHTTPHandlerConfig(t *testing.T) {
	rec := &recordingHandler{}
	tests := []struct {
		name string
		h    Handler
		cfg  HTTPConfig
	}{
		{"no secret", rec, HTTPConfig{}},
		{"nil handler", nil, HTTPConfig{SigningSecret: "s"}},
		{"negative cap", rec, HTTPConfig{SigningSecret: "s", MaxBodyBytes: -1}},
	}
	for _, tt := range tests {
		if _, err := NewHTTPHandler(tt.h, tt.cfg); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
}

// One line per request with route, team, user, status and duration; never
// the body, the token, the signature or the secret.
func TestHTTPLogs(t *testing.T) {
	var buf bytes.Buffer
	rec := &recordingHandler{reply: Reply{Text: "reply text"}}
	h := newTestHTTP(t, rec, HTTPConfig{Logger: zerolog.New(&buf)})

	good := slackfake.NewSlashCommandRequest(CommandsPath, testSecret, testNow, testCommand())
	good.Header.Set("X-Slack-Retry-Num", "1")
	sig := good.Header.Get("X-Slack-Signature")
	serve(h, good)
	serve(h, slackfake.NewBlockActionsRequest(InteractionsPath, testSecret, testNow, testPress()))
	serve(h, slackfake.NewSlashCommandRequest(CommandsPath, "wrong", testNow, testCommand()))

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d log lines:\n%s", len(lines), buf.String())
	}
	wants := []map[string]any{
		{"route": CommandsPath, "team": "T1", "user": "U1", "status": 200.0, "retry_num": 1.0, "kind": "/supa"},
		{"route": InteractionsPath, "team": "T1", "user": "U2", "status": 200.0, "action": ActionConfirm},
		{"route": CommandsPath, "status": 401.0, "reason": "bad signature", "level": "warn"},
	}
	for i, line := range lines {
		var got map[string]any
		if err := json.Unmarshal([]byte(line), &got); err != nil {
			t.Fatal(err)
		}
		if _, ok := got["duration"]; !ok {
			t.Errorf("line %d has no duration: %s", i, line)
		}
		for k, v := range wants[i] {
			if got[k] != v {
				t.Errorf("line %d: %s = %v, want %v", i, k, got[k], v)
			}
		}
	}
	for _, secret := range []string{testSecret, sig, strings.TrimPrefix(sig, "v0="), "legacy-verification-token",
		"advisors prod", "reply text", "pending-42", "hooks.slack.com", "trig-2", testCommand().TriggerID} {
		if strings.Contains(buf.String(), secret) {
			t.Errorf("log contains %q:\n%s", secret, buf.String())
		}
	}
}

// verifySignature is slack.NewSecretsVerifier's scheme with our clock: on
// random input both accept or both refuse, a correct signature over any
// body is accepted by both, and nothing is accepted that is not signed.
func FuzzSignature(f *testing.F) {
	now := time.Now()
	body := slackfake.SlashCommandBody(testCommand())
	f.Add(body, slackfake.Sign(testSecret, now, body), strconv.FormatInt(now.Unix(), 10))
	f.Add(body, slackfake.Sign(testSecret, now, body), strconv.FormatInt(now.Unix()-301, 10))
	f.Add([]byte(""), "v0=", "0")
	f.Add([]byte("payload=%7B%7D"), "v0="+strings.Repeat("0", 64), "+1700000000")
	f.Add([]byte("x"), "v0="+strings.Repeat("AB", 32), "-9223372036854775808")
	f.Add([]byte("x"), "v1=abc", "9223372036854775807")
	f.Add([]byte("x"), "v0=zz", "1e9")
	f.Fuzz(func(t *testing.T, body []byte, sig, stamp string) {
		hdr := http.Header{}
		hdr.Set("X-Slack-Signature", sig)
		hdr.Set("X-Slack-Request-Timestamp", stamp)

		now := time.Now()
		ours := verifySignature(hdr, body, []byte(testSecret), now)
		lib, err := slack.NewSecretsVerifier(hdr, testSecret)
		if err == nil {
			_, _ = lib.Write(body)
			err = lib.Ensure()
		}
		if (ours == nil) != (err == nil) {
			t.Fatalf("ours: %v, slack-go: %v (sig %q stamp %q)", ours, err, sig, stamp)
		}
		if ours == nil {
			ts, perr := strconv.ParseInt(stamp, 10, 64)
			if perr != nil || slackfake.Sign(testSecret, time.Unix(ts, 0), body) != strings.ToLower(sig) {
				t.Fatalf("accepted a signature that is not ours: %q at %q", sig, stamp)
			}
		}

		// The same body correctly signed now passes both.
		hdr.Set("X-Slack-Signature", slackfake.Sign(testSecret, now, body))
		hdr.Set("X-Slack-Request-Timestamp", strconv.FormatInt(now.Unix(), 10))
		if err := verifySignature(hdr, body, []byte(testSecret), now); err != nil {
			t.Fatalf("refused a correct signature: %v", err)
		}

		// Through the handler: the Handler is reached only when signed.
		for _, route := range []string{CommandsPath, InteractionsPath} {
			rec := &recordingHandler{}
			h, err := NewHTTPHandler(rec, HTTPConfig{SigningSecret: testSecret, Now: func() time.Time { return now }})
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest(http.MethodPost, route, bytes.NewReader(body))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.Header.Set("X-Slack-Signature", sig)
			r.Header.Set("X-Slack-Request-Timestamp", stamp)
			w := serve(h, r)
			if ours != nil && (w.Code != http.StatusUnauthorized && w.Code != http.StatusRequestEntityTooLarge || len(rec.calls()) != 0) {
				t.Fatalf("%s: unsigned request got %d and %d handler calls", route, w.Code, len(rec.calls()))
			}
		}
	})
}

// The interaction decoder path, payload or raw form, behind a valid
// signature: never a panic, a 200 or a 400, and the Handler only ever gets
// a block_actions with a user and no nil action.
func FuzzInteractionPayload(f *testing.F) {
	press, _ := testPress().MarshalJSON()
	f.Add(press, false)
	f.Add(slackfake.BlockActionsBody(testPress()), true)
	f.Add([]byte(`{"type":"block_actions","user":{"id":"U1"},"actions":[null,{"action_id":"a"}]}`), false)
	f.Add([]byte(`{"type":"view_submission","user":{"id":"U1"},"view":{"state":{"values":{"b":{"a":{"type":"x"}}}}}}`), false)
	f.Add([]byte(`{"type":"block_actions","user":{"id":"U1"},"actions":[{"type":"rich_text_input","rich_text_value":{}}],"state":{"values":{"b":{"a":{"type":"datepicker","selected_date":1}}}}}`), false)
	f.Add([]byte(`{"type":"interactive_message","user":{"id":"U1"},"actions":[{"name":"n","type":"button","selected_options":[null]}]}`), false)
	f.Add([]byte("payload=%7B&payload=x"), true)
	f.Add([]byte(`[]`), false)
	f.Add([]byte(`null`), false)
	f.Fuzz(func(t *testing.T, data []byte, raw bool) {
		body := data
		if !raw {
			body = []byte("payload=" + url.QueryEscape(string(data)))
		}
		rec := &recordingHandler{reply: Reply{Text: "ok"}}
		h, err := NewHTTPHandler(rec, HTTPConfig{SigningSecret: testSecret, Now: func() time.Time { return testNow }, MaxBodyBytes: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		w := serve(h, slackfake.NewSignedRequest(InteractionsPath, testSecret, testNow, body))
		switch w.Code {
		case http.StatusOK, http.StatusBadRequest:
		default:
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		for _, c := range rec.calls() {
			if c.cb == nil || c.cb.Type != slack.InteractionTypeBlockActions || c.cb.User.ID == "" {
				t.Fatalf("handler got %+v", c)
			}
			for _, a := range c.cb.ActionCallback.BlockActions {
				if a == nil {
					t.Fatal("handler got a nil action")
				}
			}
		}
		if w.Code == http.StatusBadRequest && len(rec.calls()) != 0 {
			t.Fatal("400 after calling the handler")
		}
	})
}

func ExampleRetryNum() {
	ctx := WithRetry(context.Background(), 2, "http_timeout")
	fmt.Println(RetryNum(ctx), RetryReason(ctx), RetryNum(context.Background()))
	// Output: 2 http_timeout 0
}
