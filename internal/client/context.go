package client

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/supaops/supaops/internal/redact"
)

type retrySafeKey struct{}

type attemptTimeoutKey struct{}

type redactorKey struct{}

// WithRedactor makes Do mask what r knows to be secret (for example
// redact.New(action.Secrets).WithSecretsOf(args)) in the *APIError or
// *RequestError it returns for requests made with ctx, on top of the
// configured token and credential shapes it always masks. Each caller of a
// collapsed GET gets its own error, redacted with its own redactor.
func WithRedactor(ctx context.Context, r redact.Redactor) context.Context {
	return context.WithValue(ctx, redactorKey{}, r)
}

// redactError applies the redactor of ctx, if any, to err. err is this
// caller's own (collapsed GETs hand out copies), so it is changed in place.
func redactError(ctx context.Context, err error) error {
	r, ok := ctx.Value(redactorKey{}).(redact.Redactor)
	if !ok || err == nil {
		return err
	}
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		apiErr.Redact(r)
	}
	var reqErr *RequestError
	if errors.As(err, &reqErr) {
		reqErr.Redact(r)
	}
	return err
}

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
