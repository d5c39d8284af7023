package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxRequestBody bounds what the sandbox reads from one request; function
// bundles are the largest legitimate bodies.
const maxRequestBody = 32 << 20

// call is one validated request as handlers see it.
type call struct {
	ctx    context.Context
	op     *operation
	r      *http.Request
	params map[string]string
	query  url.Values
	body   []byte
	now    time.Time
}

// handlerFunc answers a validated call.
type handlerFunc func(c *call) (reply, error)

// ServeHTTP serves the Management API and the /_sandbox control endpoints.
func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if dropped := s.handle(w, r); dropped {
		dropConnection(w)
	}
}

// dropConnection closes the client connection without a response, as a
// crashed load balancer would.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			if tcp, ok := conn.(*net.TCPConn); ok {
				_ = tcp.SetLinger(0) // send RST rather than FIN: a reset, not a clean close
			}
			_ = conn.Close()
			return
		}
	}
	// HTTP/2 or a recorder: aborting the handler makes net/http reset the
	// stream without writing a response.
	panic(http.ErrAbortHandler)
}

// handle runs the request pipeline: rate limit, authentication, routing,
// faults, validation, handler. It reports whether the connection must be
// dropped without a response.
func (s *Sandbox) handle(w http.ResponseWriter, r *http.Request) (dropped bool) {
	start := time.Now() // real time: the log reports how long serving took
	w.Header().Set("X-Request-Id", s.nextRequestID())
	if strings.HasPrefix(r.URL.Path, controlPrefix) {
		s.serveControl(w, r)
		return false
	}
	status, opID, dropped := s.serveAPI(w, r, s.now())
	if e := s.log.Debug(); e.Enabled() {
		e.Str("method", r.Method).Str("path", r.URL.Path).Str("operation", opID).
			Int("status", status).Bool("dropped", dropped).Dur("took", time.Since(start)).
			Msg("sandbox request")
	}
	return dropped
}

func (s *Sandbox) serveAPI(w http.ResponseWriter, r *http.Request, now time.Time) (status int, opID string, dropped bool) {
	token := bearerToken(r)
	key := token
	if key == "" {
		key = "ip:" + remoteHost(r.RemoteAddr)
	}
	quota := s.limiter.take(key, now)
	quota.setHeaders(w.Header())
	if !quota.allowed {
		writeMessage(w, http.StatusTooManyRequests, "Rate limit exceeded")
		return http.StatusTooManyRequests, "", false
	}
	if token == "" || (s.opts.Token != "" && token != s.opts.Token) {
		writeMessage(w, http.StatusUnauthorized, "Unauthorized")
		return http.StatusUnauthorized, "", false
	}
	op, params := s.api.router.match(r.Method, r.URL.Path)
	if op == nil {
		// The API is a NestJS app: unknown routes and methods both answer 404.
		writeMessage(w, http.StatusNotFound, fmt.Sprintf("Cannot %s %s", r.Method, r.URL.Path))
		return http.StatusNotFound, "", false
	}
	s.requestCounts[op.id].Add(1)
	if op.contentType == "text/plain" && !accepts(r.Header.Get("Accept"), op.contentType) {
		// Strict, so a client asking a text operation for JSON is caught
		// here rather than by the API.
		msg := fmt.Sprintf("Not Acceptable: %s %s answers %s, not %s", r.Method, r.URL.Path, op.contentType, r.Header.Get("Accept"))
		writeMessage(w, http.StatusNotAcceptable, msg)
		return http.StatusNotAcceptable, op.id, false
	}

	delay, fault := s.faults.take(op.id)
	if delay > 0 {
		if err := sleepCtx(r.Context(), delay); err != nil {
			return 0, op.id, true
		}
	}
	if fault != nil {
		switch fault.Kind {
		case Drop:
			return 0, op.id, true
		case ServerError:
			code := fault.Status
			if code == 0 {
				code = http.StatusInternalServerError
			}
			writeMessage(w, code, fmt.Sprintf("sandbox: injected %d for %s", code, op.id))
			return code, op.id, false
		case RateLimitStorm:
			stormHeaders(w.Header(), s.opts.Budget, fault.Reset)
			writeMessage(w, http.StatusTooManyRequests, "Rate limit exceeded")
			return http.StatusTooManyRequests, op.id, false
		}
	}

	// Handlers see the time after any injected latency.
	c, err := s.prepareCall(r, op, params, s.now())
	var rep reply
	if err == nil {
		rep, err = s.dispatch(c)
	}
	if err != nil {
		var ae *apiError
		if !errors.As(err, &ae) {
			s.log.Error().Err(err).Str("operation", op.id).Msg("sandbox handler failed")
			ae = &apiError{status: http.StatusInternalServerError, message: "sandbox: " + err.Error()}
		}
		writeMessage(w, ae.status, ae.message)
		return ae.status, op.id, false
	}
	status, err = writeReply(w, op, rep)
	if err != nil {
		s.log.Error().Err(err).Str("operation", op.id).Msg("sandbox reply failed")
		writeMessage(w, status, "sandbox: "+err.Error())
	}
	return status, op.id, false
}

