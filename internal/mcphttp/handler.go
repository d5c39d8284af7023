package mcphttp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/rs/zerolog"

	"github.com/supaops/supaops/internal/principal"
)

const (
	// Path is where the MCP endpoint is served.
	Path = "/mcp"
	// HealthPath answers 200 without authentication, for probes.
	HealthPath = "/healthz"
	// ReadyPath and MetricsPath are answered by Config.Ops, when set.
	ReadyPath   = "/readyz"
	MetricsPath = "/metrics"

	// retryAfterSeconds is the Retry-After sent with 429.
	retryAfterSeconds = 1
)

// Handler returns the middleware chain in front of mcp-go's streamable HTTP
// handler: access log, routing (/mcp, /healthz, else 404), Origin check,
// bearer authentication, body limit and read time, session ownership,
// per-principal concurrency limit.
//
// The handler keeps an idle-session sweeper goroutine for the life of the
// process; Serve stops it on shutdown.
func Handler(s *server.MCPServer, cfg Config) (http.Handler, error) {
	return newHandler(s, cfg)
}

type handler struct {
	log         zerolog.Logger
	ops         http.Handler
	maxBody     int64
	bodyTimeout time.Duration
	auth        authenticator
	origins     originPolicy
	calls       *limiter // ordinary requests
	streams     *limiter // long-lived listening streams
	sessions    *sessionRegistry
	cancels     *cancelGuard
	mcp         *server.StreamableHTTPServer

	// pendingBodies counts requests whose body is still guarded.
	pendingBodies atomic.Int64

	// stopping ends at shutdown: it ends long-lived streams (unlike calls
	// they never finish by themselves, and http.Server.Shutdown would wait
	// for them), cuts bodies still arriving and stops the session sweeper.
	stopping context.Context
	stop     context.CancelFunc
}

func newHandler(s *server.MCPServer, cfg Config) (*handler, error) {
	if s == nil {
		return nil, errors.New("mcphttp: nil MCP server")
	}
	cfg = cfg.withDefaults()
	if err := Validate(cfg); err != nil {
		return nil, err
	}
	h := &handler{
		log:         cfg.Logger,
		ops:         cfg.Ops,
		maxBody:     cfg.MaxBodyBytes,
		bodyTimeout: cfg.BodyReadTimeout,
		auth:        newAuthenticator(cfg.Tokens),
		origins:     newOriginPolicy(cfg.AllowedOrigins),
		calls:       newLimiter(cfg.MaxConcurrentPerPrincipal),
		streams:     newLimiter(cfg.MaxConcurrentPerPrincipal),
		cancels:     newCancelGuard(),
	}
	h.sessions = newSessionRegistry(cfg, h.dropSession)
	h.stopping, h.stop = context.WithCancel(context.Background())
	h.mcp = server.NewStreamableHTTPServer(s,
		// Stateful for legacy clients so elicitation/create answers can be
		// routed back; modern requests ignore sessions regardless. The
		// registry bounds and expires sessions; mcp-go's own idle sweeper
		// (WithSessionIdleTTL) stays off, as it would also end a session
		// whose call is waiting on a human.
		server.WithSessionIdManagerResolver(h.sessions),
		server.WithHTTPContextFunc(carryPrincipal),
		server.WithStreamableHTTPLogger(slog.New(zerolog.NewSlogHandler(cfg.Logger.With().Str("component", "mcp-go").Logger()))),
		// mcp-go's own DNS-rebinding check (loopback connection with a
		// non-loopback Host -> 403) stays on: it complements the Origin check
		// for clients that send no Origin.
		server.WithDisableLocalhostProtection(false),
	)
	go h.sessions.sweep(h.stopping)
	return h, nil
}

// dropSession removes a session's state from mcp-go through mcp-go's own
// termination path, a DELETE for its ID: that unregisters it (hooks run) and
// clears every per-session store, which mcp-go otherwise keeps until its idle
// sweeper, were it on, ran. reason is empty for a repeat drop.
func (h *handler) dropSession(s *session, reason string) {
	w := &discardWriter{header: make(http.Header)}
	h.mcp.Handle(w, &server.HTTPRequest{
		Method:  http.MethodDelete,
		Header:  http.Header{server.HeaderKeySessionID: {s.id}},
		Context: context.WithValue(context.Background(), internalKey{}, true),
	})
	if w.status != http.StatusOK {
		h.log.Error().Int("status", w.status).Str("principal", s.owner).Msg("mcp session drop failed")
		return
	}
	if reason != "" {
		ev := h.log.Info()
		if reason == reasonIdle {
			ev = h.log.Debug()
		}
		ev.Str("principal", s.owner).Str("reason", reason).Msg("mcp session dropped")
	}
}

