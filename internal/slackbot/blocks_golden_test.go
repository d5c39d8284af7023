package slackbot

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/slack-go/slack"

	"github.com/supaops/supaops/internal/action"
	"github.com/supaops/supaops/internal/client"
	"github.com/supaops/supaops/internal/consent"
	"github.com/supaops/supaops/internal/outcome"
	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/tools"
)

// The flag has its own name: other files of the package may define -update.
var updateBlocks = flag.Bool("update-blocks", false, "rewrite testdata/blocks/*.json")

// Representative messages as Slack receives them. Review a change to one
// in Block Kit Builder before updating it (go test -run TestGolden
// -update-blocks).
func TestGolden(t *testing.T) {
	help, err := HelpBlocks("/supa", "")
	if err != nil {
		t.Fatal(err)
	}
	shown := mustShow(t, map[string]any{"ref": "abcdefghijklmnopqrst", "query": "drop table audit_log;"})
	shown[0].Note = "1 statement(s): DROP; writes"
	for name, blocks := range map[string][]slack.Block{
		"projects_list": resultOf(t, lookup(t, "projects_list"), projects(t, 3, "prod")),
		"project_get":   resultOf(t, lookup(t, "project_get"), projects(t, 1, "prod").([]any)[0]),
		"denied": OutcomeBlocks(outcome.Of(nil, &pipeline.NotAllowedError{Action: "project_delete", Risk: action.Destructive,
			Decision: pipeline.Decision{Effect: pipeline.Deny, Rule: "no-deletes", Reason: "production is protected"}}), nil, "/supa"),
		"invalid": OutcomeBlocks(outcome.Of(nil, &tools.InputError{Action: "branch_create",
			Problems: []tools.FieldProblem{{Field: "branch_name", Problem: "required"}, {Field: "colour", Problem: "unknown argument"}},
			Valid:    []string{"ref", "branch_name", "region"}}), lookup(t, "branch_create"), "/supa"),
		"api_error":        OutcomeBlocks(outcome.Of(nil, &client.APIError{Status: 503, Message: "upstream unavailable", RequestID: "req-42"}), lookup(t, "project_pause"), "/supa"),
		"confirm":          ConfirmBlocks(challenge(action.Destructive, shown), "pend-7"),
		"approval_request": ApprovalRequestBlocks(approval(consent.Pending, 1), shown, action.Destructive),
		"approval_denied":  ApprovalStatusBlocks(approval(consent.Denied, 1), shown, action.Destructive),
		"approval_waiting": ApprovalWaitingBlocks(challenge(action.Destructive, shown), "C0OPS"),
		"help":             help,
		"describe":         DescribeBlocks("/supa", lookup(t, "project_delete"), true, map[string]any{}),
		"search":           SearchBlocks("/supa", "things", searchResult(2)),
		"approvals_list":   ApprovalsListBlocks([]consent.Approval{approval(consent.Pending, 1), approval(consent.Used, 2)}),
		"audit":            AuditBlocks(auditEntries(2, "")),
		"progress":         ProgressBlocks("project_restore", "RESTORING", false, false, 95e9, "Follow it with project_get."),
	} {
		t.Run(name, func(t *testing.T) {
			assertFits(t, blocks)
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false) // readable: the text is what Slack gets
			enc.SetIndent("", "  ")
			if err := enc.Encode(slack.Blocks{BlockSet: blocks}); err != nil {
				t.Fatal(err)
			}
			got := buf.Bytes()
			path := filepath.Join("testdata", "blocks", name+".json")
			if *updateBlocks {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update-blocks to create it)", err)
			}
			if string(got) != string(want) {
				t.Errorf("%s differs from %s (run with -update-blocks after review):\n%s", name, path, got)
			}
		})
	}
}
