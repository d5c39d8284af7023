package tools

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/supaops/supaops/internal/action"
	"github.com/supaops/supaops/internal/suggest"
)

// FieldProblem is one thing wrong with one argument.
type FieldProblem struct {
	Field   string `json:"field"`
	Problem string `json:"problem"`
}

// InputError says which arguments are wrong and what is allowed. Nothing was sent.
type InputError struct {
	Action   string         `json:"action"`
	Problems []FieldProblem `json:"problems"`
	// Valid lists the action's arguments when an unknown one was given.
	Valid []string `json:"valid,omitempty"`
}

// ProblemsText lists problems on one line: "field: problem; field: problem".
func ProblemsText(problems []FieldProblem) string {
	var b strings.Builder
	for i, p := range problems {
		if i > 0 {
			b.WriteString("; ")
		}
		if p.Field != "" {
			b.WriteString(p.Field + ": ")
		}
		b.WriteString(p.Problem)
	}
	return b.String()
}

func (e *InputError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "invalid arguments for %s: %s", e.Action, ProblemsText(e.Problems))
	if len(e.Valid) > 0 {
		fmt.Fprintf(&b, " (valid arguments: %s)", strings.Join(e.Valid, ", "))
	} else if e.Valid != nil {
		b.WriteString(" (this action takes no arguments)")
	}
	return b.String()
}

func compileSchema(name string, schema []byte) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		return nil, fmt.Errorf("input schema of %s: %w", name, err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	url := "supaops://actions/" + name
	if err := c.AddResource(url, doc); err != nil {
		return nil, fmt.Errorf("input schema of %s: %w", name, err)
	}
	s, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("compiling input schema of %s: %w", name, err)
	}
	return s, nil
}

// Normalize turns arguments of any Go shape (ints, structs, json.Number...) into
// plain JSON values (map[string]any, []any, string, json.Number, bool, nil),
// which is what validation and the request builders read.
func Normalize(args map[string]any) (map[string]any, error) {
	if len(args) == 0 {
		return map[string]any{}, nil
	}
	data, err := json.Marshal(args)
	if err != nil {
		return nil, fmt.Errorf("arguments are not JSON values: %w", err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("reading arguments: %w", err)
	}
	m, _ := v.(map[string]any)
	return m, nil
}

// Validate checks normalized arguments against the action's input schema. Unknown
// arguments are refused with the list of valid ones; every other problem names
// the argument and what it allows.
func (a *Action) Validate(args map[string]any) error {
	props, err := a.inputProperties()
	if err != nil {
		return err
	}
	var unknown []FieldProblem
	for name := range args {
		if _, ok := props[name]; !ok {
			problem := "unknown argument"
			if near := suggest.Closest(name, a.ArgumentNames(), 1); len(near) == 1 {
				problem += fmt.Sprintf(" (did you mean %s?)", near[0])
			}
			unknown = append(unknown, FieldProblem{Field: name, Problem: problem})
		}
	}
	if len(unknown) > 0 {
		sort.Slice(unknown, func(i, j int) bool { return unknown[i].Field < unknown[j].Field })
		valid := a.ArgumentNames()
		sort.Strings(valid)
		if valid == nil {
			valid = []string{}
		}
		return &InputError{Action: a.Name, Problems: unknown, Valid: valid}
	}
	schema, err := a.compile()
	if err != nil {
		return err
	}
	var problems []FieldProblem
	err = schema.Validate(any(args))
	var ve *jsonschema.ValidationError
	if errors.As(err, &ve) {
		problems = a.describe(ve)
	} else if err != nil {
		return fmt.Errorf("validating arguments of %s: %w", a.Name, err)
	}
	problems = append(problems, a.pathProblems(args, problems)...)
	if len(problems) == 0 && a.check != nil {
		problems = a.check(args)
	}
	if len(problems) > 0 {
		return &InputError{Action: a.Name, Problems: problems}
	}
	return nil
}

// pathProblems refuses path arguments that would not stay one segment of
// the action's own path: "." and ".." are resolved away by URL resolution
// (run_id=".." turns GET /projects/{ref}/actions/{run_id} into GET
// /projects/{ref}), and "" leaves an empty segment, so policy and audit would
// see one action while the API runs another. Arguments the schema already
// found wrong are not reported twice.
func (a *Action) pathProblems(args map[string]any, already []FieldProblem) []FieldProblem {
	var out []FieldProblem
	for _, p := range a.Params {
		if p.In != action.InPath {
			continue
		}
		v, ok := args[p.Name].(string)
		if !ok || v != "" && v != "." && v != ".." {
			continue
		}
		if slices.ContainsFunc(already, func(fp FieldProblem) bool { return fp.Field == p.Name }) {
			continue
		}
		problem := fmt.Sprintf("%q is not allowed: a path argument must be a non-empty value other than \".\" and \"..\", which would reach another endpoint", v)
		out = append(out, FieldProblem{Field: p.Name, Problem: problem + a.hint(p.Name)})
	}
	return out
}

// describe flattens a validation error tree into one line per failing argument.
func (a *Action) describe(ve *jsonschema.ValidationError) []FieldProblem {
	printer := message.NewPrinter(language.English)
	var out []FieldProblem
	seen := map[string]bool{}
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		// A failed oneOf/anyOf lists why each branch failed; the branches are the
		// useful part, unless there are none.
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		if k, ok := e.ErrorKind.(*kind.Required); ok {
			for _, missing := range k.Missing {
				field := strings.Join(append(append([]string{}, e.InstanceLocation...), missing), ".")
				out = appendProblem(out, seen, field, "required"+a.hint(field))
			}
			return
		}
		field := strings.Join(e.InstanceLocation, ".")
		out = appendProblem(out, seen, field, a.problem(e.ErrorKind, field, printer)+a.hint(field))
	}
	walk(ve)
	return out
}

