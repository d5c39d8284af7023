package authz

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/supaops/supaops/internal/audit"
	"github.com/supaops/supaops/internal/consent"
	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/policy"
	"github.com/supaops/supaops/internal/store"
	"github.com/supaops/supaops/internal/tools"
)

const testPolicy = `version: 1
defaults: {read: allow, write: confirm, destructive: deny}
rules:
  - name: leads-approve-pause
    effect: approve
    actions: [project_pause]
    approvers: ["slack:user:ULEAD"]
  - name: acme-is-read-only
    effect: deny
    actions: ["risk:write"]
    projects: ["org:acme"]
`

type fixture struct {
	reg      *tools.Registry
	authz    *Authorizer
	consent  *consent.Manager
	audit    *audit.Log
	policy   *policy.Policy
	requests []consent.Approval // told to OnApprovalRequest
}

// orgs is what the resolver would find: the organization of each project.
var orgs = map[string]string{"acmeacmeacmeacmeacme": "acme"}

func newFixture(t *testing.T, src string) *fixture {
	t.Helper()
	reg, err := tools.Load()
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{reg: reg}
	f.policy = mustPolicy(t, reg, src)
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "s.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f.audit = audit.New(st, nil)
	f.consent = consent.New(st, nil, VoteRecorder(f.audit))
	f.authz, err = New(Config{
		Policy: func() *policy.Policy { return f.policy }, Consent: f.consent, Actions: reg.Find, Audit: f.audit,
		OnApprovalRequest: func(_ context.Context, a consent.Approval) { f.requests = append(f.requests, a) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func mustPolicy(t *testing.T, reg *tools.Registry, src string) *policy.Policy {
	t.Helper()
	actions := reg.Actions()
	opts := policy.LoadOptions{}
	for _, a := range actions {
		opts.Actions = append(opts.Actions, &a.Action)
	}
	p, err := policy.Parse("test.yaml", []byte(src), opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (f *fixture) call(t *testing.T, principal, name string, args map[string]any, token string) pipeline.Call {
	t.Helper()
	a, err := f.reg.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	norm, err := tools.Normalize(args)
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := norm["ref"].(string)
	return pipeline.Call{Action: a, Args: norm, Principal: principal, Surface: "mcp", Project: ref, Organization: orgs[ref], Confirmation: token}
}

const ref = "abcdefghijklmnopqrst"

func TestAllowDenyAndOrganizations(t *testing.T) {
	f := newFixture(t, testPolicy)
	ctx := context.Background()
	tests := []struct {
		name       string
		action     string
		args       map[string]any
		wantEffect pipeline.Effect
		wantRule   string
	}{
		{"read", "project_get", map[string]any{"ref": ref}, pipeline.Allow, "default:read"},
		{"destructive", "project_delete", map[string]any{"ref": ref}, pipeline.Deny, "default:destructive"},
		{"org resolved from the project", "project_update", map[string]any{"ref": "acmeacmeacmeacmeacme", "name": "x"}, pipeline.Deny, "acme-is-read-only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := f.authz.Authorize(ctx, f.call(t, "mcp:local", tt.action, tt.args, ""))
			if err != nil {
				t.Fatal(err)
			}
			if d.Effect != tt.wantEffect || d.Rule != tt.wantRule {
				t.Errorf("got %s by %s, want %s by %s", d.Effect, d.Rule, tt.wantEffect, tt.wantRule)
			}
		})
	}
}

func TestConfirmation(t *testing.T) {
	f := newFixture(t, testPolicy)
	ctx := context.Background()
	args := map[string]any{"ref": ref, "name": "renamed"}
	d, err := f.authz.Authorize(ctx, f.call(t, "mcp:local", "project_update", args, ""))
	if err != nil || d.Effect != pipeline.Confirm || d.Token == "" {
		t.Fatalf("want confirm with a token, got %+v %v", d, err)
	}
	token := d.Token
	refusals := []struct {
		name      string
		principal string
		args      map[string]any
		want      string
	}{
		{"other arguments", "mcp:local", map[string]any{"ref": ref, "name": "other"}, "arguments differ"},
		{"other principal", "mcp:token:ci", args, "another principal"},
		{"forged", "mcp:local", args, "forged"},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			tok := token
			if tt.name == "forged" {
				tok = token[:len(token)-2] + "xx"
			}
			d, err := f.authz.Authorize(ctx, f.call(t, tt.principal, "project_update", tt.args, tok))
			if err != nil {
				t.Fatal(err)
			}
			if d.Effect != pipeline.Confirm || !strings.Contains(d.Reason, tt.want) || d.Token == "" || d.Token == tok {
				t.Errorf("want a refusal naming %q and a fresh token, got %+v", tt.want, d)
			}
		})
	}
	d, err = f.authz.Authorize(ctx, f.call(t, "mcp:local", "project_update", args, token))
	if err != nil || d.Effect != pipeline.Allow || !strings.Contains(d.Reason, "confirmed") {
		t.Fatalf("a valid token allows the call: %+v %v", d, err)
	}
	d, _ = f.authz.Authorize(ctx, f.call(t, "mcp:local", "project_update", args, token))
	if d.Effect != pipeline.Confirm || !strings.Contains(d.Reason, "already used") {
		t.Errorf("a replay must be refused: %+v", d)
	}
}

func TestApproval(t *testing.T) {
	f := newFixture(t, testPolicy)
	ctx := context.Background()
	args := map[string]any{"ref": ref}
	d, err := f.authz.Authorize(ctx, f.call(t, "slack:user:UDEV", "project_pause", args, ""))
	if err != nil || d.Effect != pipeline.Approve || d.Token == "" {
		t.Fatalf("want an approval request, got %+v %v", d, err)
	}
	token := d.Token
	list, err := f.consent.List(ctx, consent.Filter{Status: consent.Pending})
	if err != nil || len(list) != 1 {
		t.Fatalf("pending approvals %v %v", list, err)
	}
	id := list[0].ID
	if d.ApprovalID != id {
		t.Errorf("decision names approval %q, the store holds %q", d.ApprovalID, id)
	}

	d, _ = f.authz.Authorize(ctx, f.call(t, "slack:user:UDEV", "project_pause", args, token))
	if d.Effect != pipeline.Approve || !strings.Contains(d.Reason, "still waiting") {
		t.Errorf("a pending approval holds the call: %+v", d)
	}
	if _, err := f.authz.Approve(ctx, id, "slack:user:UOTHER", nil, "cli"); !errors.Is(err, consent.ErrNotApprover) {
		t.Errorf("a non-approver: %v", err)
	}
	if _, err := f.authz.Approve(ctx, id, "slack:user:ULEAD", nil, "cli"); err != nil {
		t.Fatal(err)
	}
	d, err = f.authz.Authorize(ctx, f.call(t, "slack:user:UDEV", "project_pause", args, token))
	if err != nil || d.Effect != pipeline.Allow || !strings.Contains(d.Reason, "slack:user:ULEAD") {
		t.Fatalf("an approved call goes ahead once, naming its approver: %+v %v", d, err)
	}
}

func TestApprovalRechecksThePolicy(t *testing.T) {
	f := newFixture(t, testPolicy)
	ctx := context.Background()
	if _, err := f.authz.Authorize(ctx, f.call(t, "slack:user:UDEV", "project_pause", map[string]any{"ref": ref}, "")); err != nil {
		t.Fatal(err)
	}
	list, _ := f.consent.List(ctx, consent.Filter{Status: consent.Pending})
	// The operators tighten the policy before anyone approves.
	f.policy = mustPolicy(t, f.reg, "version: 1\ndefaults: {read: allow, write: confirm, destructive: deny}\n")
	if _, err := f.authz.Approve(ctx, list[0].ID, "slack:user:ULEAD", nil, "cli"); !errors.Is(err, ErrPolicyChanged) {
		t.Errorf("want ErrPolicyChanged, got %v", err)
	}
}

// An approval is checked again in the requester's context: a rule that
// matched through a Slack group or the project's organization must still
// match when the approver answers.
func TestApprovalRecheckKeepsTheRequestersContext(t *testing.T) {
	f := newFixture(t, `version: 1
defaults: {read: allow, write: confirm, destructive: deny}
rules:
  - name: devs-need-a-lead-in-acme
    effect: approve
    actions: [project_pause]
    principals: ["slack:usergroup:SDEV"]
    projects: ["org:acme"]
    approvers: ["slack:user:ULEAD"]
`)
	ctx := context.Background()
	call := f.call(t, "slack:user:UDEV", "project_pause", map[string]any{"ref": "acmeacmeacmeacmeacme"}, "")
	call.Identities = []string{"slack:usergroup:SDEV"}
	d, err := f.authz.Authorize(ctx, call)
	if err != nil || d.Effect != pipeline.Approve {
		t.Fatalf("want an approval request, got %+v %v", d, err)
	}
	if _, err := f.authz.Approve(ctx, d.ApprovalID, "slack:user:ULEAD", nil, "slack"); err != nil {
		t.Fatalf("the same call must still need this approval: %v", err)
	}
}

// Every vote is in the audit log: counted votes in the transaction that
// counts them, refused ones after.
func TestVotesAreAudited(t *testing.T) {
	f := newFixture(t, testPolicy)
	ctx := context.Background()
	d, err := f.authz.Authorize(ctx, f.call(t, "slack:user:UDEV", "project_pause", map[string]any{"ref": ref}, ""))
	if err != nil || d.Effect != pipeline.Approve {
		t.Fatalf("%+v %v", d, err)
	}
	if len(f.requests) != 1 || f.requests[0].ID != d.ApprovalID {
		t.Errorf("the approval hook was told %+v", f.requests)
	}
	if _, err := f.authz.Approve(ctx, d.ApprovalID, "slack:user:UOTHER", nil, "slack"); err == nil {
		t.Fatal("a non-approver was counted")
	}
	if _, err := f.authz.Approve(ctx, d.ApprovalID, "slack:user:ULEAD", []string{"slack:usergroup:SLEADS"}, "slack"); err != nil {
		t.Fatal(err)
	}
	entries, err := f.audit.Query(ctx, audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Fatalf("%d entries, want the refused vote and the counted one", len(entries))
	}
	counted, refused := entries[0].Record, entries[1].Record
	if counted.Event != pipeline.EventApprove || counted.Principal != "slack:user:ULEAD" || counted.Decision.ApprovalID != d.ApprovalID ||
		counted.Action != "project_pause" || counted.Surface != "slack" || counted.Error != "" || !strings.Contains(counted.Decision.Reason, "1 of 1") {
		t.Errorf("counted vote recorded as %+v", counted)
	}
	if refused.Event != pipeline.EventApprove || refused.Principal != "slack:user:UOTHER" || !strings.Contains(refused.Error, "not an approver") {
		t.Errorf("refused vote recorded as %+v", refused)
	}
}

// Nobody is asked to consent to what cannot be shown.
func TestConsentToWhatCannotBeShownIsRefused(t *testing.T) {
	f := newFixture(t, testPolicy)
	huge := strings.Repeat("select 1;\n", consent.MaxShown/8)
	a, err := f.reg.Lookup("migration_upsert")
	if err != nil {
		t.Fatal(err)
	}
	call := pipeline.Call{Action: a, Args: map[string]any{"ref": ref, "query": huge}, Principal: "mcp:local", Project: ref}
	d, err := f.authz.Authorize(context.Background(), call)
	if err != nil {
		t.Fatal(err)
	}
	if d.Effect != pipeline.Deny || d.Rule != RuleTooLargeToShow || d.Token != "" || !strings.Contains(d.Reason, "shown whole") {
		t.Errorf("got %+v", d)
	}
}

// "mcp:local " is mcp:local: it cannot approve mcp:local's request, nor
// count as a second approver.
func TestApproverSpellingsAreOneIdentity(t *testing.T) {
	f := newFixture(t, `version: 1
defaults: {read: allow, write: confirm, destructive: deny}
rules:
  - name: two-approvers
    effect: approve
    actions: [project_pause]
    approvals: 2
    approvers: ["*"]
`)
	ctx := context.Background()
	d, err := f.authz.Authorize(ctx, f.call(t, "mcp:local", "project_pause", map[string]any{"ref": ref}, ""))
	if err != nil || d.Effect != pipeline.Approve {
		t.Fatalf("%+v %v", d, err)
	}
	for _, self := range []string{"mcp:local ", " MCP:LOCAL", "mcp:local\t"} {
		if _, err := f.authz.Approve(ctx, d.ApprovalID, self, nil, "cli"); !errors.Is(err, consent.ErrSelfApproval) {
			t.Errorf("%q approving their own request: %v", self, err)
		}
	}
	if _, err := f.authz.Approve(ctx, d.ApprovalID, "slack:user:U0LEAD", nil, "slack"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.authz.Approve(ctx, d.ApprovalID, "slack:user:u0lead", nil, "slack"); !errors.Is(err, consent.ErrAlreadyApproved) {
		t.Errorf("another spelling of the same approver voted again: %v", err)
	}
	if _, err := f.authz.Approve(ctx, d.ApprovalID, "nobody", nil, "cli"); err == nil || !strings.Contains(err.Error(), "mcp:local") {
		t.Errorf("an invalid approver must be refused with the allowed forms: %v", err)
	}
}
