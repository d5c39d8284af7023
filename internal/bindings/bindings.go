// Package bindings keeps scopes bound to the places people work from — a
// Slack channel bound to a project — so that every call from there carries
// that scope (the project injected, other projects refused) exactly as an
// MCP server started with --project-ref does. Binding and unbinding are
// decided by the policy as actions of their own (scope_bind and
// scope_unbind, write actions about the project), consented to like any
// call, and recorded in the audit log in the transaction that changes the
// binding.
package bindings

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.etcd.io/bbolt"

	"github.com/supaops/supaops/internal/action"
	"github.com/supaops/supaops/internal/audit"
	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/principal"
	"github.com/supaops/supaops/internal/scope"
	"github.com/supaops/supaops/internal/store"
	"github.com/supaops/supaops/internal/tools"
)

// Names of the local actions the policy decides.
const (
	ActionBind   = "scope_bind"
	ActionUnbind = "scope_unbind"
)

// Actions are the actions bindings adds to the policy's vocabulary, so
// rules can name them (or match them as risk:write, toolset:supaops).
func Actions() []*action.Action {
	describe := func(name, summary string) *action.Action {
		return &action.Action{
			Name: name, Toolset: "supaops", Risk: action.Write, Summary: summary,
			Target: &action.Target{Project: "ref"},
			Params: []action.Param{{Name: "ref", Required: true}, {Name: "place", Required: true}, {Name: "read_only"}},
		}
	}
	return []*action.Action{
		describe(ActionBind, "Bind a place (a Slack channel) to a project: calls from there are scoped to it."),
		describe(ActionUnbind, "Remove a place's binding to a project."),
	}
}

// Binding is a scope bound to a place.
type Binding struct {
	// Place is where calls come from, as an identity: slack:channel:<id>.
	Place string      `json:"place"`
	Scope scope.Scope `json:"scope"`
	// By and At say who bound it and when.
	By string    `json:"by"`
	At time.Time `json:"at"`
}

// Request asks to bind (or unbind) a place.
type Request struct {
	Place string
	// Project and ReadOnly are the scope to bind; ignored by Unbind.
	Project  string
	ReadOnly bool
	// Principal, Identities and Surface are the caller, as for a call.
	Principal  string
	Identities []string
	Surface    string
	// Confirmation is a token from an earlier confirm decision.
	Confirmation string
}

// Service binds and looks up bindings.
type Service struct {
	store      *store.Store
	authorizer pipeline.Authorizer
	audit      *audit.Log
	now        func() time.Time
	actions    map[string]*tools.Action
}

// New returns a Service over st, deciding with authorizer (the policy and
// consent) and recording in log. now is time.Now outside tests.
func New(st *store.Store, authorizer pipeline.Authorizer, log *audit.Log, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	s := &Service{store: st, authorizer: authorizer, audit: log, now: now, actions: map[string]*tools.Action{}}
	for _, a := range Actions() {
		s.actions[a.Name] = &tools.Action{Action: *a}
	}
	return s
}

// Get returns the binding of place, if it has one.
func (s *Service) Get(ctx context.Context, place string) (Binding, bool, error) {
	place, err := canonicalPlace(place)
	if err != nil {
		return Binding{}, false, err
	}
	var b Binding
	found := false
	err = s.store.View(ctx, func(tx *bbolt.Tx) error {
		v := tx.Bucket([]byte(store.BucketBindings)).Get([]byte(place))
		if v == nil {
			return nil
		}
		found = true
		return json.Unmarshal(v, &b)
	})
	if err != nil {
		return Binding{}, false, fmt.Errorf("reading the binding of %s: %w", place, err)
	}
	return b, found, nil
}

