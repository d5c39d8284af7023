package slackbot

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	"github.com/supaops/supaops/internal/reqid"
)

// Routes of the HTTP transport.
const (
	CommandsPath     = "/slack/commands"
	InteractionsPath = "/slack/interactions"
	HealthPath       = "/healthz"
)

const (
	// DefaultMaxBodyBytes caps a request body when HTTPConfig leaves it 0.
	// Slash commands are a few hundred bytes; a block_actions payload
	// carries the whole message the button sits in, so it grows with that
	// message.
	DefaultMaxBodyBytes = 64 << 10

	// signatureWindow is how far a request's timestamp may be from our
	// clock, either way, as Slack's own libraries check.
	signatureWindow = 5 * time.Minute

	// maxRetryReason bounds the unsigned retry reason header we pass on.
	maxRetryReason = 64
)

// HTTPConfig configures NewHTTPHandler.
type HTTPConfig struct {
	// SigningSecret is the app's signing secret; required.
	SigningSecret string
	// MaxBodyBytes caps a request body (413 beyond); 0 means
	// DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Now is the clock the request timestamps are checked against; nil
	// means time.Now.
	Now func() time.Time
	// Logger gets one line per request; the zero value logs nothing.
	Logger zerolog.Logger
	// Observer is told of every acknowledgement; nil means no one is.
	Observer Observer
}

// NewHTTPHandler serves Slack's signed HTTP requests: POST /slack/commands
// (slash commands), POST /slack/interactions (button presses) and
// GET /healthz. Every body is capped, then its v0 signature is checked
// before it is parsed; only then is h called, with the request's context,
// and its Reply written back as the acknowledgement.
func NewHTTPHandler(h Handler, cfg HTTPConfig) (http.Handler, error) {
	if h == nil {
		return nil, errors.New("slackbot: nil Handler")
	}
	if cfg.SigningSecret == "" {
		return nil, errors.New("slackbot: a signing secret is required")
	}
	if cfg.MaxBodyBytes < 0 {
		return nil, fmt.Errorf("slackbot: MaxBodyBytes %d is negative", cfg.MaxBodyBytes)
	}
	t := &httpTransport{
		h:       h,
		secret:  []byte(cfg.SigningSecret),
		maxBody: cfg.MaxBodyBytes,
		now:     cfg.Now,
		log:     cfg.Logger,
		obs:     cfg.Observer,
	}
	if t.obs == nil {
		t.obs = nopObserver{}
	}
	if t.maxBody == 0 {
		t.maxBody = DefaultMaxBodyBytes
	}
	if t.now == nil {
		t.now = time.Now
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+CommandsPath, func(w http.ResponseWriter, r *http.Request) {
		t.serve(w, r, CommandsPath, t.command)
	})
	mux.HandleFunc("POST "+InteractionsPath, func(w http.ResponseWriter, r *http.Request) {
		t.serve(w, r, InteractionsPath, t.interaction)
	})
	mux.HandleFunc("GET "+HealthPath, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	return mux, nil
}

type httpTransport struct {
	h       Handler
	secret  []byte
	maxBody int64
	now     func() time.Time
	log     zerolog.Logger
	obs     Observer
}

// delivery is what a route reports about one request for the log: never
// the body, the token or the signature.
type delivery struct {
	team, user, channel string
	kind                string // the command, or the interaction's type
	action              string // first action id of a block_actions
	skipped             string // why h was not called although the request was valid
}

// deliverFunc parses a verified request and, unless it is to be skipped,
// calls the Handler. A parse error is a 400.
type deliverFunc func(ctx context.Context, r *http.Request, d *delivery) (Reply, error)

func (t *httpTransport) serve(w http.ResponseWriter, r *http.Request, route string, deliver deliverFunc) {
	start := time.Now()
	var d delivery
	retry, reason := retryHeaders(r.Header)
	// Every line the request makes, the pipeline's and the client's too,
	// carries its id.
	ctx, id := reqid.Ensure(r.Context())
	status, why := t.handle(w, r.WithContext(ctx), deliver, &d, retry, reason)
	t.obs.ObserveAck("http", time.Since(start), status < 400)

	ev := t.log.Info()
	if status >= 400 {
		ev = t.log.Warn()
	}
	ev = ev.Str("req_id", id).Str("route", route).Int("status", status).Dur("duration", time.Since(start)).
		Str("team", d.team).Str("user", d.user)
	if d.channel != "" {
		ev = ev.Str("channel", d.channel)
	}
	if d.kind != "" {
		ev = ev.Str("kind", d.kind)
	}
	if d.action != "" {
		ev = ev.Str("action", d.action)
	}
	if retry > 0 {
		ev = ev.Int("retry_num", retry).Str("retry_reason", reason)
	}
	if why != "" {
		ev = ev.Str("reason", why)
	}
	if d.skipped != "" {
		ev = ev.Str("skipped", d.skipped)
	}
	ev.Msg("slack request")
}

// handle answers one request and returns the status it wrote and, for a
// refusal, the short reason it gave.
func (t *httpTransport) handle(w http.ResponseWriter, r *http.Request, deliver deliverFunc, d *delivery, retry int, reason string) (int, string) {
	if r.ContentLength > t.maxBody {
		return refuse(w, http.StatusRequestEntityTooLarge, "request body too large")
	}
	if r.Body == nil { // requests built for ServeHTTP directly may have none
		r.Body = http.NoBody
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, t.maxBody))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return refuse(w, http.StatusRequestEntityTooLarge, "request body too large")
		}
		return refuse(w, http.StatusBadRequest, "unreadable request body")
	}
	if err := verifySignature(r.Header, body, t.secret, t.now()); err != nil {
		return refuse(w, http.StatusUnauthorized, err.Error())
	}
	// slack-go's parsers read the form from the body we consumed.
	r.Body = io.NopCloser(bytes.NewReader(body))

	ctx := WithRetry(r.Context(), retry, reason)
	reply, err := deliver(ctx, r, d)
	if err != nil {
		return refuse(w, http.StatusBadRequest, err.Error())
	}
	if reply.Empty() {
		w.WriteHeader(http.StatusOK)
		return http.StatusOK, ""
	}
	js, err := json.Marshal(reply)
	if err != nil {
		return refuse(w, http.StatusInternalServerError, "reply could not be encoded")
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(js)
	return http.StatusOK, ""
}