// problem words the common failures plainly; the rest keep the validator's words.
func (a *Action) problem(k jsonschema.ErrorKind, field string, printer *message.Printer) string {
	switch k := k.(type) {
	case *kind.MinLength:
		return fmt.Sprintf("must be at least %d characters long, got %d", k.Want, k.Got)
	case *kind.MaxLength:
		return fmt.Sprintf("must be at most %d characters long, got %d", k.Want, k.Got)
	case *kind.Pattern:
		return fmt.Sprintf("%q does not match the pattern %s", k.Got, k.Want)
	case *kind.Not:
		if s := a.schemaAt(field); s != nil {
			if not, ok := s["not"].(map[string]any); ok {
				if pattern, ok := not["pattern"].(string); ok {
					return "must not match the pattern " + pattern
				}
			}
		}
	}
	return k.LocalizedString(printer)
}

func appendProblem(list []FieldProblem, seen map[string]bool, field, problem string) []FieldProblem {
	key := field + "\x00" + problem
	if seen[key] {
		return list
	}
	seen[key] = true
	return append(list, FieldProblem{Field: field, Problem: problem})
}

// hint adds what the schema says about a field: its description and allowed values.
func (a *Action) hint(field string) string {
	s := a.schemaAt(field)
	if s == nil {
		return ""
	}
	var parts []string
	if d, _ := s["description"].(string); d != "" && len(d) <= 160 {
		parts = append(parts, strings.TrimSuffix(d, "."))
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, "; ") + ")"
}

// schemaAt walks the input schema along a dotted instance path.
func (a *Action) schemaAt(field string) map[string]any {
	if field == "" {
		return nil
	}
	parts := strings.Split(field, ".")
	s, ok := a.Property(parts[0])
	if !ok {
		return nil
	}
	for _, part := range parts[1:] {
		if props, ok := s["properties"].(map[string]any); ok {
			if next, ok := props[part].(map[string]any); ok {
				s = next
				continue
			}
		}
		if items, ok := s["items"].(map[string]any); ok {
			s = items
			continue
		}
		return nil
	}
	return s
}

// IntValue reads a whole number from a JSON value as arguments and results
// hold them (json.Number, float64, or a Go integer); false for anything
// else, a fraction included.
func IntValue(v any) (int, bool) {
	switch n := v.(type) {
	case json.Number:
		i, err := n.Int64()
		return int(i), err == nil
	case float64:
		if n != float64(int(n)) {
			return 0, false
		}
		return int(n), true
	case int:
		return n, true
	case int64:
		return int(n), true
	}
	return 0, false
}
