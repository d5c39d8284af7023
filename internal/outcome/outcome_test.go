package outcome

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/supaops/supaops/internal/action"
	"github.com/supaops/supaops/internal/client"
	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/tools"
)

func TestOf(t *testing.T) {
	write := &tools.Action{Action: action.Action{Name: "project_pause", Risk: action.Write}}
	read := &tools.Action{Action: action.Action{Name: "project_get", Risk: action.Read}}
	retry := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		action *tools.Action
		err    error
		kind   Kind
		effect Effect
		advice string
	}{
		{"denied", write, &pipeline.NotAllowedError{Action: "project_pause", Decision: pipeline.Decision{Effect: pipeline.Deny, Rule: "r"}}, Denied, NothingDone, "policy"},
		{"confirm", write, &pipeline.NotAllowedError{Action: "project_pause", Args: map[string]any{"ref": "x"}, Decision: pipeline.Decision{Effect: pipeline.Confirm, Token: "t"}}, NeedsConfirmation, NothingDone, ""},
		{"approve", write, &pipeline.NotAllowedError{Action: "project_pause", Decision: pipeline.Decision{Effect: pipeline.Approve, Token: "t", ApprovalID: "id"}}, NeedsApproval, NothingDone, ""},
		{"confirm without a token is a denial", write, &pipeline.NotAllowedError{Decision: pipeline.Decision{Effect: pipeline.Confirm}}, Denied, NothingDone, ""},
		{"invalid", write, &tools.InputError{Action: "project_pause", Problems: []tools.FieldProblem{{Field: "ref", Problem: "required"}}}, InvalidInput, NothingDone, ""},
		{"unknown", nil, &tools.UnknownActionError{Name: "project_paus", Suggestions: []string{"project_pause"}}, UnknownAction, NothingDone, ""},
		{"403", write, &client.APIError{Status: 403, Scope: "projects:write"}, MissingAccess, NothingDone, "OAuth scope projects:write"},
		{"429", write, &client.APIError{Status: 429, RetryAt: retry}, RateLimited, NothingDone, "2026-11-30T12:00:00Z"},
		{"404", read, &client.APIError{Status: 404}, APIError, NothingDone, "identifiers"},
		{"500 on a write may have applied", write, &client.APIError{Status: 500}, APIError, MayHaveApplied, "read the state"},
		{"500 on a read changed nothing", read, &client.APIError{Status: 503}, APIError, NothingDone, "Nothing was changed"},
		{"sent, then the connection broke", write, &client.RequestError{Sent: true, Err: errors.New("reset")}, Failed, MayHaveApplied, "may or may not"},
		{"never sent", write, &client.RequestError{Err: errors.New("refused")}, Failed, NothingDone, "Nothing was changed"},
		{"cut short while sending", write, &client.RequestError{Sent: true, Err: context.DeadlineExceeded}, CutShort, MayHaveApplied, "cut short"},
		{"an unreadable answer", write, fmt.Errorf("decoding: %w", errors.New("bad JSON")), Failed, MayHaveApplied, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := Of(nil, tt.err).Describe(tt.action)
			if o.Kind != tt.kind || o.Effect != tt.effect {
				t.Errorf("kind %s effect %s, want %s %s", o.Kind, o.Effect, tt.kind, tt.effect)
			}
			if !strings.Contains(o.Advice(), tt.advice) {
				t.Errorf("advice %q lacks %q", o.Advice(), tt.advice)
			}
			if o.Refused() != (tt.effect == NothingDone && (tt.kind == Denied || tt.kind == NeedsConfirmation || tt.kind == NeedsApproval || tt.kind == InvalidInput || tt.kind == UnknownAction)) {
				t.Errorf("Refused() = %v", o.Refused())
			}
		})
	}
}

func TestOfSuccess(t *testing.T) {
	a := &tools.Action{Action: action.Action{Name: "project_get", Risk: action.Read}}
	o := Of(&pipeline.Result{Action: a, Status: 200}, nil)
	if o.Kind != OK || o.Effect != Done || o.Action != "project_get" || o.Result == nil {
		t.Errorf("%+v", o)
	}
}

// The challenge shows every argument, and SQL whole.
func TestChallenge(t *testing.T) {
	long := strings.Repeat("x", 10_000)
	e := &pipeline.NotAllowedError{
		Action: "migration_upsert", Risk: action.Write, Project: "p", SQL: []string{"query"},
		Args:     map[string]any{"ref": "p", "query": "create table t();" + long, "name": long},
		Decision: pipeline.Decision{Effect: pipeline.Confirm, Rule: "r", Token: "tok"},
	}
	o := Of(nil, e)
	if o.Kind != NeedsConfirmation || o.Challenge == nil {
		t.Fatalf("%+v", o)
	}
	byName := map[string]string{}
	for _, a := range o.Challenge.Args {
		byName[a.Name] = a.String()
	}
	if !strings.Contains(byName["query"], long) || strings.Contains(byName["query"], "not shown") {
		t.Errorf("SQL must be shown whole")
	}
	if !strings.Contains(byName["name"], "more bytes not shown") || !strings.Contains(byName["name"], "sha256") {
		t.Errorf("a cut value must say what is hidden: %.100s", byName["name"])
	}
}
