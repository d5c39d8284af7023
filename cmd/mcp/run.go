package main

import (
	"context"
	"fmt"
	"io"
	"strings"
)

const usageText = `supaops-mcp operates Supabase projects through the Management API, safely.

Usage:
  supaops-mcp [serve] [--sandbox | --api-url URL] [--read-only] [--project-ref REF] [--toolsets a,b|all] [--manage-jobs]
              [--policy FILE] [--store FILE] [--rate-limit N] [--http ADDR [--tokens-file FILE] [--allowed-origins a,b]]
              [--metrics-addr ADDR] [--log-format json|text]
                         serve MCP over stdio (what an MCP client starts), or streamable HTTP at ADDR/mcp;
                         GET /healthz, /readyz and /metrics on the --http listener, or at --metrics-addr
  supaops-mcp actions [--format table|tsv|json] [--toolset NAME] [--risk read|write|destructive]
  supaops-mcp call ACTION [key=value ...] [--json '{...}'] [--sandbox] [--api-url URL] [--wait]
                         [--confirm TOKEN] [--policy FILE] [--store FILE] [--rate-limit N]
  supaops-mcp policy explain --principal P --action A [--project REF] [key=value ...]
  supaops-mcp policy check FILE...
  supaops-mcp approvals [list [--status S] | approve ID --as P | deny ID --as P [--reason R]]
  supaops-mcp audit [list] [--since 1h] [--principal P] [--action A] [--project REF] [--format table|json]
  supaops-mcp audit verify | audit prune [--max-age 90d] [--max-count N]
  supaops-mcp jobs list | show NAME | runs [NAME] | check FILE | apply FILE [--prune]
                  | pause NAME | resume NAME | remove NAME | run NAME [--now | --queue]
                         manage the scheduled jobs (supaops-mcp jobs help)
  supaops-mcp sandbox [--addr 127.0.0.1:54321] [--budget N]
  supaops-mcp probe URL   GET a health URL, fail unless 200 (the container's HEALTHCHECK)
  supaops-mcp version

Every call is checked against the policy (--policy, SUPAOPS_POLICY, or the
shipped default: reads allowed, writes confirmed, destructive actions denied)
and recorded in the audit log in the store (--store, SUPAOPS_STORE, or
~/.local/state/supaops/supaops.db).

The access token comes from SUPABASE_ACCESS_TOKEN, or from the file named by
SUPABASE_ACCESS_TOKEN_FILE; never from a flag. --sandbox needs no token: it
calls an in-process simulation of the Management API.

Requests to the API keep to the rate limit it advertises (X-RateLimit-Limit),
from the documented 120 per minute. --rate-limit N, or SUPAOPS_RATE_LIMIT=N,
caps it at N per minute, for accounts with a lower limit or to leave room for
other clients of the token; the flag wins.
`

// usageError is a mistake in how the command was called (exit status 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// run is the whole program; main only supplies the process's environment.
// stdin is taken for the MCP stdio transport.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	// No command, or flags only: serve MCP (what an MCP client starts).
	if len(args) == 0 || strings.HasPrefix(args[0], "-") && args[0] != "-h" && args[0] != "--help" && args[0] != "--version" {
		return runServe(ctx, args, getenv, stdin, stdout, stderr)
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return runServe(ctx, rest, getenv, stdin, stdout, stderr)
	case "actions":
		return runActions(rest, stdout)
	case "call":
		return runCall(ctx, rest, getenv, stdin, stdout, stderr)
	case "sandbox":
		return runSandbox(ctx, rest, getenv, stdout, stderr)
	case "policy":
		return runPolicy(ctx, rest, getenv, stdout, stderr)
	case "approvals":
		return runApprovals(ctx, rest, getenv, stdout, stderr)
	case "audit":
		return runAudit(ctx, rest, getenv, stdout, stderr)
	case "jobs":
		return runJobs(ctx, rest, getenv, stdin, stdout, stderr)
	case "probe":
		return runProbe(ctx, rest, stdout)
	case "version", "--version":
		fmt.Fprintf(stdout, "supaops-mcp %s (commit %s)\n", version, commit)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usageText)
		return nil
	default:
		return usagef("unknown command %q (commands: serve, actions, call, policy, approvals, audit, jobs, sandbox, probe, version)", cmd)
	}
}

// splitArgs separates flags from positional arguments so flags may come after
// them (`call project_get ref=... --sandbox`). valueFlags names the flags that
// take a value.
func splitArgs(args []string, valueFlags map[string]bool) (flags, positional []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			positional = append(positional, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			positional = append(positional, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if valueFlags[name] && !strings.Contains(name, "=") && i+1 < len(args) {
			flags = append(flags, args[i+1])
			i++
		}
	}
	return flags, positional
}