func refuse(w http.ResponseWriter, status int, reason string) (int, string) {
	http.Error(w, reason, status)
	return status, reason
}

func (t *httpTransport) command(ctx context.Context, r *http.Request, d *delivery) (Reply, error) {
	cmd, err := slack.SlashCommandParse(r)
	if err != nil {
		return Reply{}, errors.New("malformed slash command form")
	}
	d.team, d.user, d.channel, d.kind = cmd.TeamID, cmd.UserID, cmd.ChannelID, cmd.Command
	// Slack checks the certificate of a command's URL by posting
	// ssl_check=1; it wants a 200, and there is no command to run.
	if r.PostForm.Get("ssl_check") == "1" && cmd.Command == "" {
		d.skipped = "ssl_check"
		return Reply{}, nil
	}
	if err := validCommand(cmd); err != nil {
		return Reply{}, err
	}
	return t.h.Command(ctx, cmd), nil
}

func (t *httpTransport) interaction(ctx context.Context, r *http.Request, d *delivery) (Reply, error) {
	cb, err := parseInteraction(r)
	if err != nil {
		return Reply{}, err
	}
	d.team, d.user, d.channel, d.kind = cb.Team.ID, cb.User.ID, cb.Channel.ID, string(cb.Type)
	if acts := cb.ActionCallback.BlockActions; len(acts) > 0 && acts[0] != nil {
		d.action = acts[0].ActionID
	}
	if cb.Type != slack.InteractionTypeBlockActions {
		d.skipped = "not block_actions"
		return Reply{}, nil
	}
	return t.h.Interaction(ctx, cb), nil
}

// parseInteraction decodes an interaction request whose body is the
// (verified) form Slack posts: payload=<JSON>.
func parseInteraction(r *http.Request) (slack.InteractionCallback, error) {
	cb, err := slack.InteractionCallbackParse(r)
	if err != nil {
		return slack.InteractionCallback{}, errors.New("malformed interaction payload")
	}
	if err := validInteraction(cb); err != nil {
		return slack.InteractionCallback{}, err
	}
	return cb, nil
}

