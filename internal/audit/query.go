package audit

import (
	"context"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/supaops/supaops/internal/store"
)

// DefaultLimit is how many entries Query returns when Filter.Limit is 0.
const DefaultLimit = 100

// Filter selects entries; zero fields select everything.
type Filter struct {
	// Since keeps entries appended at or after it.
	Since     time.Time
	Principal string
	Action    string
	Project   string
	// Limit caps the number of entries; 0 means DefaultLimit.
	Limit int
}

func (f Filter) match(e Entry) bool {
	return (f.Principal == "" || e.Record.Principal == f.Principal) &&
		(f.Action == "" || e.Record.Action == f.Action) &&
		(f.Project == "" || e.Record.Project == f.Project)
}

// Query returns the entries matching f, newest first. Entries that cannot be
// decoded are skipped (Verify reports them).
func (l *Log) Query(ctx context.Context, f Filter) ([]Entry, error) {
	if f.Limit <= 0 {
		f.Limit = DefaultLimit
	}
	var out []Entry
	var next uint64 // the entry the walk goes on from; 0 is the end
	for done := false; !done; {
		err := l.store.View(ctx, func(tx *bbolt.Tx) error {
			c := tx.Bucket([]byte(store.BucketAudit)).Cursor()
			k, v := c.Last()
			if next != 0 {
				k, v = seekAtOrBefore(c, next)
			}
			for n := 0; k != nil; k, v = c.Prev() {
				if n == l.chunk {
					next = keySeq(k)
					return nil
				}
				n++
				e, _, err := unseal(v)
				if err != nil {
					continue
				}
				// Append times never go back, so the rest is older still.
				if e.Time.Before(f.Since) {
					break
				}
				if f.match(e) {
					out = append(out, e)
					if len(out) == f.Limit {
						break
					}
				}
			}
			done = true
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("querying the audit log: %w", err)
		}
	}
	return out, nil
}

// seekAtOrBefore moves c to the last entry numbered seq or less.
func seekAtOrBefore(c *bbolt.Cursor, seq uint64) ([]byte, []byte) {
	k, v := c.Seek(seqKey(seq))
	switch {
	case k == nil:
		return c.Last()
	case keySeq(k) > seq:
		return c.Prev()
	}
	return k, v
}
