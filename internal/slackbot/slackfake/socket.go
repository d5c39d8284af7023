package slackfake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
)

// pingInterval is how often the fake pings a Socket Mode client:
// socketmode.Client reconnects when Slack has not pinged it for 30 s.
const pingInterval = 5 * time.Second

// Envelope addresses a Socket Mode request the fake sends.
type Envelope struct {
	// ID is the envelope id; "" means a fresh one ("env-<n>").
	ID string
	// RetryAttempt and RetryReason mark a redelivery.
	RetryAttempt int
	RetryReason  string
}

// Ack is an acknowledgement a Socket Mode client sent.
type Ack struct {
	EnvelopeID string
	// Payload is the acknowledgement's payload; nil when there was none.
	Payload json.RawMessage
}

type socketState struct {
	conns    []*wsConn // live connections, oldest first
	accepted int
	refuse   bool
	acks     []Ack
}

type wsConn struct {
	ws      *websocket.Conn
	wmu     sync.Mutex    // gorilla allows one writer at a time
	done    chan struct{} // closed when the reader ends
	closing bool          // sent disconnect; guarded by Fake.mu
}

func (c *wsConn) write(v any) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.ws.WriteJSON(v)
}

// RefuseSocket makes new Socket Mode connections fail (503 on the
// websocket upgrade, which the client retries with backoff) or lets them
// through again. Live connections stay.
func (f *Fake) RefuseSocket(refuse bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.socket.refuse = refuse
}

// Connections is how many Socket Mode connections the fake has accepted.
func (f *Fake) Connections() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.socket.accepted
}

// Acks is every acknowledgement received so far, in order.
func (f *Fake) Acks() []Ack {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := slices.Clone(f.socket.acks)
	for i := range out {
		out[i].Payload = slices.Clone(out[i].Payload)
	}
	return out
}

// AwaitAck waits for the acknowledgement of envelopeID.
func (f *Fake) AwaitAck(ctx context.Context, envelopeID string) (Ack, error) {
	var got Ack
	err := f.Wait(ctx, func() bool {
		for _, a := range f.Acks() {
			if a.EnvelopeID == envelopeID {
				got = a
				return true
			}
		}
		return false
	})
	if err != nil {
		return Ack{}, fmt.Errorf("slackfake: no ack of %s: %w", envelopeID, err)
	}
	return got, nil
}

// SendSlashCommand sends cmd as Slack does over Socket Mode, once a client
// is connected (or ctx ends), and returns the envelope id.
func (f *Fake) SendSlashCommand(ctx context.Context, env Envelope, cmd slack.SlashCommand) (string, error) {
	return f.SendEnvelope(ctx, "slash_commands", env, slashPayload(cmd))
}

// SendInteraction sends an interactive payload (a BlockActions, or any
// value or json.RawMessage in Slack's shape) over Socket Mode, once a
// client is connected (or ctx ends), and returns the envelope id.
func (f *Fake) SendInteraction(ctx context.Context, env Envelope, payload any) (string, error) {
	return f.SendEnvelope(ctx, "interactive", env, payload)
}

// SendEnvelope sends an envelope of any type ("events_api", …) with
// payload marshalled as JSON, once a client is connected (or ctx ends), and
// returns the envelope id.
func (f *Fake) SendEnvelope(ctx context.Context, typ string, env Envelope, payload any) (string, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return "", fmt.Errorf("slackfake: encoding %s payload: %w", typ, err)
	}
	var c *wsConn
	if err := f.Wait(ctx, func() bool { c = f.liveConn(); return c != nil }); err != nil {
		return "", fmt.Errorf("slackfake: no socket mode connection: %w", err)
	}
	if env.ID == "" {
		f.mu.Lock()
		env.ID = "env-" + strconv.Itoa(f.nextLocked())
		f.mu.Unlock()
	}
	msg := struct {
		EnvelopeID             string          `json:"envelope_id"`
		Payload                json.RawMessage `json:"payload"`
		Type                   string          `json:"type"`
		AcceptsResponsePayload bool            `json:"accepts_response_payload"`
		RetryAttempt           int             `json:"retry_attempt"`
		RetryReason            string          `json:"retry_reason"`
	}{env.ID, body, typ, typ == "slash_commands", env.RetryAttempt, env.RetryReason}
	if err := c.write(msg); err != nil {
		return "", fmt.Errorf("slackfake: sending %s: %w", typ, err)
	}
	return env.ID, nil
}

