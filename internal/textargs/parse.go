package textargs

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/supaops/supaops/internal/tools"
)

// Parse reads an action's arguments from key=value words, typed by the
// action's input schema, merged over jsonObject (a JSON object, or "" for
// none). A key=value wins over the same key in jsonObject.
//
// Values by schema type:
//   - string: the text as given; key= is the empty string;
//   - integer: a whole number, kept exactly as a json.Number (no float64
//     rounding above 2^53); "1.5" or "1e3" is refused;
//   - number: a JSON number, kept exactly as a json.Number;
//   - boolean: true/false (also yes/no, 1/0, t/f, any case);
//   - array: a JSON array, or comma-separated items when the items are
//     scalars (a,b,c; key= is the empty list);
//   - object: a JSON object;
//   - no single type (oneOf): JSON when it starts with '{', else the text;
//   - a nullable non-string type: null is JSON null.
//
// Every JSON value is decoded with numbers kept as json.Number. Unknown keys
// are kept as text for the registry's Validate, which refuses them with the
// list of valid arguments. Every problem found (a word without '=', a key
// given twice, a value of the wrong type, a non-integer where an integer is
// required, bad JSON) is reported together in one *tools.InputError.
func Parse(a *tools.Action, pairs []string, jsonObject string) (map[string]any, error) {
	args := map[string]any{}
	var problems []tools.FieldProblem
	add := func(field, format string, v ...any) {
		problems = append(problems, tools.FieldProblem{Field: field, Problem: fmt.Sprintf(format, v...)})
	}

	if strings.TrimSpace(jsonObject) != "" {
		obj, dups, err := decodeObject(jsonObject)
		if err != nil {
			add("", "--json must be a JSON object: %v", err)
		}
		for _, key := range dups {
			add(key, "given twice in --json: give it once")
		}
		for _, key := range sortedKeys(obj) {
			if schema, ok := a.Property(key); ok {
				for _, bad := range nonIntegers(schema, obj[key], key) {
					add(bad.field, "want an integer (a whole number such as 42), got %s", bad.got)
				}
			}
			args[key] = obj[key]
		}
	}

	given := map[string]bool{}
	for _, pair := range pairs {
		key, raw, ok := strings.Cut(pair, "=")
		switch {
		case !ok:
			if _, known := a.Property(pair); known {
				add(pair, "no value: write %s", example(a, pair))
			} else {
				add("", "argument %s is not key=value: %s", shortQuote(pair), examples(a))
			}
			continue
		case key == "":
			// The value is not repeated: it may be a secret.
			add("", "an argument starts with '=': give its name, %s", examples(a))
			continue
		case given[key]:
			// Values are not repeated: they may be secrets.
			add(key, "given twice: give it once")
			continue
		}
		given[key] = true
		schema, known := a.Property(key)
		if !known {
			args[key] = raw // left for Validate, which lists the valid arguments
			continue
		}
		v, err := coerce(schema, raw)
		if err != nil {
			add(key, "%v", err)
			continue
		}
		for _, bad := range nonIntegers(schema, v, key) {
			add(bad.field, "want an integer (a whole number such as 42), got %s", bad.got)
		}
		args[key] = v
	}
	if len(problems) > 0 {
		return nil, &tools.InputError{Action: a.Name, Problems: problems}
	}
	return args, nil
}

// coerce types one value by its schema.
func coerce(schema map[string]any, raw string) (any, error) {
	typ, nullable := tools.SchemaType(schema)
	if nullable && typ != "string" && strings.TrimSpace(raw) == "null" {
		return nil, nil
	}
	switch typ {
	case "string":
		return raw, nil
	case "integer":
		return parseInteger(raw)
	case "number":
		return parseNumber(raw)
	case "boolean":
		return parseBool(raw)
	case "array":
		return parseArray(schema, raw)
	case "object":
		v, err := decodeJSON(raw)
		if err != nil {
			return nil, fmt.Errorf(`want a JSON object such as {"key": "value"}: %w`, err)
		}
		return v, nil
	default:
		// No single type (oneOf, or any): JSON when it looks like an object.
		if strings.HasPrefix(strings.TrimSpace(raw), "{") {
			v, err := decodeJSON(raw)
			if err != nil {
				return nil, fmt.Errorf("want a JSON value: %w", err)
			}
			return v, nil
		}
		return raw, nil
	}
}

