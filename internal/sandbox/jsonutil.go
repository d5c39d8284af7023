package sandbox

import (
	"encoding/json"
)

// cloneJSON deep-copies a decoded JSON value, so a reply can be encoded
// after the state lock is released while later requests mutate the original.
func cloneJSON(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = cloneJSON(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = cloneJSON(e)
		}
		return out
	}
	return v
}

// mergeJSON applies patch onto base (JSON merge semantics, except that null
// sets null rather than deleting: the API's PATCH bodies use null to clear).
// Objects merge recursively; anything else replaces. base is not modified.
func mergeJSON(base, patch any) any {
	pm, ok := patch.(map[string]any)
	if !ok {
		return cloneJSON(patch)
	}
	bm, ok := base.(map[string]any)
	if !ok {
		return cloneJSON(patch)
	}
	out := cloneJSON(bm).(map[string]any)
	for k, pv := range pm {
		if _, isObj := pv.(map[string]any); isObj {
			out[k] = mergeJSON(out[k], pv)
			continue
		}
		out[k] = cloneJSON(pv)
	}
	return out
}

// decodeJSONBody decodes a request body into a generic JSON value; an empty
// body is nil.
func decodeJSONBody(b []byte) (any, error) {
	if len(b) == 0 {
		return nil, nil
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, errBadRequest("Invalid request body: %v", err)
	}
	return v, nil
}
