package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/supaops/supaops/internal/redact"
)

// failure turns the last failed attempt into the error Do returns.
func (c *Caller) failure(ctx context.Context, cl *call, res *attemptResult, attempts int) error {
	if res.err == nil {
		return c.apiError(cl, res, attempts)
	}
	if ctx.Err() != nil {
		return contextFailure(ctx, cl, attempts, "")
	}
	var reason string
	var tooLarge *bodyTooLargeError
	switch {
	case res.timedOut:
		reason = fmt.Sprintf("timed out after %s waiting for the Management API", cl.timeout)
	case errors.As(res.err, &tooLarge):
		reason = "response too large"
	case neverSent(res.err):
		reason = "could not connect to the Management API at " + c.base.Host
	default:
		reason = "the connection to the Management API failed"
	}
	if res.sent && !cl.retrySafe {
		reason += fmt.Sprintf("; not retried because the %s may already have been applied", cl.method)
	}
	reason += attemptsNote(attempts)
	return &RequestError{
		Method:   cl.method,
		Path:     cl.path,
		Attempts: attempts,
		Reason:   reason,
		Sent:     res.sent,
		TimedOut: res.timedOut,
		Err:      res.err,
		detail:   c.scrub(cl, res.err.Error()),
	}
}

func (c *Caller) apiError(cl *call, res *attemptResult, attempts int) *APIError {
	return &APIError{
		Status:    res.status,
		Message:   apiMessage(res.body, res.header.Get("Content-Type"), c.redact.string),
		RequestID: c.redact.string(requestID(res.header)),
		Method:    cl.method,
		Path:      cl.path,
		Body:      c.redact.body(res.body, maxErrorBodyBytes),
		Attempts:  attempts,
	}
}

// waitFailure explains why a rate-limit wait ended without a slot.
func (c *Caller) waitFailure(ctx context.Context, cl *call, err error, last429 *attemptResult, attempts int) error {
	var wait *rateLimitWait
	if !errors.As(err, &wait) {
		return contextFailure(ctx, cl, attempts, "while waiting for the rate limit")
	}
	var e *APIError
	if last429 != nil {
		e = c.apiError(cl, last429, attempts)
		e.Message = strings.TrimSuffix(cmpOr(e.Message, "rate limit exceeded"), ".")
		if cl.bg != nil {
			e.Message += fmt.Sprintf(" (background job %q)", cl.bg.key)
		}
	} else {
		e = &APIError{
			Status:   http.StatusTooManyRequests,
			Method:   cl.method,
			Path:     cl.path,
			Attempts: attempts,
			Message:  "not sent: " + wait.reason + " is used up",
		}
		if wait.behind {
			e.Message = "not sent: " + wait.reason + " went first"
		}
		if cl.bg != nil {
			e.Message = fmt.Sprintf("background job %q %s", cl.bg.key, e.Message)
		}
	}
	if wait.pastDeadline {
		e.pastDeadline = true
		e.Message += " (the wait would outlast the request's deadline)"
	} else {
		e.Message += fmt.Sprintf(" (waiting longer than %s is not allowed)", c.retry.MaxRateLimitWait)
	}
	e.RetryAt = wait.until
	return e
}

// contextFailure reports that ctx ended the request.
func contextFailure(ctx context.Context, cl *call, attempts int, while string) *RequestError {
	err := context.Cause(ctx)
	// A cause given to context.WithCancelCause is the caller's own text;
	// scrub it for shapes all the same.
	e := &RequestError{Method: cl.method, Path: cl.path, Attempts: attempts, Err: err, detail: redact.Text(err.Error()), ctxEnded: true}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		e.TimedOut = true
		e.Reason = "timed out: the request's deadline passed"
	} else {
		e.Reason = "canceled"
	}
	if while != "" {
		e.Reason += " " + while
	}
	e.Reason += attemptsNote(attempts)
	return e
}

func attemptsNote(attempts int) string {
	if attempts <= 1 {
		return ""
	}
	return fmt.Sprintf(" (gave up after %d attempts)", attempts)
}

// scrub removes the token and the query string (which may hold SQL) from
// text that goes into errors or logs.
func (c *Caller) scrub(cl *call, s string) string {
	s = c.redact.string(s)
	if cl.rawQuery != "" {
		s = strings.ReplaceAll(s, cl.rawQuery, "[query]")
	}
	return s
}
