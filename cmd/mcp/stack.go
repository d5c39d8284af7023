package main

import (
	"context"
	"io"

	"github.com/rs/zerolog"

	"github.com/supaops/supaops/internal/app"
	"github.com/supaops/supaops/internal/client"
)

// stackFlags are the flags commands that open the stack share.
type stackFlags struct {
	policy    string
	store     string
	sandbox   bool
	apiURL    string
	rateLimit client.Budget // --rate-limit; zero: SUPAOPS_RATE_LIMIT, else follow the API
	logFormat string        // --log-format of serve; "": JSON, or text at a terminal
}

// open builds the stack for a command: options from its flags, the rest
// from the environment. withStore opens the store (the default path unless
// --store or SUPAOPS_STORE names one).
func open(ctx context.Context, f stackFlags, opts app.Options, withStore bool, getenv func(string) string, stderr io.Writer) (*app.App, zerolog.Logger, error) {
	log, err := newLogger(getenv, stderr, f.logFormat)
	if err != nil {
		return nil, log, err
	}
	if f.sandbox && f.apiURL != "" {
		return nil, log, usagef("--sandbox and --api-url exclude each other")
	}
	opts.PolicyFile, opts.StoreFile, opts.Sandbox, opts.APIURL = f.policy, f.store, f.sandbox, f.apiURL
	opts.UserAgent, opts.Logger = "supaops/"+version, log
	if f.rateLimit != (client.Budget{}) {
		opts.Limits.Global = f.rateLimit // the flag wins over the environment
	}
	if opts, err = opts.Env(getenv, withStore); err != nil {
		return nil, log, err
	}
	a, err := app.Open(ctx, opts)
	return a, log, err
}