// discardWriter is the response writer for requests the handler sends mcp-go
// itself; only the status matters.
type discardWriter struct {
	header http.Header
	status int
}

func (w *discardWriter) Header() http.Header { return w.header }
func (w *discardWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *discardWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return len(p), nil
}
func (w *discardWriter) Flush()          {}
func (w *discardWriter) CanStream() bool { return false }

// carryPrincipal hands the principal authenticated by the middleware to tool
// handlers; mcp-go builds the handler context from this.
func carryPrincipal(ctx context.Context, r *http.Request) context.Context {
	if p, ok := principal.From(r.Context()); ok {
		return principal.With(ctx, p)
	}
	return ctx
}

// close stops the session sweeper and ends remaining sessions.
func (h *handler) close(ctx context.Context) {
	h.stop()
	_ = h.mcp.Shutdown(ctx) // no http.Server of its own: never fails
}

// record collects what the access log reports about one request.
type record struct {
	principal string
	rpcMethod string
	tool      string
	denied    string
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w}
	// Every body is guarded, whatever the route: net/http would otherwise
	// wait without limit for the rest of a refused request's body.
	guard := h.guardBody(sw, r, start)
	defer guard.finish()
	var rec record
	switch r.URL.Path {
	case Path:
		h.serveMCP(sw, r, guard, &rec)
	case HealthPath:
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			sw.Header().Set("Allow", "GET, HEAD")
			http.Error(sw, "method not allowed", http.StatusMethodNotAllowed)
			break
		}
		sw.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(sw, "ok\n")
	case ReadyPath, MetricsPath:
		if h.ops == nil || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
			http.NotFound(sw, r)
			break
		}
		if r.URL.Path == MetricsPath {
			// Probes need no credential; what was called, how often and
			// how it went is for the operator: a listener that needs
			// tokens for MCP needs one for metrics too (Prometheus sends
			// it with bearer_token_file).
			p, err := h.auth.authenticate(r.Header.Get("Authorization"))
			if err != nil {
				rec.denied = err.Error()
				sw.Header().Set("WWW-Authenticate", `Bearer realm="supaops"`)
				http.Error(sw, "unauthorized: "+err.Error(), http.StatusUnauthorized)
				break
			}
			rec.principal = p.ID
		}
		h.ops.ServeHTTP(sw, r)
	default:
		http.NotFound(sw, r)
	}

	status := sw.code()
	ev := h.log.Info()
	if status >= 400 {
		ev = h.log.Warn()
	}
	if !ev.Enabled() {
		return
	}
	ev = ev.Str("method", r.Method).Str("path", r.URL.Path).Int("status", status).
		Str("principal", rec.principal).Dur("duration", time.Since(start)).
		Int64("bytes_out", sw.n).Str("remote", r.RemoteAddr)
	if rec.rpcMethod != "" {
		ev = ev.Str("rpc_method", rec.rpcMethod)
	}
	if rec.tool != "" {
		ev = ev.Str("tool", rec.tool)
	}
	if rec.denied != "" {
		ev = ev.Str("denied", rec.denied)
	}
	ev.Msg("mcp http request")
}

