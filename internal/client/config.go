package client

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// Defaults applied by New to zero-valued Config fields.
const (
	DefaultBaseURL          = "https://api.supabase.com"
	DefaultUserAgent        = "supaops/dev"
	DefaultTimeout          = 30 * time.Second
	DefaultMaxResponseBytes = 32 << 20

	DefaultMaxAttempts      = 4
	DefaultBaseDelay        = 250 * time.Millisecond
	DefaultMaxDelay         = 10 * time.Second
	DefaultMaxRateLimitWait = 2 * time.Minute

	// DefaultBackgroundShare is the part of every budget window background
	// requests may use (see WithBackground).
	DefaultBackgroundShare = 0.5
)

// Config configures a Caller. Only Token is required.
type Config struct {
	BaseURL   string            // default DefaultBaseURL
	Token     string            // bearer token; required; never logged, never in errors
	UserAgent string            // e.g. "supaops/0.1.0"; default DefaultUserAgent
	Timeout   time.Duration     // per attempt, default 30s (a shorter ctx deadline wins)
	Transport http.RoundTripper // default: a clone of http.DefaultTransport
	Limits    Limits            // zero value = documented defaults
	Retry     RetryPolicy       // zero value = defaults
	Logger    zerolog.Logger    // zero value = disabled
	Observer  Observer          // told of attempts and waits (metrics); nil = no one

	// MaxResponseBytes caps how much of a response body is read; default 32 MiB.
	MaxResponseBytes int64
}

// Budget allows at most Requests requests in any window of length Window.
type Budget struct {
	Requests int
	Window   time.Duration
}

func (b Budget) String() string { return fmt.Sprintf("%d requests per %s", b.Requests, b.Window) }

// EndpointLimit applies stricter budgets to one endpoint, counted per
// distinct path (so per project ref). Rule is "METHOD /path/{template}",
// matched segment-wise against the request path; a {name} segment matches any
// one segment. All Budgets must hold at once.
type EndpointLimit struct {
	Rule    string
	Budgets []Budget
}

// Limits are the client-side rate limits. The zero value means the documented
// defaults; Endpoints == nil means DefaultEndpointLimits(), while a non-nil
// empty slice means no per-endpoint limits.
type Limits struct {
	// Global is every request's budget. The zero value starts from
	// DefaultGlobalBudget and then follows the X-RateLimit-Limit the API
	// sends, up as well as down. A given one is also a ceiling: the API's
	// limit may lower it, never raise it above. Either way its Window
	// stays.
	Global    Budget
	Endpoints []EndpointLimit
	// BackgroundShare is the fraction, in (0, 1], of each window of every
	// budget (global and per endpoint) that background requests may fill:
	// one is let through only while the window holds fewer than
	// floor(share × budget) requests of any kind (at least one), so the rest
	// stays free for interactive requests. Default DefaultBackgroundShare.
	BackgroundShare float64
}

// DefaultGlobalBudget is the documented per-user budget (supabase/supabase
// apps/docs/content/_partials/api_rate_limits.mdx), which the global budget
// holds until the API says otherwise.
func DefaultGlobalBudget() Budget { return Budget{Requests: 120, Window: time.Minute} }

// MaxRateLimit is the largest global budget, per minute, ParseRateLimit
// accepts.
const MaxRateLimit = maxAdvertisedLimit

// ParseRateLimit reads an operator's global budget: a whole number of
// requests per minute, from 1 to MaxRateLimit. Callers name the flag or
// variable it came from in the error.
func ParseRateLimit(s string) (Budget, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 1 || n > MaxRateLimit {
		return Budget{}, fmt.Errorf("want a whole number of requests per minute from 1 to %d", MaxRateLimit)
	}
	return Budget{Requests: n, Window: time.Minute}, nil
}

