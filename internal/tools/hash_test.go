package tools

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestHashArgs(t *testing.T) {
	tests := []struct {
		name string
		a, b map[string]any
		same bool
	}{
		{"key order", map[string]any{"a": 1, "b": 2}, map[string]any{"b": 2, "a": 1}, true},
		{"number types", map[string]any{"n": 1}, map[string]any{"n": 1.0}, true},
		{"number spelling", map[string]any{"n": json.Number("1")}, map[string]any{"n": json.Number("1.0")}, true},
		{"exponent", map[string]any{"n": json.Number("1e3")}, map[string]any{"n": 1000}, true},
		{"large integer exactly", map[string]any{"n": json.Number("12345678901234567890123")}, map[string]any{"n": json.Number("12345678901234567890124")}, false},
		{"minus zero", map[string]any{"n": json.Number("-0")}, map[string]any{"n": 0}, true},
		{"fraction", map[string]any{"n": json.Number("0.10")}, map[string]any{"n": 0.1}, true},
		{"nested maps", map[string]any{"o": map[string]any{"x": true, "y": nil}}, map[string]any{"o": map[string]any{"y": nil, "x": true}}, true},
		{"nil and empty", nil, map[string]any{}, true},
		{"different value", map[string]any{"ref": "a"}, map[string]any{"ref": "b"}, false},
		{"string and number", map[string]any{"n": "1"}, map[string]any{"n": 1}, false},
		{"extra argument", map[string]any{"a": 1}, map[string]any{"a": 1, "b": nil}, false},
		{"array order", map[string]any{"l": []any{1, 2}}, map[string]any{"l": []any{2, 1}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ha, err := HashArgs(tt.a)
			if err != nil {
				t.Fatal(err)
			}
			hb, err := HashArgs(tt.b)
			if err != nil {
				t.Fatal(err)
			}
			if (ha == hb) != tt.same {
				t.Fatalf("%s vs %s: same = %v, want %v", ha, hb, ha == hb, tt.same)
			}
			if !strings.HasPrefix(ha, "sha256:") || len(ha) != len("sha256:")+64 {
				t.Errorf("hash %q", ha)
			}
		})
	}
}

func TestHashArgsErrors(t *testing.T) {
	tests := []struct {
		name string
		args map[string]any
	}{
		{"not JSON", map[string]any{"c": make(chan int)}},
		{"number out of range", map[string]any{"n": json.Number("1e999999999")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := HashArgs(tt.args); err == nil {
				t.Fatal("no error")
			}
		})
	}
}
