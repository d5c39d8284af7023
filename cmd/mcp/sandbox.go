package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"

	"github.com/supaops/supaops/internal/sandbox"
)

// runSandbox serves the simulated Management API, for pointing supaops (or any
// client) at with --api-url. It accepts any bearer token.
func runSandbox(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	addr := fs.String("addr", "127.0.0.1:54321", "address to listen on")
	budget := fs.Int("budget", 0, "requests per minute per token before 429 (0: the sandbox default)")
	if err := fs.Parse(args); err != nil {
		return usagef("sandbox: %v", err)
	}
	if fs.NArg() > 0 {
		return usagef("sandbox: unexpected argument %q", fs.Arg(0))
	}
	if *budget < 0 {
		return usagef("sandbox --budget %d: want a positive number of requests per minute, or 0 for the default", *budget)
	}
	log, err := newLogger(getenv, stderr, "")
	if err != nil {
		return err
	}
	sb, err := sandbox.New(sandbox.Options{Budget: *budget, Logger: log})
	if err != nil {
		return fmt.Errorf("starting the sandbox: %w", err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	fmt.Fprintf(stdout, "sandbox Management API on http://%s (any bearer token; Ctrl-C stops)\n", ln.Addr())
	return sb.Serve(ctx, ln)
}
