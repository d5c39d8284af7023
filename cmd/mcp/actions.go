package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/supaops/supaops/internal/composite"

	"github.com/supaops/supaops/internal/action"
	"github.com/supaops/supaops/internal/tools"
)

func runActions(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("actions", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	format := fs.String("format", "table", "table, tsv or json")
	toolset := fs.String("toolset", "", "only this toolset")
	risk := fs.String("risk", "", "only this risk class")
	if err := fs.Parse(args); err != nil {
		return usagef("actions: %v", err)
	}
	if fs.NArg() > 0 {
		return usagef("actions: unexpected argument %q", fs.Arg(0))
	}
	reg, err := composite.Load()
	if err != nil {
		return err
	}
	if *toolset != "" && !contains(reg.Toolsets(), *toolset) {
		return usagef("actions: unknown toolset %q (toolsets: %s)", *toolset, strings.Join(reg.Toolsets(), ", "))
	}
	if *risk != "" {
		if _, err := action.ParseRisk(*risk); err != nil {
			return usagef("actions: --risk: %v", err)
		}
	}
	var list []*tools.Action
	for _, a := range reg.Actions() {
		if (*toolset == "" || a.Toolset == *toolset) && (*risk == "" || string(a.Risk) == *risk) {
			list = append(list, a)
		}
	}
	switch *format {
	case "table":
		return writeTable(stdout, list)
	case "tsv":
		return writeTSV(stdout, list)
	case "json":
		return writeJSON(stdout, list)
	default:
		return usagef("actions: unknown format %q (formats: table, tsv, json)", *format)
	}
}

func writeTable(w io.Writer, list []*tools.Action) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tTOOLSET\tRISK\tMETHOD\tPATH\tSUMMARY")
	for _, a := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", a.Name, a.Toolset, a.Risk, a.Method, a.Path, truncate(a.Summary, 70))
	}
	return tw.Flush()
}

func writeTSV(w io.Writer, list []*tools.Action) error {
	if _, err := fmt.Fprintln(w, "method\tpath\tname\ttoolset\trisk"); err != nil {
		return err
	}
	for _, a := range list {
		if a.Composite() {
			continue // the TSV maps endpoints to actions; a composite has none of its own
		}
		if _, err := fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", a.Method, a.Path, a.Name, a.Toolset, a.Risk); err != nil {
			return err
		}
	}
	return nil
}

// actionJSON is the listing's JSON shape: everything a client needs to call an action.
type actionJSON struct {
	Name        string          `json:"name"`
	Toolset     string          `json:"toolset"`
	Risk        action.Risk     `json:"risk"`
	Method      string          `json:"method"`
	Path        string          `json:"path"`
	Summary     string          `json:"summary"`
	Scope       string          `json:"scope,omitempty"`
	Permissions [][]string      `json:"permissions,omitempty"`
	Secrets     []string        `json:"secrets,omitempty"`
	Poll        *action.Poll    `json:"poll,omitempty"`
	Deprecated  bool            `json:"deprecated,omitempty"`
	Beta        bool            `json:"beta,omitempty"`
	Internal    bool            `json:"internal,omitempty"`
	InputSchema json.RawMessage `json:"input_schema"`
}

func writeJSON(w io.Writer, list []*tools.Action) error {
	out := make([]actionJSON, 0, len(list))
	for _, a := range list {
		out = append(out, actionJSON{
			Name: a.Name, Toolset: a.Toolset, Risk: a.Risk, Method: a.Method, Path: a.Path,
			Summary: a.Summary, Scope: a.Scope, Permissions: a.Permissions, Secrets: a.Secrets,
			Poll: a.Poll, Deprecated: a.Deprecated, Beta: a.Beta, Internal: a.Internal,
			InputSchema: a.InputSchema,
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.TrimSpace(s[:n-1]) + "…"
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
