package client

import (
	"context"
	"time"

	"github.com/supaops/supaops/internal/reqid"
)

// logAttempt writes one debug line per attempt: never headers, the token, the
// query string or bodies.
func (c *Caller) logAttempt(ctx context.Context, cl *call, attempt int, res *attemptResult, waited time.Duration) {
	ev := c.log.Debug()
	if ev == nil {
		return
	}
	ev = ev.Str("req_id", reqid.From(ctx)).Str("method", cl.method).
		Str("path", cl.route.label).
		Int("attempt", attempt).
		Dur("waited", waited).
		Dur("duration", res.duration)
	if cl.bg != nil {
		ev = ev.Str("background", cl.bg.key)
	}
	if res.status != 0 {
		ev = ev.Int("status", res.status)
	}
	if id := requestID(res.header); id != "" {
		ev = ev.Str("request_id", id)
	}
	if res.err != nil {
		ev = ev.Str("error", c.scrub(cl, res.err.Error()))
	}
	ev.Msg("management api attempt")
}
