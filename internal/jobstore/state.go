package jobstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.etcd.io/bbolt"

	"github.com/supaops/supaops/internal/store"
)

// State is what a job remembers between runs, by key: a log sweep's cursor
// per project, the advisor lints already reported, a backup's last verdict.
// Values are JSON.

// stateKey joins a job and a key; job names cannot hold the separator.
func stateKey(job, key string) []byte { return []byte(job + "\x00" + key) }

// GetState reads a job's state under key into v; it reports whether there
// was any.
func (s *Store) GetState(ctx context.Context, job, key string, v any) (bool, error) {
	found := false
	err := s.st.View(ctx, func(tx *bbolt.Tx) error {
		data := tx.Bucket([]byte(store.BucketJobState)).Get(stateKey(job, key))
		if data == nil {
			return nil
		}
		found = true
		return json.Unmarshal(data, v)
	})
	if err != nil {
		return false, fmt.Errorf("reading the state %s of job %s: %w", key, job, err)
	}
	return found, nil
}

// PutState commits a job's state under key. A log sweep calls it after each
// window, so a crash loses at most the window in progress.
func (s *Store) PutState(ctx context.Context, job, key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding the state %s of job %s: %w", key, job, err)
	}
	err = s.st.Update(ctx, func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte(store.BucketJobState)).Put(stateKey(job, key), data)
	})
	if err != nil {
		return fmt.Errorf("writing the state %s of job %s: %w", key, job, err)
	}
	return nil
}

// lastScheduledKey is the state key of the last slot claimed.
const lastScheduledKey = "scheduler/last-scheduled"

func setLastScheduled(tx *bbolt.Tx, job string, t time.Time) error {
	b := tx.Bucket([]byte(store.BucketJobState))
	var prev time.Time
	if v := b.Get(stateKey(job, lastScheduledKey)); v != nil {
		_ = json.Unmarshal(v, &prev)
	}
	if !t.After(prev) {
		return nil // a manual or late claim does not move it back
	}
	data, err := json.Marshal(t.UTC())
	if err != nil {
		return err
	}
	return b.Put(stateKey(job, lastScheduledKey), data)
}

// LastScheduled is the latest slot of job ever claimed; zero if none.
func (s *Store) LastScheduled(ctx context.Context, job string) (time.Time, error) {
	var t time.Time
	_, err := s.GetState(ctx, job, lastScheduledKey, &t)
	return t, err
}

// dropState removes everything a job remembers (the job was removed).
func dropState(tx *bbolt.Tx, job string) error {
	b := tx.Bucket([]byte(store.BucketJobState))
	prefix := job + "\x00"
	var dead [][]byte
	c := b.Cursor()
	for k, _ := c.Seek([]byte(prefix)); k != nil && strings.HasPrefix(string(k), prefix); k, _ = c.Next() {
		dead = append(dead, append([]byte(nil), k...))
	}
	for _, k := range dead {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// ErrNoJob means there is no job of that name.
var ErrNoJob = errors.New("no such job")

// DropState forgets a job's state under key.
func (s *Store) DropState(ctx context.Context, job, key string) error {
	err := s.st.Update(ctx, func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte(store.BucketJobState)).Delete(stateKey(job, key))
	})
	if err != nil {
		return fmt.Errorf("dropping the state %s of job %s: %w", key, job, err)
	}
	return nil
}

// Advance moves a job's cursor under key to t, never back: two runs of a
// job overlapping (concurrency: allow) cannot undo each other's progress.
func (s *Store) Advance(ctx context.Context, job, key string, t time.Time) error {
	data, err := json.Marshal(t.UTC())
	if err != nil {
		return err
	}
	err = s.st.Update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(store.BucketJobState))
		var cur time.Time
		if v := b.Get(stateKey(job, key)); v != nil && json.Unmarshal(v, &cur) == nil && !t.After(cur) {
			return nil
		}
		return b.Put(stateKey(job, key), data)
	})
	if err != nil {
		return fmt.Errorf("moving the cursor %s of job %s: %w", key, job, err)
	}
	return nil
}
