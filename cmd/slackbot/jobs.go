package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/supaops/supaops/internal/app"
	"github.com/supaops/supaops/internal/client"
	"github.com/supaops/supaops/internal/health"
	"github.com/supaops/supaops/internal/jobs"
	"github.com/supaops/supaops/internal/jobstore"
)

// startJobs runs the scheduler in the background, with alerts to extra
// notifiers (Slack) besides webhooks and the log. The returned function
// stops it, letting runs in flight finish within the shutdown grace.
//
// running, when not nil, is up while the scheduler runs (readiness).
func startJobs(ctx context.Context, stack *app.App, extra map[string]jobs.Notifier, lease time.Duration, running *health.Flag, log zerolog.Logger) (func(), error) {
	notifiers := map[string]jobs.Notifier{
		jobstore.TargetLog:     jobs.LogNotifier{Log: log.With().Str("component", "alerts").Logger()},
		jobstore.TargetWebhook: jobs.WebhookNotifier{},
	}
	for k, n := range extra {
		notifiers[k] = n
	}
	host, _ := os.Hostname()
	s, err := jobs.ForApp(stack, jobs.Options{
		Notifiers: notifiers, Lease: lease, Owner: fmt.Sprintf("%s:%d", host, os.Getpid()),
		Logger: log.With().Str("component", "jobs").Logger(),
	})
	if err != nil {
		return nil, err
	}
	jctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	running.Set(true, "")
	go func() {
		defer close(done)
		err := s.Run(jctx, shutdownGrace)
		if err != nil {
			log.Warn().Err(err).Msg("stopping the jobs")
		}
		running.Set(false, fmt.Sprintf("the scheduler stopped: %v", err))
	}()
	log.Info().Str("owner", s.Owner()).Msg("scheduled jobs running")
	return func() { cancel(); <-done }, nil
}

type jobsOnlyFlags struct {
	sandbox       bool
	apiURL        string
	policy, store string
	lease         time.Duration
	rateLimit     client.Budget // zero: SUPAOPS_RATE_LIMIT, else follow the API
	metricsAddr   string
	logFormat     string
}

// runJobsOnly runs the scheduler alone until ctx ends: no Slack.
func runJobsOnly(ctx context.Context, f jobsOnlyFlags, getenv func(string) string, stderr io.Writer, log zerolog.Logger) error {
	o := newOps(false, true)
	opts := app.Options{
		Metrics:    o.metrics,
		PolicyFile: f.policy, WatchPolicy: true, StoreFile: f.store, API: true,
		Sandbox: f.sandbox, APIURL: f.apiURL, UserAgent: "supaops-jobs/" + version, Logger: log,
		Limits: client.Limits{Global: f.rateLimit},
	}
	if opts.Sandbox && opts.APIURL != "" {
		return usagef("--sandbox and --api-url exclude each other")
	}
	opts, err := opts.Env(getenv, true)
	if err != nil {
		return err
	}
	stack, err := app.Open(ctx, opts)
	if err != nil {
		return err
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go stack.WatchPolicy(ctx, hup)
	if f.metricsAddr != "" {
		if err := health.Serve(ctx, f.metricsAddr, o.handler(stack.ReadyChecks()), log); err != nil {
			return err
		}
	}
	stop, err := startJobs(ctx, stack, nil, f.lease, o.scheduler, log)
	if err != nil {
		return err
	}
	banner(stderr, f.logFormat, "supaops jobs running on %s%s (no Slack: Slack alerts wait in the store)\n", stack.Store.Path(), sandboxNote(f.sandbox))
	<-ctx.Done()
	stop()
	return nil
}
