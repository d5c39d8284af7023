package client

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"syscall"
	"time"
)

// attemptResult is what one attempt produced.
type attemptResult struct {
	status   int
	header   http.Header
	body     []byte
	err      error // transport failure, or failure reading a 2xx body
	sent     bool  // a connection was obtained: the request may have reached the server
	timedOut bool  // the attempt timed out
	duration time.Duration
}

func (r *attemptResult) ok() bool { return r.err == nil && r.status >= 200 && r.status < 300 }

// shouldRetry decides whether a failed attempt (not a 429) is worth
// repeating. Repeating must not be able to do harm: a POST or PATCH that may
// have reached the server is never repeated, unless ctx says it is safe.
func (c *Caller) shouldRetry(ctx context.Context, cl *call, res *attemptResult, failures int) bool {
	if failures >= c.retry.MaxAttempts || ctx.Err() != nil {
		return false
	}
	if res.err == nil {
		return cl.retrySafe && retryableStatus(res.status)
	}
	var tooLarge *bodyTooLargeError
	if errors.As(res.err, &tooLarge) {
		return false
	}
	if !res.sent && neverSent(res.err) {
		return true // nothing reached the server, whatever the method
	}
	return cl.retrySafe && (res.timedOut || transientNetError(res.err))
}

// retryableStatus: 5xx means the server or a proxy failed; 501 and 505 will
// not change on a retry.
func retryableStatus(status int) bool {
	return status >= 500 && status != http.StatusNotImplemented && status != http.StatusHTTPVersionNotSupported
}

// neverSent reports whether err proves the request never left this process:
// the connection (or the proxy tunnel) could not be set up.
func neverSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && (op.Op == "dial" || op.Op == "proxyconnect")
}

// transientNetError: failures of the network, not of the request, such as
// resets, refused connections, EOFs mid-response and network timeouts.
// Certificate errors and malformed requests are not among them.
func transientNetError(err error) bool {
	var netErr net.Error
	return errors.As(err, &netErr) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNABORTED) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE)
}

func isTimeout(err error) bool {
	var netErr net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &netErr) && netErr.Timeout()
}

// backoff is the pause before the retry that follows the given number of
// failures: exponential from BaseDelay, capped at MaxDelay, with "equal
// jitter" (half fixed, half random) so that callers that failed together
// spread out, yet none retries at once. A longer Retry-After (e.g. on a 503)
// wins up to MaxDelay.
func (p RetryPolicy) backoff(failures int, h http.Header, now time.Time) time.Duration {
	d := p.MaxDelay
	if shift := failures - 1; shift >= 0 && shift < 32 {
		if exp := p.BaseDelay << shift; exp > 0 && exp < d {
			d = exp
		}
	}
	d = d/2 + rand.N(d/2+1) //nolint:gosec // jitter only spreads retries; it needs no unpredictability

	if ra, ok := retryAfter(h, now); ok && ra > d {
		d = min(ra, p.MaxDelay)
	}
	return d
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