// Disconnect asks every live client to reconnect, as Slack does before it
// recycles a connection; the client opens a new one.
func (f *Fake) Disconnect(reason string) error {
	f.mu.Lock()
	var conns []*wsConn
	for _, c := range f.socket.conns {
		if !c.closing {
			c.closing = true
			conns = append(conns, c)
		}
	}
	f.mu.Unlock()
	if len(conns) == 0 {
		return errors.New("slackfake: no socket mode connection to disconnect")
	}
	msg := map[string]any{"type": "disconnect", "reason": reason, "debug_info": map[string]any{"host": "slackfake"}}
	var errs []error
	for _, c := range conns {
		errs = append(errs, c.write(msg))
	}
	return errors.Join(errs...)
}

// liveConn is the newest connection not told to go away.
func (f *Fake) liveConn() *wsConn {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.socket.conns) - 1; i >= 0; i-- {
		if c := f.socket.conns[i]; !c.closing {
			return c
		}
	}
	return nil
}

func (f *Fake) appsConnectionsOpen(*Call) answer {
	ws := "ws" + strings.TrimPrefix(f.srv.URL, "http") + socketPrefix + "ticket-" + strconv.Itoa(f.nextLocked())
	return ok(map[string]any{"url": ws})
}

// serveSocket is the Socket Mode websocket: hello, then whatever the test
// sends; acknowledgements are recorded.
func (f *Fake) serveSocket(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	refuse := f.socket.refuse || f.closed
	appID := f.identity.AppID
	f.mu.Unlock()
	if refuse {
		http.Error(w, "socket mode connections refused", http.StatusServiceUnavailable)
		return
	}
	ws, err := f.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered
	}
	c := &wsConn{ws: ws, done: make(chan struct{})}
	// hello goes first, before the connection is visible to senders.
	hello := map[string]any{
		"type": "hello", "num_connections": 1,
		"debug_info":      map[string]any{"host": "slackfake", "build_number": 1, "approximate_connection_time": 18060},
		"connection_info": map[string]any{"app_id": appID},
	}
	if err := c.write(hello); err != nil {
		_ = ws.Close()
		return
	}
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		_ = ws.Close()
		return
	}
	f.socket.accepted++
	f.socket.conns = append(f.socket.conns, c)
	f.wg.Add(2) // this reader and the pinger; before Close can wait
	f.notifyLocked()
	f.mu.Unlock()

	go f.ping(c)
	f.read(c)
}

func (f *Fake) ping(c *wsConn) {
	defer f.wg.Done()
	t := time.NewTicker(pingInterval)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
			_ = c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(5*time.Second))
		}
	}
}

// read records acknowledgements until the connection ends.
func (f *Fake) read(c *wsConn) {
	defer f.wg.Done()
	defer func() {
		f.mu.Lock()
		f.socket.conns = slices.DeleteFunc(f.socket.conns, func(x *wsConn) bool { return x == c })
		f.notifyLocked()
		f.mu.Unlock()
		close(c.done)
		_ = c.ws.Close()
	}()
	for {
		_, msg, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		var ack struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		// An unreadable frame is recorded with no envelope id, for a test
		// to notice.
		if json.Unmarshal(msg, &ack) != nil {
			ack.EnvelopeID, ack.Payload = "", slices.Clone(msg)
		}
		f.mu.Lock()
		f.socket.acks = append(f.socket.acks, Ack{EnvelopeID: ack.EnvelopeID, Payload: ack.Payload})
		f.notifyLocked()
		f.mu.Unlock()
	}
}
