// Package metrics keeps supaops's Prometheus metrics. The core packages
// know nothing of Prometheus: each defines a small Observer interface
// (pipeline, client, audit, jobs, slackbot) and Metrics implements them
// all, on a registry of its own (never the global one), served by Handler.
//
// Labels take few values: action names come from the registry, surfaces,
// decisions and outcomes from short fixed lists, job names from the
// operator's own jobs file. No ref, user, principal or request id is ever
// a label.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/supaops/supaops/internal/audit"
	"github.com/supaops/supaops/internal/client"
	"github.com/supaops/supaops/internal/pipeline"
)

// succeeded is jobstore.Succeeded, the state whose time is kept.
const succeeded = "succeeded"

// Namespace prefixes every metric name.
const Namespace = "supaops"

// latencyBuckets span a fast local refusal (1 ms) to a slow API call (30 s).
func latencyBuckets() []float64 {
	return []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}
}

// Metrics holds the collectors. Create one per process with New.
type Metrics struct {
	reg *prometheus.Registry

	calls        *prometheus.CounterVec
	callSeconds  *prometheus.HistogramVec
	apiRequests  *prometheus.CounterVec
	apiSeconds   prometheus.Histogram
	api429       prometheus.Counter
	apiRetries   prometheus.Counter
	rateWaits    prometheus.Counter
	rateWaitSecs prometheus.Histogram
	appends      *prometheus.CounterVec
	appendSecs   prometheus.Histogram
	acks         *prometheus.CounterVec
	ackSeconds   *prometheus.HistogramVec
	slackUp      *prometheus.GaugeVec
	jobRuns      *prometheus.CounterVec
	jobSuccess   *prometheus.GaugeVec
	sweepLag     *prometheus.GaugeVec
}

var (
	_ pipeline.Observer = (*Metrics)(nil)
	_ client.Observer   = (*Metrics)(nil)
	_ audit.Observer    = (*Metrics)(nil)
)

// Options describe the process in supaops_build_info.
type Options struct {
	Program, Version, Commit string
}

// New builds the collectors on a new registry, with the Go runtime's and
// the process's (memory, file descriptors) and supaops_build_info.
func New(opts Options) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	f := factory{m.reg}
	m.calls = f.counterVec("calls_total", "Calls through the pipeline, by action, surface, policy decision and outcome.",
		"action", "surface", "decision", "outcome")
	m.callSeconds = f.histogramVec("call_duration_seconds", "Time a call took in the pipeline, from validation to the recorded outcome.",
		"surface", "outcome")
	m.apiRequests = f.counterVec("api_requests_total", "Requests sent to the Management API (each attempt), by status class: 2xx, 4xx, 429, 5xx, or error for no answer.", "code")
	m.apiSeconds = f.histogram("api_request_duration_seconds", "Time one Management API request took, answer read.")
	m.api429 = f.counter("api_rate_limited_total", "Management API answers 429 Too Many Requests.")
	m.apiRetries = f.counter("api_retries_total", "Management API requests that repeated an earlier attempt of the same call.")
	m.rateWaits = f.counter("ratelimit_waits_total", "Times a request waited for the client-side rate-limit budget.")
	m.rateWaitSecs = f.histogram("ratelimit_wait_seconds", "How long a request waited for the rate-limit budget.")
	m.appends = f.counterVec("audit_appends_total", "Records appended to the audit log, by result (ok, error).", "result")
	m.appendSecs = f.histogram("audit_append_duration_seconds", "Time an audit append took until its commit was durable (fsync), batching included.")
	m.acks = f.counterVec("slack_acks_total", "Slack deliveries acknowledged, by transport (socket, http) and result (ok, error).", "transport", "result")
	m.ackSeconds = f.histogramVec("slack_ack_duration_seconds", "Time from a Slack delivery's arrival to its acknowledgement (Slack allows 3 s).", "transport")
	// A vector so that it is exported only by a process with a Socket Mode
	// connection to keep (not over HTTP, nor with --jobs-only), where an
	// alert on 0 would be wrong.
	m.slackUp = f.gaugeVec("slack_connected", "1 while the Socket Mode connection to Slack is up, else 0.", "transport")
	m.jobRuns = f.counterVec("job_runs_total", "Scheduled job runs ended, by job and state (succeeded, failed, canceled, interrupted).", "job", "state")
	m.jobSuccess = f.gaugeVec("job_last_success_timestamp_seconds", "When each job last succeeded, as a Unix time.", "job")
	m.sweepLag = f.gaugeVec("log_sweep_lag_seconds", "How far behind now a log sweep's cursor is after its last run (the largest over its projects).", "job")
	info := f.gaugeVec("build_info", "The running program, its version and commit; always 1.", "program", "version", "commit")
	info.WithLabelValues(opts.Program, opts.Version, opts.Commit).Set(1)
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registry is the registry the collectors are on (tests gather it).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// WatchBudget exports the rate-limit budget: requests allowed per window
// and still available now, read from budget at every scrape. Call it once,
// when the API client exists.
func (m *Metrics) WatchBudget(budget func() client.BudgetState) {
	f := factory{m.reg}
	f.gaugeFunc("ratelimit_budget_available", "Management API requests the client-side rate limiter would let through now.",
		func() float64 { return float64(budget().Global.Available) })
	f.gaugeFunc("ratelimit_budget_allowed", "Management API requests allowed per rate-limit window.",
		func() float64 { return float64(budget().Global.Allowed) })
}

