package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/rs/zerolog"

	"github.com/supaops/supaops/internal/client"
	"github.com/supaops/supaops/internal/sandbox"
)

// apiOptions choose which Management API to talk to.
type apiOptions struct {
	sandbox bool
	apiURL  string
}

// sandboxToken is what the CLI presents to its own in-process sandbox.
const sandboxToken = "sandbox-token"

// newAPI returns the client for the real API (token from the environment) or
// for an in-process sandbox (no token needed).
func newAPI(opts apiOptions, getenv func(string) string, log zerolog.Logger) (*client.Caller, error) {
	cfg := client.Config{UserAgent: "supaops/" + version, Logger: log}
	if opts.sandbox {
		if opts.apiURL != "" {
			return nil, usagef("--sandbox and --api-url exclude each other")
		}
		sb, err := sandbox.New(sandbox.Options{Token: sandboxToken, Logger: log})
		if err != nil {
			return nil, fmt.Errorf("starting the sandbox: %w", err)
		}
		cfg.BaseURL = "http://sandbox.supaops.invalid"
		cfg.Transport = sb.RoundTripper()
		cfg.Token = sandboxToken
		return client.New(cfg)
	}
	token, err := client.TokenFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	cfg.Token = token
	cfg.BaseURL = opts.apiURL
	if cfg.BaseURL == "" {
		cfg.BaseURL = getenv("SUPABASE_API_URL")
	}
	return client.New(cfg)
}

// newLogger writes structured logs to stderr at the level SUPAOPS_LOG_LEVEL
// names (default: warn, so command output stays clean).
func newLogger(getenv func(string) string, stderr io.Writer) (zerolog.Logger, error) {
	level := zerolog.WarnLevel
	if s := strings.TrimSpace(getenv("SUPAOPS_LOG_LEVEL")); s != "" {
		l, err := zerolog.ParseLevel(strings.ToLower(s))
		if err != nil {
			return zerolog.Nop(), usagef("SUPAOPS_LOG_LEVEL=%q: want trace, debug, info, warn, error or disabled", s)
		}
		level = l
	}
	w := stderr
	if f, ok := stderr.(*os.File); ok && isTerminal(f) {
		w = zerolog.ConsoleWriter{Out: stderr}
	}
	return zerolog.New(w).Level(level).With().Timestamp().Logger(), nil
}

func isTerminal(f *os.File) bool {
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
