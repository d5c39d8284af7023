package tools

import "testing"

func TestSchemaType(t *testing.T) {
	tests := []struct {
		name     string
		schema   map[string]any
		typ      string
		nullable bool
	}{
		{"one type", map[string]any{"type": "string"}, "string", false},
		{"nullable", map[string]any{"type": []any{"integer", "null"}}, "integer", true},
		{"null first", map[string]any{"type": []any{"null", "object"}}, "object", true},
		{"the first of two", map[string]any{"type": []any{"string", "number"}}, "string", false},
		{"no type", map[string]any{"enum": []any{"a"}}, "", false},
	}
	for _, tt := range tests {
		typ, nullable := SchemaType(tt.schema)
		if typ != tt.typ || nullable != tt.nullable {
			t.Errorf("%s: SchemaType = %q, %v; want %q, %v", tt.name, typ, nullable, tt.typ, tt.nullable)
		}
	}
}
