package tools

import (
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Example returns arguments that satisfy the action's schema: every required
// argument, taken from known when it names it (real ids of the caller's
// projects, say) and otherwise made up from the schema. It shows a caller the
// shape of a call; made-up values are placeholders, not suggestions.
func (a *Action) Example(known map[string]any) map[string]any {
	args := map[string]any{}
	for _, p := range a.Params {
		if v, ok := known[p.Name]; ok {
			args[p.Name] = v
			continue
		}
		switch {
		case p.Required && slices.Contains(a.SQL, p.Name):
			// SQL is classified before it is sent: a placeholder must parse.
			args[p.Name] = "select 1"
		case p.Required:
			schema, _ := a.Property(p.Name)
			args[p.Name] = exampleValue(schema, 0)
		}
	}
	return args
}

// exampleValue makes a value valid for schema: enums take their first value,
// strings honour format, length and the common patterns, objects get their
// required properties.
func exampleValue(schema map[string]any, depth int) any {
	if depth > 8 || schema == nil {
		return nil
	}
	if v, ok := schema["default"]; ok {
		return v
	}
	if list, ok := schema["examples"].([]any); ok && len(list) > 0 {
		return list[0]
	}
	if enum, ok := schema["enum"].([]any); ok && len(enum) > 0 {
		return enum[0]
	}
	for _, key := range []string{"oneOf", "anyOf"} {
		if list, ok := schema[key].([]any); ok && len(list) > 0 {
			first, _ := list[0].(map[string]any)
			return exampleValue(first, depth+1)
		}
	}
	switch typ, _ := SchemaType(schema); typ {
	case "string":
		return exampleString(schema)
	case "integer":
		return int64(number(schema["minimum"], 1))
	case "number":
		return number(schema["minimum"], 1)
	case "boolean":
		return true
	case "array":
		items, _ := schema["items"].(map[string]any)
		n := int(number(schema["minItems"], 1))
		list := make([]any, 0, n)
		for i := 0; i < max(n, 1); i++ {
			list = append(list, exampleValue(items, depth+1))
		}
		return list
	case "object":
		obj := map[string]any{}
		props, _ := schema["properties"].(map[string]any)
		required, _ := schema["required"].([]any)
		names := make([]string, 0, len(required))
		for _, r := range required {
			if s, ok := r.(string); ok {
				names = append(names, s)
			}
		}
		sort.Strings(names)
		for _, name := range names {
			prop, _ := props[name].(map[string]any)
			obj[name] = exampleValue(prop, depth+1)
		}
		return obj
	}
	return "example"
}

var lettersOnly = regexp.MustCompile(`^\^\[a-z\]\+\$$`)

func exampleString(schema map[string]any) string {
	switch schema["format"] {
	case "uuid":
		return "00000000-0000-4000-8000-000000000000"
	case "date-time":
		return "2026-01-01T00:00:00Z"
	case "date":
		return "2026-01-01"
	case "uri", "url":
		return "https://example.com"
	case "email":
		return "ops@example.com"
	}
	minLen := int(number(schema["minLength"], 0))
	maxLen := int(number(schema["maxLength"], 0))
	pattern, _ := schema["pattern"].(string)
	s := "example"
	switch {
	case lettersOnly.MatchString(pattern):
		s = strings.Repeat("a", max(minLen, 1))
	case pattern == `^\d+$`:
		s = "1"
	case pattern != "":
		if re, err := regexp.Compile(pattern); err == nil && !re.MatchString(s) {
			for _, candidate := range []string{"example_1", "example-1", "1", "a", "1s", "a=1"} {
				if re.MatchString(candidate) {
					s = candidate
					break
				}
			}
		}
	}
	for len(s) < minLen {
		s += "x"
	}
	if maxLen > 0 && len(s) > maxLen {
		s = s[:maxLen]
	}
	return s
}

func number(v any, fallback float64) float64 {
	switch n := v.(type) {
	case float64:
		return n
	case int64:
		return float64(n)
	}
	return fallback
}
