package tools

import (
	"context"
	"fmt"
	"slices"

	"github.com/supaops/supaops/internal/action"
)

// Caller calls a registry action the way a surface would: through the
// pipeline, as the principal, on the surface and in the scope of the call
// that runs the composite. A composite action reaches the Management API only
// through it, so each inner call is validated, scoped, decided by the policy
// and audited like any other.
type Caller interface {
	// Call runs name with args and returns its result, not yet redacted:
	// the composite's own result is redacted, by the secrets of every
	// action it calls (see NewComposite).
	Call(ctx context.Context, name string, args map[string]any) (any, error)
}

type callerKey struct{}

// WithCaller returns ctx carrying c, for a composite's run function.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFrom returns the Caller a composite runs with.
func CallerFrom(ctx context.Context) (Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(Caller)
	return c, ok
}

// NewComposite makes a local action made of calls to other registry actions
// (calls, by name), looked up in reg: its risk is the highest of theirs,
// and it redacts every field they redact but public, the fields it shows on
// purpose (a publishable key). The pipeline lets it call only those actions.
func NewComposite(reg *Registry, desc action.Action, calls, public []string, run LocalFunc) (*Action, error) {
	if len(calls) == 0 {
		return nil, fmt.Errorf("composite action %s: calls no action", desc.Name)
	}
	desc.Risk = action.Read
	secrets := slices.Clone(desc.Secrets)
	for _, name := range calls {
		inner, err := reg.Lookup(name)
		if err != nil {
			return nil, fmt.Errorf("composite action %s: %w", desc.Name, err)
		}
		if inner.Local() {
			// One level: a composite's inner calls are API calls, so its
			// risk and secrets are known from them.
			return nil, fmt.Errorf("composite action %s: calls %s, which is not a Management API action", desc.Name, name)
		}
		if riskRank(inner.Risk) > riskRank(desc.Risk) {
			desc.Risk = inner.Risk
		}
		for _, s := range inner.Secrets {
			if !slices.Contains(public, s) && !slices.Contains(secrets, s) {
				secrets = append(secrets, s)
			}
		}
	}
	desc.Secrets = secrets
	a, err := NewLocal(desc, run)
	if err != nil {
		return nil, err
	}
	a.calls = slices.Clone(calls)
	return a, nil
}

// Composite reports an action made of calls to other actions.
func (a *Action) Composite() bool { return len(a.calls) > 0 }

// Calls lists the actions a composite may call, in the order it names them.
func (a *Action) Calls() []string { return slices.Clone(a.calls) }

// MayCall reports whether a composite declared name as one of its calls.
func (a *Action) MayCall(name string) bool { return slices.Contains(a.calls, name) }

func riskRank(r action.Risk) int { return slices.Index(action.Risks(), r) }
