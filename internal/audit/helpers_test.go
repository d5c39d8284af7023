package audit

import (
	"testing"
	"time"

	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/store"
	"github.com/supaops/supaops/internal/store/storetest"
)

// clock and openStore are the shared test helpers under short local names.
type clock = storetest.Clock

func newClock() *clock { return storetest.NewClock() }

func openStore(t testing.TB) *store.Store { return storetest.Open(t) }

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
