package jobstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/supaops/supaops/internal/store"
)

// StateTx is a job's state and the outbox inside one transaction: what a
// run learned and the alerts it leads to are committed together, so a
// crash can neither lose an alert whose state was committed nor queue it
// twice.
type StateTx struct {
	tx    *bbolt.Tx
	job   string
	now   time.Time
	take  Taker
	taken []Delivery
	added int
}

// Get reads the job's state under key into v; it reports whether there
// was any.
func (t *StateTx) Get(key string, v any) (bool, error) {
	data := t.tx.Bucket([]byte(store.BucketJobState)).Get(stateKey(t.job, key))
	if data == nil {
		return false, nil
	}
	if err := json.Unmarshal(data, v); err != nil {
		return true, fmt.Errorf("reading the state %s of job %s: %w", key, t.job, err)
	}
	return true, nil
}

// Put writes the job's state under key.
func (t *StateTx) Put(key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding the state %s of job %s: %w", key, t.job, err)
	}
	return t.tx.Bucket([]byte(store.BucketJobState)).Put(stateKey(t.job, key), data)
}

// Drop forgets the job's state under key.
func (t *StateTx) Drop(key string) error {
	return t.tx.Bucket([]byte(store.BucketJobState)).Delete(stateKey(t.job, key))
}

// Advance moves a cursor under key to at, never back: two runs of a job
// overlapping (concurrency: allow) cannot undo each other's progress.
func (t *StateTx) Advance(key string, at time.Time) error {
	var cur time.Time
	if found, err := t.Get(key, &cur); err != nil || (found && !at.After(cur)) {
		return err
	}
	return t.Put(key, at.UTC())
}

// Queue puts alerts in the outbox (see Enqueue for dedupe); those the
// transaction's Taker takes are returned by Commit or Finish, to deliver at
// once.
func (t *StateTx) Queue(alerts ...Alert) error {
	taken, added, err := enqueueTx(t.tx, alerts, t.now, t.take)
	t.taken = append(t.taken, taken...)
	t.added += added
	return err
}

// Commit runs fn over the job's state and the outbox in one transaction,
// and returns the alerts fn queued that take takes (to deliver now) and
// how many alerts were new.
func (s *Store) Commit(ctx context.Context, job string, take Taker, fn func(*StateTx) error) ([]Delivery, int, error) {
	var t *StateTx
	err := s.st.Update(ctx, func(tx *bbolt.Tx) error {
		t = &StateTx{tx: tx, job: job, now: s.now().UTC(), take: take}
		return fn(t)
	})
	if err != nil {
		return nil, 0, fmt.Errorf("committing the state of job %s: %w", job, err)
	}
	return t.taken, t.added, nil
}
