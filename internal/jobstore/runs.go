package jobstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.etcd.io/bbolt"

	"github.com/supaops/supaops/internal/store"
)

// RunState is where a run stands.
type RunState string

const (
	// Requested: a manual run asked for (job_trigger), not yet taken.
	Requested RunState = "requested"
	Running   RunState = "running"
	Succeeded RunState = "succeeded"
	Failed    RunState = "failed"
	// Interrupted: its process died (or stopped) while it ran; the job's
	// policy decides whether the slot runs again.
	Interrupted RunState = "interrupted"
	// Skipped: the slot was not run (the previous run was still running
	// under concurrency forbid, or the slot was missed under missed skip).
	Skipped  RunState = "skipped"
	Canceled RunState = "canceled"
)

// Finished reports a state a run does not leave.
func (s RunState) Finished() bool {
	switch s {
	case Succeeded, Failed, Interrupted, Skipped, Canceled:
		return true
	}
	return false
}

// Run is one run of a job, keyed by the job and the time it was scheduled
// for (or the time a manual run was asked): a slot is claimed once, by one
// scheduler, whatever restarts or other schedulers on the store do.
type Run struct {
	Key       string    `json:"key"` // job@scheduled, e.g. nightly-backup@2026-11-30T03:00:00Z
	Job       string    `json:"job"`
	Scheduled time.Time `json:"scheduled"`
	Manual    bool      `json:"manual,omitempty"`
	State     RunState  `json:"state"`
	// Owner is the scheduler (or CLI) running it; Heartbeat is when it last
	// said it still does, so another can tell a run whose process died.
	Owner     string    `json:"owner,omitempty"`
	Heartbeat time.Time `json:"heartbeat,omitzero"`
	Attempt   int       `json:"attempt"`
	Started   time.Time `json:"started,omitzero"`
	Finished  time.Time `json:"finished,omitzero"`
	// Summary says what the run did; Error why it failed or was skipped.
	Summary string `json:"summary,omitempty"`
	Error   string `json:"error,omitempty"`
	Alerts  int    `json:"alerts,omitempty"`
	// RequestedBy is who asked for a manual run.
	RequestedBy string `json:"requested_by,omitempty"`
	// StopAsked is set by a newer run of the job under concurrency:
	// replace; the run's scheduler cancels it at its next heartbeat.
	StopAsked string `json:"stop_asked,omitempty"`
}

// RunKey names the run of job scheduled at t.
func RunKey(job string, t time.Time, manual bool) string {
	if manual {
		return fmt.Sprintf("%s@manual-%s", job, t.UTC().Format(time.RFC3339Nano))
	}
	return job + "@" + t.UTC().Format(time.RFC3339)
}

// runID is the bucket key: the job, then the time, so a job's runs are
// together and in order.
func runID(job string, t time.Time, manual bool) []byte {
	k := append([]byte(job), 0)
	k = binary.BigEndian.AppendUint64(k, uint64(t.UTC().UnixNano())) //nolint:gosec // times after 1970
	if manual {
		k = append(k, 'm')
	}
	return k
}

// ErrClaimed means the slot was already claimed: by a restart of this
// scheduler, by another one on the store, or by an earlier manual request.
var ErrClaimed = errors.New("already claimed")

