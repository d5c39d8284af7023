package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/sync/singleflight"

	"github.com/supaops/supaops/internal/redact"
)

const defaultAccept = "application/json"

// Caller sends Management API requests with auth, rate limiting, retries and
// GET collapsing. It is safe for concurrent use; create one per process (per
// token) and share it, since its rate limiter is only correct if every
// request goes through it.
type Caller struct {
	base      *url.URL
	auth      string // "Bearer <token>"
	tokenKey  string // hash of auth, for collapse keys
	userAgent string
	timeout   time.Duration
	maxBody   int64
	transport http.RoundTripper
	retry     RetryPolicy
	limiter   *limiter
	log       zerolog.Logger
	observer  Observer
	redact    redactor

	flights   singleflight.Group
	flightMu  sync.Mutex
	flightCtl map[string]*flight
}

// Response is a 2xx answer, body fully read.
type Response struct {
	Status    int
	Header    http.Header
	Body      []byte
	RequestID string
	Attempts  int
	Shared    bool // the result of a collapsed GET, shared with concurrent identical calls
}

// call is what Do works out once about a request.
type call struct {
	method    string
	path      string // URL path without the query, for errors
	rawQuery  string // scrubbed from error texts and logs: it may hold SQL
	route     route
	retrySafe bool
	timeout   time.Duration
	bg        *background // nil: an interactive request
}

// New checks cfg, applies the defaults and returns a Caller.
func New(cfg Config) (*Caller, error) {
	if err := validateToken(cfg.Token); err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	base, err := parseBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	global, ceiling := cfg.Limits.Global, cfg.Limits.Global.Requests
	if global == (Budget{}) {
		global, ceiling = DefaultGlobalBudget(), 0
	}
	if err := validateBudget(global); err != nil {
		return nil, fmt.Errorf("client: global limit: %w", err)
	}
	endpoints := cfg.Limits.Endpoints
	if endpoints == nil {
		endpoints = DefaultEndpointLimits()
	}
	rules, err := compileRules(endpoints)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	share := cfg.Limits.BackgroundShare
	if share == 0 {
		share = DefaultBackgroundShare
	}
	if !(share > 0 && share <= 1) { // NaN fails too
		return nil, fmt.Errorf("client: background share %v: want a fraction above 0 and at most 1", share)
	}
	c := &Caller{
		base:      base,
		auth:      "Bearer " + cfg.Token,
		userAgent: cmpOr(cfg.UserAgent, DefaultUserAgent),
		timeout:   cfg.Timeout,
		maxBody:   cfg.MaxResponseBytes,
		transport: cfg.Transport,
		retry:     cfg.Retry.withDefaults(),
		limiter:   newLimiter(global, rules, share),
		log:       cfg.Logger,
		observer:  cfg.Observer,
		redact:    redactor{token: cfg.Token},
		flightCtl: make(map[string]*flight),
	}
	c.limiter.ceiling = ceiling
	if c.observer == nil {
		c.observer = nopObserver{}
	}
	c.tokenKey = hashSecret(c.auth)
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.maxBody <= 0 {
		c.maxBody = DefaultMaxResponseBytes
	}
	if c.transport == nil {
		c.transport = defaultTransport()
	}
	return c, nil
}

// DefaultIdleConnsPerHost is how many idle connections to the API the client keeps.
// Every call goes to one host, and a server serves many callers at once:
// net/http's default of 2 would close all but two connections after each
// burst and dial (and TLS-handshake) anew for the next one.
const DefaultIdleConnsPerHost = 64

func defaultTransport() http.RoundTripper {
	if t, ok := http.DefaultTransport.(*http.Transport); ok {
		t = t.Clone() // our own pool, unaffected by others' tweaks
		t.MaxIdleConnsPerHost = DefaultIdleConnsPerHost
		return t
	}
	return http.DefaultTransport
}

func cmpOr(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}

// BaseURL is the API root requests must target, without a trailing slash.
// It may have a path prefix (a proxy): build requests with the registry's
// (*tools.Action).NewRequest, or give the generated builders BaseURL()+"/",
// since they resolve "./v1/..." against it and would drop its last segment.
func (c *Caller) BaseURL() string { return c.base.String() }

// MaskToken returns r that also masks the configured access token wherever
// it appears (see redact.Redactor.WithValues), for results, errors and
// records built outside the client, without handing the token itself out.
func (c *Caller) MaskToken(r redact.Redactor) redact.Redactor {
	return r.WithValues(c.redact.token)
}

// Do sends req (built by a generated New...Request builder, URL already
// absolute) with auth, UA, rate limiting, retries and GET collapsing. A 2xx
// gives a *Response; a non-2xx after retries an *APIError; no usable answer
// a *RequestError. The request's context bounds everything, waits included.
func (c *Caller) Do(req *http.Request) (*Response, error) {
	if req == nil || req.URL == nil {
		return nil, errors.New("client: Do needs a request with a URL")
	}
	cl, err := c.newCall(req)
	if err != nil {
		return nil, redactError(req.Context(), err)
	}
	var resp *Response
	if collapsible(req) {
		resp, err = c.doCollapsed(req, cl)
	} else {
		resp, err = c.doWithRetries(req.Context(), req, cl)
	}
	return resp, redactError(req.Context(), err)
}

