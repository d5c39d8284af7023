package jobs

import (
	"context"
	"errors"

	"github.com/supaops/supaops/internal/app"
	"github.com/supaops/supaops/internal/client"
	"github.com/supaops/supaops/internal/jobstore"
)

// ForApp builds the scheduler of a stack: the jobs in its store, run
// through its pipeline, their calls marked as background work so that the
// API client's rate limiter lets people and agents go first.
func ForApp(a *app.App, opts Options) (*Scheduler, error) {
	if a.Jobs == nil || a.Pipeline == nil {
		return nil, errors.New("jobs need the store and the API")
	}
	opts.Store, opts.Pipeline = a.Jobs, a.Pipeline
	if opts.Observer == nil && a.Metrics != nil {
		opts.Observer = a.Metrics
	}
	if opts.Background == nil {
		opts.Background = func(ctx context.Context, sp jobstore.Spec) context.Context {
			return client.WithBackground(ctx, sp.Principal(), client.Budget{Requests: sp.Budget.Calls, Window: sp.Budget.Per})
		}
	}
	return New(opts)
}