// validCommand refuses a command the Handler could not attribute or route.
func validCommand(cmd slack.SlashCommand) error {
	if cmd.Command == "" || cmd.UserID == "" || cmd.TeamID == "" {
		return errors.New("malformed slash command: command, user_id and team_id are required")
	}
	return nil
}

// validInteraction refuses an interaction the Handler could not attribute,
// or a block_actions with no block action to act on.
func validInteraction(cb slack.InteractionCallback) error {
	if cb.Type == "" || cb.User.ID == "" {
		return errors.New("malformed interaction payload: type and user.id are required")
	}
	if cb.Type == slack.InteractionTypeBlockActions {
		// Slack sends the pressed element; the Handler may rely on it.
		acts := cb.ActionCallback.BlockActions
		if len(acts) == 0 {
			return errors.New("malformed interaction payload: block_actions without an action")
		}
		for _, a := range acts {
			if a == nil {
				return errors.New("malformed interaction payload: null action")
			}
		}
	}
	return nil
}

// Signature refusals; their text is the 401's body and the log's reason.
var (
	errMissingHeaders = errors.New("missing signature headers")
	errBadSignature   = errors.New("bad signature")
	errBadTimestamp   = errors.New("bad timestamp")
	errStaleTimestamp = errors.New("stale timestamp")
	errFutureStamp    = errors.New("timestamp in the future")
)

// verifySignature checks Slack's v0 signature: HMAC-SHA256 keyed with the
// signing secret over "v0:" + timestamp + ":" + body, compared in constant
// time, with the timestamp within signatureWindow of now either way. It is
// the scheme of slack.NewSecretsVerifier (FuzzSignature checks that both
// agree), written out because that one reads the wall clock and
// HTTPConfig.Now must be honoured.
func verifySignature(h http.Header, body, secret []byte, now time.Time) error {
	sig, stamp := h.Get("X-Slack-Signature"), h.Get("X-Slack-Request-Timestamp")
	if sig == "" || stamp == "" {
		return errMissingHeaders
	}
	hexSig, ok := strings.CutPrefix(sig, "v0=")
	if !ok {
		return errBadSignature
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil || len(got) != sha256.Size {
		return errBadSignature
	}
	ts, err := strconv.ParseInt(stamp, 10, 64)
	if err != nil {
		return errBadTimestamp
	}
	// time.Time arithmetic saturates, so an absurd timestamp cannot wrap
	// around into the window.
	if diff := now.Sub(time.Unix(ts, 0)); diff > signatureWindow {
		return errStaleTimestamp
	} else if diff < -signatureWindow {
		return errFutureStamp
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("v0:" + stamp + ":"))
	mac.Write(body)
	if !hmac.Equal(mac.Sum(nil), got) {
		return errBadSignature
	}
	return nil
}

// retryHeaders reads Slack's redelivery headers. They are not signed, so
// they only ever inform (logs), never decide.
func retryHeaders(h http.Header) (int, string) {
	n, err := strconv.Atoi(h.Get("X-Slack-Retry-Num"))
	if err != nil || n < 0 {
		n = 0
	}
	reason := h.Get("X-Slack-Retry-Reason")
	if len(reason) > maxRetryReason {
		reason = reason[:maxRetryReason]
	}
	return n, reason
}

type retryKey struct{}

type retryInfo struct {
	num    int
	reason string
}

// WithRetry returns ctx telling the Handler that this delivery is Slack's
// num-th redelivery, and why. The transports set it; tests of a Handler may
// too.
func WithRetry(ctx context.Context, num int, reason string) context.Context {
	return context.WithValue(ctx, retryKey{}, retryInfo{num: num, reason: reason})
}

// RetryNum is the redelivery number of the request being handled: 0 for a
// first delivery, n for Slack's n-th retry (HTTP X-Slack-Retry-Num, Socket
// Mode retry_attempt). Redeliveries reach the Handler like first
// deliveries; it dedupes by trigger_id and may log this.
func RetryNum(ctx context.Context) int {
	r, _ := ctx.Value(retryKey{}).(retryInfo)
	return r.num
}

// RetryReason is Slack's stated reason for a redelivery ("" for a first
// delivery), e.g. "http_timeout".
func RetryReason(ctx context.Context) string {
	r, _ := ctx.Value(retryKey{}).(retryInfo)
	return r.reason
}
