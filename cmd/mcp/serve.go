package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/supaops/supaops/internal/app"
	"github.com/supaops/supaops/internal/health"
	"github.com/supaops/supaops/internal/mcphttp"
	"github.com/supaops/supaops/internal/mcpserver"
	"github.com/supaops/supaops/internal/metrics"
	"github.com/supaops/supaops/internal/scope"
)

// MetricsAddrEnv names the environment variable that sets --metrics-addr
// when the flag is not given (the container image sets it).
const MetricsAddrEnv = "SUPAOPS_METRICS_ADDR"

// stdioGrace is how long calls in flight may finish after SIGTERM or
// SIGINT before they are cancelled.
const stdioGrace = 30 * time.Second

// runServe is the MCP server: over stdio by default, over streamable HTTP
// with --http. Unknown or malformed values refuse to start.
func runServe(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("supaops-mcp", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var f stackFlags
	readOnly := fs.Bool("read-only", false, "hide and refuse every write and destructive action")
	projectRef := fs.String("project-ref", "", "scope the server to one project (20 lowercase letters)")
	manageJobs := fs.Bool("manage-jobs", false, "let agents change scheduled jobs too (by default they only read them)")
	toolsets := fs.String("toolsets", "", "extra toolsets as first-class tools, comma-separated, or all")
	fs.StringVar(&f.policy, "policy", "", "policy file (default: SUPAOPS_POLICY, else the shipped default); reloaded on change or SIGHUP")
	fs.StringVar(&f.store, "store", "", "store file (default: SUPAOPS_STORE, else ~/.local/state/supaops/supaops.db)")
	fs.BoolVar(&f.sandbox, "sandbox", false, "serve the embedded simulated API (no token needed)")
	fs.StringVar(&f.apiURL, "api-url", "", "Management API base URL (default https://api.supabase.com, or SUPABASE_API_URL)")
	app.RateLimitFlag(fs, &f.rateLimit)
	httpAddr := fs.String("http", "", "serve streamable HTTP at ADDR/mcp instead of stdio (loopback unless --tokens-file)")
	tokensFile := fs.String("tokens-file", "", "with --http: file of `name token` lines; required off loopback")
	origins := fs.String("allowed-origins", "", "with --http: browser origins allowed to call, comma-separated (default: none, loopback included)")
	metricsAddr := fs.String("metrics-addr", "", "serve /healthz, /readyz and /metrics at ADDR (with --http they are also on its listener)")
	fs.StringVar(&f.logFormat, "log-format", "", "json or text (default: json, text at a terminal)")
	if err := fs.Parse(args); err != nil {
		return usagef("%v (see supaops-mcp help)", err)
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q (see supaops-mcp help)", fs.Arg(0))
	}
	sc := scope.Scope{ReadOnly: *readOnly, Project: *projectRef, OwnStateReadOnly: !*manageJobs}
	if err := sc.Validate(); err != nil {
		return usagef("--project-ref: %v", err)
	}
	if *httpAddr == "" && (*tokensFile != "" || *origins != "") {
		return usagef("--tokens-file and --allowed-origins only apply with --http")
	}
	// The signal context stops the server; calls in flight drain. The
	// sandbox is built on its first request; a policy file compiles while
	// the server starts, the shipped default on the first call.
	m := metrics.New(metrics.Options{Program: "supaops-mcp", Version: version, Commit: commit})
	opts := app.Options{API: true, WatchPolicy: true, LazySandbox: true, DeferPolicy: true, Metrics: m}
	a, log, err := open(ctx, f, opts, true, getenv, stderr)
	if err != nil {
		return err
	}
	ops := health.Handler(health.New(0, a.ReadyChecks()...), m.Handler())
	if *metricsAddr == "" {
		*metricsAddr = strings.TrimSpace(getenv(MetricsAddrEnv))
	}
	if *metricsAddr != "" {
		if err := health.Serve(ctx, *metricsAddr, ops, log); err != nil {
			return err
		}
	}
	srv, err := mcpserver.New(a.Registry, a.Pipeline, mcpserver.Options{
		Toolsets: splitList(*toolsets), Scope: sc, Version: version, Logger: log,
	})
	if err != nil {
		return usagef("%v", err)
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go a.WatchPolicy(ctx, hup)
	if *httpAddr == "" {
		log.Info().Int("tools", len(srv.ToolNames())).Bool("sandbox", f.sandbox).Msg("serving MCP over stdio")
		return serveStdio(ctx, a, srv, stdin, stdout)
	}
	// Over HTTP, nothing is served before the policy is in.
	if err := a.Ready(ctx); err != nil {
		return err
	}
	*httpAddr = health.LoopbackByDefault(*httpAddr)
	cfg := mcphttp.Config{Addr: *httpAddr, AllowedOrigins: splitList(*origins), Logger: log, Ops: ops}
	if *tokensFile != "" {
		if cfg.Tokens, err = mcphttp.LoadTokensFile(*tokensFile); err != nil {
			return err
		}
	}
	if err := mcphttp.Validate(cfg); err != nil {
		return usagef("%v", err)
	}
	fmt.Fprintf(stderr, "supaops MCP server on http://%s/mcp (%d tools%s)\n", *httpAddr, len(srv.ToolNames()), sandboxNote(f.sandbox))
	return mcphttp.Serve(ctx, srv.MCP(), cfg)
}

// serveStdio serves one client over stdio while a policy file compiles: the
// client's initialize and tools/list need only the registry, and every call
// waits for the policy. If the policy does not load, the server stops
// (calls in flight are refused by then) and the error is the command's.
func serveStdio(ctx context.Context, a *app.App, srv *mcpserver.Server, stdin io.Reader, stdout io.Writer) error {
	serving, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	go func() {
		if err := a.Ready(serving); err != nil {
			stop(err)
		}
	}()
	err := srv.ServeStdio(serving, stdin, stdout, stdioGrace)
	if cause := context.Cause(serving); ctx.Err() == nil && cause != nil && !errors.Is(cause, context.Canceled) {
		return cause
	}
	return err
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
