// Package tools is the action registry: every Management API operation as a
// typed action with a stable name, toolset, risk, scopes, input schema, output
// type and secret fields. The data is generated (go generate) from the pinned
// spec and the curated catalogue.tsv; nothing here is hand-written per action.
package tools

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/supaops/supaops/internal/action"
	"github.com/supaops/supaops/internal/suggest"
)

//go:generate go run ./gen -catalogue catalogue.tsv -json actions.gen.json -data actions.gen.go -go bindings.gen.go

// binding ties an operation to the generated client.
type binding struct {
	build      func(server string, in *request) (*http.Request, error)
	bodyType   reflect.Type
	outputType reflect.Type
}

// Action is one registered action: its description plus what it takes to call it.
type Action struct {
	action.Action
	binding binding

	// The input schema's properties and its compiled form, worked out on
	// first use: most processes look at few actions' arguments, and doing
	// it for every action would cost every start milliseconds.
	propsOnce  sync.Once
	props      map[string]map[string]any
	propsErr   error
	schemaOnce sync.Once
	schema     *jsonschema.Schema
	schemaErr  error

	local LocalFunc // non-nil for an action supaops runs itself
	check LocalCheck
	calls []string // the actions a composite calls
}

// BodyType is the generated Go type of a JSON request body, or nil.
func (a *Action) BodyType() reflect.Type { return a.binding.bodyType }

// OutputType is the generated Go type of a JSON result, or nil when the spec
// gives the result no named schema.
func (a *Action) OutputType() reflect.Type { return a.binding.outputType }

// Property returns the input schema of one argument.
func (a *Action) Property(name string) (map[string]any, bool) {
	props, err := a.inputProperties()
	if err != nil {
		return nil, false
	}
	p, ok := props[name]
	return p, ok
}

// inputProperties are the input schema's properties, parsed once; none
// for an Action built by hand (tests) with no schema.
func (a *Action) inputProperties() (map[string]map[string]any, error) {
	a.propsOnce.Do(func() {
		if len(a.InputSchema) == 0 {
			return
		}
		var s struct {
			Properties map[string]map[string]any `json:"properties"`
		}
		if err := json.Unmarshal(a.InputSchema, &s); err != nil {
			a.propsErr = fmt.Errorf("registry: input schema of %s: %w", a.Name, err)
			return
		}
		a.props = s.Properties
	})
	return a.props, a.propsErr
}

// compile compiles the input schema, once.
func (a *Action) compile() (*jsonschema.Schema, error) {
	a.schemaOnce.Do(func() { a.schema, a.schemaErr = compileSchema(a.Name, a.InputSchema) })
	return a.schema, a.schemaErr
}

// Registry holds every action. It is immutable after Load and safe for
// concurrent use.
type Registry struct {
	actions     []*Action
	byName      map[string]*Action
	byOperation map[string]*Action
}

// Load reads the generated registry: Go data (actions.gen.go), so loading
// parses nothing; schemas are parsed and compiled when first used.
func Load() (*Registry, error) {
	described := generatedActions[:]
	bindings := generatedBindings()
	// One allocation for every action.
	all := make([]Action, len(described))
	r := &Registry{
		actions: make([]*Action, 0, len(described)),
		byName:  make(map[string]*Action, len(described)), byOperation: make(map[string]*Action, len(described)),
	}
	for i, d := range described {
		b, ok := bindings[d.OperationID]
		if !ok {
			return nil, fmt.Errorf("registry: no binding for operation %s (run go generate ./internal/tools)", d.OperationID)
		}
		a := &all[i]
		a.Action, a.binding = d, b
		r.actions = append(r.actions, a)
		r.byName[a.Name] = a
		r.byOperation[a.OperationID] = a
	}
	if len(r.actions) != len(bindings) {
		return nil, fmt.Errorf("registry: %d actions but %d bindings (run go generate ./internal/tools)", len(r.actions), len(bindings))
	}
	sortActions(r.actions)
	return r, nil
}

func sortActions(list []*Action) {
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
}

// Actions lists every action, sorted by name. The slice is a copy.
func (r *Registry) Actions() []*Action { return append([]*Action(nil), r.actions...) }

// ByOperation finds an action by its operationId.
func (r *Registry) ByOperation(operationID string) (*Action, bool) {
	a, ok := r.byOperation[operationID]
	return a, ok
}

// Toolsets lists the toolsets, sorted.
func (r *Registry) Toolsets() []string {
	seen := map[string]bool{}
	var out []string
	for _, a := range r.actions {
		if !seen[a.Toolset] {
			seen[a.Toolset] = true
			out = append(out, a.Toolset)
		}
	}
	sort.Strings(out)
	return out
}

// UnknownActionError names an action that does not exist and the closest that do.
type UnknownActionError struct {
	Name        string
	Suggestions []string
}

func (e *UnknownActionError) Error() string {
	if len(e.Suggestions) == 0 {
		return fmt.Sprintf("unknown action %q (list them with `supaops-mcp actions`)", e.Name)
	}
	return fmt.Sprintf("unknown action %q; did you mean %s?", e.Name, strings.Join(e.Suggestions, ", "))
}

// MaxNameLength is the longest name Lookup compares: finding the closest
// names costs time by a name's length, so a longer one is refused at once,
// and only its start is named in the error.
const MaxNameLength = 128

// Lookup finds an action by name.
func (r *Registry) Lookup(name string) (*Action, error) {
	if a, ok := r.byName[name]; ok {
		return a, nil
	}
	if len(name) > MaxNameLength {
		return nil, &UnknownActionError{Name: fmt.Sprintf("%s…(%d bytes)", strings.ToValidUTF8(name[:MaxNameLength], ""), len(name))}
	}
	names := make([]string, 0, len(r.actions))
	for _, a := range r.actions {
		names = append(names, a.Name)
	}
	return nil, &UnknownActionError{Name: name, Suggestions: suggest.Closest(name, names, 3)}
}

// Find returns the descriptor of the action called name.
func (r *Registry) Find(name string) (*action.Action, bool) {
	a, ok := r.byName[name]
	if !ok {
		return nil, false
	}
	return &a.Action, true
}
