package tools

import (
	"sort"
)

// SchemaType is a JSON schema's one non-null type ("" when it names none),
// and whether it also allows null (["string","null"]).
func SchemaType(schema map[string]any) (typ string, nullable bool) {
	switch t := schema["type"].(type) {
	case string:
		return t, false
	case []any:
		for _, x := range t {
			s, _ := x.(string)
			if s == "null" {
				nullable = true
			} else if s != "" && typ == "" {
				typ = s
			}
		}
	}
	return typ, nullable
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
