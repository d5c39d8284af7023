package client

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Why a sliding log and not golang.org/x/time/rate: a token bucket with burst
// N admits N requests at once and then refills at N/W, so up to 2N requests
// pass in the first window of length W, and the server, which allows N per
// window, answers the excess with 429s that block every call for the rest of
// the window. A log of the send times admits a request only if fewer than N
// were sent in the W before it, so no window of length W, however aligned,
// ever holds more than N sends. The log is at most N entries per bucket.

// Server hints outside these bounds are treated as bogus or clamped.
const (
	defaultServerReset = time.Minute // documented lockout after a 429
	min429Hold         = time.Second // never hammer the server after a 429
	maxServerHold      = time.Hour   // a garbage header must not lock us out for days
	minSweepBuckets    = 64
)

// limiter holds every rate-limit bucket of one Caller; all its requests, from
// all goroutines, go through it.
type limiter struct {
	mu      sync.Mutex
	global  *bucket
	rules   []endpointRule
	buckets map[string]*bucket // endpoint buckets by route.key
	sweepAt int                // len(buckets) that triggers the next sweep of idle buckets
}

// bucket is one rate-limit scope: the global budget, or one endpoint rule for
// one concrete path (project ref).
type bucket struct {
	logs       []slidingLog
	holdUntil  time.Time // the server said to stop (Remaining 0 or 429) until then
	holdReason string
}

// slidingLog admits at most limit sends in any half-open window of length
// window.
type slidingLog struct {
	limit  int
	window time.Duration
	reason string      // describes the budget when it is what we wait for
	times  []time.Time // send times, oldest first; times[head:] are live
	head   int
}

func newLimiter(global Budget, rules []endpointRule) *limiter {
	return &limiter{
		global:  newBucket("all requests", []Budget{global}),
		rules:   rules,
		buckets: make(map[string]*bucket),
		sweepAt: minSweepBuckets,
	}
}

func newBucket(name string, budgets []Budget) *bucket {
	b := &bucket{holdReason: "the Management API's rate limit for " + name}
	for _, budget := range budgets {
		b.logs = append(b.logs, slidingLog{
			limit:  budget.Requests,
			window: budget.Window,
			reason: fmt.Sprintf("the budget of %s for %s", budget, name),
		})
	}
	return b
}

// rateLimitWait is returned by limiter.wait when the next free slot lies
// beyond what the caller may wait.
type rateLimitWait struct {
	until        time.Time
	reason       string
	pastDeadline bool // the slot lies after the ctx deadline
}

func (w *rateLimitWait) Error() string {
	limit := "the rate-limit wait cap"
	if w.pastDeadline {
		limit = "the request's deadline"
	}
	return fmt.Sprintf("rate limited by %s until %s, past %s", w.reason, w.until.UTC().Format(time.RFC3339), limit)
}

// wait blocks until rt may send a request and records the send. It gives up
// at once, without sleeping, when the slot lies more than maxWait from now or
// after ctx's deadline, since sleeping would only delay the same failure.
func (l *limiter) wait(ctx context.Context, rt route, maxWait time.Duration) (time.Duration, error) {
	start := time.Now()
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		if err := ctx.Err(); err != nil {
			return time.Since(start), err
		}
		now := time.Now()
		ready, reason, ok := l.tryAcquire(rt, now)
		if ok {
			return now.Sub(start), nil
		}
		if ready.Sub(start) > maxWait {
			return now.Sub(start), &rateLimitWait{until: ready, reason: reason}
		}
		if deadline, has := ctx.Deadline(); has && ready.After(deadline) {
			return now.Sub(start), &rateLimitWait{until: ready, reason: reason, pastDeadline: true}
		}
		// Waiters do not reserve slots: they retry when one should be free,
		// so a request waiting on a strict endpoint budget never holds a
		// global slot that other endpoints could use meanwhile.
		if timer == nil {
			timer = time.NewTimer(ready.Sub(now))
		} else {
			timer.Reset(ready.Sub(now))
		}
		select {
		case <-timer.C:
		case <-ctx.Done():
			return time.Since(start), ctx.Err()
		}
	}
}

// tryAcquire records a send at now in every bucket of rt if all of them allow
// it; otherwise it reports the earliest time worth trying again and why.
func (l *limiter) tryAcquire(rt route, now time.Time) (time.Time, string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ready, reason := l.global.nextFree(now)
	var endpoint *bucket
	if rt.rule != nil {
		endpoint = l.endpointBucket(rt)
		if t, why := endpoint.nextFree(now); t.After(ready) {
			ready, reason = t, why
		}
	}
	if ready.After(now) {
		return ready, reason, false
	}
	l.global.record(now)
	if endpoint != nil {
		endpoint.record(now)
	}
	return time.Time{}, "", true
}

