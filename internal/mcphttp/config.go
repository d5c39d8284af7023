// Package mcphttp serves an MCP server over streamable HTTP at /mcp, with the
// safeguards a network listener needs and stdio does not: bearer tokens,
// an Origin allow list, bounded bodies and body read times, per-principal
// concurrency limits, bounded sessions and a draining shutdown.
//
// Sessions: requests from protocol 2026-07-28 clients are stateless (that
// protocol has no sessions; elicitation comes back to the client as an
// input_required result). Older clients get a stateful session, because
// mcp-go bridges elicitation for them with a server-initiated
// elicitation/create whose answer must be routed back by session ID. Session
// IDs are bound to the principal that created them, so one token holder can
// neither use nor answer for another's session. Sessions are capped per
// principal and in total and expire when idle; a removed session's state is
// dropped inside mcp-go too, and its client gets 404 and initializes again.
//
// Browsers: a request with an Origin header comes from a web page, and any
// page the user opens can send one to a loopback port. Only origins listed in
// Config.AllowedOrigins are served; by default none are. Clients that send no
// Origin (agents, CLIs) are unaffected.
package mcphttp

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/supaops/supaops/internal/principal"
)

// Defaults applied to zero Config fields.
const (
	DefaultAddr                      = "127.0.0.1:8080"
	DefaultMaxBodyBytes              = 1 << 20
	DefaultMaxConcurrentPerPrincipal = 8
	DefaultShutdownGrace             = 30 * time.Second
	// DefaultBodyReadTimeout bounds receiving one request body. A JSON-RPC
	// message of up to 1 MiB arrives well within it on any working link.
	DefaultBodyReadTimeout = 10 * time.Second
	// DefaultMaxSessionsPerPrincipal is the number of legacy sessions one
	// principal may hold; an agent needs one per connected client.
	DefaultMaxSessionsPerPrincipal = 64
	// DefaultMaxSessions caps legacy sessions in total. A session costs
	// about 12 KiB (mostly mcp-go's buffered channels), so the cap bounds
	// them to ~12 MiB.
	DefaultMaxSessions = 1024
	// DefaultSessionIdleTimeout: a session with no request for this long is
	// dropped. Clients open one per conversation and rarely end it, so only
	// expiry reclaims it; a client that comes back later gets 404 and
	// initializes again, which the protocol requires it to handle. A session
	// with a request in flight (such as a call waiting on a human to confirm)
	// never expires.
	DefaultSessionIdleTimeout = 10 * time.Minute

	// MinTokenLength is the shortest bearer token accepted: 32 characters is
	// 128 bits or more for any hex or base64 generator.
	MinTokenLength = 32
)

// Config configures the HTTP transport.
type Config struct {
	// Addr is the listen address, host:port. Empty means DefaultAddr.
	Addr string
	// Tokens maps bearer token -> principal name; a caller presenting the
	// token is principal "mcp:token:<name>". Empty is allowed only on a
	// loopback Addr, where every caller is "mcp:local".
	Tokens map[string]string
	// AllowedOrigins lists the browser origins (exact scheme://host[:port])
	// allowed to call. Empty, the default, allows no browser origin, on
	// loopback too: any web page the user opens, or any local dev server,
	// could otherwise drive the server and confirm its own actions. Requests
	// without an Origin header (non-browser clients) are always allowed;
	// "null" (sandboxed frames, file: pages) never is.
	AllowedOrigins []string
	// MaxBodyBytes caps a request body (413 above it). 0 means
	// DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// MaxConcurrentPerPrincipal caps the requests one principal has in flight
	// (429 above it). Long-lived listening streams count in a separate pool of
	// the same size. 0 means DefaultMaxConcurrentPerPrincipal.
	MaxConcurrentPerPrincipal int
	// BodyReadTimeout bounds receiving a request body, counted from when
	// the request's headers arrived. A client that has not sent its whole body
	// by then gets 408 and its connection is closed; at shutdown one still
	// sending gets 503 at once. 0 means DefaultBodyReadTimeout.
	BodyReadTimeout time.Duration
	// MaxSessionsPerPrincipal caps the legacy-protocol sessions one
	// principal holds; a new one evicts that principal's least recently used
	// session. 0 means DefaultMaxSessionsPerPrincipal.
	MaxSessionsPerPrincipal int
	// MaxSessions caps legacy-protocol sessions in total; a new one evicts
	// the least recently used session of the principal holding the most, so
	// one token holder cannot push the others out. 0 means
	// DefaultMaxSessions.
	MaxSessions int
	// SessionIdleTimeout drops a legacy-protocol session after this long
	// without a request. 0 means DefaultSessionIdleTimeout.
	SessionIdleTimeout time.Duration
	// ShutdownGrace is how long Serve waits for calls in flight after its
	// context is cancelled. 0 means DefaultShutdownGrace.
	ShutdownGrace time.Duration
	// Logger receives the access log and transport events; the zero value is
	// silent.
	Logger zerolog.Logger
	// Ops, when not nil, answers GET /readyz and GET /metrics (for probes
	// and Prometheus), without authentication like /healthz: neither says
	// anything of a call, a project or a principal.
	Ops http.Handler
}

