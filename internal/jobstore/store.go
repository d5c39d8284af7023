// Package jobstore keeps scheduled jobs in the supaops store: their specs
// (parsed and checked from YAML), their runs (one per job and scheduled
// time, claimed once), what each job remembers between runs, and the alerts
// waiting to be delivered. It also offers jobs to every surface as local
// actions of the registry (jobs_list, job_apply, job_pause, …), so that
// managing jobs is decided by the policy and recorded in the audit log like
// any call. Running jobs is internal/jobs's business.
package jobstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/supaops/supaops/internal/store"
)

// Store keeps jobs. It is safe for concurrent use, also by several
// processes sharing the store.
type Store struct {
	st  *store.Store
	now func() time.Time
}

// New returns the jobs kept in st; now is time.Now outside tests.
func New(st *store.Store, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{st: st, now: now}
}

// Job is a spec as applied.
type Job struct {
	Spec      Spec      `json:"spec"`
	Digest    string    `json:"digest"`
	Applied   time.Time `json:"applied"`
	AppliedBy string    `json:"applied_by,omitempty"`
}

// Change says what Apply did to one job.
type Change struct {
	Name string `json:"name"`
	// What is created, updated, unchanged or removed.
	What string `json:"what"`
	// Digest identifies the spec now in force (the audit log records it
	// in place of the file, which may hold webhook secrets).
	Digest string `json:"digest,omitempty"`
}

// Apply stores specs (already validated) as the jobs they name, in one
// transaction: new ones are created, changed ones updated, identical ones
// left as they are. With prune, jobs the specs do not name are removed
// (with their runs' state). Applying the same file twice changes nothing.
func (s *Store) Apply(ctx context.Context, specs []Spec, by string, pruneOthers bool) ([]Change, error) {
	now := s.now().UTC()
	var changes []Change
	err := s.st.Update(ctx, func(tx *bbolt.Tx) error {
		changes = changes[:0]
		b := tx.Bucket([]byte(store.BucketJobs))
		named := map[string]bool{}
		for _, sp := range specs {
			named[sp.Name] = true
			digest, err := sp.Digest()
			if err != nil {
				return err
			}
			var old Job
			if v := b.Get([]byte(sp.Name)); v != nil {
				if err := json.Unmarshal(v, &old); err != nil {
					return fmt.Errorf("reading job %s: %w", sp.Name, err)
				}
				if old.Digest == digest {
					changes = append(changes, Change{Name: sp.Name, What: "unchanged", Digest: digest})
					continue
				}
				changes = append(changes, Change{Name: sp.Name, What: "updated", Digest: digest})
			} else {
				changes = append(changes, Change{Name: sp.Name, What: "created", Digest: digest})
			}
			if err := putJob(b, Job{Spec: sp, Digest: digest, Applied: now, AppliedBy: by}); err != nil {
				return err
			}
		}
		if !pruneOthers {
			return bumpRev(tx)
		}
		var gone []string
		if err := b.ForEach(func(k, _ []byte) error {
			if !named[string(k)] {
				gone = append(gone, string(k))
			}
			return nil
		}); err != nil {
			return err
		}
		for _, name := range gone {
			if err := removeJob(tx, name); err != nil {
				return err
			}
			changes = append(changes, Change{Name: name, What: "removed"})
		}
		return bumpRev(tx)
	})
	if err != nil {
		return nil, fmt.Errorf("applying jobs: %w", err)
	}
	return changes, nil
}

// Get returns the job called name.
func (s *Store) Get(ctx context.Context, name string) (Job, error) {
	var j Job
	err := s.st.View(ctx, func(tx *bbolt.Tx) error {
		v := tx.Bucket([]byte(store.BucketJobs)).Get([]byte(name))
		if v == nil {
			return fmt.Errorf("%w: %s", ErrNoJob, name)
		}
		return json.Unmarshal(v, &j)
	})
	if err != nil {
		return Job{}, fmt.Errorf("reading job %s: %w", name, err)
	}
	return j, nil
}

// List returns every job, by name.
func (s *Store) List(ctx context.Context) ([]Job, error) {
	var out []Job
	err := s.st.View(ctx, func(tx *bbolt.Tx) error {
		var err error
		out, err = listJobs(tx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("listing jobs: %w", err)
	}
	return out, nil
}

// listJobs reads every job; bbolt keeps keys sorted, so they come by name.
func listJobs(tx *bbolt.Tx) ([]Job, error) {
	var out []Job
	err := tx.Bucket([]byte(store.BucketJobs)).ForEach(func(k, v []byte) error {
		var j Job
		if err := json.Unmarshal(v, &j); err != nil {
			return fmt.Errorf("reading job %s: %w", k, err)
		}
		out = append(out, j)
		return nil
	})
	return out, err
}

// Remove deletes a job and what it remembers; its runs stay for history.
func (s *Store) Remove(ctx context.Context, name string) error {
	err := s.st.Update(ctx, func(tx *bbolt.Tx) error {
		if tx.Bucket([]byte(store.BucketJobs)).Get([]byte(name)) == nil {
			return fmt.Errorf("%w: %s", ErrNoJob, name)
		}
		if err := removeJob(tx, name); err != nil {
			return err
		}
		return bumpRev(tx)
	})
	if err != nil {
		return fmt.Errorf("removing job %s: %w", name, err)
	}
	return nil
}

// SetPaused pauses or resumes a job.
func (s *Store) SetPaused(ctx context.Context, name string, paused bool, by string) (Job, error) {
	var j Job
	err := s.st.Update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(store.BucketJobs))
		v := b.Get([]byte(name))
		if v == nil {
			return fmt.Errorf("%w: %s", ErrNoJob, name)
		}
		if err := json.Unmarshal(v, &j); err != nil {
			return err
		}
		j.Spec.Paused = paused
		digest, err := j.Spec.Digest()
		if err != nil {
			return err
		}
		j.Digest, j.Applied, j.AppliedBy = digest, s.now().UTC(), by
		if err := putJob(b, j); err != nil {
			return err
		}
		return bumpRev(tx)
	})
	if err != nil {
		return Job{}, fmt.Errorf("pausing job %s: %w", name, err)
	}
	return j, nil
}

func putJob(b *bbolt.Bucket, j Job) error {
	v, err := json.Marshal(j)
	if err != nil {
		return fmt.Errorf("encoding job %s: %w", j.Spec.Name, err)
	}
	return b.Put([]byte(j.Spec.Name), v)
}

func removeJob(tx *bbolt.Tx, name string) error {
	if err := tx.Bucket([]byte(store.BucketJobs)).Delete([]byte(name)); err != nil {
		return err
	}
	return dropState(tx, name)
}
