package sandbox

import (
	"github.com/getkin/kin-openapi/openapi3"
)

// conform projects a stored value onto a response schema: properties the
// schema does not know are dropped, missing required ones and values of the
// wrong shape are synthesized. Stored documents are shared between a GET and
// the PATCH/PUT that change them, whose schemas differ, so every answer goes
// through here to stay valid.
func (sy *synthesizer) conform(v any, s *openapi3.Schema, name string, sc *synthCtx, depth int) any {
	if s == nil {
		return v
	}
	if v == nil {
		if s.Nullable {
			return nil
		}
		return sy.value(s, name, sc, depth)
	}
	if len(s.OneOf) > 0 || len(s.AnyOf) > 0 || len(s.AllOf) > 0 || len(s.Enum) > 0 {
		if s.VisitJSON(v) == nil {
			return v
		}
		return sy.value(s, name, sc, depth)
	}
	switch {
	case s.Type.Is("object") || (s.Type.IsEmpty() && len(s.Properties) > 0):
		m, ok := v.(map[string]any)
		if !ok {
			return sy.value(s, name, sc, depth)
		}
		return sy.conformObject(m, s, sc, depth)
	case s.Type.Is("array"):
		items, ok := v.([]any)
		if !ok {
			return sy.value(s, name, sc, depth)
		}
		out := make([]any, len(items))
		for i, it := range items {
			if s.Items != nil {
				out[i] = sy.conform(it, s.Items.Value, name, sc, depth+1)
			} else {
				out[i] = it
			}
		}
		if s.VisitJSON(out) != nil {
			return sy.value(s, name, sc, depth)
		}
		return out
	}
	if s.VisitJSON(v) == nil {
		return v
	}
	return sy.value(s, name, sc, depth)
}

func (sy *synthesizer) conformObject(m map[string]any, s *openapi3.Schema, sc *synthCtx, depth int) map[string]any {
	out := make(map[string]any, len(m))
	for k, pv := range m {
		prop, known := s.Properties[k]
		switch {
		case known:
			out[k] = sy.conform(pv, prop.Value, k, sc, depth+1)
		case s.AdditionalProperties.Schema != nil:
			out[k] = sy.conform(pv, s.AdditionalProperties.Schema.Value, k, sc, depth+1)
		case len(s.Properties) == 0 && (s.AdditionalProperties.Has == nil || *s.AdditionalProperties.Has):
			// A free-form object keeps what it was given.
			out[k] = pv
		}
	}
	for _, k := range s.Required {
		if _, ok := out[k]; ok {
			continue
		}
		if prop, ok := s.Properties[k]; ok {
			out[k] = sy.value(prop.Value, k, sc, depth+1)
		}
	}
	return out
}
