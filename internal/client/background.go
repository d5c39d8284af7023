package client

import (
	"context"
	"fmt"
	"time"
)

type backgroundKey struct{}

// background marks the requests of one scheduled job.
type background struct {
	key   string
	quota Budget // zero: no budget of the job's own
}

// WithBackground marks requests made with ctx as background work of the job
// named key (for example "job:nightly-backup"), so that they yield to
// interactive requests (a person in Slack, an agent over MCP):
//
//   - they fill at most Limits.BackgroundShare of each window of every budget
//     they count against: the rest of the window stays free for interactive
//     requests;
//   - while an interactive request waits for a budget, no background request
//     needing that budget is let through before it;
//   - all requests of one key together stay within quota (zero: no budget of
//     the job's own beyond the shared rules). The quota last given for a key
//     is the one in force, so give the same one every time.
//
// Background requests wait like the others, bounded by
// RetryPolicy.MaxRateLimitWait and ctx, and fail with a 429 *APIError naming
// the share or the quota that was used up. An empty key is named
// "background". Caller.Budget reports what is left.
func WithBackground(ctx context.Context, key string, quota Budget) context.Context {
	if key == "" {
		key = "background"
	}
	return context.WithValue(ctx, backgroundKey{}, &background{key: key, quota: quota})
}

// backgroundOf returns the background marker of ctx, nil for an interactive
// request, or an error if its quota cannot be enforced.
func backgroundOf(ctx context.Context) (*background, error) {
	bg, _ := ctx.Value(backgroundKey{}).(*background)
	if bg == nil || bg.quota == (Budget{}) {
		return bg, nil
	}
	if err := validateBudget(bg.quota); err != nil {
		return nil, fmt.Errorf("background job %q: quota: %w", bg.key, err)
	}
	return bg, nil
}

// BudgetState is a snapshot of the client-side rate-limit budget, for a
// scheduler deciding whether to start work or postpone it. Endpoint budgets
// (per project ref) are not included: a request to a stricter endpoint may
// wait although Available is positive.
type BudgetState struct {
	At         time.Time
	Global     BudgetUse // every request
	Background BudgetUse // background requests, within Limits.BackgroundShare of the global budget
	// Jobs has one entry per background key that sent in its window, and
	// per key with a quota seen lately; Allowed is 0 for a key without a
	// quota of its own.
	Jobs map[string]BudgetUse
	// InteractiveWaiting counts interactive requests waiting for the global
	// budget; background requests let them go first.
	InteractiveWaiting int
}

// BudgetUse is the state of one budget at BudgetState.At.
type BudgetUse struct {
	Used    int // requests of this kind sent in the Window before At
	Allowed int // requests of this kind allowed per Window; 0: no limit of its own
	Window  time.Duration
	// Available is how many more requests of this kind would be let through
	// at once, every budget above this one considered (a job's is at most
	// the background's); 0 while the server holds us back or, for background
	// kinds, while interactive requests wait.
	Available int
	// NextAt is when the budgets would let the next request of this kind
	// through: At if Available > 0. Interactive requests waiting may delay a
	// background one further.
	NextAt time.Time
}

// Budget reports the state of the rate-limit budget now: used and allowed in
// the current window, globally, for background requests and per background
// key.
func (c *Caller) Budget() BudgetState {
	return c.limiter.state(time.Now())
}

// state is Budget's snapshot at now.
func (l *limiter) state(now time.Time) BudgetState {
	l.mu.Lock()
	defer l.mu.Unlock()
	g := &l.global.logs[0]
	used := g.live(now)
	s := BudgetState{
		At:                 now,
		Global:             BudgetUse{Used: used, Allowed: g.limit, Window: g.window},
		Background:         BudgetUse{Used: l.bgSent.live(now), Allowed: g.bgLimit, Window: g.window},
		InteractiveWaiting: l.global.waiting,
	}
	s.Global.NextAt = l.global.nextFree(now).at
	if !s.Global.NextAt.After(now) {
		s.Global.Available = g.limit - used
	}
	s.Background.NextAt = l.global.nextFreeBackground(now).at
	if !s.Background.NextAt.After(now) && l.global.waiting == 0 {
		avail := g.bgLimit - used
		if v := &l.global.server; v.until.After(now) {
			avail = min(avail, shareOf(v.limit, l.share)-(v.limit-v.remaining+v.sent))
		}
		s.Background.Available = max(0, avail)
	}
	for key, j := range l.jobs {
		u := BudgetUse{Used: j.live(now), Allowed: j.limit, Window: j.window, Available: s.Background.Available, NextAt: s.Background.NextAt}
		if j.limit > 0 {
			if next := j.nextFree(now); next.After(now) {
				u.Available = 0
				if next.After(u.NextAt) {
					u.NextAt = next
				}
			} else {
				u.Available = min(u.Available, j.limit-u.Used)
			}
		} else if u.Used == 0 {
			continue // seen before this window, and nothing to report
		}
		if s.Jobs == nil {
			s.Jobs = make(map[string]BudgetUse)
		}
		s.Jobs[key] = u
	}
	return s
}