// ObserveCall implements pipeline.Observer.
func (m *Metrics) ObserveCall(s pipeline.CallStats) {
	m.calls.WithLabelValues(s.Action, s.Surface, s.Decision, s.Outcome).Inc()
	m.callSeconds.WithLabelValues(s.Surface, s.Outcome).Observe(s.Duration.Seconds())
}

// ObserveAttempt implements client.Observer.
func (m *Metrics) ObserveAttempt(status int, d time.Duration, retry bool) {
	m.apiRequests.WithLabelValues(codeClass(status)).Inc()
	m.apiSeconds.Observe(d.Seconds())
	if status == http.StatusTooManyRequests {
		m.api429.Inc()
	}
	if retry {
		m.apiRetries.Inc()
	}
}

// codeClass folds a status into a few values; 429 is kept apart.
func codeClass(status int) string {
	switch status {
	case 0:
		return "error"
	case http.StatusTooManyRequests:
		return "429"
	default:
		return strconv.Itoa(status/100) + "xx"
	}
}

// ObserveRateWait implements client.Observer.
func (m *Metrics) ObserveRateWait(d time.Duration) {
	m.rateWaits.Inc()
	m.rateWaitSecs.Observe(d.Seconds())
}

// ObserveAppend implements audit.Observer.
func (m *Metrics) ObserveAppend(d time.Duration, err error) {
	m.appends.WithLabelValues(result(err == nil)).Inc()
	m.appendSecs.Observe(d.Seconds())
}

// ObserveAck implements slackbot.Observer.
func (m *Metrics) ObserveAck(transport string, d time.Duration, ok bool) {
	m.acks.WithLabelValues(transport, result(ok)).Inc()
	m.ackSeconds.WithLabelValues(transport).Observe(d.Seconds())
}

// ObserveConnected implements slackbot.Observer.
func (m *Metrics) ObserveConnected(up bool) {
	v := 0.0
	if up {
		v = 1
	}
	m.slackUp.WithLabelValues("socket").Set(v)
}

// ObserveRun implements jobs.Observer.
func (m *Metrics) ObserveRun(job, state string, end time.Time, _ time.Duration) {
	m.jobRuns.WithLabelValues(job, state).Inc()
	if state == succeeded {
		m.jobSuccess.WithLabelValues(job).Set(float64(end.UnixNano()) / 1e9)
	}
}

// ObserveSweepLag implements jobs.Observer.
func (m *Metrics) ObserveSweepLag(job string, lag time.Duration) {
	m.sweepLag.WithLabelValues(job).Set(lag.Seconds())
}

func result(ok bool) string {
	if ok {
		return "ok"
	}
	return "error"
}

// factory registers collectors named Namespace_name.
type factory struct{ reg *prometheus.Registry }

func (f factory) counter(name, help string) prometheus.Counter {
	c := prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Name: name, Help: help})
	f.reg.MustRegister(c)
	return c
}

func (f factory) counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: name, Help: help}, labels)
	f.reg.MustRegister(c)
	return c
}

func (f factory) gaugeVec(name, help string, labels ...string) *prometheus.GaugeVec {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: Namespace, Name: name, Help: help}, labels)
	f.reg.MustRegister(g)
	return g
}

func (f factory) gaugeFunc(name, help string, fn func() float64) {
	f.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: Namespace, Name: name, Help: help}, fn))
}

func (f factory) histogram(name, help string) prometheus.Histogram {
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: Namespace, Name: name, Help: help, Buckets: latencyBuckets()})
	f.reg.MustRegister(h)
	return h
}

func (f factory) histogramVec(name, help string, labels ...string) *prometheus.HistogramVec {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: name, Help: help, Buckets: latencyBuckets()}, labels)
	f.reg.MustRegister(h)
	return h
}
