package client

import (
	"context"
	"net/http"
	"time"
)

type retrySafeKey struct{}

type attemptTimeoutKey struct{}

// WithRetrySafe marks requests made with ctx as safe to repeat after a 5xx, a
// timeout or a broken connection even if their method is POST or PATCH (for
// example a read-only SQL query). Use it only when running the request twice
// cannot do harm.
func WithRetrySafe(ctx context.Context) context.Context {
	return context.WithValue(ctx, retrySafeKey{}, true)
}

// WithTimeout overrides Config.Timeout, the per-attempt timeout, for requests
// made with ctx (for slow operations). A shorter ctx deadline still wins.
func WithTimeout(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, attemptTimeoutKey{}, d)
}

func isRetrySafe(ctx context.Context, method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions:
		return true
	}
	safe, _ := ctx.Value(retrySafeKey{}).(bool)
	return safe
}

func attemptTimeout(ctx context.Context, fallback time.Duration) time.Duration {
	if d, ok := ctx.Value(attemptTimeoutKey{}).(time.Duration); ok && d > 0 {
		return d
	}
	return fallback
}