func (c Config) withDefaults() Config {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.MaxConcurrentPerPrincipal == 0 {
		c.MaxConcurrentPerPrincipal = DefaultMaxConcurrentPerPrincipal
	}
	if c.ShutdownGrace == 0 {
		c.ShutdownGrace = DefaultShutdownGrace
	}
	if c.BodyReadTimeout == 0 {
		c.BodyReadTimeout = DefaultBodyReadTimeout
	}
	if c.MaxSessionsPerPrincipal == 0 {
		c.MaxSessionsPerPrincipal = DefaultMaxSessionsPerPrincipal
	}
	if c.MaxSessions == 0 {
		c.MaxSessions = DefaultMaxSessions
	}
	if c.SessionIdleTimeout == 0 {
		c.SessionIdleTimeout = DefaultSessionIdleTimeout
	}
	return c
}

// principalName is what may follow "mcp:token:"; it ends up in audit records
// and policy rules, so keep it plain.
// Compiled on first use: only --http servers check names.
var principalName = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
})

// Validate reports every problem with cfg, so a misconfigured server refuses
// to start instead of running less safely than intended. Zero fields take
// their defaults first.
func Validate(cfg Config) error {
	cfg = cfg.withDefaults()
	var errs []error

	loopback, err := isLoopbackAddr(cfg.Addr)
	if err != nil {
		errs = append(errs, err)
	} else if !loopback && len(cfg.Tokens) == 0 {
		errs = append(errs, fmt.Errorf("mcphttp: %s is not a loopback address: serving it requires bearer tokens (--tokens-file)", cfg.Addr))
	}

	// The map is keyed by the secret, so errors name the principal only.
	type entry struct{ name, token string }
	entries := make([]entry, 0, len(cfg.Tokens))
	for tok, name := range cfg.Tokens {
		entries = append(entries, entry{name, tok})
	}
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	for _, e := range entries {
		if err := checkName(e.name); err != nil {
			errs = append(errs, fmt.Errorf("mcphttp: token for %q: %w", e.name, err))
		}
		if err := checkToken(e.token); err != nil {
			errs = append(errs, fmt.Errorf("mcphttp: token for %q: %w", e.name, err))
		}
	}

	for _, o := range cfg.AllowedOrigins {
		if _, err := normalizeOrigin(o); err != nil {
			errs = append(errs, fmt.Errorf("mcphttp: allowed origin %q: %w", o, err))
		}
	}
	if cfg.MaxBodyBytes < 0 {
		errs = append(errs, fmt.Errorf("mcphttp: max body bytes %d is negative", cfg.MaxBodyBytes))
	}
	if cfg.MaxConcurrentPerPrincipal < 0 {
		errs = append(errs, fmt.Errorf("mcphttp: max concurrent requests per principal %d is negative", cfg.MaxConcurrentPerPrincipal))
	}
	if cfg.ShutdownGrace < 0 {
		errs = append(errs, fmt.Errorf("mcphttp: shutdown grace %s is negative", cfg.ShutdownGrace))
	}
	if cfg.BodyReadTimeout < 0 {
		errs = append(errs, fmt.Errorf("mcphttp: body read timeout %s is negative", cfg.BodyReadTimeout))
	}
	if cfg.MaxSessionsPerPrincipal < 0 {
		errs = append(errs, fmt.Errorf("mcphttp: max sessions per principal %d is negative", cfg.MaxSessionsPerPrincipal))
	}
	if cfg.MaxSessions < 0 {
		errs = append(errs, fmt.Errorf("mcphttp: max sessions %d is negative", cfg.MaxSessions))
	}
	if cfg.SessionIdleTimeout < 0 {
		errs = append(errs, fmt.Errorf("mcphttp: session idle timeout %s is negative", cfg.SessionIdleTimeout))
	}
	return errors.Join(errs...)
}