func parseArray(schema map[string]any, raw string) (any, error) {
	items, _ := schema["items"].(map[string]any)
	trimmed := strings.TrimSpace(raw)
	if strings.HasPrefix(trimmed, "[") {
		v, err := decodeJSON(raw)
		if err != nil {
			return nil, fmt.Errorf("want a JSON array or comma-separated values: %w", err)
		}
		return v, nil
	}
	itemType, _ := tools.SchemaType(items)
	switch itemType {
	case "object", "array":
		return nil, fmt.Errorf("want a JSON array, e.g. [%s]", map[string]string{"object": "{...}", "array": "[...]"}[itemType])
	}
	list := []any{}
	if trimmed == "" {
		return list, nil
	}
	for i, part := range strings.Split(raw, ",") {
		v, err := coerce(items, strings.TrimSpace(part))
		if err != nil {
			return nil, fmt.Errorf("item %d: %w", i+1, err)
		}
		list = append(list, v)
	}
	return list, nil
}

func parseBool(raw string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(raw)) {
	case "true", "t", "yes", "1":
		return true, nil
	case "false", "f", "no", "0":
		return false, nil
	}
	return false, fmt.Errorf("want true or false, got %s", shortQuote(raw))
}

// decodeJSON reads exactly one JSON value, numbers as json.Number.
func decodeJSON(raw string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("unexpected text after the JSON value")
	}
	return v, nil
}

// decodeObject reads a JSON object, numbers as json.Number, and names the
// keys it holds more than once (encoding/json silently keeps the last).
func decodeObject(raw string) (obj map[string]any, dups []string, err error) {
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, nil, jsonError(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, nil, fmt.Errorf("got %s", describeToken(tok))
	}
	obj = map[string]any{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, jsonError(err)
		}
		key, _ := tok.(string) // inside an object the decoder yields only string keys
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", key, jsonError(err))
		}
		if _, seen := obj[key]; seen {
			dups = append(dups, key)
		}
		obj[key] = v
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, nil, jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, nil, errors.New("unexpected text after the object")
	}
	return obj, dups, nil
}

func jsonError(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("unexpected end of JSON")
	}
	return err
}

func describeToken(tok json.Token) string {
	switch tok := tok.(type) {
	case json.Delim:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	default:
		return fmt.Sprintf("%v", tok)
	}
}

// example is a key=value for one argument, with a value valid for its
// schema where the registry can make one up.
func example(a *tools.Action, key string) string {
	if v, ok := a.Example(nil)[key]; ok { // required arguments only
		return key + "=" + exampleText(v)
	}
	schema, _ := a.Property(key)
	typ, _ := tools.SchemaType(schema)
	switch typ {
	case "boolean":
		return key + "=true"
	case "integer":
		return key + "=1"
	case "number":
		return key + "=1.5"
	case "array":
		items, _ := schema["items"].(map[string]any)
		if t, _ := tools.SchemaType(items); t == "object" || t == "array" {
			return key + "='[...]'"
		}
		return key + "=a,b"
	case "object":
		return key + `='{"key": "value"}'`
	}
	return key + "=VALUE"
}

// examples tells how to write an argument, with a real one of the action.
func examples(a *tools.Action) string {
	names := a.ArgumentNames()
	if len(names) == 0 {
		return a.Name + " takes no arguments"
	}
	// A required argument makes the best example.
	name := names[0]
	for _, p := range a.Params {
		if p.Required {
			name = p.Name
			break
		}
	}
	return fmt.Sprintf("write NAME=VALUE, e.g. %s (quote a value with spaces: %s=\"a b\")", example(a, name), name)
}

func exampleText(v any) string {
	if s, ok := v.(string); ok {
		return Quote(s)
	}
	data, err := json.Marshal(v)
	if err != nil {
		return "VALUE"
	}
	return Quote(string(data))
}

// shortQuote quotes s for a message, cut so a pasted page stays readable.
func shortQuote(s string) string {
	const limit = 60
	if len(s) <= limit {
		return strconv.Quote(s)
	}
	cut := limit
	for cut > 0 && s[cut]&0xC0 == 0x80 { // not inside a UTF-8 sequence
		cut--
	}
	return strconv.Quote(s[:cut]) + "…"
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