// Claim takes the slot (job, scheduled) for owner, in one transaction,
// before anything is called: it returns ErrClaimed (and the run as it
// stands) when someone already did. A run of the job still running makes
// the slot a skipped run under concurrency forbid, and is asked to stop
// under replace.
func (s *Store) Claim(ctx context.Context, job string, scheduled time.Time, manual bool, owner string, concurrency Concurrency) (Run, error) {
	now := s.now().UTC()
	r := Run{
		Key: RunKey(job, scheduled, manual), Job: job, Scheduled: scheduled.UTC(), Manual: manual,
		State: Running, Owner: owner, Heartbeat: now, Attempt: 1, Started: now,
	}
	err := s.st.Update(ctx, func(tx *bbolt.Tx) error {
		id := runID(job, scheduled, manual)
		if v := tx.Bucket([]byte(store.BucketJobRuns)).Get(id); v != nil {
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			if r.State != Requested {
				return ErrClaimed
			}
			// A manual request: taken now.
			r.State, r.Owner, r.Heartbeat, r.Started = Running, owner, now, now
		}
		if err := applyConcurrency(tx, &r, concurrency, now); err != nil {
			return err
		}
		if err := putRun(tx, id, r); err != nil {
			return err
		}
		if manual {
			return nil
		}
		return setLastScheduled(tx, job, scheduled)
	})
	if err != nil {
		if errors.Is(err, ErrClaimed) {
			return r, fmt.Errorf("run %s: %w", r.Key, ErrClaimed)
		}
		return Run{}, fmt.Errorf("claiming run %s: %w", r.Key, err)
	}
	return r, nil
}

// applyConcurrency settles a new run against the job's runs still going.
func applyConcurrency(tx *bbolt.Tx, r *Run, concurrency Concurrency, now time.Time) error {
	switch concurrency {
	case ConcurrencyForbid:
		if busy, ok := runningOf(tx, r.Job, r.Key); ok {
			r.State, r.Finished = Skipped, now
			r.Error = fmt.Sprintf("the previous run %s was still running (concurrency: forbid)", busy.Key)
		}
	case ConcurrencyReplace:
		for {
			busy, ok := runningOf(tx, r.Job, r.Key)
			if !ok || busy.StopAsked != "" {
				return nil
			}
			busy.StopAsked = r.Key
			if err := putRun(tx, runID(busy.Job, busy.Scheduled, busy.Manual), busy); err != nil {
				return err
			}
		}
	}
	return nil
}

// Request records a manual run of job asked by who, for a scheduler to
// take (or, with owner set, taken by owner at once: a foreground run).
func (s *Store) Request(ctx context.Context, job, who, owner string) (Run, error) {
	now := s.now().UTC()
	r := Run{Key: RunKey(job, now, true), Job: job, Scheduled: now, Manual: true, State: Requested, Attempt: 1, RequestedBy: who}
	if owner != "" {
		r.State, r.Owner, r.Heartbeat, r.Started = Running, owner, now, now
	}
	err := s.st.Update(ctx, func(tx *bbolt.Tx) error {
		if tx.Bucket([]byte(store.BucketJobs)).Get([]byte(job)) == nil {
			return fmt.Errorf("%w: %s", ErrNoJob, job)
		}
		return putRun(tx, runID(job, now, true), r)
	})
	if err != nil {
		return Run{}, fmt.Errorf("requesting a run of %s: %w", job, err)
	}
	return r, nil
}

