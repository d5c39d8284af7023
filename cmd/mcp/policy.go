package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/supaops/supaops/internal/composite"

	"github.com/supaops/supaops/internal/app"
	"github.com/supaops/supaops/internal/outcome"
	"github.com/supaops/supaops/internal/policy"
	"github.com/supaops/supaops/internal/principal"
	"github.com/supaops/supaops/internal/sqlkind"
	"github.com/supaops/supaops/internal/textargs"
	"github.com/supaops/supaops/internal/tools"
)

// runPolicy: `policy explain` shows a decision and the rule behind it;
// `policy check` validates policy files.
func runPolicy(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("policy: explain or check?")
	}
	switch args[0] {
	case "explain":
		return runPolicyExplain(ctx, args[1:], getenv, stdout, stderr)
	case "check":
		return runPolicyCheck(args[1:], stdout)
	default:
		return usagef("policy: unknown subcommand %q (explain, check)", args[0])
	}
}

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func runPolicyExplain(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("policy explain", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	who := fs.String("principal", "", "who calls, e.g. slack:user:U123, mcp:token:ci, job:nightly-backup")
	actionName := fs.String("action", "", "the action, e.g. project_pause")
	project := fs.String("project", "", "project ref")
	org := fs.String("org", "", "the project's organization slug")
	surface := fs.String("surface", "", "mcp, slack, job or cli (default: from the principal)")
	format := fs.String("format", "text", "text or json")
	var f stackFlags
	fs.StringVar(&f.policy, "policy", "", "policy file (default: SUPAOPS_POLICY, else the shipped default)")
	branch := fs.String("branch", "", "the branch the call is about (its id or own ref), when it names one")
	var identities stringList
	fs.Var(&identities, "identity", "a further identity of the caller (repeatable), e.g. slack:usergroup:S1")
	flags, positional := splitArgs(args, map[string]bool{
		"principal": true, "action": true, "project": true, "org": true, "surface": true,
		"format": true, "policy": true, "identity": true,
	})
	if err := fs.Parse(flags); err != nil {
		return usagef("policy explain: %v", err)
	}
	if *who == "" || *actionName == "" {
		return usagef("policy explain: --principal and --action are required")
	}
	if *format != "text" && *format != "json" {
		return usagef("policy explain: unknown format %q (text, json)", *format)
	}
	caller, err := principal.Parse(*who)
	if err != nil {
		return usagef("policy explain --principal: %v", err)
	}
	var ids []string
	for _, id := range identities {
		c, err := principal.Parse(id)
		if err != nil {
			return usagef("policy explain --identity: %v", err)
		}
		ids = append(ids, c)
	}
	if *surface == "" {
		*surface = principal.Surface(caller)
	}
	a, _, err := open(ctx, f, app.Options{}, false, getenv, stderr)
	if err != nil {
		return err
	}
	act, err := a.Registry.Lookup(*actionName)
	if err != nil {
		return cliError(outcome.Of(nil, err))
	}
	callArgs, err := textargs.Parse(act, positional, "")
	if err != nil {
		return cliError(outcome.Of(nil, err).Describe(act))
	}
	if callArgs, err = tools.Normalize(callArgs); err != nil {
		return err
	}
	if *project == "" && act.Target != nil {
		*project, _ = callArgs[act.Target.Project].(string)
	}
	var sql *sqlkind.Summary
	if len(act.SQL) > 0 {
		sum, err := sqlkind.Summarize(ctx, callArgs, act.SQL)
		if err != nil {
			return fmt.Errorf("policy explain: the call would be refused before any rule is asked: %w", err)
		}
		sql = &sum
	}
	ex := a.Policy().Explain(ctx, policy.Input{
		Principal: caller, Identities: ids, Surface: *surface, Action: &act.Action,
		Args: callArgs, Project: *project, Branch: *branch, Organization: *org, SQL: sql,
	})
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(ex)
	}
	_, err = fmt.Fprintln(stdout, ex.String())
	return err
}

func runPolicyCheck(args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usagef("policy check: which file?")
	}
	reg, err := composite.Load()
	if err != nil {
		return err
	}
	opts := policy.LoadOptions{Actions: app.Descriptors(reg)}
	failed := 0
	for _, file := range args {
		if _, err := policy.LoadFile(file, opts); err != nil {
			failed++
			fmt.Fprintln(stdout, err)
			continue
		}
		fmt.Fprintf(stdout, "%s: ok\n", file)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d policy files refused", failed, len(args))
	}
	return nil
}
