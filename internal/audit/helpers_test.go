package audit

import (
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/store"
)

// clock is a settable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func openStore(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "supaops.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func record(principal, action, project string) pipeline.Record {
	return pipeline.Record{
		Time: time.Date(2026, 3, 1, 11, 59, 0, 0, time.UTC), Principal: principal, Surface: "mcp",
		Action: action, Project: project, Args: map[string]any{"ref": project},
		Decision: pipeline.Decision{Effect: pipeline.Allow, Rule: "test"}, Status: 200,
		Duration: 30 * time.Millisecond,
	}
}

// appendN appends n records, one a minute, and returns the entries.
func appendN(t *testing.T, l *Log, c *clock, n int) []Entry {
	t.Helper()
	var out []Entry
	for i := range n {
		e, err := l.Append(t.Context(), record("mcp:local", "list_projects", "ref"+string(rune('a'+i%26))))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
		c.Advance(time.Minute)
	}
	return out
}

func seqs(entries []Entry) []uint64 {
	out := []uint64{}
	for _, e := range entries {
		out = append(out, e.Seq)
	}
	return out
}