func (h *handler) serveMCP(w *statusWriter, r *http.Request, guard *bodyGuard, rec *record) {
	origin := r.Header.Get("Origin")
	if !h.origins.allows(origin) {
		rec.denied = "origin " + strconv.Quote(origin)
		h.refuse(w, nil, http.StatusForbidden, "origin not allowed")
		return
	}
	if origin != "" {
		corsHeaders(w.Header(), origin)
		if r.Method == http.MethodOptions {
			// Preflights carry no credentials by design: answer before auth.
			corsPreflight(w, r)
			return
		}
	}

	p, err := h.auth.authenticate(r.Header.Get("Authorization"))
	if err != nil {
		rec.denied = err.Error()
		challenge := `Bearer realm="supaops"`
		if errors.Is(err, errBadCredentials) {
			challenge += `, error="invalid_token"`
		}
		w.Header().Set("WWW-Authenticate", challenge)
		h.refuse(w, nil, http.StatusUnauthorized, "unauthorized: "+err.Error())
		return
	}
	rec.principal = p.ID
	// Tool handlers see the HTTP headers (CallToolRequest.Header); the
	// credential stops here so nothing downstream can log it.
	hdr := r.Header.Clone()
	hdr.Del("Authorization")
	r = r.WithContext(principal.With(r.Context(), p))
	r.Header = hdr

	sid := r.Header.Get(server.HeaderKeySessionID)
	var sess *session
	switch {
	case sid != "":
		s, exists, owned := h.sessions.acquire(sid, p.ID)
		// Another principal's session is as good as unknown. GET and DELETE
		// are checked for unknown IDs here because mcp-go would open a stream
		// under any ID; POST validates through the registry itself (and
		// protocol 2026-07-28 requests ignore the header).
		if (exists && !owned) || (!exists && r.Method != http.MethodPost) {
			rec.denied = "session"
			http.Error(w, "session not found", http.StatusNotFound)
			return
		}
		if s != nil {
			// In use: neither evicted nor expired while the request runs.
			defer h.sessions.release(s)
			sess = s
		}
	case (r.Method == http.MethodGet || r.Method == http.MethodDelete) &&
		!mcp.IsModernProtocol(r.Header.Get(mcp.HeaderProtocolVersion)):
		// mcp-go would open a stream under a fresh session nobody can use
		// or end; protocol 2026-07-28 requests get mcp-go's own answer.
		rec.denied = "no session"
		h.refuse(w, nil, http.StatusBadRequest, "Mcp-Session-Id header required: initialize first")
		return
	}

	var peek rpcPeek
	if r.Method == http.MethodPost {
		body, status, err := h.readBody(w, r, guard)
		if err != nil {
			rec.denied = err.Error()
			w.Header().Set("Connection", "close")
			h.refuse(w, nil, status, err.Error())
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		peek = peekRPC(body)
		rec.rpcMethod, rec.tool = peek.Method, peek.tool()
	}

	streaming := r.Method == http.MethodGet || peek.Method == string(mcp.MethodSubscriptionsListen)
	if streaming && h.stopping.Err() != nil {
		rec.denied = "shutting down"
		h.refuse(w, peek.ID, http.StatusServiceUnavailable, "server is shutting down")
		return
	}
	if pool := h.poolFor(r.Method, peek, streaming); pool != nil {
		if !pool.acquire(p.ID) {
			rec.denied = "concurrency"
			w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds))
			h.refuse(w, peek.ID, http.StatusTooManyRequests,
				fmt.Sprintf("too many concurrent requests for %s (limit %d); retry shortly", p.ID, pool.max))
			return
		}
		defer pool.release(p.ID)
	}

	if streaming {
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		defer context.AfterFunc(h.stopping, cancel)()
		if sess != nil {
			// A deleted, evicted or expired session's stream ends with it.
			defer context.AfterFunc(sess.ctx, cancel)()
		}
		r = r.WithContext(ctx)
	}

	if r.Method == http.MethodPost && peek.valid && sessionless(r, peek) {
		switch {
		case peek.isRequest():
			if key, ok := inflightKey(peek.ID); ok {
				defer h.cancels.start(key, p.ID)()
			}
		case peek.Method == string(mcp.MethodNotificationCancelled):
			key, ok := inflightKey(peek.cancelledID())
			if !ok || !h.cancels.cancel(key, p.ID, func() { h.mcp.ServeHTTP(w, r) }) {
				// Accepted and ignored, as for an id that already finished.
				rec.denied = "cancellation of a request not in flight for this principal"
				w.WriteHeader(http.StatusAccepted)
			}
			return
		}
	}

	if r.Method == http.MethodPost {
		// An initialize creates its session inside mcp-go (even when it
		// carries an Mcp-Session-Id); the slot holds the new session in use
		// until the request, which registers it there, has ended.
		slot := &sessionSlot{}
		r = r.WithContext(context.WithValue(r.Context(), slotKey{}, slot))
		defer func() {
			if slot.s != nil {
				h.sessions.release(slot.s)
			}
		}()
	}
	h.mcp.ServeHTTP(w, r)
}

// poolFor picks the concurrency pool a request counts against, or nil.
// Listening streams last as long as the client stays connected, so they have
// their own pool. JSON-RPC requests (which may run tools) take a call slot.
// Responses, notifications and DELETE take none: they finish at once, and a
// legacy client's answer to an elicitation, or its notifications/cancelled,
// must get through while its calls hold every slot.
func (h *handler) poolFor(method string, peek rpcPeek, streaming bool) *limiter {
	switch {
	case streaming:
		return h.streams
	case method == http.MethodPost && peek.isRequest():
		return h.calls
	default:
		return nil
	}
}

