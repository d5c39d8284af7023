package jobstore

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
)

// maxArgDepth bounds how deeply an action's arguments nest.
const maxArgDepth = 32

// checkArgValue checks that v is what encoding/json decodes with UseNumber,
// so that args built in Go encode, and digest, as the same args read from a
// file.
func checkArgValue(v any, depth int) error {
	if depth > maxArgDepth {
		return fmt.Errorf("nested deeper than %d levels", maxArgDepth)
	}
	switch x := v.(type) {
	case nil, string, bool:
		return nil
	case json.Number:
		if x == "" || !json.Valid([]byte(x)) || x[0] != '-' && (x[0] < '0' || x[0] > '9') {
			return fmt.Errorf("%q is not a JSON number", string(x))
		}
		return nil
	case []any:
		for i, item := range x {
			if err := checkArgValue(item, depth+1); err != nil {
				return fmt.Errorf("[%d]: %w", i, err)
			}
		}
		return nil
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(x)) {
			if err := checkArgValue(x[k], depth+1); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
		}
		return nil
	}
	return fmt.Errorf("a %T; args hold strings, booleans, null, json.Number, lists and objects", v)
}