func checkName(name string) error {
	if !principalName().MatchString(name) {
		return errors.New("principal name must be 1-64 characters of letters, digits, '.', '_' or '-', starting with a letter or digit")
	}
	if _, err := principal.MCPToken(name); err != nil {
		return err
	}
	return nil
}

// checkToken never quotes the token: errors end up in logs and terminals.
func checkToken(tok string) error {
	if len(tok) < MinTokenLength {
		return fmt.Errorf("token is %d characters, need at least %d (e.g. `openssl rand -hex 32`)", len(tok), MinTokenLength)
	}
	for i := 0; i < len(tok); i++ {
		if c := tok[i]; c <= ' ' || c > '~' {
			return fmt.Errorf("token contains a character that is not printable ASCII (position %d)", i+1)
		}
	}
	return nil
}

// isLoopbackAddr reports whether addr binds loopback only. An empty host binds
// every interface, and a hostname other than localhost may resolve anywhere,
// so both count as exposed.
func isLoopbackAddr(addr string) (bool, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return false, fmt.Errorf("mcphttp: listen address %q: want host:port: %w", addr, err)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return false, fmt.Errorf("mcphttp: listen address %q: port %q is not a number from 0 to 65535", addr, port)
	}
	return isLoopbackHost(host), nil
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// normalizeOrigin reduces an origin to lower-case scheme://host[:port] and
// refuses anything that is not one (paths, wildcards, credentials).
func normalizeOrigin(origin string) (string, error) {
	u, err := url.Parse(strings.TrimSuffix(origin, "/"))
	if err != nil {
		return "", errors.New("not a URL")
	}
	scheme := strings.ToLower(u.Scheme)
	switch {
	case scheme != "http" && scheme != "https":
		return "", errors.New("want scheme://host[:port] with scheme http or https")
	case u.Host == "" || u.Hostname() == "" || strings.Contains(u.Host, "*"):
		return "", errors.New("want scheme://host[:port] with a host and no wildcard")
	case u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "":
		return "", errors.New("want scheme://host[:port] with no path, query, fragment or credentials")
	}
	return scheme + "://" + strings.ToLower(u.Host), nil
}

// originPolicy is the cross-site defence: browsers send Origin on
// cross-origin and POST requests, other clients send none. Only listed origins
// pass; a loopback address is no reason to trust a page, since every page the
// user opens can reach loopback ports.
type originPolicy map[string]bool

func newOriginPolicy(allowed []string) originPolicy {
	p := make(originPolicy, len(allowed))
	for _, o := range allowed {
		if n, err := normalizeOrigin(o); err == nil {
			p[n] = true
		}
	}
	return p
}

func (p originPolicy) allows(origin string) bool {
	if origin == "" {
		return true
	}
	n, err := normalizeOrigin(origin)
	// An error includes "null" from sandboxed frames and file: pages.
	return err == nil && p[n]
}