// readBody reads the whole body within the size limit and the guard's
// deadline, so an oversized or stalled one is refused before mcp-go sees any
// of it.
func (h *handler) readBody(w http.ResponseWriter, r *http.Request, guard *bodyGuard) ([]byte, int, error) {
	tooLarge := fmt.Errorf("request body too large (limit %d bytes)", h.maxBody)
	if r.ContentLength > h.maxBody {
		return nil, http.StatusRequestEntityTooLarge, tooLarge
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return nil, http.StatusRequestEntityTooLarge, tooLarge
	case err != nil && h.stopping.Err() != nil:
		return nil, http.StatusServiceUnavailable, errors.New("server is shutting down")
	case err != nil && isTimeout(err):
		return nil, http.StatusRequestTimeout, fmt.Errorf("request body not received within %s", h.bodyTimeout)
	case err != nil:
		return nil, http.StatusBadRequest, errors.New("reading request body failed")
	}
	guard.complete()
	return body, 0, nil
}

// refuse writes a JSON-RPC error object with an HTTP error status, so MCP
// clients surface the message rather than just a status code.
func (h *handler) refuse(w http.ResponseWriter, id json.RawMessage, status int, text string) {
	if len(id) == 0 {
		id = json.RawMessage("null")
	}
	var msg rpcError
	msg.JSONRPC, msg.ID, msg.Error.Code, msg.Error.Message = "2.0", id, mcp.INVALID_REQUEST, text
	body, _ := json.Marshal(msg)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

type rpcError struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Error   struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// corsHeaders lets a browser page at an allowed origin read the response.
func corsHeaders(h http.Header, origin string) {
	h.Set("Access-Control-Allow-Origin", origin)
	h.Add("Vary", "Origin")
	h.Set("Access-Control-Expose-Headers", "Mcp-Session-Id, WWW-Authenticate, Retry-After")
}

func corsPreflight(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Access-Control-Request-Method") == "" {
		w.Header().Set("Allow", "GET, POST, DELETE, OPTIONS")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	w.Header().Set("Access-Control-Allow-Methods", "GET, POST, DELETE")
	// The origin is already allowed, so echo what it asks to send; MCP adds
	// headers per protocol revision (Mcp-Protocol-Version, Mcp-Method, ...).
	if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
		w.Header().Set("Access-Control-Allow-Headers", req)
	}
	w.Header().Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
}

// rpcPeek is the part of a JSON-RPC message the middleware needs: the id for
// error replies, the method and tool name for the log and stream detection.
type rpcPeek struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	// Params holds what the handler looks at, decoded with the rest in one
	// pass over the body (mcp-go decodes it again, fully).
	Params peekParams `json:"params"`
	valid  bool
}

type peekParams struct {
	Name      string          `json:"name"`      // tools/call
	RequestID json.RawMessage `json:"requestId"` // notifications/cancelled
	Meta      json.RawMessage `json:"_meta"`
}

func peekRPC(body []byte) rpcPeek {
	var p rpcPeek
	if json.Unmarshal(body, &p) != nil {
		// Params of another shape (an array, a name that is not a
		// string) still leave the envelope to look at.
		var envelope struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
		}
		if json.Unmarshal(body, &envelope) != nil {
			return rpcPeek{} // mcp-go answers malformed messages itself
		}
		p = rpcPeek{ID: envelope.ID, Method: envelope.Method}
	}
	p.valid = true
	return p
}

// isRequest reports a JSON-RPC request: a method and a non-null id. A body
// that does not parse counts as one, so it cannot dodge the limit.
func (p rpcPeek) isRequest() bool {
	if !p.valid {
		return true
	}
	return p.Method != "" && len(p.ID) > 0 && string(p.ID) != "null"
}

func (p rpcPeek) tool() string {
	if p.Method != string(mcp.MethodToolsCall) {
		return ""
	}
	return p.Params.Name
}

// limiter is a counting semaphore per principal; entries are dropped at zero
// so the map holds only principals with requests in flight.
type limiter struct {
	max    int
	mu     sync.Mutex
	active map[string]int
}

func newLimiter(n int) *limiter { return &limiter{max: n, active: make(map[string]int)} }

// acquire does not wait: queueing would hold connections and hide overload
// from the client, which can retry after Retry-After.
func (l *limiter) acquire(id string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.active[id] >= l.max {
		return false
	}
	l.active[id]++
	return true
}

func (l *limiter) release(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.active[id] <= 1 {
		delete(l.active, id)
		return
	}
	l.active[id]--
}

// statusWriter records the status and size for the access log. It keeps
// Flush (mcp-go streams SSE only through an http.Flusher) and Unwrap (for
// http.ResponseController).
type statusWriter struct {
	http.ResponseWriter
	status int
	n      int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.n += int64(n)
	return n, err
}

func (w *statusWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}
