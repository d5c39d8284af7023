package audit

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/supaops/supaops/internal/store"
)

// Retention says which entries to keep; a zero field sets no limit.
type Retention struct {
	// MaxAge drops entries appended longer ago than this.
	MaxAge time.Duration
	// MaxCount keeps at most this many of the newest entries.
	MaxCount int
}

// Prune removes the oldest entries that retention no longer keeps, and
// returns how many it removed. The last removed entry becomes the anchor
// that Verify starts from. It works in short transactions of at most a
// thousand entries each, so other processes keep appending meanwhile.
func (l *Log) Prune(ctx context.Context, r Retention) (int, error) {
	if r.MaxAge < 0 || r.MaxCount < 0 {
		return 0, fmt.Errorf("pruning the audit log: negative retention %+v", r)
	}
	if r.MaxAge == 0 && r.MaxCount == 0 {
		return 0, nil
	}
	var cutoff time.Time
	if r.MaxAge > 0 {
		cutoff = l.now().Add(-r.MaxAge)
	}
	removed := 0
	for more := true; more; {
		n, err := l.pruneChunk(ctx, r.MaxCount, cutoff)
		if err != nil {
			return removed, fmt.Errorf("pruning the audit log: %w", err)
		}
		removed += n
		more = n == l.chunk
	}
	return removed, nil
}

// pruneChunk removes up to l.chunk entries from the start of the chain.
func (l *Log) pruneChunk(ctx context.Context, maxCount int, cutoff time.Time) (int, error) {
	removed := 0
	err := l.store.Update(ctx, func(tx *bbolt.Tx) error {
		meta := tx.Bucket([]byte(store.BucketMeta))
		b := tx.Bucket([]byte(store.BucketAudit))
		h, err := readHead(meta)
		if err != nil {
			return err
		}
		var anchor mark
		var doomed [][]byte
		c := b.Cursor()
		for k, v := c.First(); k != nil && len(doomed) < l.chunk; k, v = c.Next() {
			seq := keySeq(k)
			byCount := maxCount > 0 && seq+uint64(maxCount) <= h.Seq
			e, _, err := unseal(v)
			if err != nil {
				return fmt.Errorf("entry %d: %w (run Verify)", seq, err)
			}
			if !byCount && !e.Time.Before(cutoff) {
				break
			}
			anchor = mark{Seq: seq, Hash: e.Hash, Time: e.Time}
			doomed = append(doomed, bytes.Clone(k))
		}
		// Deleting after the walk: deleting under a bbolt cursor can skip keys.
		for _, k := range doomed {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		removed = len(doomed)
		if removed == 0 {
			return nil
		}
		return writeAnchor(meta, anchor)
	})
	return removed, err
}
