package client

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Why a view of the server's count as well as our own log: other processes
// using the same token (another supaops, a CI job, the dashboard) spend the
// same budget, and only the server sees their requests. Each answer's
// X-RateLimit-Remaining says what is left of the server's window; what we
// sent since it was counted is ours to subtract. When the server's count
// falls faster than our own requests explain, others are sending too, and
// the rest of the window is spread over the time left instead of being
// spent at once, so that the processes together leave the last requests of
// the window unspent rather than racing for them into 429s.

const (
	// maxAdvertisedLimit bounds the X-RateLimit-Limit a budget follows;
	// larger values are treated as garbage.
	maxAdvertisedLimit = 1_000_000
	// resetSlack is how far apart two answers of one server window may put
	// its end: X-RateLimit-Reset is whole seconds, rounded up, and is added
	// to the time the answer arrived, not the time it was counted.
	resetSlack = time.Second
)

// serverView is what the server last said of a bucket's budget in its
// current window (X-RateLimit-*).
type serverView struct {
	limit     int
	remaining int       // the lowest X-RateLimit-Remaining of the window
	until     time.Time // its reset, the earliest of the window's answers; zero or past: nothing known
	at        time.Time // when remaining arrived
	// base are our requests that were in flight when remaining arrived:
	// the server may have counted them after it, so they are not known to
	// be in it.
	base int
	sent int // our sends since remaining arrived

	// advertised: limit is the server's X-RateLimit-Limit, not a guess.
	advertised bool
	// ours counts our answers counted in this window: what the server
	// counted beyond them and our requests in flight is others'.
	ours int
	// firstAt is when the window's first answer arrived, and before how
	// many of others' requests the server had counted then, at least;
	// others is how many it counted since, at least: together, the pace
	// at which others spend the window.
	firstAt time.Time
	before  int
	others  int
	// sharedUntil: until then, others are known to spend this budget too,
	// and sends are paced.
	sharedUntil time.Time
	// probing counts our sends since the view expired, the first at
	// probeAt: their answers tell of the server's new window.
	probing int
	probeAt time.Time
}

// headerView is what one answer's X-RateLimit-* headers say, parsed.
type headerView struct {
	limit        int           // X-RateLimit-Limit; 0 if absent or invalid
	remaining    float64       // X-RateLimit-Remaining, if hasRemaining
	hasRemaining bool          // present and a number (NaN included)
	reset        time.Duration // X-RateLimit-Reset, else Retry-After, else the documented minute
}

func parseHeaderView(h http.Header, now time.Time) headerView {
	v := headerView{limit: advertisedLimit(h), reset: serverResetDelay(h, now)}
	if s := h.Get("X-RateLimit-Remaining"); s != "" {
		r, err := strconv.ParseFloat(s, 64)
		v.remaining, v.hasRemaining = r, err == nil
	}
	return v
}

// advertisedLimit is X-RateLimit-Limit if it is a whole number of requests
// from 1 to maxAdvertisedLimit, else 0: a budget follows nothing else.
func advertisedLimit(h http.Header) int {
	s := strings.TrimSpace(h.Get("X-RateLimit-Limit"))
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxAdvertisedLimit {
		return 0
	}
	return n
}

// update takes in an answer that says remaining (0 or more) is left until
// until of limit (advertised: the server said so); inflight are our
// requests still in flight after it, and window is how long sharing, once
// seen, is assumed to go on.
func (v *serverView) update(limit int, advertised bool, remaining int, until, now time.Time, inflight int, window time.Duration) {
	// Of the requests the server counted in this window, those not ours
	// are others', at least: ours are answered in it or still in flight.
	othersAtLeast := func(ours int) int {
		if !advertised {
			return 0
		}
		return max(0, limit-remaining-ours-inflight)
	}
	fresh := serverView{
		limit: limit, advertised: advertised, remaining: remaining, until: until, at: now, base: inflight,
		ours: 1, firstAt: now, before: othersAtLeast(1), sharedUntil: v.sharedUntil,
	}
	switch {
	case v.until.IsZero():
		// The first answer: what the server counted before is no sign of
		// others now, it may be our own past (a restart, the last command).
		*v = fresh
		return
	case !now.Before(v.until) || until.After(v.until.Add(resetSlack)):
		// A new window.
		if fresh.before > 0 {
			fresh.sharedUntil = now.Add(2 * window)
		}
		*v = fresh
		return
	case until.Before(v.until.Add(-resetSlack)):
		return // counted in an earlier window, and late
	}
	v.ours++
	if remaining >= v.remaining {
		// Counted before the answer that gave v.remaining: this request
		// was among those in flight then, and is in its count.
		v.base = max(0, v.base-1)
		return
	}
	// Of ours, only those in flight at the last answer and those sent since
	// can have been counted between the two.
	others := v.others + max(0, v.remaining-remaining-v.base-v.sent)
	if advertised && v.advertised && limit == v.limit {
		others = max(others, othersAtLeast(v.ours)-v.before)
	}
	if others > v.others {
		v.others = others
		v.sharedUntil = now.Add(2 * window)
	}
	v.limit, v.advertised, v.remaining, v.at, v.base, v.sent = limit, advertised, remaining, now, inflight, 0
	v.until = minTime(v.until, until)
}

// shared records a 429 although our count left room: someone else spends
// the budget too (or the server's is lower than we know).
func (v *serverView) shared(now time.Time, window time.Duration) {
	v.sharedUntil = now.Add(2 * window)
}

// record counts a send at now.
func (v *serverView) record(now time.Time) {
	if v.until.After(now) {
		v.sent++
		return
	}
	if v.probing == 0 {
		v.probeAt = now
	}
	v.probing++
}

// next is the earliest time at or after now the view lets one more request
// go, and whether an answer to one of ours in flight may let it go sooner;
// unit is a request's share of the window.
func (v *serverView) next(now time.Time, unit time.Duration) (time.Time, bool) {
	if !v.until.After(now) {
		// Nothing known of the server's current window. While sharing,
		// one request asks the server before the others go; a slow one
		// holds them no longer than its share of the window.
		if v.probing > 0 && v.sharedUntil.After(now) {
			if until := v.probeAt.Add(unit); until.After(now) {
				return until, true
			}
		}
		return now, false
	}
	avail := v.remaining - v.base // left at the last answer, by the most cautious count
	if v.sent >= avail {
		return v.until, v.base+v.sent > 0
	}
	if !v.sharedUntil.After(now) {
		return now, false
	}
	// Spread what was left over the time to the reset: the k-th send since
	// the answer goes at k/avail of the way. The last one would go at the
	// reset itself: with several processes pacing alike, that one is left.
	span := v.until.Sub(v.at)
	at := maxTime(v.at.Add(time.Duration(float64(span)*float64(v.sent+1)/float64(avail))), now)
	// Others went on spending since the answer: if at their pace nothing
	// is left by then, wait for the reset (or for news).
	if left := float64(avail-v.sent) - v.othersRate()*at.Sub(v.at).Seconds(); left < 1 {
		return v.until, v.base+v.sent > 0
	}
	return at, false
}

// othersRate is how many requests per second others sent in the window,
// by our answers so far. Over less time than the window's share of one
// request, a few requests at once would seem a torrent: that is the least
// time it is measured over.
func (v *serverView) othersRate() float64 {
	if v.others == 0 {
		return 0
	}
	least := v.until.Sub(v.firstAt) / time.Duration(max(v.limit, 1))
	return float64(v.others) / max(v.at.Sub(v.firstAt), least, time.Millisecond).Seconds()
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
