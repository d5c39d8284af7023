package tools

import (
	"encoding/json"
	"path"
	"regexp"
	"strings"
	"testing"
)

// fieldLike picks words of a note that could name a field: snake_case names,
// globs like external_*_secret, and the one-word secret fields.
var fieldLike = regexp.MustCompile(`[a-z][a-z0-9]*(?:_[a-z0-9*]+)+|\b(?:value|token|password|secrets)\b`)

// TestSecretsNamedInEndpointNotesAreRedacted reads the notes of api/endpoints.tsv:
// wherever a note asks to redact, every field it names that the action carries
// must be among the action's secret fields (and a glob must match one of them).
// The sandbox test then checks each secret field really comes back masked.
func TestSecretsNamedInEndpointNotesAreRedacted(t *testing.T) {
	reg := loadRegistry(t)
	checked := 0
	for _, row := range readEndpoints(t) {
		if !strings.Contains(row.riskNote, "redact") {
			continue
		}
		var a *Action
		for _, x := range reg.Actions() {
			if x.Method == row.method && x.Path == row.path {
				a = x
			}
		}
		if a == nil {
			t.Fatalf("%s %s: no action", row.method, row.path)
		}
		fields := schemaFields(t, a)
		for _, word := range fieldLike.FindAllString(row.riskNote, -1) {
			if strings.Contains(word, "*") {
				if !anyMatch(word, a.Secrets) {
					t.Errorf("%s: note names %s, which matches none of its secret fields %v", a.Name, word, a.Secrets)
				}
				checked++
				continue
			}
			if !fields[word] {
				continue // a word of the prose, not a field of this action
			}
			if !contains(a.Secrets, word) {
				t.Errorf("%s: note %q names %s, which is not redacted (secrets: %v)", a.Name, row.riskNote, word, a.Secrets)
			}
			checked++
		}
	}
	if checked < 15 {
		t.Errorf("only %d secret fields found in the notes; the parser has gone blind", checked)
	}
}

func anyMatch(glob string, names []string) bool {
	for _, n := range names {
		if ok, _ := path.Match(glob, n); ok {
			return true
		}
	}
	return false
}

// schemaFields collects every property name in an action's input and output schemas.
func schemaFields(t *testing.T, a *Action) map[string]bool {
	t.Helper()
	fields := map[string]bool{}
	for _, raw := range [][]byte{a.InputSchema, a.OutputSchema} {
		if len(raw) == 0 {
			continue
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatal(err)
		}
		collect(v, fields)
	}
	return fields
}

func collect(v any, into map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		if props, ok := x["properties"].(map[string]any); ok {
			for name := range props {
				into[name] = true
			}
		}
		for _, val := range x {
			collect(val, into)
		}
	case []any:
		for _, val := range x {
			collect(val, into)
		}
	}
}
