package consent

import (
	"errors"
	"strings"
	"testing"
)

func TestDisplay(t *testing.T) {
	tests := []struct {
		name   string
		args   map[string]any
		whole  []string
		hidden map[string]int // argument -> hidden bytes
		err    bool
	}{
		{name: "small values are shown whole", args: map[string]any{"ref": "abc", "n": 3, "obj": map[string]any{"a": true}}},
		{name: "a long value says what is hidden", args: map[string]any{"files": strings.Repeat("y", MaxShownValue+100)}, hidden: map[string]int{"files": 100}},
		{name: "SQL is never cut", args: map[string]any{"query": strings.Repeat("s", MaxShownValue+100)}, whole: []string{"query"}},
		{name: "SQL too large to show is refused", args: map[string]any{"query": strings.Repeat("s", MaxShown+1)}, whole: []string{"query"}, err: true},
		{name: "too many arguments to show are refused", args: manyArgs(20, MaxShownValue), err: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			shown, err := Display(tt.args, tt.whole)
			if tt.err {
				if !errors.Is(err, ErrTooLargeToShow) {
					t.Fatalf("got %v, want ErrTooLargeToShow", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(shown) != len(tt.args) {
				t.Fatalf("%d of %d arguments shown", len(shown), len(tt.args))
			}
			for _, s := range shown {
				if s.HiddenBytes != tt.hidden[s.Name] {
					t.Errorf("%s: %d bytes hidden, want %d", s.Name, s.HiddenBytes, tt.hidden[s.Name])
				}
				if s.HiddenBytes > 0 && (len(s.SHA256) != 64 || !strings.Contains(s.String(), "not shown")) {
					t.Errorf("%s: %s", s.Name, s)
				}
			}
		})
	}
}

func manyArgs(n, size int) map[string]any {
	out := map[string]any{}
	for i := range n {
		out[string(rune('a'+i))] = strings.Repeat("z", size)
	}
	return out
}
