package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/supaops/supaops/internal/pipeline"
)

// cliPrincipal is who the operator's shell speaks as.
const cliPrincipal = "cli:local"

func runCall(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("call", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	jsonArgs := fs.String("json", "", "arguments as a JSON object (key=value pairs win over it)")
	useSandbox := fs.Bool("sandbox", false, "call the in-process sandbox instead of the real API (no token needed)")
	apiURL := fs.String("api-url", "", "Management API base URL (default https://api.supabase.com, or SUPABASE_API_URL)")
	wait := fs.Bool("wait", false, "for a long-running operation, wait until it finishes")
	confirm := fs.String("confirm", "", "the confirmation or approval token a previous attempt handed out")
	policyFile := fs.String("policy", "", "policy file (default: SUPAOPS_POLICY, else the shipped default)")
	storeFile := fs.String("store", "", "store file for the audit log and approvals (default: SUPAOPS_STORE, else ~/.local/state/supaops/supaops.db)")
	waitInterval := fs.Duration("wait-interval", 5*time.Second, "how often --wait polls")
	timeout := fs.Duration("timeout", 0, "give up after this long (0: no limit)")
	flags, positional := splitArgs(args, map[string]bool{
		"json": true, "api-url": true, "wait-interval": true, "timeout": true,
		"confirm": true, "policy": true, "store": true,
	})
	if err := fs.Parse(flags); err != nil {
		return usagef("call: %v", err)
	}
	if len(positional) == 0 {
		return usagef("call: which action? (list them with `supaops-mcp actions`)")
	}
	log, err := newLogger(getenv, stderr)
	if err != nil {
		return err
	}
	app, err := openApp(ctx, appOptions{policyFile: *policyFile, storeFile: *storeFile}, getenv, log)
	if err != nil {
		return err
	}
	a, err := app.registry.Lookup(positional[0])
	if err != nil {
		return err
	}
	callArgs, err := a.ParseArgs(positional[1:], *jsonArgs)
	if err != nil {
		return err
	}
	api, err := newAPI(apiOptions{sandbox: *useSandbox, apiURL: *apiURL}, getenv, log)
	if err != nil {
		return err
	}
	authorizer, err := app.newAuthorizer(api, log)
	if err != nil {
		return err
	}
	p, err := pipeline.New(pipeline.Config{Registry: app.registry, API: api, Authorizer: authorizer, Recorder: app.audit, Logger: log})
	if err != nil {
		return err
	}
	if *timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *timeout)
		defer cancel()
	}
	req := pipeline.Request{Action: a.Name, Args: callArgs, Principal: cliPrincipal, Surface: "cli", Confirmation: *confirm}
	res, err := p.Call(ctx, req)
	if err != nil {
		res, err = askConsent(ctx, p, req, err, stdin, stderr)
		if err != nil {
			return err
		}
	}
	if *wait {
		if res.Poll == nil || a.Poll == nil || a.Poll.Field == "" {
			return fmt.Errorf("--wait: %s is not a long-running operation with a state to wait for", a.Name)
		}
		if err := printResult(stdout, res); err != nil {
			return err
		}
		final, err := p.Wait(ctx, res, *waitInterval)
		if final != nil {
			if perr := printResult(stdout, final); perr != nil {
				return perr
			}
		}
		return err
	}
	return printResult(stdout, res)
}

// printResult writes a result's data: JSON indented, text as it is.
func printResult(w io.Writer, res *pipeline.Result) error {
	switch v := res.Data.(type) {
	case nil:
		_, err := fmt.Fprintf(w, "{\"status\": %d}\n", res.Status)
		return err
	case string:
		_, err := fmt.Fprintln(w, v)
		return err
	default:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
}

// askConsent handles a call the policy wants consented to. At a terminal it
// asks for a confirmation and, on yes, calls again with the token; otherwise
// (or for approvals) it explains how to go on.
func askConsent(ctx context.Context, p *pipeline.Pipeline, req pipeline.Request, callErr error, stdin io.Reader, stderr io.Writer) (*pipeline.Result, error) {
	var notAllowed *pipeline.NotAllowedError
	if !errors.As(callErr, &notAllowed) || notAllowed.Decision.Token == "" {
		return nil, callErr
	}
	d := notAllowed.Decision
	switch d.Effect {
	case pipeline.Approve:
		return nil, fmt.Errorf("%w\nonce approved, run the same command again with --confirm %s", callErr, d.Token)
	case pipeline.Confirm:
		f, ok := stdin.(*os.File)
		if !ok || !isTerminal(f) {
			return nil, fmt.Errorf("%w\nto go ahead, run the same command again with --confirm %s", callErr, d.Token)
		}
		fmt.Fprintf(stderr, "%s\nGo ahead? Type yes to confirm: ", callErr)
		answer, _ := bufio.NewReader(stdin).ReadString('\n')
		if strings.TrimSpace(strings.ToLower(answer)) != "yes" {
			return nil, errors.New("not confirmed; nothing was done")
		}
		req.Confirmation = d.Token
		return p.Call(ctx, req)
	}
	return nil, callErr
}
