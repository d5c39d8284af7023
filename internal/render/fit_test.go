package render

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func rows(n, width int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = map[string]any{"id": json.Number(fmt.Sprint(i)), "text": strings.Repeat("x", width)}
	}
	return out
}

func TestFit(t *testing.T) {
	wide := map[string]any{}
	for i := range 300 {
		wide[fmt.Sprintf("field_%03d", i)] = "value"
	}
	tests := []struct {
		name   string
		v      any
		limit  int
		cut    bool
		arrays bool
		chars  bool
		fields bool
	}{
		{name: "small stays whole", v: map[string]any{"a": "b"}, limit: 1024},
		{name: "long list keeps its first rows", v: map[string]any{"result": rows(500, 20)}, limit: 2048, cut: true, arrays: true},
		{name: "huge string is shortened", v: map[string]any{"body": strings.Repeat("é", 10000)}, limit: 2048, cut: true, chars: true},
		{name: "wide object keeps its first fields", v: wide, limit: 1024, cut: true, fields: true},
		{name: "bare array", v: rows(100, 50), limit: 1500, cut: true, arrays: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, b, rep, err := Fit(tt.v, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			if len(b) > tt.limit {
				t.Errorf("%d bytes over the %d limit", len(b), tt.limit)
			}
			if (rep != nil) != tt.cut {
				t.Fatalf("cut = %v, want %v", rep != nil, tt.cut)
			}
			if rep == nil {
				return
			}
			if rep.Flat {
				t.Fatalf("fell back to flat text: %+v", rep)
			}
			if rep.CutArrays != tt.arrays || rep.CutChars != tt.chars || rep.CutFields != tt.fields {
				t.Errorf("report %+v", rep)
			}
			// The shrunken value keeps its shape: same top-level type, valid JSON.
			if fmt.Sprintf("%T", out) != fmt.Sprintf("%T", tt.v) {
				t.Errorf("type changed from %T to %T", tt.v, out)
			}
			var back any
			if err := json.Unmarshal(b, &back); err != nil {
				t.Errorf("not JSON: %v", err)
			}
			if rep.CutArrays && rep.Items == 0 {
				t.Errorf("kept no items at all: %+v", rep)
			}
		})
	}
}

func TestFitFlatWhenNothingFits(t *testing.T) {
	deep := map[string]any{"a": map[string]any{"b": map[string]any{"c": strings.Repeat("z", 5000)}}}
	_, b, rep, err := Fit(deep, 12)
	if err != nil {
		t.Fatal(err)
	}
	if rep == nil || !rep.Flat || len(b) > 12 {
		t.Fatalf("want a flat cut within 12 bytes, got %q %+v", b, rep)
	}
}

func TestCutUTF8(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"héllo", 2, "h"},
		{"héllo", 3, "hé"},
		{"abc", 10, "abc"},
	}
	for _, tt := range tests {
		if got := string(CutUTF8([]byte(tt.in), tt.n)); got != tt.want {
			t.Errorf("CutUTF8(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}
