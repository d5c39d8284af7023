package consent

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/supaops/supaops/internal/store"
)

// pruneChunk bounds the records one prune transaction removes, to keep it short.
const pruneChunk = 1000

// Prune removes confirmations and approval requests that expired more than
// keep ago (none of them can be used any more; the audit log keeps the
// calls), and returns how many it removed.
func (m *Manager) Prune(ctx context.Context, keep time.Duration) (int, error) {
	cutoff := m.now().Add(-keep)
	removed := 0
	for _, bucket := range []string{store.BucketConfirmations, store.BucketApprovals} {
		for {
			n, err := m.pruneChunk(ctx, bucket, cutoff)
			removed += n
			if err != nil {
				return removed, fmt.Errorf("pruning %s: %w", bucket, err)
			}
			if n < pruneChunk {
				break
			}
		}
	}
	return removed, nil
}

func (m *Manager) pruneChunk(ctx context.Context, bucket string, cutoff time.Time) (int, error) {
	removed := 0
	err := m.store.Update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(bucket))
		var doomed [][]byte
		c := b.Cursor()
		for k, v := c.First(); k != nil && len(doomed) < pruneChunk; k, v = c.Next() {
			var r struct {
				ExpiresAt time.Time `json:"expires_at"`
			}
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("reading %s: %w", k, err)
			}
			if r.ExpiresAt.Before(cutoff) {
				doomed = append(doomed, bytes.Clone(k))
			}
		}
		// Deleting after the walk: deleting under a bbolt cursor can skip keys.
		for _, k := range doomed {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		removed = len(doomed)
		return nil
	})
	return removed, err
}