func (c *Caller) newCall(req *http.Request) (*call, error) {
	ctx := req.Context()
	path := req.URL.Path
	// Never attach the token to a request outside the API: another host, a
	// path beside the base's prefix, or one a server would resolve there.
	if problem := c.outsideBase(req.URL); problem != "" {
		return nil, fmt.Errorf("client: %s %s: refusing to send the access token to %s://%s: %s; requests must target paths under %s",
			req.Method, c.redact.string(path), req.URL.Scheme, req.URL.Host, problem, c.BaseURL())
	}
	bg, err := backgroundOf(ctx)
	if err != nil {
		return nil, fmt.Errorf("client: %s %s: %w", req.Method, c.redact.string(path), err)
	}
	return &call{
		method:    req.Method,
		path:      c.redact.string(path),
		rawQuery:  req.URL.RawQuery,
		route:     routeFor(c.limiter.rules, req.Method, strings.TrimPrefix(path, c.base.Path)),
		retrySafe: isRetrySafe(ctx, req.Method),
		timeout:   attemptTimeout(ctx, c.timeout),
		bg:        bg,
	}, nil
}

// outsideBase says why u is not under the base URL, or "" if it is.
func (c *Caller) outsideBase(u *url.URL) string {
	switch {
	case u.Scheme != c.base.Scheme || u.Host != c.base.Host:
		return "another host"
	case u.Opaque != "":
		return "an opaque URL" // sent as is, whatever Path says
	case u.Path != c.base.Path && !strings.HasPrefix(u.Path, c.base.Path+"/"):
		return "a path outside " + cmpOr(c.base.Path, "/")
	}
	for seg := range strings.SplitSeq(u.Path, "/") {
		if seg == "." || seg == ".." {
			return "a dot segment in the path" // servers and proxies resolve them
		}
	}
	return ""
}

// doWithRetries runs attempts until one succeeds or retrying stops being
// useful or harmless.
func (c *Caller) doWithRetries(ctx context.Context, req *http.Request, cl *call) (*Response, error) {
	getBody, err := replayableBody(req, c.maxBody)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", cl.method, cl.path, err)
	}
	var (
		attempts, failures int
		rateWaited, pause  time.Duration
		last429            *attemptResult
	)
	for {
		waited, err := c.limiter.wait(ctx, cl.route, cl.bg, c.retry.MaxRateLimitWait-rateWaited)
		rateWaited += waited
		if waited > 0 {
			c.observer.ObserveRateWait(waited)
		}
		if err != nil {
			return nil, c.waitFailure(ctx, cl, err, last429, attempts)
		}
		attempts++
		res := c.attempt(ctx, req, getBody, cl)
		c.limiter.observe(cl.route, res.status, res.header, time.Now())
		c.logAttempt(ctx, cl, attempts, &res, pause+waited)
		c.observer.ObserveAttempt(res.status, res.duration, attempts > 1)
		pause = 0

		if res.ok() {
			return &Response{
				Status:    res.status,
				Header:    res.header,
				Body:      res.body,
				RequestID: requestID(res.header),
				Attempts:  attempts,
			}, nil
		}
		if res.err == nil && res.status == http.StatusTooManyRequests {
			// Nothing was applied; the limiter now holds the bucket until
			// the server's reset, and the next wait honours it.
			last429 = &res
			continue
		}
		failures++
		if !c.shouldRetry(ctx, cl, &res, failures) {
			return nil, c.failure(ctx, cl, &res, attempts)
		}
		pause = c.retry.backoff(failures, res.header, time.Now())
		if deadline, ok := ctx.Deadline(); ok && time.Now().Add(pause).After(deadline) {
			return nil, c.failure(ctx, cl, &res, attempts) // sleeping would only end in a timeout
		}
		if sleep(ctx, pause) != nil {
			return nil, contextFailure(ctx, cl, attempts, "while waiting to retry")
		}
	}
}

// attempt sends the request once and reads the response.
func (c *Caller) attempt(ctx context.Context, req *http.Request, getBody func() (io.ReadCloser, error), cl *call) (res attemptResult) {
	start := time.Now()
	defer func() { res.duration = time.Since(start) }()

	actx, cancel := context.WithTimeout(ctx, cl.timeout)
	defer cancel()
	// Once a connection is obtained, bytes may reach the server: from then
	// on a POST may have been applied. (WroteRequest would miss a write
	// that failed halfway.)
	var connected atomic.Bool
	actx = httptrace.WithClientTrace(actx, &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) { connected.Store(true) },
	})

	r := req.Clone(actx)
	c.setHeaders(r)
	if getBody != nil {
		body, err := getBody()
		if err != nil {
			res.err = fmt.Errorf("rewinding the request body: %w", err)
			return res
		}
		r.Body = body
	}

	resp, err := c.transport.RoundTrip(r)
	if err != nil {
		res.err, res.sent = err, connected.Load()
		res.timedOut = (actx.Err() != nil && ctx.Err() == nil) || isTimeout(err)
		return res
	}
	defer resp.Body.Close()
	res.status, res.header, res.sent = resp.StatusCode, resp.Header, true
	res.body, err = readCapped(resp.Body, c.maxBody, "response body")
	if err != nil && res.status >= 200 && res.status < 300 {
		// An error status is reported with whatever body arrived; a success
		// is useless without its whole body.
		res.err = fmt.Errorf("reading the response: %w", err)
		res.timedOut = (actx.Err() != nil && ctx.Err() == nil) || isTimeout(err)
	}
	return res
}

func (c *Caller) setHeaders(r *http.Request) {
	if r.Header == nil {
		r.Header = make(http.Header)
	}
	if r.Header.Get("Authorization") == "" {
		r.Header.Set("Authorization", c.auth)
	}
	if r.Header.Get("User-Agent") == "" {
		r.Header.Set("User-Agent", c.userAgent)
	}
	if r.Header.Get("Accept") == "" {
		r.Header.Set("Accept", defaultAccept)
	}
}
