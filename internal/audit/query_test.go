package audit

import (
	"slices"
	"testing"
	"time"
)

func TestQuery(t *testing.T) {
	c := newClock()
	start := c.Now()
	l := New(openStore(t), c.Now)
	l.chunk = 2 // walk several transactions
	fixtures := []struct{ principal, action, project string }{
		{"mcp:local", "list_projects", ""},         // 1
		{"slack:user:U1", "get_project", "aaa"},    // 2
		{"mcp:local", "delete_project", "aaa"},     // 3
		{"job:nightly", "create_backup", "bbb"},    // 4
		{"slack:user:U1", "delete_project", "bbb"}, // 5
		{"mcp:local", "get_project", "bbb"},        // 6
	}
	for _, f := range fixtures {
		if _, err := l.Append(t.Context(), record(f.principal, f.action, f.project)); err != nil {
			t.Fatal(err)
		}
		c.Advance(time.Hour)
	}
	tests := []struct {
		name   string
		filter Filter
		want   []uint64
	}{
		{"everything, newest first", Filter{}, []uint64{6, 5, 4, 3, 2, 1}},
		{"principal", Filter{Principal: "mcp:local"}, []uint64{6, 3, 1}},
		{"action", Filter{Action: "delete_project"}, []uint64{5, 3}},
		{"project", Filter{Project: "bbb"}, []uint64{6, 5, 4}},
		{"all three", Filter{Principal: "slack:user:U1", Action: "delete_project", Project: "bbb"}, []uint64{5}},
		{"since", Filter{Since: start.Add(3 * time.Hour)}, []uint64{6, 5, 4}},
		{"since, inclusive", Filter{Since: start.Add(5 * time.Hour)}, []uint64{6}},
		{"since and principal", Filter{Since: start.Add(2 * time.Hour), Principal: "mcp:local"}, []uint64{6, 3}},
		{"limit", Filter{Limit: 2}, []uint64{6, 5}},
		{"limit with a filter", Filter{Project: "bbb", Limit: 2}, []uint64{6, 5}},
		{"no match", Filter{Principal: "nobody"}, []uint64{}},
		{"since the future", Filter{Since: start.Add(100 * time.Hour)}, []uint64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := l.Query(t.Context(), tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(seqs(got), tt.want) {
				t.Fatalf("got %v, want %v", seqs(got), tt.want)
			}
		})
	}
}

func TestQueryDefaultLimit(t *testing.T) {
	c := newClock()
	l := New(openStore(t), c.Now)
	l.chunk = 7
	appendN(t, l, c, DefaultLimit+3)
	got, err := l.Query(t.Context(), Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != DefaultLimit || got[0].Seq != DefaultLimit+3 {
		t.Fatalf("got %d entries, first %d", len(got), got[0].Seq)
	}
}
