package composite_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/supaops/supaops/internal/app"
	"github.com/supaops/supaops/internal/app/apptest"
	"github.com/supaops/supaops/internal/audit"
	"github.com/supaops/supaops/internal/composite"
	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/scope"
	"github.com/supaops/supaops/internal/sqlkind"
)

const ref = "sandboxprodxxxxxxxxx"

func call(t *testing.T, a *app.App, req pipeline.Request) (*pipeline.Result, error) {
	t.Helper()
	if req.Principal == "" {
		req.Principal = "mcp:local"
	}
	if req.Surface == "" {
		req.Surface = "mcp"
	}
	return a.Pipeline.Call(context.Background(), req)
}

// decode turns a result into out through JSON.
func decode(t *testing.T, v any, out any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("%v in %s", err, b)
	}
}

// inner lists the audit records of calls a composite made, oldest first.
func inner(t *testing.T, a *app.App, composite string) []pipeline.Record {
	t.Helper()
	entries, err := a.Audit.Query(context.Background(), audit.Filter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var out []pipeline.Record
	for _, e := range slices.Backward(entries) {
		if e.Record.Via == composite && e.Record.Event != pipeline.EventIntent {
			out = append(out, e.Record)
		}
	}
	return out
}

// TestCompositesAgainstTheSandbox runs every composite through the whole
// stack on the sandbox: its answer, and each inner call in the audit log
// as a call of its own, decided by the policy, made as the caller.
func TestCompositesAgainstTheSandbox(t *testing.T) {
	cases := []struct {
		name  string
		args  map[string]any
		calls []string
		check func(t *testing.T, data any)
	}{
		{"tables_list", map[string]any{"ref": ref}, []string{"database_query_read_only"}, func(t *testing.T, data any) {
			var got struct {
				Tables   []composite.Table `json:"tables"`
				Advisory string            `json:"advisory"`
			}
			decode(t, data, &got)
			var names []string
			for _, tb := range got.Tables {
				names = append(names, tb.Schema+"."+tb.Name)
				if tb.Columns != nil || tb.ForeignKeys != nil {
					t.Errorf("%s: columns without verbose", tb.Name)
				}
			}
			if !slices.Equal(names, []string{"public.orders", "public.profiles", "public.todos"}) {
				t.Errorf("tables %v", names)
			}
			if !strings.Contains(got.Advisory, "1 table(s)") {
				t.Errorf("advisory %q", got.Advisory)
			}
		}},
		{"tables_list", map[string]any{"ref": ref, "schemas": []any{"auth"}, "verbose": true}, []string{"database_query_read_only"}, func(t *testing.T, data any) {
			var got struct{ Tables []composite.Table }
			decode(t, data, &got)
			if len(got.Tables) != 1 || got.Tables[0].Name != "users" || len(got.Tables[0].Columns) == 0 {
				t.Errorf("auth tables, verbose: %+v", got.Tables)
			}
		}},
		{"extensions_list", map[string]any{"ref": ref, "installed": true}, []string{"database_query_read_only"}, func(t *testing.T, data any) {
			var got struct{ Extensions []composite.Extension }
			decode(t, data, &got)
			for _, e := range got.Extensions {
				if e.InstalledVersion == nil {
					t.Errorf("%s is not installed", e.Name)
				}
			}
			if len(got.Extensions) == 0 {
				t.Error("no extensions")
			}
		}},
		{"rls_check", map[string]any{"ref": ref}, []string{"postgrest_config_get", "database_query_read_only"}, func(t *testing.T, data any) {
			var got struct{ Findings []composite.RLSFinding }
			decode(t, data, &got)
			problems := map[string]string{}
			for _, f := range got.Findings {
				problems[f.Schema+"."+f.Name] = f.Problem
			}
			want := map[string]string{"public.orders": "rls_disabled", "public.profiles": "open_policy"}
			if len(problems) != len(want) || problems["public.orders"] != want["public.orders"] || problems["public.profiles"] != want["public.profiles"] {
				t.Errorf("findings %v, want %v", problems, want)
			}
		}},
		{"database_health", map[string]any{"ref": ref, "top": 2}, []string{"database_query_read_only", "database_query_read_only"}, func(t *testing.T, data any) {
			var got composite.Health
			decode(t, data, &got)
			if got.MaxConnections == 0 || !got.PgStatStatements || len(got.SlowestStatements) != 2 || len(got.BiggestTables) != 2 {
				t.Errorf("health %+v", got)
			}
		}},
		{"security_overview", map[string]any{"ref": ref}, []string{"advisors_security_list", "network_restrictions_get", "ssl_enforcement_get", "auth_config_get"}, func(t *testing.T, data any) {
			var got struct {
				SSL      bool           `json:"ssl_enforced"`
				Auth     map[string]any `json:"auth"`
				Findings []string       `json:"findings"`
			}
			decode(t, data, &got)
			if got.Auth["password_min_length"] == nil || len(got.Findings) == 0 {
				t.Errorf("overview %+v", got)
			}
			if _, leaked := got.Auth["smtp_pass"]; leaked {
				t.Error("auth settings carry smtp_pass")
			}
		}},
		{"cost_preview", map[string]any{"kind": "branch", "ref": ref, "desired_instance_size": "small"}, []string{"project_get", "organization_get", "addons_list"}, func(t *testing.T, data any) {
			var got composite.Cost
			decode(t, data, &got)
			if got.PriceSource != "api" || got.HourlyUSD == nil || *got.HourlyUSD != 0.0206 || got.Plan != "pro" {
				t.Errorf("branch cost %+v", got)
			}
		}},
		{"cost_preview", map[string]any{"kind": "project", "organization_slug": "sandbox-hobby"}, []string{"organization_get"}, func(t *testing.T, data any) {
			var got composite.Cost
			decode(t, data, &got)
			if got.Plan != "free" || got.ComputeSize != "nano" || !strings.HasPrefix(got.PriceSource, "list price from https://") || got.MonthlyUSD == nil {
				t.Errorf("project cost %+v", got)
			}
		}},
		{"project_url_get", map[string]any{"ref": ref}, []string{"project_get"}, func(t *testing.T, data any) {
			var got struct{ URL string }
			decode(t, data, &got)
			if got.URL != "https://"+ref+".supabase.co" {
				t.Errorf("url %q", got.URL)
			}
		}},
		{"publishable_keys_list", map[string]any{"ref": ref}, []string{"api_keys_list"}, func(t *testing.T, data any) {
			var got struct{ Keys []composite.PublishableKey }
			decode(t, data, &got)
			for _, k := range got.Keys {
				if k.Type != "publishable" && k.Name != "anon" {
					t.Errorf("key %s (%s) is not publishable", k.Name, k.Type)
				}
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := apptest.New(t, apptest.Options{})
			res, err := call(t, a, pipeline.Request{Action: tc.name, Args: tc.args, Principal: "slack:user:U1", Surface: "slack"})
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, res.Data)
			recs := inner(t, a, tc.name)
			var names []string
			for _, r := range recs {
				names = append(names, r.Action)
				if r.Principal != "slack:user:U1" || r.Surface != "slack" || r.Decision.Effect != pipeline.Allow || r.Status == 0 {
					t.Errorf("inner call %s: principal %s surface %s decision %s status %d", r.Action, r.Principal, r.Surface, r.Decision.Effect, r.Status)
				}
			}
			if !slices.Equal(names, tc.calls) {
				t.Errorf("inner calls %v, want %v", names, tc.calls)
			}
		})
	}
}

// TestPolicyDecidesEachInnerCall: a rule on an inner action stops the
// composite, though the composite itself is allowed.
func TestPolicyDecidesEachInnerCall(t *testing.T) {
	a := apptest.New(t, apptest.Options{Policy: `version: 1
defaults: {read: allow, write: confirm, destructive: deny}
rules:
  - name: no-auth-config
    effect: deny
    actions: [auth_config_get]
    reason: auth settings are for the auth team
`})
	_, err := call(t, a, pipeline.Request{Action: "security_overview", Args: map[string]any{"ref": ref}})
	var na *pipeline.NotAllowedError
	if !errors.As(err, &na) || na.Action != "auth_config_get" || na.Decision.Rule != "no-auth-config" {
		t.Fatalf("err %v, want auth_config_get denied by no-auth-config", err)
	}
	recs := inner(t, a, "security_overview")
	if last := recs[len(recs)-1]; last.Action != "auth_config_get" || last.Decision.Effect != pipeline.Deny {
		t.Errorf("last inner record %+v", last)
	}
}

// TestBranchRebase: refused under --read-only before anything is called;
// under the default policy (writes confirm) one confirmation of
// branch_rebase covers its branch_push, which is still decided and
// recorded as itself.
func TestBranchRebase(t *testing.T) {
	a := apptest.New(t, apptest.Options{})
	branch := a.Sandbox.Seed().PreviewBranchRef
	args := map[string]any{"branch_id_or_ref": branch}

	_, err := call(t, a, pipeline.Request{Action: "branch_rebase", Args: args, Scope: scope.Scope{ReadOnly: true}})
	var na *pipeline.NotAllowedError
	if !errors.As(err, &na) || na.Action != "branch_rebase" || na.Decision.Rule != scope.RuleReadOnly {
		t.Fatalf("read-only: %v", err)
	}
	if recs := inner(t, a, "branch_rebase"); len(recs) != 0 {
		t.Fatalf("read-only made inner calls: %+v", recs)
	}

	_, err = call(t, a, pipeline.Request{Action: "branch_rebase", Args: args})
	if !errors.As(err, &na) || na.Decision.Effect != pipeline.Confirm {
		t.Fatalf("first call: %v, want a confirmation", err)
	}
	if _, err := call(t, a, pipeline.Request{Action: "branch_rebase", Args: args, Confirmation: na.Decision.Token}); err != nil {
		t.Fatalf("confirmed: %v", err)
	}
	recs := inner(t, a, "branch_rebase")
	if len(recs) != 1 || recs[0].Action != "branch_push" || recs[0].Decision.Effect != pipeline.Allow ||
		!strings.Contains(recs[0].Decision.Reason, "confirmed with branch_rebase") || recs[0].Branch != branch {
		t.Fatalf("inner records %+v", recs)
	}
}

// TestInnerConfirmNeedsConsentToTheComposite: a composite the policy
// allows outright does not confirm an inner call for its caller.
func TestInnerConfirmNeedsConsentToTheComposite(t *testing.T) {
	a := apptest.New(t, apptest.Options{Policy: `version: 1
defaults: {read: allow, write: confirm, destructive: deny}
rules:
  - name: rebase-freely
    effect: allow
    actions: [branch_rebase]
`})
	args := map[string]any{"branch_id_or_ref": a.Sandbox.Seed().PreviewBranchRef}
	_, err := call(t, a, pipeline.Request{Action: "branch_rebase", Args: args})
	var na *pipeline.NotAllowedError
	if !errors.As(err, &na) || na.Action != "branch_push" || na.Decision.Effect != pipeline.Confirm {
		t.Fatalf("err %v, want branch_push to need confirming", err)
	}
	// The caller confirms the inner call by calling the composite again
	// with its token.
	if _, err := call(t, a, pipeline.Request{Action: "branch_rebase", Args: args, Confirmation: na.Decision.Token}); err != nil {
		t.Fatalf("with the inner call's token: %v", err)
	}
}

// TestProjectScopeReachesInnerCalls: a composite bound to one project
// cannot be pointed at another.
func TestProjectScopeReachesInnerCalls(t *testing.T) {
	a := apptest.New(t, apptest.Options{})
	other := a.Sandbox.Seed().ProjectRefs[1]
	_, err := call(t, a, pipeline.Request{Action: "tables_list", Args: map[string]any{"ref": other}, Scope: scope.Scope{Project: ref}})
	var na *pipeline.NotAllowedError
	if !errors.As(err, &na) || na.Decision.Rule != scope.RuleProject {
		t.Fatalf("err %v, want the project scope to refuse", err)
	}
	res, err := call(t, a, pipeline.Request{Action: "tables_list", Args: map[string]any{}, Scope: scope.Scope{Project: ref}})
	if err != nil || res == nil {
		t.Fatalf("scoped call with the project injected: %v", err)
	}
}

// TestPublishableKeysNeverShowASecretKey compares with every key the
// sandbox holds, revealed.
func TestPublishableKeysNeverShowASecretKey(t *testing.T) {
	a := apptest.New(t, apptest.Options{})
	req, err := http.NewRequest(http.MethodGet, "http://sandbox.invalid/v1/projects/"+ref+"/api-keys?reveal=true", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+app.SandboxToken)
	resp, err := a.Sandbox.RoundTripper().RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var all []struct {
		Name, Type string
		APIKey     string `json:"api_key"`
	}
	if err := json.Unmarshal(body, &all); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	res, err := call(t, a, pipeline.Request{Action: "publishable_keys_list", Args: map[string]any{"ref": ref}})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(res.Data)
	shown := 0
	for _, k := range all {
		public := k.Type == "publishable" || (k.Type == "legacy" && k.Name == "anon")
		if k.APIKey == "" {
			continue
		}
		switch in := strings.Contains(string(out), k.APIKey); {
		case !public && in:
			t.Errorf("the %s key %s is shown", k.Type, k.Name)
		case k.Type == "publishable" && !in:
			t.Errorf("the publishable key %s is not shown", k.Name)
		case in:
			shown++
		}
	}
	if shown == 0 {
		t.Errorf("no key shown: %s", out)
	}
}

// TestFixedSQLIsAPlainRead: what the policy sees of each fixed query is
// plain reads, so the default policy's SQL rules let it through and
// read-only mode does not refuse it.
func TestFixedSQLIsAPlainRead(t *testing.T) {
	for id, sql := range composite.Queries() {
		sum, err := sqlkind.Summarize(context.Background(), map[string]any{"query": sql}, []string{"query"})
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if sum.Writes || sum.Dynamic || !slices.Equal(sum.Kinds, []string{"select"}) {
			t.Errorf("%s: %+v", id, sum)
		}
		if !strings.HasPrefix(id, "supaops:") {
			t.Errorf("query %q has no id comment", id)
		}
	}
}

func TestPricesParse(t *testing.T) {
	list, err := composite.ParsePrices("# source\thttps://example.com/p\n# date\t2026-01-02\nmicro\t0.5\t365\n")
	if err != nil || list.Hourly["micro"] != 0.5 || list.Label() != "list price from https://example.com/p, 2026-01-02" {
		t.Fatalf("%+v %v", list, err)
	}
	for _, bad := range []string{"micro\t0.5\t365\n", "# source\tx\n# date\ty\nmicro\t-1\t2\n", "# source\tx\n# date\ty\nmicro\t1\n"} {
		if _, err := composite.ParsePrices(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// TestConsentToACreateStatesItsCost: a person asked to confirm or approve
// project_create or branch_create is told what it will cost, worked out by
// cost_preview as the same caller (so the policy decides the preview and
// the audit log records it); a preview the policy refuses says so and does
// not stop the asking.
func TestConsentToACreateStatesItsCost(t *testing.T) {
	const approvePolicy = `version: 1
defaults: {read: allow, write: confirm, destructive: deny}
rules:
  - name: creates-need-approval
    effect: approve
    actions: [project_create]
    approvers: ["slack:user:*"]
`
	const noOrgReads = `version: 1
defaults: {read: allow, write: confirm, destructive: deny}
rules:
  - name: no-org-reads
    effect: deny
    actions: [organization_get]
`
	projectArgs := func(a *app.App) map[string]any {
		return map[string]any{"name": "n", "organization_slug": a.Sandbox.Seed().OrgSlug, "db_pass": "correct-horse-battery", "region": "us-east-1", "desired_instance_size": "small"}
	}
	cases := []struct {
		name, policy, action string
		args                 func(a *app.App) map[string]any
		effect               pipeline.Effect
		want                 []string
	}{
		{"project confirm", "", "project_create", projectArgs, pipeline.Confirm,
			[]string{"cost: compute small at $", "list price from https://", "on the "}},
		{"branch confirm", "", "branch_create", func(a *app.App) map[string]any {
			return map[string]any{"ref": ref, "branch_name": "feature-x"}
		}, pipeline.Confirm, []string{"cost: compute micro at $", "price from the API", "branches are billed by the hour"}},
		{"project approval", approvePolicy, "project_create", projectArgs, pipeline.Approve,
			[]string{"cost: compute small at $"}},
		{"preview refused", noOrgReads, "project_create", projectArgs, pipeline.Confirm,
			[]string{"preview unknown", "no-org-reads"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := apptest.New(t, apptest.Options{Policy: tc.policy})
			_, err := call(t, a, pipeline.Request{Action: tc.action, Args: tc.args(a), Principal: "slack:user:U1", Surface: "slack"})
			var na *pipeline.NotAllowedError
			if !errors.As(err, &na) || na.Decision.Effect != tc.effect {
				t.Fatalf("err %v, want %s", err, tc.effect)
			}
			for _, w := range tc.want {
				if !strings.Contains(na.Decision.Reason, w) {
					t.Errorf("the reason %q does not say %q", na.Decision.Reason, w)
				}
			}
			entries, err := a.Audit.Query(context.Background(), audit.Filter{Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			previewed := false
			for _, e := range entries {
				if e.Record.Action == "cost_preview" && e.Record.Principal == "slack:user:U1" && e.Record.Surface == "slack" {
					previewed = true
				}
			}
			if !previewed {
				t.Error("no cost_preview call by the caller in the audit log")
			}
			if tc.effect == pipeline.Approve {
				ap, err := a.Consent.Get(context.Background(), na.Decision.ApprovalID)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(ap.Preview, "cost: compute small") {
					t.Errorf("the approval request shows approvers %q, want the cost", ap.Preview)
				}
			}
		})
	}
}
