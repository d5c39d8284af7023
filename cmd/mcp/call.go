package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/tools"
)

func runCall(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("call", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	jsonArgs := fs.String("json", "", "arguments as a JSON object (key=value pairs win over it)")
	useSandbox := fs.Bool("sandbox", false, "call the in-process sandbox instead of the real API (no token needed)")
	apiURL := fs.String("api-url", "", "Management API base URL (default https://api.supabase.com, or SUPABASE_API_URL)")
	wait := fs.Bool("wait", false, "for a long-running operation, wait until it finishes")
	waitInterval := fs.Duration("wait-interval", 5*time.Second, "how often --wait polls")
	timeout := fs.Duration("timeout", 0, "give up after this long (0: no limit)")
	flags, positional := splitArgs(args, map[string]bool{"json": true, "api-url": true, "wait-interval": true, "timeout": true})
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
	reg, err := tools.Load()
	if err != nil {
		return err
	}
	a, err := reg.Lookup(positional[0])
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
	p, err := pipeline.New(pipeline.Config{Registry: reg, API: api, Logger: log})
	if err != nil {
		return err
	}
	if *timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *timeout)
		defer cancel()
	}
	res, err := p.Call(ctx, pipeline.Request{Action: a.Name, Args: callArgs, Principal: "cli:local", Surface: "cli"})
	if err != nil {
		return err
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