// observe adapts to the server's view of the budget: X-RateLimit-Remaining: 0
// or a 429 holds the request's bucket (its endpoint bucket if a rule matched,
// else the global one) until the server's reset.
func (l *limiter) observe(rt route, status int, h http.Header, now time.Time) {
	if h == nil {
		return
	}
	hold := time.Duration(0)
	switch {
	case status == http.StatusTooManyRequests:
		hold = serverResetDelay(h, now)
		hold = max(hold, min429Hold)
	case h.Get("X-RateLimit-Remaining") != "":
		remaining, err := strconv.ParseFloat(h.Get("X-RateLimit-Remaining"), 64)
		if err != nil || remaining > 0 {
			return
		}
		hold = serverResetDelay(h, now)
	default:
		return
	}
	if hold <= 0 {
		return
	}
	until := now.Add(min(hold, maxServerHold))
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.global
	if rt.rule != nil {
		b = l.endpointBucket(rt)
	}
	if until.After(b.holdUntil) {
		b.holdUntil = until
	}
}

// serverResetDelay is how long the server asks us to wait: X-RateLimit-Reset
// (seconds until the reset), else Retry-After (seconds or an HTTP date), else
// the documented one-minute lockout.
func serverResetDelay(h http.Header, now time.Time) time.Duration {
	if v := h.Get("X-RateLimit-Reset"); v != "" {
		if secs, err := strconv.ParseFloat(v, 64); err == nil && secs >= 0 && !math.IsInf(secs, 0) {
			// Some APIs send an epoch timestamp here; accept both.
			if secs > 1e9 {
				return time.Unix(int64(secs), 0).Sub(now)
			}
			return time.Duration(secs * float64(time.Second))
		}
	}
	if d, ok := retryAfter(h, now); ok {
		return d
	}
	return defaultServerReset
}

// retryAfter parses a Retry-After header (delay-seconds or HTTP-date).
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := h.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// endpointBucket returns rt's bucket, creating it; l.mu must be held.
func (l *limiter) endpointBucket(rt route) *bucket {
	if b, ok := l.buckets[rt.key]; ok {
		return b
	}
	if len(l.buckets) >= l.sweepAt {
		l.sweepIdle(time.Now())
	}
	b := newBucket(rt.key, rt.rule.budgets)
	l.buckets[rt.key] = b
	return b
}

// sweepIdle drops buckets that constrain nothing any more, so one bucket per
// project ref ever seen does not accumulate; amortised O(1) per new bucket.
func (l *limiter) sweepIdle(now time.Time) {
	for key, b := range l.buckets {
		if b.idle(now) {
			delete(l.buckets, key)
		}
	}
	l.sweepAt = max(minSweepBuckets, 2*len(l.buckets))
}

func (b *bucket) nextFree(now time.Time) (time.Time, string) {
	ready, reason := now, ""
	if b.holdUntil.After(ready) {
		ready, reason = b.holdUntil, b.holdReason
	}
	for i := range b.logs {
		if t := b.logs[i].nextFree(now); t.After(ready) {
			ready, reason = t, b.logs[i].reason
		}
	}
	return ready, reason
}

func (b *bucket) record(now time.Time) {
	for i := range b.logs {
		b.logs[i].times = append(b.logs[i].times, now)
	}
}

func (b *bucket) idle(now time.Time) bool {
	if b.holdUntil.After(now) {
		return false
	}
	for i := range b.logs {
		if b.logs[i].prune(now); b.logs[i].head < len(b.logs[i].times) {
			return false
		}
	}
	return true
}

// nextFree is the earliest time at or after now when one more send keeps
// every window of length l.window at no more than l.limit sends.
func (l *slidingLog) nextFree(now time.Time) time.Time {
	l.prune(now)
	live := len(l.times) - l.head
	if live < l.limit {
		return now
	}
	// The limit-th most recent send must leave the window first.
	return l.times[len(l.times)-l.limit].Add(l.window)
}

// prune forgets sends that no window containing now can include.
func (l *slidingLog) prune(now time.Time) {
	for l.head < len(l.times) && !now.Before(l.times[l.head].Add(l.window)) {
		l.head++
	}
	switch {
	case l.head == len(l.times):
		l.times, l.head = l.times[:0], 0
	case l.head > 32 && 2*l.head > len(l.times):
		n := copy(l.times, l.times[l.head:])
		l.times, l.head = l.times[:n], 0
	}
}
