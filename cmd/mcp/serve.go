package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/supaops/supaops/internal/authz"
	"github.com/supaops/supaops/internal/mcphttp"
	"github.com/supaops/supaops/internal/mcpserver"
	"github.com/supaops/supaops/internal/pipeline"
)

var projectRef = regexp.MustCompile(`^[a-z]{20}$`)

// runServe is the MCP server: over stdio by default, over streamable HTTP
// with --http. Unknown or malformed values refuse to start.
func runServe(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("supaops-mcp", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	readOnly := fs.Bool("read-only", false, "hide and refuse every write and destructive action")
	scope := fs.String("project-ref", "", "scope the server to one project (20 lowercase letters)")
	toolsets := fs.String("toolsets", "", "extra toolsets as first-class tools, comma-separated, or all")
	policyFile := fs.String("policy", "", "policy file (default: SUPAOPS_POLICY, else the shipped default); reloaded on change or SIGHUP")
	storeFile := fs.String("store", "", "store file (default: SUPAOPS_STORE, else ~/.local/state/supaops/supaops.db)")
	useSandbox := fs.Bool("sandbox", false, "serve the embedded simulated API (no token needed)")
	apiURL := fs.String("api-url", "", "Management API base URL (default https://api.supabase.com, or SUPABASE_API_URL)")
	httpAddr := fs.String("http", "", "serve streamable HTTP at ADDR/mcp instead of stdio (loopback unless --tokens-file)")
	tokensFile := fs.String("tokens-file", "", "with --http: file of `name token` lines; required off loopback")
	origins := fs.String("allowed-origins", "", "with --http: browser origins allowed to call, comma-separated")
	if err := fs.Parse(args); err != nil {
		return usagef("%v (see supaops-mcp help)", err)
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q (see supaops-mcp help)", fs.Arg(0))
	}
	if *scope != "" && !projectRef.MatchString(*scope) {
		return usagef("--project-ref %q: a project ref is 20 lowercase letters", *scope)
	}
	if *httpAddr == "" && (*tokensFile != "" || *origins != "") {
		return usagef("--tokens-file and --allowed-origins only apply with --http")
	}
	log, err := newLogger(getenv, stderr)
	if err != nil {
		return err
	}
	app, err := openApp(ctx, appOptions{policyFile: *policyFile, storeFile: *storeFile, watch: true}, getenv, log)
	if err != nil {
		return err
	}
	api, err := newAPI(apiOptions{sandbox: *useSandbox, apiURL: *apiURL}, getenv, log)
	if err != nil {
		return err
	}
	var authorizer pipeline.Authorizer
	if authorizer, err = app.newAuthorizer(api, log); err != nil {
		return err
	}
	if *scope != "" {
		branches, err := authz.NewProjectBranches(app.registry, api, 0)
		if err != nil {
			return err
		}
		authorizer = authz.ProjectScope{Ref: *scope, Branches: branches, Next: authorizer}
	}
	if *readOnly {
		authorizer = authz.ReadOnly{Next: authorizer}
	}
	p, err := pipeline.New(pipeline.Config{Registry: app.registry, API: api, Authorizer: authorizer, Recorder: app.audit, Logger: log})
	if err != nil {
		return err
	}
	srv, err := mcpserver.New(app.registry, p, mcpserver.Options{
		Toolsets: splitList(*toolsets), ReadOnly: *readOnly, ProjectRef: *scope, Version: version, Logger: log,
	})
	if err != nil {
		return usagef("%v", err)
	}
	if app.watcher != nil {
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		defer signal.Stop(hup)
		go app.watcher.Run(ctx, 2*time.Second, hup)
	}
	if *httpAddr == "" {
		log.Info().Int("tools", len(srv.ToolNames())).Bool("sandbox", *useSandbox).Msg("serving MCP over stdio")
		return srv.ServeStdio(ctx, stdin, stdout)
	}
	*httpAddr = loopbackByDefault(*httpAddr)
	cfg := mcphttp.Config{Addr: *httpAddr, AllowedOrigins: splitList(*origins), Logger: log}
	if *tokensFile != "" {
		if cfg.Tokens, err = mcphttp.LoadTokensFile(*tokensFile); err != nil {
			return err
		}
	}
	if err := mcphttp.Validate(cfg); err != nil {
		return usagef("%v", err)
	}
	fmt.Fprintf(stderr, "supaops MCP server on http://%s/mcp (%d tools%s)\n", *httpAddr, len(srv.ToolNames()), sandboxNote(*useSandbox))
	return mcphttp.Serve(ctx, srv.MCP(), cfg)
}

// loopbackByDefault binds loopback when the address names no host (":8080",
// or a bare port): listening on every interface must be asked for by name.
func loopbackByDefault(addr string) string {
	if !strings.Contains(addr, ":") {
		return "127.0.0.1:" + addr
	}
	if strings.HasPrefix(addr, ":") {
		return "127.0.0.1" + addr
	}
	return addr
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
