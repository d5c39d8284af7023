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
	mu    sync.Mutex
	share float64 // Limits.BackgroundShare
	// ceiling caps the global budget the server's X-RateLimit-Limit sets
	// (Limits.Global when given); 0: maxAdvertisedLimit.
	ceiling int
	global  *bucket
	rules   []endpointRule
	buckets map[string]*bucket // endpoint buckets by route.key
	sweepAt int                // len(buckets) that triggers the next sweep of idle buckets

	bgSent      slidingLog             // background sends in the global window, for Budget
	jobs        map[string]*slidingLog // sends per background key, limited by its quota if any
	jobsSweepAt int
	// yielded is closed, and replaced, whenever the last interactive request
	// waiting for some bucket stops waiting: background requests that let it
	// go first then look again.
	yielded chan struct{}
	// answered is closed, and replaced, when an answer arrives while some
	// request waits for one (watched): it may bring news of the server's
	// count.
	answered chan struct{}
	watched  bool
}

// bucket is one rate-limit scope: the global budget, or one endpoint rule for
// one concrete path (project ref).
type bucket struct {
	name       string
	logs       []slidingLog
	holdUntil  time.Time // the server said to stop (Remaining 0 or 429) until then
	holdReason string
	server     serverView
	inflight   int     // our requests sent and not yet answered
	share      float64 // Limits.BackgroundShare
	// waiting counts interactive requests waiting for this bucket; while
	// any do, background requests needing it are not let through.
	waiting int
}

// slidingLog admits at most limit sends in any half-open window of length
// window, and background sends only while fewer than bgLimit were sent in
// it.
type slidingLog struct {
	limit    int
	bgLimit  int
	window   time.Duration
	reason   string      // describes the budget when it is what we wait for
	bgReason string      // describes the background share of it
	times    []time.Time // send times, oldest first; times[head:] are live
	head     int
}

// request is one Do's place in the limiter while it waits.
type request struct {
	route route
	bg    *background // nil: interactive
	queue bool        // a refused interactive request waits: count it in waiting
	// marks are the buckets (global, endpoint) this interactive request is
	// counted as waiting for; changed only under limiter.mu.
	marks [2]*bucket
}

// decision is the limiter's answer to one request at one instant.
type decision struct {
	ok     bool
	ready  time.Time // the earliest time worth trying again
	reason string
	// behind is set when a background request lets waiting interactive ones
	// go first: it is closed when they may have gone. ready is then only a
	// lower bound.
	behind <-chan struct{}
	// answered is set when an answer to a request in flight may free the
	// slot before ready (the server's count, see serverView.next).
	answered <-chan struct{}
}

func newLimiter(global Budget, rules []endpointRule, share float64) *limiter {
	g := newBucket("all requests", []Budget{global}, share)
	return &limiter{
		share:       share,
		global:      g,
		rules:       rules,
		buckets:     make(map[string]*bucket),
		sweepAt:     minSweepBuckets,
		bgSent:      slidingLog{limit: g.logs[0].bgLimit, window: global.Window},
		jobs:        make(map[string]*slidingLog),
		jobsSweepAt: minSweepBuckets,
		yielded:     make(chan struct{}),
		answered:    make(chan struct{}),
	}
}

func newBucket(name string, budgets []Budget, share float64) *bucket {
	b := &bucket{name: name, share: share, holdReason: "the Management API's rate limit for " + name}
	for _, budget := range budgets {
		bgLimit := shareOf(budget.Requests, share)
		b.logs = append(b.logs, slidingLog{
			limit:    budget.Requests,
			bgLimit:  bgLimit,
			window:   budget.Window,
			reason:   fmt.Sprintf("the budget of %s for %s", budget, name),
			bgReason: fmt.Sprintf("the background share (%d of %s) of the budget for %s", bgLimit, budget, name),
		})
	}
	return b
}

// shareOf is how many of n sends per window background requests may use:
// at least one, so that background work is never shut out entirely.
func shareOf(n int, share float64) int {
	// The epsilon keeps 0.29 × 100 from flooring to 28.
	return min(n, max(1, int(math.Floor(share*float64(n)+1e-9))))
}

// rateLimitWait is returned by limiter.wait when the next free slot lies
// beyond what the caller may wait.
type rateLimitWait struct {
	until        time.Time
	reason       string
	pastDeadline bool // the slot lies after the ctx deadline
	behind       bool // a background request waited for interactive ones until the cap
}

func (w *rateLimitWait) Error() string {
	limit := "the rate-limit wait cap"
	if w.pastDeadline {
		limit = "the request's deadline"
	}
	if w.behind {
		return fmt.Sprintf("background request not sent: %s went first until %s", w.reason, limit)
	}
	return fmt.Sprintf("rate limited by %s until %s, past %s", w.reason, w.until.UTC().Format(time.RFC3339), limit)
}

