package tools

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// ParseArgs reads command-line arguments: key=value pairs typed by the action's
// schema (integers, numbers, booleans, comma-separated or JSON arrays, JSON
// objects), merged over an optional JSON object. Values given as key=value win.
func (a *Action) ParseArgs(pairs []string, jsonObject string) (map[string]any, error) {
	args := map[string]any{}
	if strings.TrimSpace(jsonObject) != "" {
		if err := json.Unmarshal([]byte(jsonObject), &args); err != nil {
			return nil, fmt.Errorf("--json must be a JSON object: %w", err)
		}
	}
	var problems []FieldProblem
	for _, pair := range pairs {
		key, raw, ok := strings.Cut(pair, "=")
		if !ok || key == "" {
			return nil, fmt.Errorf("argument %q: want key=value", pair)
		}
		schema, known := a.properties[key]
		if !known {
			// Left for Validate, which lists the valid arguments.
			args[key] = raw
			continue
		}
		v, err := coerce(schema, raw)
		if err != nil {
			problems = append(problems, FieldProblem{Field: key, Problem: err.Error()})
			continue
		}
		args[key] = v
	}
	if len(problems) > 0 {
		return nil, &InputError{Action: a.Name, Problems: problems}
	}
	return args, nil
}

func coerce(schema map[string]any, raw string) (any, error) {
	switch schemaType(schema) {
	case "integer":
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("want an integer, got %q", raw)
		}
		return n, nil
	case "number":
		f, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			return nil, fmt.Errorf("want a number, got %q", raw)
		}
		return f, nil
	case "boolean":
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return nil, fmt.Errorf("want true or false, got %q", raw)
		}
		return b, nil
	case "array":
		if strings.HasPrefix(strings.TrimSpace(raw), "[") {
			var list []any
			if err := json.Unmarshal([]byte(raw), &list); err != nil {
				return nil, fmt.Errorf("want a JSON array or comma-separated values: %w", err)
			}
			return list, nil
		}
		items, _ := schema["items"].(map[string]any)
		var list []any
		for _, part := range strings.Split(raw, ",") {
			v, err := coerce(items, strings.TrimSpace(part))
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		return list, nil
	case "object", "":
		trimmed := strings.TrimSpace(raw)
		if strings.HasPrefix(trimmed, "{") || schemaType(schema) == "object" {
			var v any
			if err := json.Unmarshal([]byte(raw), &v); err != nil {
				return nil, fmt.Errorf("want a JSON value: %w", err)
			}
			return v, nil
		}
		return raw, nil
	default:
		return raw, nil
	}
}

// schemaType is the schema's single non-null type, or "".
func schemaType(schema map[string]any) string {
	switch t := schema["type"].(type) {
	case string:
		return t
	case []any:
		for _, x := range t {
			if s, ok := x.(string); ok && s != "null" {
				return s
			}
		}
	}
	return ""
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
