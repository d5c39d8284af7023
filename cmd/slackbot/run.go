package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/supaops/supaops/internal/app"
	"github.com/supaops/supaops/internal/client"
	"github.com/supaops/supaops/internal/consent"
	"github.com/supaops/supaops/internal/health"
	"github.com/supaops/supaops/internal/jobs"
	"github.com/supaops/supaops/internal/jobstore"
	"github.com/supaops/supaops/internal/slackbot"
)

const usageText = `supaops-slackbot serves the supaops Slack app: /supa reaches every Management
API action, with buttons to confirm and approve, under the same policy and
audit log as supaops-mcp. It also runs the scheduled jobs kept in the store
(supaops-mcp jobs apply FILE), posting their alerts to Slack.

Usage:
  supaops-slackbot [--http ADDR] [--sandbox | --api-url URL] [--policy FILE] [--store FILE]
                   [--command /supa] [--teams T1,T2] [--approvals-channel C123]
                   [--no-public toolset,...] [--slack-api-url URL] [--jobs=false] [--rate-limit N]
                   [--metrics-addr ADDR] [--log-format json|text]
  supaops-slackbot --jobs-only [--sandbox | --api-url URL] [--policy FILE] [--store FILE] [--rate-limit N]
                   [--metrics-addr ADDR] [--log-format json|text]
                         run the scheduled jobs without Slack: alerts go to
                         webhooks and the log; Slack alerts wait in the store
                         for a bot to deliver them
  supaops-slackbot version

Settings come from the environment, never flags:
  SLACK_BOT_TOKEN       the bot token (xoxb-...), required
  SLACK_APP_TOKEN       an app-level token (xapp-...): Socket Mode, no public URL needed
  SLACK_SIGNING_SECRET  with --http: verifies that requests come from Slack
  SUPABASE_ACCESS_TOKEN (or SUPABASE_ACCESS_TOKEN_FILE) for the real API; not with --sandbox
Without SLACK_APP_TOKEN, --http ADDR is required (POST /slack/commands and
/slack/interactions). The workspace served is the bot token's own unless
--teams names others.

Health and metrics: GET /healthz (the process is up), GET /readyz (the store
opens, the policy is loaded, Slack is connected, the scheduler runs: each
named in the JSON answer, 503 when one fails) are served on the --http
listener; they and GET /metrics (Prometheus) are served at --metrics-addr
ADDR (loopback when ADDR names no host, as in :9090). /metrics is never on the --http listener, which faces Slack. Logs are JSON
lines on stderr, each call's with its req_id (--log-format text for people);
SUPAOPS_LOG_LEVEL sets the level (default info).

Requests to the Management API keep to the rate limit it advertises, from the
documented 120 per minute; --rate-limit N (or SUPAOPS_RATE_LIMIT=N) caps it
at N per minute. The flag wins.
`

// usageError is a mistake in how the command was called (exit status 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// shutdownGrace is how long calls in flight may finish after a stop.
const shutdownGrace = 30 * time.Second

