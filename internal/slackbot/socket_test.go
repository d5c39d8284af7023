package slackbot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/supaops/supaops/internal/slackbot/slackfake"
)

// socketRun is RunSocketMode running against a fake Slack.
type socketRun struct {
	fake   *slackfake.Fake
	h      *recordingHandler
	cancel context.CancelFunc
	done   chan error
	log    *syncBuffer
}

// startSocket runs RunSocketMode with h on a fresh fake until the test ends.
func startSocket(t *testing.T, h *recordingHandler, appToken string, setup ...func(*slackfake.Fake)) *socketRun {
	t.Helper()
	fake := slackfake.New(t)
	for _, s := range setup {
		s(fake)
	}
	return runSocket(t, fake, fake.SocketModeClient("xoxb-bot", appToken), h)
}

func runSocket(t *testing.T, fake *slackfake.Fake, client *socketmode.Client, h *recordingHandler) *socketRun {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	r := &socketRun{fake: fake, h: h, cancel: cancel, done: make(chan error, 1), log: &syncBuffer{}}
	go func() { r.done <- RunSocketMode(ctx, client, h, zerolog.New(r.log)) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(10 * time.Second):
			t.Error("RunSocketMode did not return after its context ended")
		}
	})
	return r
}

// wait is a context for one step of a test.
func wait(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestSocketSlashCommandAckedWithReply(t *testing.T) {
	reply := Reply{ResponseType: slack.ResponseTypeEphemeral, Text: "queued"}
	r := startSocket(t, &recordingHandler{reply: reply}, "xapp-1")
	ctx := wait(t)

	id, err := r.fake.SendSlashCommand(ctx, slackfake.Envelope{ID: "env-1"}, testCommand())
	if err != nil {
		t.Fatal(err)
	}
	ack, err := r.fake.AwaitAck(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(reply)
	if !bytes.Equal(ack.Payload, want) {
		t.Errorf("ack payload = %s, want %s", ack.Payload, want)
	}
	calls := r.h.calls()
	if len(calls) != 1 || calls[0].cmd == nil || *calls[0].cmd != testCommand() {
		t.Fatalf("handler calls = %+v", calls)
	}
	if calls[0].retry != 0 {
		t.Errorf("retry = %d", calls[0].retry)
	}
	if got := r.fake.CallsTo("apps.connections.open"); len(got) != 1 || got[0].Token != "xapp-1" {
		t.Errorf("apps.connections.open calls = %+v", got)
	}
	if u := r.fake.UnknownCalls(); len(u) != 0 {
		t.Errorf("unexpected Web API calls: %+v", u)
	}
}

func TestSocketInteractionAckedWithReply(t *testing.T) {
	reply := Reply{Text: "confirmed", ReplaceOriginal: true}
	r := startSocket(t, &recordingHandler{reply: reply}, "xapp-1")
	ctx := wait(t)

	id, err := r.fake.SendInteraction(ctx, slackfake.Envelope{}, testPress())
	if err != nil {
		t.Fatal(err)
	}
	ack, err := r.fake.AwaitAck(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if string(ack.Payload) != `{"text":"confirmed","replace_original":true}` {
		t.Errorf("ack payload = %s", ack.Payload)
	}
	calls := r.h.calls()
	if len(calls) != 1 || calls[0].cb == nil {
		t.Fatalf("handler calls = %+v", calls)
	}
	cb := calls[0].cb
	acts := cb.ActionCallback.BlockActions
	if cb.Type != slack.InteractionTypeBlockActions || cb.User.ID != "U2" || len(acts) != 1 ||
		acts[0].ActionID != ActionConfirm || acts[0].Value != "pending-42" || cb.TriggerID != "trig-2" {
		t.Errorf("interaction = %+v, actions %+v", cb, acts)
	}
}

func TestSocketRedeliveryCarriesAttempt(t *testing.T) {
	r := startSocket(t, &recordingHandler{}, "xapp-1")
	ctx := wait(t)
	for _, env := range []slackfake.Envelope{
		{ID: "env-a"},
		{ID: "env-a", RetryAttempt: 1, RetryReason: "timeout"},
		{ID: "env-a", RetryAttempt: 2, RetryReason: "timeout"},
	} {
		if _, err := r.fake.SendSlashCommand(ctx, env, testCommand()); err != nil {
			t.Fatal(err)
		}
		if err := r.fake.Wait(ctx, func() bool { return len(r.h.calls()) == env.RetryAttempt+1 }); err != nil {
			t.Fatal(err)
		}
		last := r.h.calls()[env.RetryAttempt]
		if last.retry != env.RetryAttempt || last.reason != env.RetryReason {
			t.Errorf("attempt %d: handler saw %d %q", env.RetryAttempt, last.retry, last.reason)
		}
	}
	// Each delivery is acknowledged.
	if err := r.fake.Wait(ctx, func() bool { return len(r.fake.Acks()) == 3 }); err != nil {
		t.Fatal(err)
	}
}

// The acknowledgement carries the Reply while it fits under
// MaxSocketAckBytes and is empty from there on; our measure is the client's,
// to the byte, or the ack would be lost altogether.
func TestSocketReplyOverLimitAckedEmpty(t *testing.T) {
	const id = "env-big"
	base, _ := ackFits(id, Reply{Text: "x"})
	tests := []struct {
		name    string
		size    int // of the whole acknowledgement
		payload bool
	}{
		{"far under", 1000, true},
		{"one byte under", MaxSocketAckBytes - 1, true},
		{"at the limit", MaxSocketAckBytes, false},
		{"far over", 3 * MaxSocketAckBytes, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reply := Reply{Text: strings.Repeat("x", tt.size-base+1)}
			if n, _ := ackFits(id, reply); n != tt.size {
				t.Fatalf("built %d bytes, want %d", n, tt.size)
			}
			r := startSocket(t, &recordingHandler{reply: reply}, "xapp-1")
			ctx := wait(t)
			if _, err := r.fake.SendSlashCommand(ctx, slackfake.Envelope{ID: id}, testCommand()); err != nil {
				t.Fatal(err)
			}
			ack, err := r.fake.AwaitAck(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if got := ack.Payload != nil; got != tt.payload {
				t.Errorf("payload present = %v, want %v (%d bytes)", got, tt.payload, len(ack.Payload))
			}
			if tt.payload && string(ack.Payload) != `{"text":"`+reply.Text+`"}` {
				t.Error("payload is not the reply")
			}
			if !tt.payload && !strings.Contains(r.log.String(), "acknowledged empty") {
				t.Errorf("no log of the empty acknowledgement:\n%s", r.log.String())
			}
		})
	}
}

// Envelopes that are not the Handler's are acknowledged empty and never
// reach it.
func TestSocketOtherEnvelopesAckedEmpty(t *testing.T) {
	r := startSocket(t, &recordingHandler{reply: Reply{Text: "must not be seen"}}, "xapp-1")
	ctx := wait(t)
	noUser := testCommand()
	noUser.UserID = ""
	sends := []func() (string, error){
		func() (string, error) {
			return r.fake.SendEnvelope(ctx, "events_api", slackfake.Envelope{}, json.RawMessage(
				`{"type":"event_callback","team_id":"T1","api_app_id":"A1","event":{"type":"app_mention","user":"U1","text":"hi","ts":"1.2","channel":"C1"},"event_id":"Ev1","event_time":1}`))
		},
		func() (string, error) {
			return r.fake.SendInteraction(ctx, slackfake.Envelope{}, json.RawMessage(`{"type":"shortcut","user":{"id":"U1"},"callback_id":"x","trigger_id":"t"}`))
		},
		func() (string, error) {
			return r.fake.SendInteraction(ctx, slackfake.Envelope{}, json.RawMessage(`{"type":"block_actions","user":{"id":"U1"},"actions":[]}`))
		},
		func() (string, error) { return r.fake.SendSlashCommand(ctx, slackfake.Envelope{}, noUser) },
		// Envelopes the client cannot parse at all.
		func() (string, error) {
			return r.fake.SendInteraction(ctx, slackfake.Envelope{}, json.RawMessage(`"not an object"`))
		},
		func() (string, error) {
			return r.fake.SendEnvelope(ctx, "something_new", slackfake.Envelope{}, json.RawMessage(`{}`))
		},
	}
	for i, send := range sends {
		id, err := send()
		if err != nil {
			t.Fatal(err)
		}
		ack, err := r.fake.AwaitAck(ctx, id)
		if err != nil {
			t.Fatalf("envelope %d: %v", i, err)
		}
		if ack.Payload != nil {
			t.Errorf("envelope %d acked with %s", i, ack.Payload)
		}
	}
	if n := len(r.h.calls()); n != 0 {
		t.Errorf("handler called %d times", n)
	}
}

func TestSocketInvalidAuthEndsRun(t *testing.T) {
	tests := []struct {
		name, appToken, code string
		setup                func(*slackfake.Fake)
	}{
		{"refused token", "xapp-revoked", "invalid_auth", func(f *slackfake.Fake) { f.RefuseToken("xapp-revoked") }},
		// socketmode.Client would retry this one for ever.
		{"bot token as app token", "xoxb-not-an-app-token", "not_allowed_token_type", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var setup []func(*slackfake.Fake)
			if tt.setup != nil {
				setup = append(setup, tt.setup)
			}
			r := startSocket(t, &recordingHandler{}, tt.appToken, setup...)
			select {
			case err := <-r.done:
				r.done <- err // for the cleanup
				if !errors.Is(err, ErrInvalidAuth) || !strings.Contains(err.Error(), tt.code) {
					t.Fatalf("err = %v", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("RunSocketMode still running")
			}
			if n := len(r.fake.CallsTo("apps.connections.open")); n != 1 {
				t.Errorf("apps.connections.open called %d times", n)
			}
		})
	}
}

// A refused connection is retried with backoff, not in a loop, and the run
// goes on once Slack lets it in.
func TestSocketConnectionErrorsBackOff(t *testing.T) {
	r := startSocket(t, &recordingHandler{}, "xapp-1", func(f *slackfake.Fake) { f.RefuseSocket(true) })
	time.Sleep(1200 * time.Millisecond)
	opens := len(r.fake.CallsTo("apps.connections.open"))
	if opens < 2 || opens > 6 {
		t.Fatalf("%d connection attempts in 1.2 s", opens)
	}
	select {
	case err := <-r.done:
		t.Fatalf("RunSocketMode ended: %v", err)
	default:
	}
	if !strings.Contains(r.log.String(), "socket mode connection failed") {
		t.Errorf("connection failures not logged:\n%s", r.log.String())
	}

	r.fake.RefuseSocket(false)
	ctx := wait(t)
	id, err := r.fake.SendSlashCommand(ctx, slackfake.Envelope{}, testCommand())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.fake.AwaitAck(ctx, id); err != nil {
		t.Fatal(err)
	}
}

func TestSocketReconnectsOnDisconnect(t *testing.T) {
	r := startSocket(t, &recordingHandler{}, "xapp-1")
	ctx := wait(t)
	for i := range 2 {
		id, err := r.fake.SendSlashCommand(ctx, slackfake.Envelope{}, testCommand())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.fake.AwaitAck(ctx, id); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if err := r.fake.Disconnect("refresh_requested"); err != nil {
				t.Fatal(err)
			}
			if err := r.fake.Wait(ctx, func() bool { return r.fake.Connections() == 2 }); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n := len(r.h.calls()); n != 2 {
		t.Errorf("handler called %d times", n)
	}
}

func TestSocketStopsWhenContextEnds(t *testing.T) {
	r := startSocket(t, &recordingHandler{}, "xapp-1")
	ctx := wait(t)
	if err := r.fake.Wait(ctx, func() bool { return r.fake.Connections() == 1 }); err != nil {
		t.Fatal(err)
	}
	r.cancel()
	select {
	case err := <-r.done:
		r.done <- err
		if err != nil {
			t.Fatalf("err = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("RunSocketMode did not return")
	}
}

// A panicking Handler costs one envelope, acknowledged empty; the next is
// served.
func TestSocketHandlerPanicContained(t *testing.T) {
	r := startSocket(t, &recordingHandler{reply: Reply{Text: "fine"}, panicText: "boom"}, "xapp-1")
	ctx := wait(t)
	boom := testCommand()
	boom.Text = "boom"
	id, err := r.fake.SendSlashCommand(ctx, slackfake.Envelope{}, boom)
	if err != nil {
		t.Fatal(err)
	}
	if ack, err := r.fake.AwaitAck(ctx, id); err != nil || ack.Payload != nil {
		t.Fatalf("ack %+v, %v", ack, err)
	}
	id, err = r.fake.SendSlashCommand(ctx, slackfake.Envelope{}, testCommand())
	if err != nil {
		t.Fatal(err)
	}
	if ack, err := r.fake.AwaitAck(ctx, id); err != nil || string(ack.Payload) != `{"text":"fine"}` {
		t.Fatalf("ack %s, %v", ack.Payload, err)
	}
}

func TestSocketLogsNoContent(t *testing.T) {
	r := startSocket(t, &recordingHandler{reply: Reply{Text: "reply text"}}, "xapp-secret-token")
	ctx := wait(t)
	id, err := r.fake.SendSlashCommand(ctx, slackfake.Envelope{RetryAttempt: 1, RetryReason: "timeout"}, testCommand())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.fake.AwaitAck(ctx, id); err != nil {
		t.Fatal(err)
	}
	// The line is written just after the acknowledgement.
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(r.log.String(), `"slack envelope"`) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	logs := r.log.String()
	for _, want := range []string{`"envelope_id":"` + id + `"`, `"team":"T1"`, `"user":"U1"`, `"retry_attempt":1`, `"duration"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %s:\n%s", want, logs)
		}
	}
	for _, secret := range []string{"xapp-secret-token", "xoxb-bot", "legacy-verification-token", "advisors prod", "reply text", "hooks.slack.com"} {
		if strings.Contains(logs, secret) {
			t.Errorf("log contains %q:\n%s", secret, logs)
		}
	}
}

func TestRunSocketModeNeedsClientAndHandler(t *testing.T) {
	if err := RunSocketMode(t.Context(), nil, &recordingHandler{}, zerolog.Nop()); err == nil {
		t.Error("nil client accepted")
	}
	fake := slackfake.New(t)
	if err := RunSocketMode(t.Context(), fake.SocketModeClient("xoxb-1", "xapp-1"), nil, zerolog.Nop()); err == nil {
		t.Error("nil handler accepted")
	}
}

// syncBuffer is a log sink safe for the transport's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