// wait blocks until rt may send a request and records the send; bg marks a
// background request. It gives up at once, without sleeping, when the slot
// lies more than maxWait from now or after ctx's deadline, since sleeping
// would only delay the same failure, unless an answer in flight may bring
// it forward.
func (l *limiter) wait(ctx context.Context, rt route, bg *background, maxWait time.Duration) (time.Duration, error) {
	start := time.Now()
	limit := start.Add(maxWait)
	r := request{route: rt, bg: bg, queue: true}
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
		l.leave(&r)
	}()
	for {
		if err := ctx.Err(); err != nil {
			return time.Since(start), err
		}
		now := time.Now()
		d := l.acquire(&r, now)
		if d.ok {
			if timer == nil {
				return 0, nil // let through at once: no wait to report
			}
			return now.Sub(start), nil
		}
		wake := d.ready
		if d.answered == nil {
			if d.ready.After(limit) {
				return now.Sub(start), &rateLimitWait{until: d.ready, reason: d.reason}
			}
			if deadline, has := ctx.Deadline(); has && d.ready.After(deadline) {
				return now.Sub(start), &rateLimitWait{until: d.ready, reason: d.reason, pastDeadline: true}
			}
		} else {
			if !now.Before(limit) {
				return now.Sub(start), &rateLimitWait{until: d.ready, reason: d.reason}
			}
			wake = minTime(wake, limit)
		}
		if d.behind != nil && !wake.After(now) {
			// Only the interactive requests ahead stand in the way: how
			// long they take is unknown, so wait for them up to the cap.
			if !now.Before(limit) {
				return now.Sub(start), &rateLimitWait{until: now, reason: d.reason, behind: true}
			}
			wake = limit
		}
		// Waiters do not reserve slots: they retry when one should be free,
		// so a request waiting on a strict endpoint budget never holds a
		// global slot that other endpoints could use meanwhile.
		if timer == nil {
			timer = time.NewTimer(wake.Sub(now))
		} else {
			timer.Reset(wake.Sub(now))
		}
		select {
		case <-timer.C:
		case <-d.behind: // nil unless a background request lets others go first
		case <-d.answered: // nil unless an answer may free the slot
		case <-ctx.Done():
			return time.Since(start), ctx.Err()
		}
	}
}

// tryAcquire is acquire for an interactive request that does not wait.
func (l *limiter) tryAcquire(rt route, now time.Time) (time.Time, string, bool) {
	d := l.acquire(&request{route: rt}, now)
	return d.ready, d.reason, d.ok
}

// acquire records a send at now in every bucket of r if all of them allow
// it; otherwise it says when it is worth trying again and why.
func (l *limiter) acquire(r *request, now time.Time) decision {
	l.mu.Lock()
	defer l.mu.Unlock()
	var endpoint *bucket
	if r.route.rule != nil {
		endpoint = l.endpointBucket(r.route)
	}
	if r.bg != nil {
		return l.acquireBackground(r.bg, endpoint, now)
	}
	next := l.global.nextFree(now)
	globalReady, endpointReady := next.at, now
	if endpoint != nil {
		e := endpoint.nextFree(now)
		endpointReady = e.at
		next.later(e)
	}
	if next.at.After(now) {
		if r.queue {
			// Counted only where it waits for the last slot it needs: a
			// bucket with room before then need not hold background back.
			var waitFor [2]*bucket
			if globalReady.Equal(next.at) {
				waitFor[0] = l.global
			}
			if endpointReady.Equal(next.at) {
				waitFor[1] = endpoint
			}
			l.mark(r, waitFor)
		}
		return l.refuse(next)
	}
	l.unmark(r)
	l.global.record(now)
	if endpoint != nil {
		endpoint.record(now)
	}
	return decision{ok: true}
}

// refuse is the decision for a request that must wait for next; l.mu must
// be held.
func (l *limiter) refuse(next slot) decision {
	d := decision{ready: next.at, reason: next.reason}
	if next.onAnswer {
		l.watched = true
		d.answered = l.answered
	}
	return d
}

// acquireBackground is acquire for a background request; l.mu must be held.
func (l *limiter) acquireBackground(bg *background, endpoint *bucket, now time.Time) decision {
	job := l.job(bg, now)
	next := l.global.nextFreeBackground(now)
	if endpoint != nil {
		next.later(endpoint.nextFreeBackground(now))
	}
	if job.limit > 0 {
		next.later(slot{at: job.nextFree(now), reason: job.reason})
	}
	// Interactive requests waiting for a bucket this one needs go first,
	// even when a slot is free: it is theirs.
	var ahead *bucket
	switch {
	case l.global.waiting > 0:
		ahead = l.global
	case endpoint != nil && endpoint.waiting > 0:
		ahead = endpoint
	}
	if ahead != nil {
		d := l.refuse(next)
		d.behind = l.yielded
		if !next.at.After(now) {
			d.reason = "interactive requests waiting for the budget for " + ahead.name
		}
		return d
	}
	if next.at.After(now) {
		return l.refuse(next)
	}
	l.global.record(now)
	if endpoint != nil {
		endpoint.record(now)
	}
	l.bgSent.count(now)
	job.count(now)
	return decision{ok: true}
}

