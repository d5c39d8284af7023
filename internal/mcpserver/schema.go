package mcpserver

import (
	"encoding/json"
	"fmt"
	"mime"
	"regexp"
	"slices"

	"github.com/supaops/supaops/internal/redact"
	"github.com/supaops/supaops/internal/tools"
)

// confirmArg is the argument that carries a confirmation or approval token.
// The registry has no argument of that name (a test checks it).
const confirmArg = "confirm"

// maxSchemaDepth is how deep compact schemas keep nested properties; deeper
// objects keep only their type, and describe_action gives the rest.
const maxSchemaDepth = 3

// maxEnumValues is the longest enum compact schemas keep.
const maxEnumValues = 8

// fullInputSchema is an action's input schema as the registry has it, minus
// the project argument when the server is scoped to a project (it is
// injected).
func fullInputSchema(a *tools.Action, scoped bool) (map[string]any, error) {
	var s map[string]any
	if err := json.Unmarshal(a.InputSchema, &s); err != nil {
		return nil, fmt.Errorf("input schema of %s: %w", a.Name, err)
	}
	if scoped {
		dropArg(s, a.Target.Project)
	}
	return s, nil
}

func dropArg(s map[string]any, name string) {
	if props, ok := s["properties"].(map[string]any); ok {
		delete(props, name)
	}
	if req, ok := s["required"].([]any); ok {
		s["required"] = slices.DeleteFunc(slices.Clone(req), func(v any) bool { return v == name })
		if len(s["required"].([]any)) == 0 {
			delete(s, "required")
		}
	}
}

// compactInputSchema keeps what a model needs to call correctly — types,
// enums, required, patterns, formats, bounds — and drops prose, defaults and
// length limits that cost bytes in every tools/list. The pipeline validates
// against the full schema anyway, and describe_action shows it.
func compactInputSchema(a *tools.Action, scoped, withConfirm bool) (map[string]any, error) {
	full, err := fullInputSchema(a, scoped)
	if err != nil {
		return nil, err
	}
	props, _ := full["properties"].(map[string]any)
	out := make(map[string]any, len(props)+1)
	for name, p := range props {
		if m, ok := p.(map[string]any); ok {
			out[name] = compactProperty(m, 1)
		}
	}
	if withConfirm {
		out[confirmArg] = map[string]any{"type": "string"}
	}
	s := map[string]any{"type": "object", "properties": out}
	if req, ok := full["required"].([]any); ok && len(req) > 0 {
		s["required"] = req
	}
	return s, nil
}

// fixedLetters recognises "n lower-case letters" written as a pattern plus
// equal length bounds (the project ref), which one pattern says shorter.
var fixedLetters = regexp.MustCompile(`^\^\[a-z\]\+\$$`)

func compactProperty(p map[string]any, depth int) map[string]any {
	out := map[string]any{}
	for _, key := range []string{"type", "enum", "const", "format", "pattern", "minimum", "maximum"} {
		if v, ok := p[key]; ok {
			out[key] = v
		}
	}
	// A long enum (instance sizes, regions) costs more than it helps here;
	// a wrong value is refused with the allowed list.
	if enum, ok := out["enum"].([]any); ok && len(enum) > maxEnumValues {
		delete(out, "enum")
	}
	if pat, ok := p["pattern"].(string); ok && fixedLetters.MatchString(pat) {
		if lo, hi := p["minLength"], p["maxLength"]; lo != nil && lo == hi {
			out["pattern"] = fmt.Sprintf("^[a-z]{%v}$", lo)
		}
	}
	for _, key := range []string{"oneOf", "anyOf"} {
		if list, ok := p[key].([]any); ok {
			branches := make([]any, 0, len(list))
			for _, b := range list {
				if m, ok := b.(map[string]any); ok {
					branches = append(branches, compactProperty(m, depth+1))
				}
			}
			out[key] = branches
		}
	}
	if depth >= maxSchemaDepth {
		return out
	}
	if items, ok := p["items"].(map[string]any); ok && len(items) > 0 {
		out["items"] = compactProperty(items, depth+1)
	}
	if props, ok := p["properties"].(map[string]any); ok && len(props) > 0 {
		nested := make(map[string]any, len(props))
		for name, v := range props {
			if m, ok := v.(map[string]any); ok {
				nested[name] = compactProperty(m, depth+1)
			}
		}
		out["properties"] = nested
		if req, ok := p["required"].([]any); ok && len(req) > 0 {
			out["required"] = req
		}
	}
	return out
}

// outputShape says how a result becomes structuredContent.
type outputShape int

const (
	noStructured  outputShape = iota
	objectOutput              // the JSON object itself
	wrappedOutput             // an array, as {"items": [...]}: structuredContent must be an object
)

// outputTop is the top level of an output schema, each keyword's value
// still JSON text: all that shapes and compact output schemas read, so the
// rest of a schema that is often large is not built (shapeOf runs for every
// result).
type outputTop map[string]json.RawMessage

// value decodes one keyword's value; nil when absent or not JSON.
func (t outputTop) value(key string) any {
	var v any
	if raw, ok := t[key]; ok && json.Unmarshal(raw, &v) == nil {
		return v
	}
	return nil
}

// shapeOf tells whether an action's result is typed JSON worth a schema.
// Untrusted results never are: structured data would bypass the boundary.
func shapeOf(a *tools.Action) (outputShape, outputTop) {
	if a.OutputType() == nil || len(a.OutputSchema) == 0 || a.Untrusted {
		return noStructured, nil
	}
	mediaType, _, _ := mime.ParseMediaType(a.OutputContentType)
	if mediaType != "application/json" {
		return noStructured, nil
	}
	var s outputTop
	if err := json.Unmarshal(a.OutputSchema, &s); err != nil {
		return noStructured, nil
	}
	switch s.value("type") {
	case "array":
		return wrappedOutput, s
	case "object":
		return objectOutput, s
	}
	return noStructured, nil
}

// compactOutputSchema lists the top-level properties the API always returns
// (the spec's required ones) with their types: enough to read
// structuredContent, cheap in tools/list, and loose enough that every real
// (redacted, cut) result conforms — nothing is required and other properties
// are allowed. Secret fields get no type: redaction turns any value into a
// string.
func compactOutputSchema(a *tools.Action) map[string]any {
	shape, s := shapeOf(a)
	switch shape {
	case wrappedOutput:
		return map[string]any{"type": "object", "properties": map[string]any{"items": map[string]any{"type": "array"}}}
	case objectOutput:
		// What is not an object or a list here counts as absent.
		var props map[string]outputTop
		_ = json.Unmarshal(s["properties"], &props)
		required, _ := s.value("required").([]any)
		if len(props) == 0 || len(required) == 0 {
			return map[string]any{"type": "object"}
		}
		r := redact.New(a.Secrets)
		out := make(map[string]any, len(required))
		for _, v := range required {
			name, _ := v.(string)
			p := props[name]
			if p == nil {
				continue // absent, or not an object schema
			}
			if _, ok := p["type"]; ok && !r.IsSecretField(name) {
				out[name] = map[string]any{"type": p.value("type")}
			} else {
				out[name] = map[string]any{}
			}
		}
		return map[string]any{"type": "object", "properties": out}
	}
	return nil
}