// List returns every binding, by place.
func (s *Service) List(ctx context.Context) ([]Binding, error) {
	var out []Binding
	err := s.store.View(ctx, func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte(store.BucketBindings)).ForEach(func(_, v []byte) error {
			var b Binding
			if err := json.Unmarshal(v, &b); err != nil {
				return err
			}
			out = append(out, b)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("listing bindings: %w", err)
	}
	slices.SortFunc(out, func(a, b Binding) int { return strings.Compare(a.Place, b.Place) })
	return out, nil
}

// Bind binds req.Place to the scope of req.Project when the policy allows
// it. Any other decision comes back as a *pipeline.NotAllowedError, with a
// token to call again with when the policy wants confirmation.
func (s *Service) Bind(ctx context.Context, req Request) (Binding, error) {
	sc := scope.Scope{Project: req.Project, ReadOnly: req.ReadOnly}
	if err := sc.Validate(); err != nil {
		return Binding{}, err
	}
	var err error
	if req.Place, err = canonicalPlace(req.Place); err != nil {
		return Binding{}, err
	}
	b := Binding{Place: req.Place, Scope: sc}
	err = s.change(ctx, ActionBind, req, func(bucket *bbolt.Bucket, rec *pipeline.Record) error {
		b.By, b.At = rec.Principal, s.now().UTC()
		v, err := json.Marshal(b)
		if err != nil {
			return err
		}
		return bucket.Put([]byte(b.Place), v)
	})
	if err != nil {
		return Binding{}, err
	}
	return b, nil
}

// Unbind removes req.Place's binding when the policy allows it.
func (s *Service) Unbind(ctx context.Context, req Request) error {
	old, found, err := s.Get(ctx, req.Place)
	if err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("%s is not bound to a project", req.Place)
	}
	req.Project, req.ReadOnly = old.Scope.Project, old.Scope.ReadOnly
	return s.change(ctx, ActionUnbind, req, func(bucket *bbolt.Bucket, _ *pipeline.Record) error {
		return bucket.Delete([]byte(req.Place))
	})
}

// canonicalPlace checks a place is a channel and spells it one way.
func canonicalPlace(place string) (string, error) {
	p, err := principal.Parse(place)
	if err != nil || principal.Kind(p) != principal.KindSlackChannel {
		return "", fmt.Errorf("a place is a channel, slack:channel:<id>, not %q", place)
	}
	return p, nil
}

// change decides req as the action name and, when allowed, applies it and
// records it in one transaction: a binding changes exactly when the audit
// log says so. A refusal is recorded too.
func (s *Service) change(ctx context.Context, name string, req Request, apply func(*bbolt.Bucket, *pipeline.Record) error) error {
	who, err := principal.Parse(req.Principal)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	place, err := canonicalPlace(req.Place)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	req.Place = place
	args := map[string]any{"ref": req.Project, "place": place, "read_only": req.ReadOnly}
	a := s.actions[name]
	call := pipeline.Call{
		Action: a, Args: args, Principal: who, Identities: req.Identities, Surface: req.Surface,
		Project: req.Project, Confirmation: req.Confirmation,
	}
	rec := pipeline.Record{
		Event: pipeline.EventCall, Time: s.now().UTC(), Principal: who, Identities: req.Identities,
		Surface: req.Surface, Action: name, Risk: a.Risk, Project: req.Project, Args: args,
	}
	if rec.ArgsHash, err = tools.HashArgs(args); err != nil {
		return err
	}
	d, err := s.authorizer.Authorize(ctx, call)
	if err != nil {
		d = pipeline.Decision{Effect: pipeline.Deny, Rule: "builtin:authorizer-error", Reason: err.Error()}
	}
	rec.Decision = d
	if d.Effect != pipeline.Allow {
		if _, recErr := s.audit.Record(context.WithoutCancel(ctx), rec); recErr != nil {
			return fmt.Errorf("%s: recording the refusal: %w", name, recErr)
		}
		return &pipeline.NotAllowedError{Action: name, Risk: a.Risk, Decision: d, Project: req.Project, Args: args}
	}
	err = s.store.Update(ctx, func(tx *bbolt.Tx) error {
		if err := apply(tx.Bucket([]byte(store.BucketBindings)), &rec); err != nil {
			return err
		}
		_, err := s.audit.AppendTx(tx, rec)
		return err
	})
	if err != nil {
		return fmt.Errorf("%s %s: %w", name, req.Place, err)
	}
	return nil
}
