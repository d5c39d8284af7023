// Package once remembers which requests were already taken, so a surface's
// retries and redeliveries (Slack resends what it thinks was lost; a user
// double-clicks a button) never run an action twice, also across restarts
// and across processes sharing the store. Keys live in the store until
// they expire.
package once

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/supaops/supaops/internal/store"
)

// MaxKey bounds a key: keys come from requests.
const MaxKey = 512

// prunePerTake bounds how many expired keys one Take removes, so the bucket
// stays small without a sweeper and no Take holds the store long.
const prunePerTake = 32

// Keeper takes keys. It is safe for concurrent use, also by several
// processes sharing the store.
type Keeper struct {
	store *store.Store
	now   func() time.Time
}

// New returns a Keeper over st; now is time.Now outside tests.
func New(st *store.Store, now func() time.Time) *Keeper {
	if now == nil {
		now = time.Now
	}
	return &Keeper{store: st, now: now}
}

// Take claims key for ttl, in one transaction: it reports true the first
// time, and false while an earlier claim has not expired. An error means
// nothing is known: callers fail closed (do not run).
func (k *Keeper) Take(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	switch {
	case key == "":
		return false, errors.New("taking a request key: empty key")
	case len(key) > MaxKey:
		return false, fmt.Errorf("taking a request key: %d bytes, at most %d", len(key), MaxKey)
	case ttl <= 0:
		return false, fmt.Errorf("taking a request key: ttl %s is not positive", ttl)
	}
	now := k.now()
	taken := false
	err := k.store.Update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(store.BucketOnce))
		prune(b, now)
		if v := b.Get([]byte(key)); v != nil && now.Before(expiry(v)) {
			return nil
		}
		taken = true
		return b.Put([]byte(key), binary.BigEndian.AppendUint64(nil, uint64(now.Add(ttl).UnixNano())))
	})
	if err != nil {
		return false, fmt.Errorf("taking request key: %w", err)
	}
	return taken, nil
}

func expiry(v []byte) time.Time {
	if len(v) != 8 {
		return time.Time{}
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(v))) //nolint:gosec // written from a UnixNano, so it fits
}

// prune removes a few expired keys.
func prune(b *bbolt.Bucket, now time.Time) {
	var dead [][]byte
	c := b.Cursor()
	for k, v := c.First(); k != nil && len(dead) < prunePerTake; k, v = c.Next() {
		if !now.Before(expiry(v)) {
			dead = append(dead, append([]byte(nil), k...))
		}
	}
	for _, k := range dead {
		_ = b.Delete(k) // a failed delete is retried by a later Take
	}
}
