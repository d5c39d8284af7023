package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/supaops/supaops/internal/action"
)

// LocalFunc runs a local action with its validated arguments and returns
// its result as a JSON-shaped value.
type LocalFunc func(ctx context.Context, args map[string]any) (any, error)

// NewLocal makes an action that supaops runs itself instead of calling the
// Management API — a view of its own state, such as its scheduled jobs.
// It is an action like the others: in the registry (With), validated
// against its input schema, decided by the policy, recorded in the audit
// log, redacted; only the last step differs.
func NewLocal(desc action.Action, run LocalFunc) (*Action, error) {
	switch {
	case run == nil:
		return nil, fmt.Errorf("local action %s: no function", desc.Name)
	case desc.Method != "" || desc.Path != "":
		return nil, fmt.Errorf("local action %s: a local action has no method or path", desc.Name)
	case len(desc.InputSchema) == 0:
		return nil, fmt.Errorf("local action %s: no input schema", desc.Name)
	}
	if _, err := action.ParseRisk(string(desc.Risk)); err != nil {
		return nil, fmt.Errorf("local action %s: %w", desc.Name, err)
	}
	var schema struct {
		Properties map[string]map[string]any `json:"properties"`
		Required   []string                  `json:"required"`
	}
	if err := json.Unmarshal(desc.InputSchema, &schema); err != nil {
		return nil, fmt.Errorf("local action %s: input schema: %w", desc.Name, err)
	}
	for _, name := range slices.Sorted(maps.Keys(schema.Properties)) {
		desc.Params = append(desc.Params, action.Param{
			Name: name, Wire: name, In: action.InLocal, Required: slices.Contains(schema.Required, name),
		})
	}
	a := &Action{Action: desc, local: run}
	a.propsOnce.Do(func() { a.props = schema.Properties })
	// The schema is compiled on first use, like the generated actions':
	// compiling costs every start a millisecond, and a schema that does not
	// compile still refuses every call (Validate fails closed).
	return a, nil
}

// LocalCheck checks a local action's arguments beyond its schema (a jobs
// file's content), so that bad input is refused as invalid arguments,
// before the policy asks anyone to confirm it.
type LocalCheck func(args map[string]any) []FieldProblem

// WithCheck sets the action's check and returns the action.
func (a *Action) WithCheck(check LocalCheck) *Action {
	a.check = check
	return a
}

// Local reports an action supaops runs itself.
func (a *Action) Local() bool { return a.local != nil }

// RunLocal runs a local action.
func (a *Action) RunLocal(ctx context.Context, args map[string]any) (any, error) {
	if a.local == nil {
		return nil, fmt.Errorf("%s calls the Management API; it is not a local action", a.Name)
	}
	return a.local(ctx, args)
}

// ErrNameTaken refuses a local action named like one already registered.
var ErrNameTaken = errors.New("action name already registered")

// With returns a registry holding r's actions and extra (local actions).
// r is not changed.
func (r *Registry) With(extra ...*Action) (*Registry, error) {
	out := &Registry{byName: make(map[string]*Action, len(r.byName)+len(extra)), byOperation: r.byOperation}
	out.actions = append(out.actions, r.actions...)
	for k, v := range r.byName {
		out.byName[k] = v
	}
	for _, a := range extra {
		if _, dup := out.byName[a.Name]; dup {
			return nil, fmt.Errorf("registry: %s: %w", a.Name, ErrNameTaken)
		}
		out.actions = append(out.actions, a)
		out.byName[a.Name] = a
	}
	sortActions(out.actions)
	return out, nil
}
