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