// accepts reports whether an Accept header admits mediaType: no header, a
// matching type, "type/*" or "*/*", unless its q is 0.
func accepts(accept, mediaType string) bool {
	if strings.TrimSpace(accept) == "" {
		return true
	}
	major, _, _ := strings.Cut(mediaType, "/")
	for _, item := range strings.Split(accept, ",") {
		ranges, params, _ := strings.Cut(item, ";")
		ranges = strings.ToLower(strings.TrimSpace(ranges))
		if ranges != "*/*" && ranges != major+"/*" && ranges != mediaType {
			continue
		}
		refused := false
		for p := range strings.SplitSeq(params, ";") {
			if k, v, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.EqualFold(k, "q") {
				if q, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && q == 0 {
					refused = true
				}
			}
		}
		if !refused {
			return true
		}
	}
	return false
}

// prepareCall reads and validates the request.
func (s *Sandbox) prepareCall(r *http.Request, op *operation, params map[string]string, now time.Time) (*call, error) {
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	if len(op.jsonParts) > 0 && strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		nb, ct, err := normalizeMultipart(body, r.Header.Get("Content-Type"), op.jsonParts)
		if err != nil {
			return nil, errBadRequest("Invalid multipart body: %v", err)
		}
		body = nb
		r.Header = r.Header.Clone() // the in-memory transport shares the caller's header
		r.Header.Set("Content-Type", ct)
	}
	setBody(r, body)
	if err := s.validateRequest(r.Context(), r, op, params); err != nil {
		return nil, err
	}
	// Validation may have rewritten the body with defaults; read it back.
	if r.Body != nil && r.Body != http.NoBody {
		if body, err = io.ReadAll(r.Body); err != nil {
			return nil, fmt.Errorf("re-reading the validated body: %w", err)
		}
	}
	return &call{
		ctx:    r.Context(),
		op:     op,
		r:      r,
		params: params,
		query:  r.URL.Query(),
		body:   body,
		now:    now,
	}, nil
}

func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	defer r.Body.Close()
	b, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	if err != nil {
		return nil, errBadRequest("Reading the request body failed: %v", err)
	}
	if len(b) > maxRequestBody {
		return nil, &apiError{status: http.StatusRequestEntityTooLarge, message: "Request body too large"}
	}
	return b, nil
}

func setBody(r *http.Request, body []byte) {
	if len(body) == 0 {
		r.Body = http.NoBody
		r.GetBody = nil
		r.ContentLength = 0
		return
	}
	r.ContentLength = int64(len(body))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	r.Body, _ = r.GetBody()
}

func bearerToken(r *http.Request) string {
	h := r.Header.Get("Authorization")
	const prefix = "bearer "
	if len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return ""
	}
	return strings.TrimSpace(h[len(prefix):])
}

func remoteHost(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Sandbox) nextRequestID() string {
	n := s.requestSeq.Add(1)
	return fmt.Sprintf("sbx-%012d", n)
}
