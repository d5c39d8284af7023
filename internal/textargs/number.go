package textargs

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/supaops/supaops/internal/tools"
)

// Numbers stay json.Number from the text to the request: a float64 would
// round integers above 2^53 (ids, byte counts), and the text is what the
// caller meant.

func parseInteger(raw string) (json.Number, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", fmt.Errorf("want an integer, got an empty value")
	}
	n, ok := canonicalNumber(s)
	if !ok {
		return "", fmt.Errorf("want an integer, got %s", shortQuote(raw))
	}
	if !isIntegerText(n) {
		return "", fmt.Errorf("want an integer (a whole number such as 42), got %s", shortQuote(raw))
	}
	if n == "-0" {
		n = "0"
	}
	return n, nil
}

func parseNumber(raw string) (json.Number, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", fmt.Errorf("want a number, got an empty value")
	}
	n, ok := canonicalNumber(s)
	if !ok {
		return "", fmt.Errorf("want a number such as 1.5 or -2, got %s", shortQuote(raw))
	}
	return n, nil
}

// canonicalNumber reads a decimal number as a person types it: JSON's
// syntax, but a leading '+' and leading zeros are allowed (and dropped), so
// the result is a valid JSON number with the same value, digit for digit.
func canonicalNumber(s string) (json.Number, bool) {
	sign := ""
	if s != "" && (s[0] == '+' || s[0] == '-') {
		if s[0] == '-' {
			sign = "-"
		}
		s = s[1:]
	}
	digits := func(s string) int {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i
	}
	i := digits(s)
	if i == 0 {
		return "", false
	}
	whole, rest := strings.TrimLeft(s[:i], "0"), s[i:]
	if whole == "" {
		whole = "0"
	}
	frac := ""
	if strings.HasPrefix(rest, ".") {
		j := 1 + digits(rest[1:])
		if j == 1 {
			return "", false
		}
		frac, rest = rest[:j], rest[j:]
	}
	exp := ""
	if rest != "" && (rest[0] == 'e' || rest[0] == 'E') {
		j := 1
		if j < len(rest) && (rest[j] == '+' || rest[j] == '-') {
			j++
		}
		k := j + digits(rest[j:])
		if k == j {
			return "", false
		}
		exp, rest = rest[:k], rest[k:]
	}
	if rest != "" {
		return "", false
	}
	return json.Number(sign + whole + frac + exp), true
}

// isIntegerText reports whether a JSON number is written as an integer. 1.0
// and 1e3 are whole numbers, but the Management API's integer fields are Go
// and TypeScript integers: written so, they reach it unchanged.
func isIntegerText(n json.Number) bool { return !strings.ContainsAny(string(n), ".eE") }

// nonInteger is a number where the schema wants an integer.
type nonInteger struct{ field, got string }

// nonIntegers walks a JSON value along its schema and lists the numbers not
// written as integers where the schema's type is integer, by dotted path
// (as Validate names fields: "attributes.iops", "ids.0").
func nonIntegers(schema map[string]any, v any, path string) []nonInteger {
	var out []nonInteger
	var walk func(schema map[string]any, v any, path string, depth int)
	walk = func(schema map[string]any, v any, path string, depth int) {
		if schema == nil || depth > 32 {
			return
		}
		typ, _ := tools.SchemaType(schema)
		switch v := v.(type) {
		case json.Number:
			if typ == "integer" && !isIntegerText(v) {
				out = append(out, nonInteger{path, string(v)})
			}
		case []any:
			items, _ := schema["items"].(map[string]any)
			for i, x := range v {
				walk(items, x, join(path, strconv.Itoa(i)), depth+1)
			}
		case map[string]any:
			props, _ := schema["properties"].(map[string]any)
			extra, _ := schema["additionalProperties"].(map[string]any)
			for _, k := range sortedKeys(v) {
				s, ok := props[k].(map[string]any)
				if !ok {
					s = extra
				}
				walk(s, v[k], join(path, k), depth+1)
			}
		}
	}
	walk(schema, v, path, 0)
	return out
}

func join(path, elem string) string {
	if path == "" {
		return elem
	}
	return path + "." + elem
}