// DefaultEndpointLimits returns the documented stricter per-endpoint budgets
// (supabase/supabase apps/docs/content/_partials/api_rate_limits.mdx). It is a
// function, not a variable, so that nobody can mutate the defaults.
func DefaultEndpointLimits() []EndpointLimit {
	perMinute := func(n int) Budget { return Budget{Requests: n, Window: time.Minute} }
	return []EndpointLimit{
		{Rule: "GET /v1/projects/{ref}/analytics/endpoints/logs.all", Budgets: []Budget{perMinute(30)}},
		{Rule: "GET /v1/projects/{ref}/analytics/endpoints/usage.api-counts", Budgets: []Budget{perMinute(30)}},
		{Rule: "GET /v1/projects/{ref}/analytics/endpoints/usage.api-requests-count", Budgets: []Budget{perMinute(30)}},
		{Rule: "GET /v1/projects/{ref}/database/context", Budgets: []Budget{perMinute(10), {Requests: 1, Window: time.Second}}},
		{Rule: "POST /v1/projects/{ref}/custom-hostname/initialize", Budgets: []Budget{perMinute(10)}},
		{Rule: "POST /v1/projects/{ref}/custom-hostname/reverify", Budgets: []Budget{perMinute(10)}},
		{Rule: "DELETE /v1/projects/{ref}/custom-hostname", Budgets: []Budget{perMinute(10)}},
		{Rule: "GET /v1/projects/{ref}/vanity-subdomain", Budgets: []Budget{perMinute(10)}},
		{Rule: "POST /v1/projects/{ref}/database/migrations", Budgets: []Budget{{Requests: 120, Window: 3 * time.Minute}}},
	}
}

// RetryPolicy bounds retries. Zero fields take the defaults.
type RetryPolicy struct {
	// MaxAttempts bounds attempts that failed with a 5xx, a timeout or a
	// connection error (1 disables retries). 429s are bounded by
	// MaxRateLimitWait instead, since they cost time, not load.
	MaxAttempts int
	BaseDelay   time.Duration // first backoff, doubled per failure, jittered
	MaxDelay    time.Duration // backoff ceiling
	// MaxRateLimitWait caps the total time one Do may spend waiting for rate
	// limits (local budgets, X-RateLimit-Remaining: 0, 429s). Negative means
	// never wait: fail at once with a 429 *APIError.
	MaxRateLimitWait time.Duration
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = DefaultMaxAttempts
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = DefaultBaseDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = DefaultMaxDelay
	}
	if p.MaxDelay < p.BaseDelay {
		p.MaxDelay = p.BaseDelay
	}
	switch {
	case p.MaxRateLimitWait == 0:
		p.MaxRateLimitWait = DefaultMaxRateLimitWait
	case p.MaxRateLimitWait < 0:
		p.MaxRateLimitWait = 0
	}
	return p
}

// parseBaseURL validates and normalises the base URL (no trailing slash). It
// may have a path prefix (https://proxy.example/supabase): requests must then
// go under it, and the token goes nowhere else.
func parseBaseURL(raw string) (*url.URL, error) {
	if raw == "" {
		raw = DefaultBaseURL
	}
	u, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil {
		return nil, fmt.Errorf("invalid BaseURL %q: %w", raw, err)
	}
	if u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("invalid BaseURL %q: want an absolute http(s) URL", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("invalid BaseURL %q: must not have a query or fragment", raw)
	}
	if u.User != nil {
		// It would show wherever the base URL is shown.
		return nil, fmt.Errorf("invalid BaseURL %s: must not hold credentials; the access token is configured on its own", u.Redacted())
	}
	for seg := range strings.SplitSeq(u.Path, "/") {
		if seg == "." || seg == ".." {
			// Requests under such a prefix would be refused one by one.
			return nil, fmt.Errorf("invalid BaseURL %q: must not have \".\" or \"..\" path segments", raw)
		}
	}
	return u, nil
}

// validateToken rejects tokens that cannot be sent in a header, without ever
// echoing the token.
func validateToken(token string) error {
	if token == "" {
		return ErrNoToken
	}
	for _, r := range token {
		if r <= ' ' || r == 0x7f {
			return errors.New("access token contains whitespace or control characters; check how it was exported")
		}
	}
	return nil
}