// Active lists the runs requested (asked for, not yet taken) or running,
// whoever owns them.
func (s *Store) Active(ctx context.Context) ([]Run, error) {
	var out []Run
	err := s.st.View(ctx, func(tx *bbolt.Tx) error {
		var err error
		out, err = activeRuns(tx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("reading the active job runs: %w", err)
	}
	return out, nil
}

func activeRuns(tx *bbolt.Tx) ([]Run, error) {
	runs := tx.Bucket([]byte(store.BucketJobRuns))
	var out []Run
	err := tx.Bucket([]byte(store.BucketJobActive)).ForEach(func(k, _ []byte) error {
		v := runs.Get(k)
		if v == nil {
			return nil
		}
		var r Run
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("reading run %q: %w", k, err)
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// Beat refreshes the heartbeat of runs owner is running, and returns those
// it must stop: asked to by a newer run (concurrency: replace), or no
// longer its own (its heartbeat lapsed and another scheduler called it
// interrupted).
func (s *Store) Beat(ctx context.Context, owner string, keys []string) (stop []string, err error) {
	if len(keys) == 0 {
		return nil, nil
	}
	now := s.now().UTC()
	err = s.st.Update(ctx, func(tx *bbolt.Tx) error {
		stop = stop[:0]
		runs := tx.Bucket([]byte(store.BucketJobRuns))
		for _, key := range keys {
			id, ok := parseRunKey(key)
			var r Run
			if !ok || json.Unmarshal(runs.Get(id), &r) != nil || r.State != Running || r.Owner != owner {
				stop = append(stop, key)
				continue
			}
			if r.StopAsked != "" {
				stop = append(stop, key)
			}
			r.Heartbeat = now
			if err := putRun(tx, id, r); err != nil {
				return err
			}
		}
		return nil
	})
	return stop, err
}

// parseRunKey is RunKey's inverse: the bucket key of a run.
func parseRunKey(key string) ([]byte, bool) {
	job, at, ok := strings.Cut(key, "@")
	if !ok {
		return nil, false
	}
	at, manual := strings.CutPrefix(at, "manual-")
	t, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		return nil, false
	}
	return runID(job, t, manual), true
}

// Interrupt marks as interrupted the running runs whose heartbeat is older
// than lease (their process died: kill -9, a crash, a lost machine), except
// those in mine (the caller's own), and returns them for the job's policy
// to handle.
func (s *Store) Interrupt(ctx context.Context, lease time.Duration, mine map[string]bool) ([]Run, error) {
	now := s.now().UTC()
	var out []Run
	err := s.changeActive(ctx, func(r *Run) bool {
		if r.State != Running || mine[r.Key] || now.Sub(r.Heartbeat) < lease {
			return false
		}
		r.State, r.Finished = Interrupted, now
		r.Error = fmt.Sprintf("its process (%s) stopped answering at %s, while it ran", r.Owner, r.Heartbeat.Format(time.RFC3339))
		out = append(out, *r)
		return true
	})
	return out, err
}

// Retry claims an interrupted run's slot again for owner, as its next
// attempt; ErrClaimed when another scheduler did first.
func (s *Store) Retry(ctx context.Context, key, owner string) (Run, error) {
	now := s.now().UTC()
	id, ok := parseRunKey(key)
	if !ok {
		return Run{}, fmt.Errorf("retrying run %q: not a run key", key)
	}
	var r Run
	err := s.st.Update(ctx, func(tx *bbolt.Tx) error {
		v := tx.Bucket([]byte(store.BucketJobRuns)).Get(id)
		if v == nil {
			return ErrClaimed
		}
		if err := json.Unmarshal(v, &r); err != nil {
			return err
		}
		if r.State != Interrupted {
			return ErrClaimed
		}
		r.State, r.Owner, r.Heartbeat, r.Started, r.Finished = Running, owner, now, now, time.Time{}
		r.Attempt++
		r.Error = ""
		return putRun(tx, id, r)
	})
	if err != nil {
		return Run{}, fmt.Errorf("retrying run %s: %w", key, err)
	}
	return r, nil
}

// ErrNotOwner means a run is no longer the caller's: its heartbeat lapsed
// and another scheduler called it interrupted (and maybe ran it again).
var ErrNotOwner = errors.New("the run is no longer this scheduler's")

// Finish records how a run ended, if it is still the caller's (the same
// owner and attempt, still running), and keeps only the job's newest
// history finished runs. fn, if not nil, commits in the same transaction
// what the end leads to (see Commit): alerts, the job's state; the alerts
// take takes are returned, to deliver now.
func (s *Store) Finish(ctx context.Context, r Run, history int, take Taker, fn func(*StateTx) error) ([]Delivery, error) {
	now := s.now().UTC()
	r.Finished = now
	var t *StateTx
	err := s.st.Update(ctx, func(tx *bbolt.Tx) error {
		id := runID(r.Job, r.Scheduled, r.Manual)
		var cur Run
		if v := tx.Bucket([]byte(store.BucketJobRuns)).Get(id); v != nil {
			if err := json.Unmarshal(v, &cur); err != nil {
				return err
			}
			if cur.State != Running || cur.Owner != r.Owner || cur.Attempt != r.Attempt {
				return fmt.Errorf("%w: it is %s, attempt %d, owner %s", ErrNotOwner, cur.State, cur.Attempt, cur.Owner)
			}
			r.StopAsked = cur.StopAsked
		}
		t = &StateTx{tx: tx, job: r.Job, now: now, take: take}
		if fn != nil {
			if err := fn(t); err != nil {
				return err
			}
			r.Alerts += t.added
		}
		if err := putRun(tx, id, r); err != nil {
			return err
		}
		return prune(tx.Bucket([]byte(store.BucketJobRuns)), r.Job, history)
	})
	if err != nil {
		return nil, fmt.Errorf("recording the end of run %s: %w", r.Key, err)
	}
	return t.taken, nil
}

// Runs lists a job's runs (all jobs' with job ""), newest first, at most
// limit (0: all).
func (s *Store) Runs(ctx context.Context, job string, limit int) ([]Run, error) {
	list, err := s.runs(ctx, job)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(list, func(a, b Run) int { return b.Scheduled.Compare(a.Scheduled) })
	if limit > 0 && len(list) > limit {
		list = list[:limit]
	}
	return list, nil
}

// runs reads the runs of job (every job's with job ""): a job's runs sit
// together under its name.
func (s *Store) runs(ctx context.Context, job string) ([]Run, error) {
	var out []Run
	var prefix []byte
	if job != "" {
		prefix = append([]byte(job), 0)
	}
	err := s.st.View(ctx, func(tx *bbolt.Tx) error {
		c := tx.Bucket([]byte(store.BucketJobRuns)).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var r Run
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("reading run %q: %w", k, err)
			}
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading job runs: %w", err)
	}
	return out, nil
}

// changeActive applies fn to every active run in one transaction, saving
// those it changed.
func (s *Store) changeActive(ctx context.Context, fn func(*Run) bool) error {
	return s.st.Update(ctx, func(tx *bbolt.Tx) error {
		list, err := activeRuns(tx)
		if err != nil {
			return err
		}
		for _, r := range list {
			if fn(&r) {
				if err := putRun(tx, runID(r.Job, r.Scheduled, r.Manual), r); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// putRun saves a run and keeps the index of active runs in step.
func putRun(tx *bbolt.Tx, id []byte, r Run) error {
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if err := tx.Bucket([]byte(store.BucketJobRuns)).Put(id, v); err != nil {
		return err
	}
	active := tx.Bucket([]byte(store.BucketJobActive))
	if r.State == Requested || r.State == Running {
		return active.Put(id, nil)
	}
	return active.Delete(id)
}

// runningOf finds a run of job still running, other than the one keyed
// except.
func runningOf(tx *bbolt.Tx, job, except string) (Run, bool) {
	runs := tx.Bucket([]byte(store.BucketJobRuns))
	prefix := append([]byte(job), 0)
	c := tx.Bucket([]byte(store.BucketJobActive)).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		var r Run
		if json.Unmarshal(runs.Get(k), &r) == nil && r.State == Running && r.Key != except && r.StopAsked == "" {
			return r, true
		}
	}
	return Run{}, false
}

// prune keeps a job's newest keep finished runs; running and requested
// ones are never dropped.
func prune(b *bbolt.Bucket, job string, keep int) error {
	if keep <= 0 {
		keep = DefaultHistory
	}
	prefix := append([]byte(job), 0)
	var finished [][]byte
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var r Run
		if json.Unmarshal(v, &r) == nil && r.State.Finished() {
			finished = append(finished, bytes.Clone(k))
		}
	}
	// Keys sort by time: the oldest come first.
	for len(finished) > keep {
		if err := b.Delete(finished[0]); err != nil {
			return err
		}
		finished = finished[1:]
	}
	return nil
}
