package slackbot

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/supaops/supaops/internal/action"
	"github.com/supaops/supaops/internal/audit"
	"github.com/supaops/supaops/internal/consent"
	"github.com/supaops/supaops/internal/outcome"
	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/search"
	"github.com/supaops/supaops/internal/tools"
)

// Values crafted to break out of mrkdwn: a ping, a link, an entity, a code
// fence.
const evil = "&amp; <!channel> <https://evil.example|click> ``` *x*"

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func fakeAction(name string, untrusted bool) *tools.Action {
	return &tools.Action{Action: action.Action{
		Name: name, Toolset: "test", Risk: action.Read, Summary: "A test action", Untrusted: untrusted,
		Method: "GET", Path: "/v1/test",
	}}
}

func resultOf(t testing.TB, a *tools.Action, data any) []slack.Block {
	t.Helper()
	blocks, err := ResultBlocks(&pipeline.Result{Action: a, Status: 200, Data: data, RequestID: "req-1", Duration: 120 * time.Millisecond}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return blocks
}

// jsonValue is v as the pipeline hands it over: decoded with json.Number.
func jsonValue(t testing.TB, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func projects(t testing.TB, n int, name string) any {
	list := make([]any, n)
	for i := range list {
		list[i] = map[string]any{
			"id": fmt.Sprintf("ref%017d", i), "ref": fmt.Sprintf("ref%017d", i), "name": fmt.Sprintf("%s %d", name, i),
			"organization_id": "org-1", "region": "eu-west-1", "status": "ACTIVE_HEALTHY",
			"created_at": "2026-01-01T00:00:00Z",
			"database":   map[string]any{"host": "db.example.supabase.co", "version": "15.1"},
		}
	}
	return jsonValue(t, list)
}

func shownArgs(n, size int, value string) []consent.Shown {
	args := map[string]any{}
	for i := range n {
		args[fmt.Sprintf("arg%03d", i)] = strings.Repeat(value, max(size/max(len(value), 1), 1))
	}
	shown, err := consent.Display(args, nil)
	if err != nil {
		panic(err)
	}
	return shown
}

func challenge(risk action.Risk, args []consent.Shown) *outcome.Challenge {
	return &outcome.Challenge{
		Action: "project_delete", Risk: risk, Project: "abcdefghijklmnopqrst", Branch: "", Organization: "acme",
		Args: args, Rule: "destructive-needs-consent", Reason: "destructive actions need a person's consent",
		Token: "tok-secret", ExpiresAt: t0.Add(10 * time.Minute),
		ApprovalID: "apr_123", Approvers: []string{"slack:usergroup:S0DBA", "slack:user:U0BOSS"}, Approvals: 2,
	}
}

func approval(status consent.Status, votes int) consent.Approval {
	a := consent.Approval{
		ID: "apr_123", Binding: consent.Binding{Principal: "slack:user:U0ASKER", Action: "project_delete", Project: "abcdefghijklmnopqrst", ArgsHash: "h"},
		Needed: 2, Approvers: []string{"slack:usergroup:S0DBA", "slack:user:*"}, Branch: "", Organization: "acme",
		CreatedAt: t0, ExpiresAt: t0.Add(time.Hour), Status: status,
	}
	for i := range votes {
		a.Votes = append(a.Votes, consent.Vote{Approver: fmt.Sprintf("slack:user:U0VOTER%d", i), At: t0.Add(time.Minute)})
	}
	switch status {
	case consent.Denied:
		a.DeniedBy, a.DenyReason, a.DeniedAt = "slack:user:U0BOSS", "not during business hours", t0.Add(2*time.Minute)
	case consent.Used:
		a.UsedAt = t0.Add(3 * time.Minute)
	}
	return a
}

func searchResult(n int) search.Result {
	r := search.Result{Total: n * 2, Hidden: 3}
	for i := range n {
		a := fakeAction(fmt.Sprintf("thing_%d_list", i), false)
		a.Summary = strings.Repeat("Lists things. ", 30)
		r.Found = append(r.Found, a)
	}
	return r
}

func auditEntries(n int, value string) []audit.Entry {
	out := make([]audit.Entry, n)
	for i := range out {
		out[i] = audit.Entry{Seq: uint64(i + 1), Time: t0.Add(time.Duration(i) * time.Second), Record: pipeline.Record{
			Event: pipeline.EventOutcome, Principal: "slack:user:U0ASKER", Action: "project_pause", Project: "abcdefghijklmnopqrst",
			Decision: pipeline.Decision{Effect: pipeline.Allow, Rule: "writes-ok"}, Status: 200, Duration: time.Second,
			Error: value,
		}}
	}
	return out
}
