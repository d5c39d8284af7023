package bindings_test

import (
	"context"
	"errors"
	"testing"

	"github.com/supaops/supaops/internal/app/apptest"
	"github.com/supaops/supaops/internal/audit"
	"github.com/supaops/supaops/internal/bindings"
	"github.com/supaops/supaops/internal/pipeline"
)

const ref = "abcdefghijklmnopqrst"

func TestBindIsDecidedConfirmedAndRecorded(t *testing.T) {
	a := apptest.New(t, apptest.Options{}) // the shipped default: writes are confirmed
	ctx := context.Background()
	req := bindings.Request{Place: "slack:channel:c0ops", Project: ref, Principal: "slack:user:U1", Surface: "slack"}
	_, err := a.Bindings.Bind(ctx, req)
	var e *pipeline.NotAllowedError
	if !errors.As(err, &e) || e.Decision.Effect != pipeline.Confirm || e.Decision.Token == "" {
		t.Fatalf("want a confirmation, got %v", err)
	}
	if _, found, _ := a.Bindings.Get(ctx, "slack:channel:C0OPS"); found {
		t.Fatal("bound before it was confirmed")
	}
	other := req
	other.Principal, other.Confirmation = "slack:user:U2", e.Decision.Token
	if _, err := a.Bindings.Bind(ctx, other); !errors.As(err, &e) || e.Decision.Effect == pipeline.Allow {
		t.Fatalf("someone else's confirmation must not bind: %v", err)
	}
	_, err = a.Bindings.Bind(ctx, bindings.Request{Place: req.Place, Project: ref, Principal: "slack:user:U1", Surface: "slack"})
	if !errors.As(err, &e) {
		t.Fatal(err)
	}
	req.Confirmation = e.Decision.Token
	b, err := a.Bindings.Bind(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if b.Place != "slack:channel:C0OPS" || b.Scope.Project != ref || b.By != "slack:user:U1" {
		t.Errorf("binding %+v", b)
	}
	got, found, err := a.Bindings.Get(ctx, "slack:channel:C0OPS")
	if err != nil || !found || got.Scope.Project != ref {
		t.Fatalf("%+v %v %v", got, found, err)
	}
	entries, err := a.Audit.Query(ctx, audit.Filter{Action: bindings.ActionBind})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 4 || entries[0].Record.Decision.Effect != pipeline.Allow || entries[0].Record.Project != ref {
		t.Errorf("audit: %d entries, newest %+v", len(entries), entries[0].Record)
	}
}

func TestBindFollowsThePolicy(t *testing.T) {
	a := apptest.New(t, apptest.Options{Policy: `version: 1
defaults: {read: allow, write: deny, destructive: deny}
rules:
  - name: leads-bind-channels
    effect: allow
    principals: ["slack:usergroup:S0LEADS"]
    actions: [scope_bind, scope_unbind]
`})
	ctx := context.Background()
	req := bindings.Request{Place: "slack:channel:C1", Project: ref, Principal: "slack:user:U1", Surface: "slack"}
	var e *pipeline.NotAllowedError
	if _, err := a.Bindings.Bind(ctx, req); !errors.As(err, &e) || e.Decision.Effect != pipeline.Deny {
		t.Fatalf("want a denial, got %v", err)
	}
	req.Identities = []string{"slack:usergroup:S0LEADS"}
	req.ReadOnly = true
	if _, err := a.Bindings.Bind(ctx, req); err != nil {
		t.Fatal(err)
	}
	if b, _, _ := a.Bindings.Get(ctx, "slack:channel:C1"); !b.Scope.ReadOnly {
		t.Errorf("read-only scope lost: %+v", b)
	}
	if err := a.Bindings.Unbind(ctx, bindings.Request{Place: "slack:channel:C1", Principal: "slack:user:U1", Surface: "slack"}); err == nil {
		t.Error("unbound without the policy's leave")
	}
	if err := a.Bindings.Unbind(ctx, req); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := a.Bindings.Get(ctx, "slack:channel:C1"); found {
		t.Error("still bound")
	}
	for _, bad := range []bindings.Request{
		{Place: "slack:user:U1", Project: ref, Principal: "slack:user:U1"},
		{Place: "slack:channel:C1", Project: "nope", Principal: "slack:user:U1"},
		{Place: "slack:channel:C1", Project: ref, Principal: "bogus"},
	} {
		if _, err := a.Bindings.Bind(ctx, bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
