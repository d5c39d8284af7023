package main

import (
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// jsonSchema turns an OpenAPI 3.0 schema into a self-contained JSON Schema
// (draft 2020-12): $refs are inlined, `nullable` becomes a type union, boolean
// exclusive bounds become numeric ones, and OpenAPI-only keywords are dropped.
// forInput drops readOnly properties, which a caller never sends.
func jsonSchema(ref *openapi3.SchemaRef, forInput bool) map[string]any {
	c := converter{forInput: forInput, active: map[*openapi3.Schema]bool{}}
	return c.convert(ref)
}

type converter struct {
	forInput bool
	// active guards against recursive schemas: a schema met again inside itself becomes {}.
	active map[*openapi3.Schema]bool
}

func (c converter) convert(ref *openapi3.SchemaRef) map[string]any {
	if ref == nil || ref.Value == nil {
		return map[string]any{}
	}
	s := ref.Value
	if c.active[s] {
		return map[string]any{}
	}
	c.active[s] = true
	defer delete(c.active, s)

	out := map[string]any{}
	if s.Type != nil && len(*s.Type) > 0 {
		types := append([]string(nil), (*s.Type)...)
		if s.Nullable && !contains(types, "null") {
			types = append(types, "null")
		}
		if len(types) == 1 {
			out["type"] = types[0]
		} else {
			out["type"] = types
		}
	}
	if s.Title != "" {
		out["title"] = s.Title
	}
	if d := strings.TrimSpace(s.Description); d != "" {
		out["description"] = d
	}
	if s.Format != "" {
		out["format"] = s.Format
	}
	if len(s.Enum) > 0 {
		enum := append([]any(nil), s.Enum...)
		if s.Nullable && !containsAny(enum, nil) {
			enum = append(enum, nil)
		}
		out["enum"] = enum
	}
	if s.Default != nil {
		out["default"] = s.Default
	}
	if s.Deprecated {
		out["deprecated"] = true
	}
	c.numeric(s, out)
	if s.MinLength > 0 {
		out["minLength"] = s.MinLength
	}
	if s.MaxLength != nil {
		out["maxLength"] = *s.MaxLength
	}
	if s.Pattern != "" {
		out["pattern"] = s.Pattern
	}
	if s.Items != nil {
		out["items"] = c.convert(s.Items)
	}
	if s.MinItems > 0 {
		out["minItems"] = s.MinItems
	}
	if s.MaxItems != nil {
		out["maxItems"] = *s.MaxItems
	}
	if s.UniqueItems {
		out["uniqueItems"] = true
	}
	c.object(s, out)
	for key, refs := range map[string]openapi3.SchemaRefs{"oneOf": s.OneOf, "anyOf": s.AnyOf, "allOf": s.AllOf} {
		if len(refs) == 0 {
			continue
		}
		list := make([]any, 0, len(refs))
		for _, r := range refs {
			list = append(list, c.convert(r))
		}
		out[key] = list
	}
	if s.Not != nil {
		out["not"] = c.convert(s.Not)
	}
	return out
}

func (c converter) numeric(s *openapi3.Schema, out map[string]any) {
	exclusive := func(b openapi3.ExclusiveBound) bool { return b.Bool != nil && *b.Bool }
	if s.Min != nil {
		if exclusive(s.ExclusiveMin) {
			out["exclusiveMinimum"] = *s.Min
		} else {
			out["minimum"] = *s.Min
		}
	}
	if s.Max != nil {
		if exclusive(s.ExclusiveMax) {
			out["exclusiveMaximum"] = *s.Max
		} else {
			out["maximum"] = *s.Max
		}
	}
	if s.MultipleOf != nil {
		out["multipleOf"] = *s.MultipleOf
	}
}

func (c converter) object(s *openapi3.Schema, out map[string]any) {
	if len(s.Properties) > 0 {
		props := map[string]any{}
		for name, p := range s.Properties {
			if c.forInput && p.Value != nil && p.Value.ReadOnly {
				continue
			}
			props[name] = c.convert(p)
		}
		out["properties"] = props
	}
	if len(s.Required) > 0 {
		var required []string
		for _, name := range s.Required {
			if p, ok := s.Properties[name]; ok && c.forInput && p.Value != nil && p.Value.ReadOnly {
				continue
			}
			required = append(required, name)
		}
		sort.Strings(required)
		if len(required) > 0 {
			out["required"] = required
		}
	}
	if ap := s.AdditionalProperties; ap.Has != nil {
		out["additionalProperties"] = *ap.Has
	} else if ap.Schema != nil {
		out["additionalProperties"] = c.convert(ap.Schema)
	}
	if s.MinProps > 0 {
		out["minProperties"] = s.MinProps
	}
	if s.MaxProps != nil {
		out["maxProperties"] = *s.MaxProps
	}
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func containsAny(list []any, v any) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// fieldNames collects every property name that appears anywhere in a converted schema.
func fieldNames(schema map[string]any, into map[string]bool) {
	if schema == nil {
		return
	}
	if props, ok := schema["properties"].(map[string]any); ok {
		for name, p := range props {
			into[name] = true
			if m, ok := p.(map[string]any); ok {
				fieldNames(m, into)
			}
		}
	}
	if items, ok := schema["items"].(map[string]any); ok {
		fieldNames(items, into)
	}
	if ap, ok := schema["additionalProperties"].(map[string]any); ok {
		fieldNames(ap, into)
	}
	for _, key := range []string{"oneOf", "anyOf", "allOf"} {
		if list, ok := schema[key].([]any); ok {
			for _, x := range list {
				if m, ok := x.(map[string]any); ok {
					fieldNames(m, into)
				}
			}
		}
	}
}