// run is the whole program; main only supplies the process's environment.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "version", "--version":
			fmt.Fprintf(stdout, "supaops-slackbot %s (commit %s)\n", version, commit)
			return nil
		case "help", "-h", "--help":
			fmt.Fprint(stdout, usageText)
			return nil
		}
	}
	fs := flag.NewFlagSet("supaops-slackbot", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	httpAddr := fs.String("http", "", "serve Slack's requests over HTTP at ADDR (needs SLACK_SIGNING_SECRET)")
	useSandbox := fs.Bool("sandbox", false, "call the embedded simulated API (no Supabase token needed)")
	apiURL := fs.String("api-url", "", "Management API base URL (default https://api.supabase.com, or SUPABASE_API_URL)")
	policyFile := fs.String("policy", "", "policy file (default: SUPAOPS_POLICY, else the shipped default)")
	storeFile := fs.String("store", "", "store file (default: SUPAOPS_STORE, else ~/.local/state/supaops/supaops.db)")
	command := fs.String("command", slackbot.DefaultCommand, "the slash command's name")
	teams := fs.String("teams", "", "workspaces (team ids) to serve, comma-separated (default: the bot token's)")
	approvals := fs.String("approvals-channel", "", "channel id for approval requests that name no channel")
	noPublic := fs.String("no-public", "database,secrets,analytics", "toolsets whose results are never posted in a channel")
	slackURL := fs.String("slack-api-url", "", "Slack Web API base URL (a Slack-compatible test server or a proxy)")
	withJobs := fs.Bool("jobs", true, "run the scheduled jobs in this process too")
	jobsOnly := fs.Bool("jobs-only", false, "run only the scheduled jobs: no Slack settings needed")
	jobsLease := fs.Duration("jobs-lease", jobs.DefaultLease, "how long a run's heartbeat is trusted before another scheduler calls it interrupted")
	metricsAddr := fs.String("metrics-addr", "", "serve /healthz, /readyz and /metrics at ADDR (with --http they are also on its listener)")
	logFormat := fs.String("log-format", "json", "json (one object a line, for collectors) or text (for people)")
	var rateLimit client.Budget
	app.RateLimitFlag(fs, &rateLimit)
	if err := fs.Parse(args); err != nil {
		return usagef("%v (see supaops-slackbot help)", err)
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q (see supaops-slackbot help)", fs.Arg(0))
	}
	if *metricsAddr == "" {
		*metricsAddr = strings.TrimSpace(getenv("SUPAOPS_METRICS_ADDR")) // the container image sets it
	}
	log, err := newLogger(getenv, stderr, *logFormat)
	if err != nil {
		return err
	}
	if *jobsLease < 5*time.Second {
		return usagef("--jobs-lease %s: at least 5s (runs beat every quarter of it)", *jobsLease)
	}
	if *jobsOnly {
		return runJobsOnly(ctx, jobsOnlyFlags{
			sandbox: *useSandbox, apiURL: *apiURL, policy: *policyFile, store: *storeFile, lease: *jobsLease, rateLimit: rateLimit,
			metricsAddr: *metricsAddr, logFormat: *logFormat,
		}, getenv, stderr, log)
	}
	cfg, err := slackSettings(getenv, *httpAddr, *slackURL)
	if err != nil {
		return err
	}

	var hook atomic.Pointer[slackbot.Bot] // the bot announces approvals; it exists after the stack
	o := newOps(true, *withJobs)
	opts := app.Options{
		Metrics:    o.metrics,
		PolicyFile: *policyFile, WatchPolicy: true, StoreFile: *storeFile, API: true,
		Sandbox: *useSandbox, APIURL: *apiURL, UserAgent: "supaops-slackbot/" + version, Logger: log,
		Limits: client.Limits{Global: rateLimit}, // zero: SUPAOPS_RATE_LIMIT, else follow the API
		OnApprovalRequest: func(ctx context.Context, a consent.Approval) {
			if b := hook.Load(); b != nil {
				b.AnnounceApproval(ctx, a)
			}
		},
	}
	if opts.Sandbox && opts.APIURL != "" {
		return usagef("--sandbox and --api-url exclude each other")
	}
	if opts, err = opts.Env(getenv, true); err != nil {
		return err
	}
	stack, err := app.Open(ctx, opts)
	if err != nil {
		return err
	}

	api := slack.New(cfg.botToken, cfg.clientOptions()...)
	auth, err := api.AuthTestContext(ctx)
	if err != nil {
		return fmt.Errorf("SLACK_BOT_TOKEN: Slack's auth.test refused it or did not answer at %s: %w", cfg.apiURLOrDefault(), err)
	}
	socketMode := cfg.appToken != "" && *httpAddr == ""
	if !socketMode {
		// Over HTTP Slack calls us: there is no connection to keep, and the
		// token was just accepted.
		o.slack.Set(true, "")
	}
	opsHandler := o.handler(stack.ReadyChecks())
	if *metricsAddr != "" {
		if err := health.Serve(ctx, *metricsAddr, opsHandler, log); err != nil {
			return err
		}
	}
	served := splitList(*teams)
	if len(served) == 0 {
		served = []string{auth.TeamID}
	}
	bot, err := slackbot.New(stack, api, slackbot.Options{
		Command: *command, Teams: served, ApprovalsChannel: *approvals, NoPublic: splitList(*noPublic), Logger: log,
	})
	if err != nil {
		return usagef("%v", err)
	}
	hook.Store(bot)
	defer func() {
		grace, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
		defer cancel()
		if err := bot.Close(grace); err != nil {
			log.Warn().Err(err).Msg("stopping")
		}
	}()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go stack.WatchPolicy(ctx, hup)
	go bot.WatchApprovals(ctx, 15*time.Second)
	if *withJobs {
		stopJobs, err := startJobs(ctx, stack, map[string]jobs.Notifier{jobstore.TargetSlack: bot}, *jobsLease, o.scheduler, log)
		if err != nil {
			return err
		}
		defer stopJobs()
	}

	log.Info().Str("team", auth.TeamID).Strs("serving", served).Str("command", *command).Bool("sandbox", *useSandbox).Msg("supaops slackbot starting")
	if socketMode {
		banner(stderr, *logFormat, "supaops Slack bot for %s over Socket Mode (%s)%s\n", auth.Team, *command, sandboxNote(*useSandbox))
		return slackbot.RunSocketModeObserved(ctx, socketmode.New(api), bot, log, o)
	}
	h, err := slackbot.NewHTTPHandler(bot, slackbot.HTTPConfig{SigningSecret: cfg.signingSecret, Logger: log, Observer: o})
	if err != nil {
		return usagef("%v", err)
	}
	banner(stderr, *logFormat, "supaops Slack bot for %s on http://%s/slack/commands (%s)%s\n", auth.Team, *httpAddr, *command, sandboxNote(*useSandbox))
	return serveHTTP(ctx, *httpAddr, withOps(h, opsHandler), log)
}

// serveHTTP serves h until ctx ends, then lets requests in flight finish.
func serveHTTP(ctx context.Context, addr string, h http.Handler, log zerolog.Logger) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("--http %s: %w", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serving %s: %w", addr, err)
	case <-ctx.Done():
	}
	grace, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(grace); err != nil {
		return fmt.Errorf("stopping the HTTP server: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		log.Warn().Err(err).Msg("http serve")
	}
	return nil
}

// banner tells a person at the console what started; a JSON log stays
// JSON lines only (its "starting" line says the same), for collectors.
func banner(stderr io.Writer, logFormat, format string, args ...any) {
	if logFormat == "text" {
		fmt.Fprintf(stderr, format, args...)
	}
}

func sandboxNote(sandbox bool) string {
	if sandbox {
		return ", sandbox API"
	}
	return ""
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
