package main

import (
	"net/http"
	"time"

	"github.com/supaops/supaops/internal/health"
	"github.com/supaops/supaops/internal/metrics"
)

// ops is what an operator's tools look at: the metrics, and the readiness
// conditions the process sets as it runs (Slack connected, scheduler
// running) besides the stack's own checks.
type ops struct {
	metrics   *metrics.Metrics
	slack     *health.Flag // nil: no Slack in this process
	scheduler *health.Flag // nil: no scheduler in this process
}

func newOps(withSlack, withJobs bool) *ops {
	o := &ops{metrics: metrics.New(metrics.Options{Program: "supaops-slackbot", Version: version, Commit: commit})}
	if withSlack {
		o.slack = health.NewFlag("slack", "not connected yet")
	}
	if withJobs {
		o.scheduler = health.NewFlag("scheduler", "not started yet")
	}
	return o
}

// handler serves /healthz, /readyz (the stack's checks, then Slack's and
// the scheduler's) and /metrics.
func (o *ops) handler(stackChecks []health.Check) http.Handler {
	checks := stackChecks
	for _, f := range []*health.Flag{o.slack, o.scheduler} {
		if f != nil {
			checks = append(checks, f.Check())
		}
	}
	return health.Handler(health.New(0, checks...), o.metrics.Handler())
}

// ObserveAck implements slackbot.Observer.
func (o *ops) ObserveAck(transport string, d time.Duration, ok bool) {
	o.metrics.ObserveAck(transport, d, ok)
}

// ObserveConnected implements slackbot.Observer: the metric, and the
// readiness of the "slack" check.
func (o *ops) ObserveConnected(up bool) {
	o.metrics.ObserveConnected(up)
	if o.slack != nil {
		why := ""
		if !up {
			why = "the Socket Mode connection is down (reconnecting)"
		}
		o.slack.Set(up, why)
	}
}

// withOps serves h, and the probes' paths from ops in front of it. Not
// /metrics: the --http listener faces Slack, so the internet; what was
// called and how often is served only at --metrics-addr, which the
// operator keeps inside.
func withOps(h, opsHandler http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET "+health.ReadyPath, opsHandler)
	mux.Handle("/", h)
	return mux
}
