package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/supaops/supaops/internal/app"
	"github.com/supaops/supaops/internal/consent"
	"github.com/supaops/supaops/internal/principal"
)

// runApprovals lets the operator's shell list, approve and deny pending
// approval requests. Approving needs --as: the identity the approver speaks
// as, which the policy's approvers must match. (Whoever can write the store
// file is trusted anyway: it holds the signing key.)
func runApprovals(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	sub := "list"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("approvals", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	status := fs.String("status", "pending", "list: pending, approved, denied, used, expired or all")
	format := fs.String("format", "table", "list: table or json")
	as := fs.String("as", "", "approve/deny: the approver's identity, e.g. slack:user:U123")
	reason := fs.String("reason", "", "deny: why")
	var f stackFlags
	fs.StringVar(&f.store, "store", "", "store file (default: SUPAOPS_STORE, else ~/.local/state/supaops/supaops.db)")
	fs.StringVar(&f.policy, "policy", "", "policy file (default: SUPAOPS_POLICY, else the shipped default)")
	var identities stringList
	fs.Var(&identities, "identity", "a further identity of the approver (repeatable), e.g. slack:usergroup:S1")
	flags, positional := splitArgs(args, map[string]bool{"status": true, "format": true, "as": true, "reason": true, "store": true, "policy": true, "identity": true})
	if err := fs.Parse(flags); err != nil {
		return usagef("approvals: %v", err)
	}
	if len(positional) > 0 && sub == "list" {
		return usagef("approvals list: unexpected argument %q", positional[0])
	}
	filter := consent.Filter{}
	if *status != "all" {
		st, err := consent.ParseStatus(*status)
		if err != nil {
			return usagef("approvals --status: %v, or all", err)
		}
		filter.Status = st
	}
	if *format != "table" && *format != "json" {
		return usagef("approvals: unknown format %q (table, json)", *format)
	}
	// Who votes, canonical: one identity, one spelling, one vote.
	var approver string
	var ids []string
	if sub == "approve" || sub == "deny" {
		if *as == "" {
			return usagef("approvals %s: --as is required: the identity you approve as, e.g. slack:user:U123", sub)
		}
		var err error
		if approver, err = principal.Parse(*as); err != nil {
			return usagef("approvals %s --as: %v", sub, err)
		}
		for _, id := range identities {
			c, err := principal.Parse(id)
			if err != nil {
				return usagef("approvals %s --identity: %v", sub, err)
			}
			ids = append(ids, c)
		}
	}
	a, _, err := open(ctx, f, app.Options{}, true, getenv, stderr)
	if err != nil {
		return err
	}
	switch sub {
	case "list":
		list, err := a.Consent.List(ctx, filter)
		if err != nil {
			return err
		}
		return writeApprovals(stdout, list, *format)
	case "approve", "deny":
		if len(positional) != 1 {
			return usagef("approvals %s: which request? (approvals %s ID --as PRINCIPAL)", sub, sub)
		}
		var req consent.Approval
		if sub == "approve" {
			req, err = a.Authz.Approve(ctx, positional[0], approver, ids, principal.SurfaceCLI)
		} else {
			req, err = a.Authz.Deny(ctx, positional[0], approver, ids, principal.SurfaceCLI, *reason)
		}
		if err != nil {
			return fmt.Errorf("approvals %s %s: %w", sub, positional[0], err)
		}
		fmt.Fprintf(stdout, "%s: %s (%d of %d approvals)\n", req.ID, req.Status, len(req.Votes), req.Needed)
		return nil
	default:
		return usagef("approvals: unknown subcommand %q (list, approve, deny)", sub)
	}
}

func writeApprovals(w io.Writer, list []consent.Approval, format string) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(list)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tREQUESTED BY\tACTION\tPROJECT\tVOTES\tEXPIRES")
	for _, a := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d/%d\t%s\n", a.ID, a.Status, a.Binding.Principal, a.Binding.Action,
			a.Binding.Project, len(a.Votes), a.Needed, a.ExpiresAt.Local().Format(time.DateTime))
	}
	return tw.Flush()
}
