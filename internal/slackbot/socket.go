package slackbot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/supaops/supaops/internal/reqid"
)

// MaxSocketAckBytes is Slack's limit on a Socket Mode response: the JSON of
// the envelope id and payload. Slack silently drops one this size or
// larger, and socketmode.Client refuses to send it; a Reply that would not
// fit is acknowledged empty, and the Handler posts large answers through
// response_url itself.
const MaxSocketAckBytes = 20 * 1024

// ErrInvalidAuth is wrapped by RunSocketMode's error when Slack refuses the
// app-level token: invalid, revoked, of the wrong type (a bot token) or
// without connections:write. Retrying cannot help.
var ErrInvalidAuth = errors.New("slack refused the app-level token")

// RunSocketMode connects with the app token and delivers slash commands and
// interactions to h until ctx ends.
//
// Every envelope is acknowledged as soon as h returns, with its Reply as
// the payload when that fits in MaxSocketAckBytes (else empty, logged);
// envelopes of other types are acknowledged empty. Redeliveries go through
// like first deliveries, with RetryNum and RetryReason on the context.
// Envelopes are handled concurrently, as HTTP requests are.
//
// RunSocketMode must be the only reader of client.Events. Reconnection
// (Slack's disconnect, dropped connections, failed attempts with backoff)
// is socketmode.Client's. RunSocketMode returns nil when ctx ends, an error
// wrapping ErrInvalidAuth when Slack refuses the token, and any other error
// that ends the client's run; it returns once the client and the Handler
// calls under way are done.
func RunSocketMode(ctx context.Context, client *socketmode.Client, h Handler, log zerolog.Logger) error {
	return RunSocketModeObserved(ctx, client, h, log, nil)
}

