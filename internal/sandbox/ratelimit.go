package sandbox

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// rateLimiter is a fixed-window counter per caller (bearer token, or client
// IP when there is none), like the API's 120 requests per minute.
type rateLimiter struct {
	budget int
	window time.Duration

	mu      sync.Mutex
	windows map[string]*rateWindow
}

type rateWindow struct {
	start time.Time
	used  int
}

// quota is the outcome of one take: whether the request may proceed and the
// values of the X-RateLimit-* headers.
type quota struct {
	allowed   bool
	limit     int
	remaining int
	resetSecs int
}

// pruneAbove bounds the map: past this many callers, expired windows are
// dropped on the next take.
const pruneAbove = 4096

func newRateLimiter(budget int, window time.Duration) *rateLimiter {
	return &rateLimiter{budget: budget, window: window, windows: make(map[string]*rateWindow)}
}

func (l *rateLimiter) take(key string, now time.Time) quota {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.windows[key]
	// A window also restarts when the clock moved backwards (a sandbox made
	// outside a synctest bubble and used inside it).
	if w == nil || !now.Before(w.start.Add(l.window)) || now.Before(w.start) {
		if w == nil && len(l.windows) >= pruneAbove {
			l.prune(now)
		}
		w = &rateWindow{start: now}
		l.windows[key] = w
	}
	q := quota{limit: l.budget, resetSecs: ceilSeconds(w.start.Add(l.window).Sub(now))}
	if w.used >= l.budget {
		return q
	}
	w.used++
	q.allowed = true
	q.remaining = l.budget - w.used
	return q
}

func (l *rateLimiter) prune(now time.Time) {
	for k, w := range l.windows {
		if !now.Before(w.start.Add(l.window)) {
			delete(l.windows, k)
		}
	}
}

func (q quota) setHeaders(h http.Header) {
	h.Set("X-RateLimit-Limit", strconv.Itoa(q.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(q.remaining))
	h.Set("X-RateLimit-Reset", strconv.Itoa(q.resetSecs))
}

// stormHeaders are the headers of an injected 429: nothing remains until the
// fault's reset.
func stormHeaders(h http.Header, limit int, reset time.Duration) {
	quota{limit: limit, remaining: 0, resetSecs: ceilSeconds(reset)}.setHeaders(h)
}

// ceilSeconds rounds up so a client that waits X-RateLimit-Reset seconds is
// past the window; the header is an integer number of seconds.
func ceilSeconds(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int((d + time.Second - 1) / time.Second)
}
