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

	"github.com/supaops/supaops/internal/app"
	"github.com/supaops/supaops/internal/outcome"
	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/principal"
	"github.com/supaops/supaops/internal/textargs"
	"github.com/supaops/supaops/internal/tools"
)

func runCall(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("call", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var f stackFlags
	jsonArgs := fs.String("json", "", "arguments as a JSON object (key=value pairs win over it)")
	fs.BoolVar(&f.sandbox, "sandbox", false, "call the in-process sandbox instead of the real API (no token needed)")
	fs.StringVar(&f.apiURL, "api-url", "", "Management API base URL (default https://api.supabase.com, or SUPABASE_API_URL)")
	wait := fs.Bool("wait", false, "for a long-running operation, wait until it finishes")
	confirm := fs.String("confirm", "", "the confirmation or approval token a previous attempt handed out")
	fs.StringVar(&f.policy, "policy", "", "policy file (default: SUPAOPS_POLICY, else the shipped default)")
	fs.StringVar(&f.store, "store", "", "store file for the audit log and approvals (default: SUPAOPS_STORE, else ~/.local/state/supaops/supaops.db)")
	waitInterval := fs.Duration("wait-interval", 5*time.Second, "how often --wait polls")
	timeout := fs.Duration("timeout", 0, "give up after this long (0: no limit)")
	app.RateLimitFlag(fs, &f.rateLimit)
	flags, positional := splitArgs(args, map[string]bool{
		"json": true, "api-url": true, "wait-interval": true, "timeout": true,
		"confirm": true, "policy": true, "store": true, "rate-limit": true,
	})
	if err := fs.Parse(flags); err != nil {
		return usagef("call: %v", err)
	}
	if len(positional) == 0 {
		return usagef("call: which action? (list them with `supaops-mcp actions`)")
	}
	if *waitInterval <= 0 || *timeout < 0 {
		return usagef("call: --wait-interval must be positive and --timeout not negative")
	}
	a, _, err := open(ctx, f, app.Options{API: true}, true, getenv, stderr)
	if err != nil {
		return err
	}
	act, err := a.Registry.Lookup(positional[0])
	if err != nil {
		return cliError(outcome.Of(nil, err))
	}
	callArgs, err := textargs.Parse(act, positional[1:], *jsonArgs)
	if err != nil {
		return cliError(outcome.Of(nil, err).Describe(act))
	}
	if *timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *timeout)
		defer cancel()
	}
	req := pipeline.Request{Action: act.Name, Args: callArgs, Principal: principal.CLILocal, Surface: principal.SurfaceCLI, Confirmation: *confirm}
	res, err := callAndConfirm(ctx, a.Pipeline, act, req, stdin, stdout, stderr)
	if err != nil {
		return err
	}
	if *wait {
		if res.Poll == nil || act.Poll == nil || act.Poll.Field == "" {
			return fmt.Errorf("--wait: %s is not a long-running operation with a state to wait for", act.Name)
		}
		if err := printResult(stdout, res); err != nil {
			return err
		}
		final, err := a.Pipeline.Wait(ctx, res, *waitInterval)
		if final != nil {
			if perr := printResult(stdout, final); perr != nil {
				return perr
			}
		}
		return err
	}
	return printResult(stdout, res)
}

// callAndConfirm calls through the pipeline; a call that needs a
// confirmation is asked at a terminal, and otherwise returned as an error
// that says how to go ahead (--confirm TOKEN).
func callAndConfirm(ctx context.Context, p *pipeline.Pipeline, act *tools.Action, req pipeline.Request, stdin io.Reader, stdout, stderr io.Writer) (*pipeline.Result, error) {
	res, err := p.Call(ctx, req)
	if err == nil {
		return res, nil
	}
	o := outcome.Of(res, err).Describe(act)
	if o.Kind != outcome.NeedsConfirmation || !interactive(stdin, stdout) {
		return nil, cliError(o)
	}
	return askConfirmation(ctx, p, req, o.Challenge, stdin, stderr)
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
		enc.SetEscapeHTML(false) // a terminal, not a web page: keep > as >
		return enc.Encode(v)
	}
}

// interactive reports whether a person is at the keyboard: both stdin and
// stdout are terminals. A pipe or /dev/null is not asked anything.
func interactive(stdin io.Reader, stdout io.Writer) bool {
	in, ok1 := stdin.(*os.File)
	out, ok2 := stdout.(*os.File)
	return ok1 && ok2 && isTerminal(in) && isTerminal(out)
}

// askConfirmation shows the call waiting for confirmation and, on yes,
// calls again with the token.
func askConfirmation(ctx context.Context, p *pipeline.Pipeline, req pipeline.Request, c *outcome.Challenge, stdin io.Reader, stderr io.Writer) (*pipeline.Result, error) {
	fmt.Fprintf(stderr, "%s\nGo ahead? Type yes to confirm: ", describeChallenge(c))
	answer, _ := bufio.NewReader(stdin).ReadString('\n')
	if strings.TrimSpace(strings.ToLower(answer)) != "yes" {
		return nil, errors.New("not confirmed; nothing was done")
	}
	req.Confirmation = c.Token
	res, err := p.Call(ctx, req)
	if err != nil {
		return nil, cliError(outcome.Of(res, err))
	}
	return res, nil
}
