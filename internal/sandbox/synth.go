package sandbox

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

// synthesizer builds deterministic, schema-valid values from response
// schemas for the operations without hand-written state. Values depend only
// on the schema, the property names and the request's path parameters.
type synthesizer struct {
	hints map[string]synthHint
	// skippedOptional are optional properties that only carry failures, so
	// a healthy synthesized answer leaves them out.
	skippedOptional map[string]bool
}

// synthHint proposes a value for a property by name; the synthesizer keeps it
// only if it validates against the property's schema.
type synthHint func(sc *synthCtx) any

// synthCtx carries what a value may depend on besides the schema.
type synthCtx struct {
	params map[string]string // path parameters of the request
	salt   string            // varies generated ids between paths
}

const (
	// Optional properties and array items stop appearing below these depths,
	// which keeps recursive schemas finite and bodies small.
	maxOptionalDepth = 4
	maxArrayDepth    = 5
	maxDepth         = 12
)

func newSynthesizer() *synthesizer {
	sy := &synthesizer{
		hints: make(map[string]synthHint),
		skippedOptional: map[string]bool{
			"error": true, "errors": true, "warnings": true, "validation_errors": true, "verification_errors": true,
			"messages": true, "objects_to_be_dropped": true, "unsupported_extensions": true,
			"legacy_auth_custom_roles": true, "user_defined_objects_in_internal_schemas": true,
		},
	}
	ref := func(sc *synthCtx) any { return sc.paramOr("ref", seedProjectRef) }
	for _, n := range []string{"ref", "project_ref", "parent_project_ref", "identifier"} {
		sy.hints[n] = ref
	}
	slug := func(sc *synthCtx) any { return sc.paramOr("slug", seedOrgSlug) }
	sy.hints["organization_slug"] = slug
	constant := func(v any) synthHint { return func(*synthCtx) any { return cloneJSON(v) } }
	for name, v := range map[string]any{
		"region":           "us-east-1",
		"cloud_provider":   "AWS",
		"db_host":          "db.sandbox.supabase.invalid",
		"db_name":          "postgres",
		"db_user":          "postgres",
		"db_port":          5432,
		"host":             "db.sandbox.supabase.invalid",
		"email":            "sandbox@example.com",
		"primary_email":    "sandbox@example.com",
		"username":         "sandbox-user",
		"site_url":         "http://localhost:3000",
		"healthy":          true,
		"eligible":         true,
		"available":        true,
		"postgres_engine":  "17",
		"release_channel":  "ga",
		"db_schema":        "public,storage,graphql_public",
		"schema":           "public",
		"status":           "active",
		"postgres_version": "17",
		"message":          "ok",
		"description":      "Synthesized by the supaops sandbox",
		"name":             "sandbox",
		"version":          "20250106090000",
		"types":            "export type Json = string | number | boolean | null | { [key: string]: Json | undefined } | Json[]\n\n// supaops sandbox: canned types, no database was inspected\nexport type Database = {}\n",
	} {
		sy.hints[name] = constant(v)
	}
	sy.hints["dbAllowedCidrs"] = constant([]any{"0.0.0.0/0"})
	sy.hints["dbAllowedCidrsV6"] = constant([]any{"::/0"})
	for _, n := range []string{"created_at", "inserted_at", "updated_at", "timestamp", "initiated_at", "latest_status_at", "last_modified_at", "applied_at"} {
		sy.hints[n] = func(*synthCtx) any { return epoch().Format(time.RFC3339) }
	}
	return sy
}

func (sc *synthCtx) paramOr(name, fallback string) string {
	if v := sc.params[name]; v != "" {
		return v
	}
	return fallback
}

// uuid derives a stable RFC 4122 version-4-shaped UUID from the context.
func (sc *synthCtx) uuid(name string) string {
	return stableUUID(sc.salt + "/" + name)
}