// mark counts r as waiting for the buckets in waitFor; l.mu must be held.
func (l *limiter) mark(r *request, waitFor [2]*bucket) {
	if r.marks == waitFor {
		return
	}
	l.unmark(r)
	r.marks = waitFor
	for _, b := range r.marks {
		if b != nil {
			b.waiting++
		}
	}
}

// unmark stops counting r as waiting; l.mu must be held.
func (l *limiter) unmark(r *request) {
	freed := false
	for i, b := range r.marks {
		if b == nil {
			continue
		}
		b.waiting--
		freed = freed || b.waiting == 0
		r.marks[i] = nil
	}
	if freed {
		close(l.yielded)
		l.yielded = make(chan struct{})
	}
}

// leave stops counting r as waiting, whatever ended its wait.
func (l *limiter) leave(r *request) {
	if r.marks == [2]*bucket{} {
		return // only r's own goroutine sets marks
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.unmark(r)
}

// job returns the log of bg's key, creating it, with bg's quota in force;
// l.mu must be held.
func (l *limiter) job(bg *background, now time.Time) *slidingLog {
	j, ok := l.jobs[bg.key]
	if !ok {
		if len(l.jobs) >= l.jobsSweepAt {
			for key, j := range l.jobs {
				if j.prune(now); j.head == len(j.times) {
					delete(l.jobs, key)
				}
			}
			l.jobsSweepAt = max(minSweepBuckets, 2*len(l.jobs))
		}
		j = &slidingLog{}
		l.jobs[bg.key] = j
	}
	if bg.quota == (Budget{}) {
		// Counted for Budget only, over the global window.
		j.limit, j.window, j.reason = 0, l.global.logs[0].window, ""
	} else if j.limit != bg.quota.Requests || j.window != bg.quota.Window || j.reason == "" {
		j.limit, j.window = bg.quota.Requests, bg.quota.Window
		j.reason = fmt.Sprintf("the job's quota of %s", bg.quota)
	}
	return j
}

// observe takes in the answer to a request sent on rt (h nil: none came).
// X-RateLimit-Remaining: 0 or a 429 holds the request's bucket (its endpoint
// bucket if a rule matched, else the global one) until the server's reset;
// any other X-RateLimit-Remaining updates the bucket's view of the server's
// count (see serverView). X-RateLimit-Limit on an answer to a request that
// matched no rule sets the global budget, up to the ceiling.
func (l *limiter) observe(rt route, status int, h http.Header, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.global
	if rt.rule != nil {
		b = l.buckets[rt.key] // kept while a request is in flight
	}
	l.answer(b)
	if h == nil || b == nil {
		return
	}
	hv := parseHeaderView(h, now)
	if rt.rule == nil && hv.limit > 0 {
		l.follow(hv.limit)
	}
	if status != http.StatusTooManyRequests && hv.hasRemaining && hv.remaining >= 0 && hv.reset > 0 {
		// A 429 was not counted; any other answer was, Remaining 0 too.
		remaining := int(min(hv.remaining, 1e9))
		limit, advertised := hv.limit, hv.limit > 0 && hv.limit >= remaining
		if !advertised {
			limit = max(b.logs[0].limit, remaining)
		}
		b.server.update(limit, advertised, remaining, now.Add(min(hv.reset, maxServerHold)), now, b.inflight, b.logs[0].window)
	}
	hold := time.Duration(0)
	switch {
	case status == http.StatusTooManyRequests:
		hold = max(hv.reset, min429Hold)
		// Our budget let it go: someone else spends the same one (or the
		// server's is lower than we know).
		b.server.shared(now, b.logs[0].window)
	case hv.hasRemaining && !(hv.remaining > 0): // NaN and negatives included
		hold = hv.reset
	}
	if hold <= 0 {
		return
	}
	if until := now.Add(min(hold, maxServerHold)); until.After(b.holdUntil) {
		b.holdUntil = until
	}
}

// answer counts the answer to a request in flight on b (and the global
// bucket) and wakes the requests waiting for one; l.mu must be held.
func (l *limiter) answer(b *bucket) {
	l.global.inflight = max(0, l.global.inflight-1)
	if b != nil && b != l.global {
		b.inflight = max(0, b.inflight-1)
	}
	if l.watched {
		close(l.answered)
		l.answered = make(chan struct{})
		l.watched = false
	}
}

// follow sets the global budget to what the server advertises, within the
// ceiling; l.mu must be held.
func (l *limiter) follow(advertised int) {
	n := advertised
	if l.ceiling > 0 {
		n = min(n, l.ceiling)
	}
	g := &l.global.logs[0]
	if n == g.limit {
		return
	}
	budget := Budget{Requests: n, Window: g.window}
	g.limit, g.bgLimit = n, shareOf(n, l.share)
	g.reason = fmt.Sprintf("the budget of %s for %s", budget, l.global.name)
	g.bgReason = fmt.Sprintf("the background share (%d of %s) of the budget for %s", g.bgLimit, budget, l.global.name)
	l.bgSent.limit = g.bgLimit
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
	b := newBucket(rt.key, rt.rule.budgets, l.share)
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

// slot is when a bucket lets the next request go, and why not sooner.
type slot struct {
	at       time.Time
	reason   string
	onAnswer bool // an answer to a request in flight may bring it forward
}

// later makes s the later of s and o; on a tie s stays.
func (s *slot) later(o slot) {
	if o.at.After(s.at) {
		*s = o
	}
}

func (b *bucket) nextFree(now time.Time) slot {
	next := slot{at: now}
	if b.holdUntil.After(now) {
		next = slot{at: b.holdUntil, reason: b.holdReason}
	}
	for i := range b.logs {
		next.later(slot{at: b.logs[i].nextFree(now), reason: b.logs[i].reason})
	}
	next.later(b.serverNext(now))
	return next
}

// serverNext is when the server's count lets the next request go.
func (b *bucket) serverNext(now time.Time) slot {
	// A request's share of the window: how long a probe may hold others.
	unit := b.logs[0].window / time.Duration(max(b.logs[0].limit, 1))
	at, onAnswer := b.server.next(now, unit)
	reason := b.holdReason + " (by the server's count, X-RateLimit-Remaining)"
	if b.server.sharedUntil.After(now) {
		reason = b.holdReason + ", shared with other clients of the token (paced by the server's count, X-RateLimit-Remaining)"
	}
	return slot{at: at, reason: reason, onAnswer: onAnswer}
}

// nextFreeBackground is nextFree for a background request: it may only use
// the background share of each window, by our count and by the server's.
func (b *bucket) nextFreeBackground(now time.Time) slot {
	next := slot{at: now}
	if b.holdUntil.After(now) {
		next = slot{at: b.holdUntil, reason: b.holdReason}
	}
	for i := range b.logs {
		next.later(slot{at: b.logs[i].nextFreeWithin(now, b.logs[i].bgLimit), reason: b.logs[i].bgReason})
	}
	if v := &b.server; v.until.After(now) && v.limit-v.remaining+v.sent >= shareOf(v.limit, b.share) {
		next.later(slot{at: v.until, reason: "the background share of " + b.holdReason + " (by the server's count, X-RateLimit-Remaining)"})
	}
	next.later(b.serverNext(now))
	return next
}

func (b *bucket) record(now time.Time) {
	for i := range b.logs {
		b.logs[i].record(now)
	}
	b.inflight++
	b.server.record(now)
}

func (b *bucket) idle(now time.Time) bool {
	if b.holdUntil.After(now) || b.server.until.After(now) || b.server.sharedUntil.After(now) || b.waiting > 0 || b.inflight > 0 {
		return false
	}
	for i := range b.logs {
		if b.logs[i].prune(now); b.logs[i].head < len(b.logs[i].times) {
			return false
		}
	}
	return true
}

// record adds a send at now; nextFree (which prunes) must have run at now.
func (l *slidingLog) record(now time.Time) {
	l.times = append(l.times, now)
}

// count records a send at now in a log that limits nothing (background
// sends, a job without a quota), pruning it since nextFree never runs on it.
func (l *slidingLog) count(now time.Time) {
	l.prune(now)
	l.times = append(l.times, now)
}

// live is the number of sends in the window ending at now.
func (l *slidingLog) live(now time.Time) int {
	l.prune(now)
	return len(l.times) - l.head
}

// nextFree is the earliest time at or after now when one more send keeps
// every window of length l.window at no more than l.limit sends.
func (l *slidingLog) nextFree(now time.Time) time.Time {
	return l.nextFreeWithin(now, l.limit)
}

// nextFreeWithin is the earliest time at or after now when the window ending
// then holds fewer than n sends.
func (l *slidingLog) nextFreeWithin(now time.Time, n int) time.Time {
	if l.live(now) < n {
		return now
	}
	// The n-th most recent send must leave the window first.
	return l.times[len(l.times)-n].Add(l.window)
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
