package jobstore

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/supaops/supaops/internal/store"
)

// revKey holds a counter bumped by every change to the jobs (apply,
// remove, pause), so a scheduler rereads them only when they changed. Job
// names cannot start with a NUL, so it never meets a job's state.
var revKey = []byte("\x00rev")

func bumpRev(tx *bbolt.Tx) error {
	b := tx.Bucket([]byte(store.BucketJobState))
	var n uint64
	if v := b.Get(revKey); len(v) == 8 {
		n = binary.BigEndian.Uint64(v)
	}
	return b.Put(revKey, binary.BigEndian.AppendUint64(nil, n+1))
}

func readRev(tx *bbolt.Tx) uint64 {
	if v := tx.Bucket([]byte(store.BucketJobState)).Get(revKey); len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

// Snapshot is what a scheduler's tick reads, in one transaction.
type Snapshot struct {
	// Rev is the jobs' revision; Jobs and Last are set only when it is not
	// the one the caller already had.
	Rev     uint64
	Changed bool
	Jobs    []Job
	// Last is the latest slot claimed of each job (absent: none yet).
	Last map[string]time.Time
	// Active are the runs requested or running.
	Active []Run
	// Outbox reports alerts waiting to be delivered.
	Outbox bool
}

// Snapshot reads the state a tick needs; the jobs themselves only when
// their revision is not known (a scheduler with 10,000 jobs does not
// decode them every second).
func (s *Store) Snapshot(ctx context.Context, known uint64, first bool) (Snapshot, error) {
	var snap Snapshot
	err := s.st.View(ctx, func(tx *bbolt.Tx) error {
		snap = Snapshot{Rev: readRev(tx)}
		snap.Changed = first || snap.Rev != known
		var err error
		if snap.Active, err = activeRuns(tx); err != nil {
			return err
		}
		snap.Outbox = hasPending(tx)
		if !snap.Changed {
			return nil
		}
		if snap.Jobs, err = listJobs(tx); err != nil {
			return err
		}
		snap.Last = make(map[string]time.Time, len(snap.Jobs))
		state := tx.Bucket([]byte(store.BucketJobState))
		for _, j := range snap.Jobs {
			if v := state.Get(stateKey(j.Spec.Name, lastScheduledKey)); v != nil {
				var t time.Time
				if err := json.Unmarshal(v, &t); err != nil {
					return fmt.Errorf("reading the last slot of job %s: %w", j.Spec.Name, err)
				}
				snap.Last[j.Spec.Name] = t
			}
		}
		return nil
	})
	if err != nil {
		return Snapshot{}, fmt.Errorf("reading the jobs: %w", err)
	}
	return snap, nil
}

// SkipMissed records that a job's slots from first up to through were
// missed (no scheduler ran, or missed: skip) as one skipped run at first,
// and moves the job past through, in one transaction. It returns
// ErrClaimed when someone already recorded the slot first.
func (s *Store) SkipMissed(ctx context.Context, job string, first, through time.Time, owner, why string, history int) (Run, error) {
	now := s.now().UTC()
	r := Run{
		Key: RunKey(job, first, false), Job: job, Scheduled: first.UTC(), State: Skipped, Owner: owner,
		Attempt: 1, Started: now, Finished: now, Error: why,
	}
	err := s.st.Update(ctx, func(tx *bbolt.Tx) error {
		id := runID(job, first, false)
		if tx.Bucket([]byte(store.BucketJobRuns)).Get(id) != nil {
			return ErrClaimed
		}
		if err := putRun(tx, id, r); err != nil {
			return err
		}
		if err := setLastScheduled(tx, job, through); err != nil {
			return err
		}
		return prune(tx.Bucket([]byte(store.BucketJobRuns)), job, history)
	})
	if err != nil {
		return Run{}, fmt.Errorf("recording the missed run %s: %w", r.Key, err)
	}
	return r, nil
}