func stableUUID(key string) string {
	sum := sha256.Sum256([]byte(key))
	b := sum[:16]
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// value synthesizes a value for schema s found under property name.
func (sy *synthesizer) value(s *openapi3.Schema, name string, sc *synthCtx, depth int) any {
	if s == nil {
		return nil
	}
	if depth > maxDepth {
		return emptyOf(s)
	}
	if h, ok := sy.hints[name]; ok {
		if v := h(sc); s.VisitJSON(v) == nil {
			return v
		}
	}
	if v, ok := secretValueFor(name); ok && s.VisitJSON(v) == nil {
		return v
	}
	switch {
	case len(s.OneOf) > 0:
		return sy.firstValidBranch(s, s.OneOf, name, sc, depth)
	case len(s.AnyOf) > 0:
		return sy.firstValidBranch(s, s.AnyOf, name, sc, depth)
	case len(s.AllOf) > 0:
		merged := map[string]any{}
		for _, part := range s.AllOf {
			if m, ok := sy.value(part.Value, name, sc, depth+1).(map[string]any); ok {
				for k, v := range m {
					merged[k] = v
				}
			}
		}
		return merged
	}
	for _, e := range s.Enum {
		if e != nil {
			return e
		}
	}
	if isPrimitive(s.Default) && s.VisitJSON(s.Default) == nil {
		return s.Default
	}
	// The spec's examples are realistic values (pool sizes, timeouts...).
	if isPrimitive(s.Example) && s.Format != "uuid" && s.VisitJSON(s.Example) == nil {
		return s.Example
	}
	switch {
	case s.Type.Is("object") || (s.Type.IsEmpty() && len(s.Properties) > 0):
		return sy.object(s, sc, depth)
	case s.Type.Is("array"):
		return sy.array(s, name, sc, depth)
	case s.Type.Is("string"):
		return sy.str(s, name, sc)
	case s.Type.Is("integer"), s.Type.Is("number"):
		return sy.number(s, name)
	case s.Type.Is("boolean"):
		return false
	}
	// Untyped: null when allowed, else an empty object.
	if s.Nullable {
		return nil
	}
	return map[string]any{}
}

func (sy *synthesizer) firstValidBranch(whole *openapi3.Schema, branches openapi3.SchemaRefs, name string, sc *synthCtx, depth int) any {
	var first any
	for i, b := range branches {
		v := sy.value(b.Value, name, sc, depth+1)
		if i == 0 {
			first = v
		}
		if whole.VisitJSON(v) == nil {
			return v
		}
	}
	return first
}

func (sy *synthesizer) object(s *openapi3.Schema, sc *synthCtx, depth int) map[string]any {
	out := make(map[string]any, len(s.Properties))
	names := make([]string, 0, len(s.Properties))
	for k := range s.Properties {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		required := slices.Contains(s.Required, k)
		if !required && (depth >= maxOptionalDepth || sy.skippedOptional[k]) {
			continue
		}
		out[k] = sy.value(s.Properties[k].Value, k, sc, depth+1)
	}
	return out
}

func (sy *synthesizer) array(s *openapi3.Schema, name string, sc *synthCtx, depth int) []any {
	n := smallInt(s.MinItems)
	if n == 0 && depth < maxArrayDepth && !sy.skippedOptional[name] {
		n = 1
	}
	if s.MaxItems != nil {
		n = min(n, smallInt(*s.MaxItems))
	}
	out := make([]any, 0, n)
	if s.Items == nil {
		for range n {
			out = append(out, map[string]any{})
		}
		return out
	}
	for i := range n {
		item := sy.value(s.Items.Value, name, &synthCtx{params: sc.params, salt: fmt.Sprintf("%s/%d", sc.salt, i)}, depth+1)
		out = append(out, item)
	}
	if s.UniqueItems && len(out) > 1 {
		out = out[:1]
	}
	return out
}

func (sy *synthesizer) str(s *openapi3.Schema, name string, sc *synthCtx) string {
	switch s.Format {
	case "uuid":
		return sc.uuid(name)
	case "date-time":
		return epoch().Format(time.RFC3339)
	case "date":
		return epoch().Format(time.DateOnly)
	case "uri", "url":
		return "https://sandbox.supabase.invalid/" + strings.ReplaceAll(name, "_", "-")
	case "email":
		return "sandbox@example.com"
	case "binary":
		return ""
	case "byte":
		return "c2FuZGJveA=="
	}
	if isTimeName(name) {
		if ts := epoch().Format(time.RFC3339); s.VisitJSON(ts) == nil {
			return ts
		}
	}
	candidates := []string{
		"sandbox-" + strings.ReplaceAll(name, "_", "-"),
		"sandbox",
		"sandbox_" + name,
		"1h",
		"public",
		"20250106090000",
		"1",
		strings.Repeat("a", max(smallInt(s.MinLength), 1)),
	}
	for _, c := range candidates {
		if s.VisitJSON(c) == nil {
			return c
		}
	}
	return candidates[0]
}

func (sy *synthesizer) number(s *openapi3.Schema, name string) any {
	v := 1.0
	if strings.HasSuffix(name, "_at") || name == "timestamp" {
		v = float64(epoch().UnixMilli())
	}
	if s.Min != nil && v < *s.Min {
		v = *s.Min
		if s.ExclusiveMin.IsTrue() {
			v++
		}
	}
	if s.Max != nil && v > *s.Max {
		v = *s.Max
		if s.ExclusiveMax.IsTrue() {
			v--
		}
	}
	if s.Type.Is("integer") {
		return int64(v)
	}
	return v
}

// smallInt converts a schema bound (a uint64) to an int, capped: synthesized
// values never need more than a few hundred items or characters.
func smallInt(u uint64) int {
	return int(min(u, 1024)) //nolint:gosec // capped above
}

// isTimeName reports whether a property name reads as a timestamp.
func isTimeName(name string) bool {
	for _, suffix := range []string{"_at", "_until", "_on", "_time", "_date"} {
		if strings.HasSuffix(name, suffix) {
			return true
		}
	}
	return false
}

func isPrimitive(v any) bool {
	switch v.(type) {
	case string, bool, float64, int, int64:
		return true
	}
	return false
}

// emptyOf is the smallest value of s's type, used past the depth limit.
func emptyOf(s *openapi3.Schema) any {
	switch {
	case s.Nullable:
		return nil
	case s.Type.Is("array"):
		return []any{}
	case s.Type.Is("string"):
		return ""
	case s.Type.Is("integer"), s.Type.Is("number"):
		return 0
	case s.Type.Is("boolean"):
		return false
	}
	return map[string]any{}
}
