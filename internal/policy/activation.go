package policy

import (
	"encoding/json"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/interpreter"

	"github.com/supaops/supaops/internal/sqlkind"
)

// activation hands an Input to CEL without copying it into a map. One is built
// per decision, the first time a condition is evaluated, and shared by every
// condition evaluated for it. It holds a copy of the Input so that a decision
// that evaluates no condition keeps its Input off the heap.
type activation struct {
	in         Input
	args       map[string]any
	identities []string // principal first, then Identities; built on first use
	sql        *sqlkind.Summary
}

func newActivation(in *Input) *activation {
	a := &activation{in: *in, args: in.Args}
	if a.args == nil {
		// An empty map, not null, so has(args.x) is false rather than an error.
		a.args = map[string]any{}
	}
	return a
}

// ResolveName implements interpreter.Activation.
func (a *activation) ResolveName(name string) (any, bool) {
	switch name {
	case "args":
		return a.args, true
	case "action":
		return a.in.Action.Name, true
	case "toolset":
		return a.in.Action.Toolset, true
	case "risk":
		return string(a.in.Action.Risk), true
	case "principal":
		return a.in.Principal, true
	case "identities":
		if a.identities == nil {
			a.identities = make([]string, 0, 1+len(a.in.Identities))
			a.identities = append(append(a.identities, a.in.Principal), a.in.Identities...)
		}
		return a.identities, true
	case "project":
		return a.in.Project, true
	case "organization":
		return a.in.Organization, true
	case "surface":
		return a.in.Surface, true
	case "sql":
		if a.sql == nil {
			a.sql = a.in.SQL
			if a.sql == nil {
				// No SQL: no statements, no kinds, nothing written.
				a.sql = &sqlkind.Summary{}
			}
		}
		return a.sql, true
	}
	return nil, false
}

// Parent implements interpreter.Activation.
func (a *activation) Parent() interpreter.Activation { return nil }

// argsAdapter makes JSON numbers decoded as json.Number (the pipeline's
// normalised arguments) numbers in CEL instead of strings. Maps and lists are
// wrapped with this adapter so nested numbers convert too.
type argsAdapter struct{ base types.Adapter }

func (a argsAdapter) NativeToValue(v any) ref.Val {
	switch v := v.(type) {
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return types.Int(i)
		}
		if f, err := v.Float64(); err == nil {
			return types.Double(f)
		}
		return types.String(v)
	case map[string]any:
		return types.NewStringInterfaceMap(a, v)
	case []any:
		return types.NewDynamicList(a, v)
	}
	return a.base.NativeToValue(v)
}