// RunSocketModeObserved is RunSocketMode telling obs of acknowledgements
// and of the connection going up and down (nil: no one is told).
func RunSocketModeObserved(ctx context.Context, client *socketmode.Client, h Handler, log zerolog.Logger, obs Observer) error {
	if obs == nil {
		obs = nopObserver{}
	}
	defer obs.ObserveConnected(false)
	if client == nil || h == nil {
		return errors.New("slackbot: RunSocketMode needs a client and a Handler")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	runErr := make(chan error, 1)
	go func() { runErr <- client.RunContext(ctx) }()

	s := &socketTransport{client: client, h: h, log: log, obs: obs}
	var wg sync.WaitGroup
	runDone, err := s.loop(ctx, runErr, &wg)
	cancel()
	if !runDone {
		// The client returns once its connection is closed; its error is
		// the cancellation asked for above.
		if err := <-runErr; err != nil {
			log.Debug().Err(err).Msg("socket mode client stopped")
		}
	}
	wg.Wait()
	return err
}

type socketTransport struct {
	client *socketmode.Client
	h      Handler
	log    zerolog.Logger
	obs    Observer
}

// loop reads the client's events until ctx ends or the run is over. It
// reports whether it took the run's result.
func (s *socketTransport) loop(ctx context.Context, runErr <-chan error, wg *sync.WaitGroup) (bool, error) {
	for {
		select {
		case <-ctx.Done():
			return false, nil
		case err := <-runErr:
			if ctx.Err() != nil {
				return true, nil
			}
			if code, ok := refusedToken(err); ok {
				return true, fmt.Errorf("socket mode: connecting: %w (%s)", ErrInvalidAuth, code)
			}
			return true, fmt.Errorf("socket mode: %w", err)
		case evt := <-s.client.Events:
			if err := s.event(ctx, evt, wg); err != nil {
				return false, err
			}
		}
	}
}

// event handles one of the client's events; an error ends the run.
func (s *socketTransport) event(ctx context.Context, evt socketmode.Event, wg *sync.WaitGroup) error {
	switch evt.Type {
	case socketmode.EventTypeSlashCommand, socketmode.EventTypeInteractive, socketmode.EventTypeEventsAPI:
		if evt.Request != nil {
			wg.Go(func() { s.deliver(ctx, evt) })
		}
	case socketmode.EventTypeConnecting:
		s.obs.ObserveConnected(false)
		if e, ok := evt.Data.(*slack.ConnectingEvent); ok {
			s.log.Debug().Int("attempt", e.Attempt).Int("connection", e.ConnectionCount).Msg("socket mode connecting")
		}
	case socketmode.EventTypeConnected:
		s.obs.ObserveConnected(true)
		ev := s.log.Info()
		if e, ok := evt.Data.(*socketmode.ConnectedEvent); ok {
			ev = ev.Int("connection", e.ConnectionCount)
		}
		ev.Msg("socket mode connected")
	case socketmode.EventTypeHello:
		s.log.Debug().Msg("socket mode hello")
	case socketmode.EventTypeConnectionError:
		e, ok := evt.Data.(*slack.ConnectionErrorEvent)
		s.obs.ObserveConnected(false)
		if !ok {
			break
		}
		if code, refused := refusedToken(e.ErrorObj); refused {
			return fmt.Errorf("socket mode: connecting: %w (%s)", ErrInvalidAuth, code)
		}
		// The client waits e.Backoff before its next attempt: no spinning.
		s.log.Warn().Err(e.ErrorObj).Int("attempt", e.Attempt).Dur("backoff", e.Backoff).Msg("socket mode connection failed")
	case socketmode.EventTypeInvalidAuth:
		return fmt.Errorf("socket mode: connecting: %w", ErrInvalidAuth)
	case socketmode.EventTypeIncomingError:
		// A failed read means the connection is gone; the client reconnects.
		s.obs.ObserveConnected(false)
		if e, ok := evt.Data.(*slack.IncomingEventError); ok {
			ev := s.log.Warn()
			if errors.Is(e.ErrorObj, net.ErrClosed) { // the client's own close, as it reconnects
				ev = s.log.Debug()
			}
			ev.Err(e.ErrorObj).Msg("socket mode read failed")
		}
	case socketmode.EventTypeErrorBadMessage:
		if e, ok := evt.Data.(*socketmode.ErrorBadMessage); ok {
			s.ackUnreadable(ctx, e)
		}
	case socketmode.EventTypeErrorWriteFailed:
		if e, ok := evt.Data.(*socketmode.ErrorWriteFailed); ok && e.Response != nil {
			s.log.Warn().Err(e.Cause).Str("envelope_id", e.Response.EnvelopeID).Msg("socket mode acknowledgement not sent")
		}
	default:
		if evt.Request != nil && evt.Request.EnvelopeID != "" {
			wg.Go(func() { s.deliver(ctx, evt) })
		}
	}
	return nil
}

// deliver hands one envelope to the Handler, if it is one for it, and
// acknowledges it.
func (s *socketTransport) deliver(ctx context.Context, evt socketmode.Event) {
	start := time.Now()
	req := evt.Request
	// The envelope id is the request id of every line the delivery makes.
	ctx = reqid.With(ctx, req.EnvelopeID)
	ev := s.log.Info().Str("req_id", req.EnvelopeID).Str("type", string(evt.Type)).Str("envelope_id", req.EnvelopeID)
	if req.RetryAttempt > 0 {
		ev = ev.Int("retry_attempt", req.RetryAttempt).Str("retry_reason", req.RetryReason)
	}
	ctx = WithRetry(ctx, req.RetryAttempt, req.RetryReason)

	var reply Reply
	switch data := evt.Data.(type) {
	case slack.SlashCommand:
		ev = ev.Str("team", data.TeamID).Str("user", data.UserID).Str("channel", data.ChannelID).Str("kind", data.Command)
		if err := validCommand(data); err != nil {
			ev = ev.Str("skipped", err.Error())
			break
		}
		reply = s.call(ev, func() Reply { return s.h.Command(ctx, data) })
	case slack.InteractionCallback:
		ev = ev.Str("team", data.Team.ID).Str("user", data.User.ID).Str("channel", data.Channel.ID).Str("kind", string(data.Type))
		if acts := data.ActionCallback.BlockActions; len(acts) > 0 && acts[0] != nil {
			ev = ev.Str("action", acts[0].ActionID)
		}
		if err := validInteraction(data); err != nil {
			ev = ev.Str("skipped", err.Error())
			break
		}
		if data.Type != slack.InteractionTypeBlockActions {
			ev = ev.Str("skipped", "not block_actions")
			break
		}
		reply = s.call(ev, func() Reply { return s.h.Interaction(ctx, data) })
	default:
		ev = ev.Str("skipped", "not handled")
	}

	var payload any
	if !reply.Empty() {
		if n, fits := ackFits(req.EnvelopeID, reply); fits {
			payload = reply
		} else {
			ev = ev.Int("reply_bytes", n).Bool("acked_empty", true)
			s.log.Warn().Str("envelope_id", req.EnvelopeID).Int("reply_bytes", n).Int("limit", MaxSocketAckBytes).
				Msg("reply too large for a socket mode acknowledgement; acknowledged empty")
		}
	}
	err := s.client.AckCtx(ctx, req.EnvelopeID, payload)
	s.obs.ObserveAck("socket", time.Since(start), err == nil)
	if err != nil {
		ev = ev.Err(err)
	}
	ev.Dur("duration", time.Since(start)).Msg("slack envelope")
}

// ackUnreadable acknowledges, empty, an envelope the client could not
// parse (an unknown type, a payload of the wrong shape), so that Slack does
// not redeliver it. The message may carry user data: only the cause is
// logged.
func (s *socketTransport) ackUnreadable(ctx context.Context, e *socketmode.ErrorBadMessage) {
	var env struct {
		EnvelopeID string `json:"envelope_id"`
	}
	_ = json.Unmarshal(e.Message, &env)
	ev := s.log.Warn().Err(e.Cause).Str("envelope_id", env.EnvelopeID)
	if env.EnvelopeID == "" {
		ev.Msg("socket mode message not understood")
		return
	}
	if err := s.client.AckCtx(ctx, env.EnvelopeID, nil); err != nil {
		ev = ev.AnErr("ack_error", err)
	}
	ev.Msg("socket mode envelope not understood; acknowledged empty")
}

// call runs the Handler so that its panic costs one envelope, acknowledged
// empty, rather than the process and every connection with it.
func (s *socketTransport) call(ev *zerolog.Event, f func() Reply) (reply Reply) {
	defer func() {
		if p := recover(); p != nil {
			reply = Reply{}
			ev.Bool("handler_panicked", true)
			s.log.Error().Str("panic", fmt.Sprint(p)).Msg("slackbot handler panicked")
		}
	}()
	return f()
}

// ackFits reports whether the acknowledgement of envelopeID carrying reply
// stays under MaxSocketAckBytes, measured as socketmode.Client measures it,
// and its size.
func ackFits(envelopeID string, reply Reply) (int, bool) {
	js, err := json.Marshal(socketmode.Response{EnvelopeID: envelopeID, Payload: reply})
	if err != nil {
		return 0, false
	}
	return len(js), len(js) < MaxSocketAckBytes
}

// refusedToken reports whether err is Slack refusing the token, and its
// code: errors of apps.connections.open that no reconnection can cure.
// socketmode.Client gives up by itself on some of them and retries the
// others for ever.
func refusedToken(err error) (string, bool) {
	if e, ok := errors.AsType[slack.SlackErrorResponse](err); ok {
		switch e.Err {
		case "invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired",
			"not_allowed_token_type", "missing_scope":
			return e.Err, true
		}
	}
	// socketmode.Client takes a 404 from apps.connections.open for bad auth.
	if e, ok := errors.AsType[slack.StatusCodeError](err); ok && e.Code == http.StatusNotFound {
		return "404", true
	}
	return "", false
}
