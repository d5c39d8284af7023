package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/supaops/supaops/internal/app"
	"github.com/supaops/supaops/internal/audit"
)

// runAudit shows, verifies and prunes the audit log.
func runAudit(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	sub := "list"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	since := fs.String("since", "", "only entries newer than this (e.g. 1h, 7d)")
	principal := fs.String("principal", "", "only this principal")
	actionName := fs.String("action", "", "only this action")
	project := fs.String("project", "", "only this project ref")
	format := fs.String("format", "table", "table or json")
	limit := fs.Int("limit", 100, "at most this many entries, newest first")
	maxAge := fs.String("max-age", "", "prune: remove entries older than this (e.g. 90d)")
	maxCount := fs.Int("max-count", 0, "prune: keep at most this many entries")
	var f stackFlags
	fs.StringVar(&f.store, "store", "", "store file (default: SUPAOPS_STORE, else ~/.local/state/supaops/supaops.db)")
	flags, positional := splitArgs(args, map[string]bool{
		"since": true, "principal": true, "action": true, "project": true, "format": true,
		"limit": true, "max-age": true, "max-count": true, "store": true,
	})
	if err := fs.Parse(flags); err != nil {
		return usagef("audit: %v", err)
	}
	if len(positional) > 0 {
		return usagef("audit: unexpected argument %q", positional[0])
	}
	if *format != "table" && *format != "json" {
		return usagef("audit: unknown format %q (table, json)", *format)
	}
	if *limit <= 0 || *maxCount < 0 {
		return usagef("audit: --limit must be positive and --max-count not negative")
	}
	a, _, err := open(ctx, f, app.Options{}, true, getenv, stderr)
	if err != nil {
		return err
	}
	switch sub {
	case "list":
		filter := audit.Filter{Principal: *principal, Action: *actionName, Project: *project, Limit: *limit}
		if *since != "" {
			age, err := parseAge(*since)
			if err != nil {
				return usagef("audit --since: %v", err)
			}
			filter.Since = time.Now().Add(-age)
		}
		entries, err := a.Audit.Query(ctx, filter)
		if err != nil {
			return err
		}
		return writeAudit(stdout, entries, *format)
	case "verify":
		report, err := a.Audit.Verify(ctx)
		if err != nil {
			return err
		}
		if *format == "json" {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			if err := enc.Encode(report); err != nil {
				return err
			}
		} else {
			fmt.Fprintf(stdout, "checked %d entries (%d..%d)\n", report.Checked, report.First, report.Last)
			for _, p := range report.Problems {
				fmt.Fprintln(stdout, p)
			}
			if n := len(report.Unfinished); n > 0 {
				fmt.Fprintf(stdout, "%d call(s) were recorded as sent but have no outcome; check their effect by hand:\n", n)
				for _, u := range report.Unfinished {
					fmt.Fprintln(stdout, " ", u)
				}
			}
		}
		if !report.OK() {
			return fmt.Errorf("the audit log has %d problem(s): it was changed outside supaops", len(report.Problems))
		}
		fmt.Fprintln(stdout, "the chain is intact")
		return nil
	case "prune":
		var r audit.Retention
		if *maxAge != "" {
			if r.MaxAge, err = parseAge(*maxAge); err != nil {
				return usagef("audit prune --max-age: %v", err)
			}
		}
		r.MaxCount = *maxCount
		if r.MaxAge == 0 && r.MaxCount == 0 {
			return usagef("audit prune: say --max-age, --max-count or both")
		}
		n, err := a.Audit.Prune(ctx, r)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "removed %d entries\n", n)
		return nil
	default:
		return usagef("audit: unknown subcommand %q (list, verify, prune)", sub)
	}
}

// parseAge reads a Go duration, or a number of days as "7d".
func parseAge(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%q: want a duration like 90m, 12h or 7d", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q: want a duration like 90m, 12h or 7d", s)
	}
	return d, nil
}

func writeAudit(w io.Writer, entries []audit.Entry, format string) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(entries)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tTIME\tPRINCIPAL\tACTION\tPROJECT\tDECISION\tRULE\tSTATUS\tERROR")
	for _, e := range entries {
		r := e.Record
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", e.Seq, r.Time.Local().Format(time.DateTime), r.Principal,
			r.Action, r.Project, r.Decision.Effect, r.Decision.Rule, r.Status, truncate(r.Error, 60))
	}
	return tw.Flush()
}
