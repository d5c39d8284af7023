package audit

import (
	"slices"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/supaops/supaops/internal/store"
)

func TestPrune(t *testing.T) {
	tests := []struct {
		name      string
		retention Retention
		removed   int
		remaining []uint64
	}{
		{"no limits", Retention{}, 0, []uint64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}},
		{"max count", Retention{MaxCount: 3}, 7, []uint64{10, 9, 8}},
		{"max count above size", Retention{MaxCount: 50}, 0, []uint64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}},
		// Entries are a minute apart and the clock is a minute past the last.
		{"max age", Retention{MaxAge: 4*time.Minute + time.Second}, 6, []uint64{10, 9, 8, 7}},
		{"tighter of both", Retention{MaxAge: time.Hour, MaxCount: 2}, 8, []uint64{10, 9}},
		{"everything", Retention{MaxAge: time.Second}, 10, []uint64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			l := New(openStore(t), c.Now)
			l.chunk = 3 // prune in several transactions
			appendN(t, l, c, 10)
			removed, err := l.Prune(t.Context(), tt.retention)
			if err != nil {
				t.Fatal(err)
			}
			if removed != tt.removed {
				t.Errorf("removed %d, want %d", removed, tt.removed)
			}
			got, err := l.Query(t.Context(), Filter{})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(seqs(got), tt.remaining) {
				t.Fatalf("remaining %v, want %v", seqs(got), tt.remaining)
			}
			r, err := l.Verify(t.Context())
			if err != nil || !r.OK() || r.Anchor != uint64(tt.removed) {
				t.Fatalf("after pruning: %+v, %v", r, err)
			}
			// The chain goes on from the anchor.
			appendN(t, l, c, 2)
			if r, err := l.Verify(t.Context()); err != nil || !r.OK() {
				t.Fatalf("after appending: %+v, %v", r, err)
			}
		})
	}
}

// After pruning, removing the first remaining entry is still detected.
func TestPruneKeepsRemovalDetectable(t *testing.T) {
	c := newClock()
	st := openStore(t)
	l := New(st, c.Now)
	appendN(t, l, c, 6)
	if _, err := l.Prune(t.Context(), Retention{MaxCount: 3}); err != nil {
		t.Fatal(err)
	}
	err := st.Update(t.Context(), func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte(store.BucketAudit)).Delete(seqKey(4))
	})
	if err != nil {
		t.Fatal(err)
	}
	r, err := l.Verify(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Problems) != 1 || r.Problems[0].Kind != Missing || r.Problems[0].From != 4 {
		t.Fatalf("problems %v", r.Problems)
	}
}

func TestPruneRefusesNegativeRetention(t *testing.T) {
	l := New(openStore(t), nil)
	if _, err := l.Prune(t.Context(), Retention{MaxCount: -1}); err == nil {
		t.Fatal("no error")
	}
}
