package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"
)

// Several supaops processes create one store and append to it at once: none
// fails or hangs on another's lock, and every commit a process saw return is
// in the file. In "batch" mode each process appends from several goroutines
// through Batch, so its appends share commits.
func TestProcessesAppendConcurrently(t *testing.T) {
	for _, mode := range []string{"append", "batch"} {
		t.Run(mode, func(t *testing.T) { testProcessesAppend(t, mode) })
	}
}

func testProcessesAppend(t *testing.T, mode string) {
	const workers = 4
	const runFor = 2 * time.Second
	path := filepath.Join(t.TempDir(), "supaops.db") // the helpers create it
	helpers := make([]*helper, workers)
	for i := range helpers {
		helpers[i] = startHelper(t, mode, path, fmt.Sprint("w", i), runFor)
	}
	reported := map[uint64]string{}
	for i, h := range helpers {
		seqs := h.seqs(t)
		if err := h.cmd.Wait(); err != nil {
			t.Fatalf("worker %d failed: %v", i, err)
		}
		if len(seqs) == 0 {
			t.Errorf("worker %d appended nothing in %s: starved", i, runFor)
		}
		t.Logf("worker %d: %d appends", i, len(seqs))
		for _, s := range seqs {
			if prev, dup := reported[s]; dup {
				t.Fatalf("sequence %d reported by %s and w%d", s, prev, i)
			}
			reported[s] = fmt.Sprint("w", i)
		}
	}
	st, err := Open(t.Context(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := appended(t, t.Context(), st)
	for s, who := range reported {
		if got[s] != who {
			t.Errorf("sequence %d: file has %q, %s reported it", s, got[s], who)
		}
	}
	if len(got) != len(reported) {
		t.Errorf("file has %d appends, processes reported %d", len(got), len(reported))
	}
	if err := st.Check(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// A process killed with SIGKILL in the middle of appending loses nothing it
// had committed, and leaves a file that opens and checks clean; in "batch"
// mode the kill lands among goroutines whose appends share commits.
func TestKilledProcessLosesNoCommit(t *testing.T) {
	for _, mode := range []string{"append", "batch"} {
		t.Run(mode, func(t *testing.T) { testKilledProcess(t, mode) })
	}
}

func testKilledProcess(t *testing.T, mode string) {
	path := filepath.Join(t.TempDir(), "supaops.db")
	reported := map[uint64]bool{}
	for round := range 3 {
		h := startHelper(t, mode, path, "victim", time.Minute)
		// Kill after a random number of commits, so the kill lands at a
		// different point of a transaction each round.
		var seqs []uint64
		for range 5 + rand.IntN(60) {
			seqs = append(seqs, parseSeq(t, h.waitLine(t, 10*time.Second)))
		}
		if err := h.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = h.cmd.Wait()
		seqs = append(seqs, h.seqs(t)...)
		t.Logf("round %d: killed after %d commits", round, len(seqs))
		for _, s := range seqs {
			reported[s] = true
		}
		st, err := Open(t.Context(), path, Options{})
		if err != nil {
			t.Fatalf("round %d: reopening after the kill: %v", round, err)
		}
		if err := st.Check(t.Context()); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		got := appended(t, t.Context(), st)
		for s := range reported {
			if _, ok := got[s]; !ok {
				t.Fatalf("round %d: sequence %d was reported committed but is missing", round, s)
			}
		}
	}
	if len(reported) == 0 {
		t.Fatal("the helper never reported a commit")
	}
}

// A process holding a long transaction makes the others fail with ErrBusy
// after the lock timeout, instead of hanging.
func TestLockTimeout(t *testing.T) {
	const timeout = 300 * time.Millisecond
	path := filepath.Join(t.TempDir(), "supaops.db")
	st, err := Open(t.Context(), path, Options{LockTimeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	patient, err := Open(t.Context(), path, Options{LockTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	const long = 3 * time.Second
	slow, err := Open(t.Context(), path, Options{LockTimeout: long})
	if err != nil {
		t.Fatal(err)
	}
	h := startHelper(t, "hold", path, "holder", 30*time.Second)
	if line := h.waitLine(t, 10*time.Second); line != "locked" {
		t.Fatalf("helper said %q", line)
	}

	tests := []struct {
		name string
		do   func(ctx context.Context) error
		want error
	}{
		{"Open", func(ctx context.Context) error {
			_, err := Open(ctx, path, Options{LockTimeout: timeout})
			return err
		}, ErrBusy},
		{"Update", func(ctx context.Context) error { return st.Update(ctx, nop) }, ErrBusy},
		{"View", func(ctx context.Context) error { return st.View(ctx, nop) }, ErrBusy},
		{"Update cancelled", func(context.Context) error {
			ctx, cancel := context.WithTimeout(t.Context(), timeout/3)
			defer cancel()
			return st.Update(ctx, nop)
		}, context.DeadlineExceeded},
		{"Batch", func(ctx context.Context) error { return st.Batch(ctx, nop) }, ErrBusy},
		{"Batch cancelled", func(context.Context) error {
			ctx, cancel := context.WithTimeout(t.Context(), timeout/3)
			defer cancel()
			return st.Batch(ctx, nop)
		}, context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			err := tt.do(t.Context())
			took := time.Since(start)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if took > timeout+2*time.Second {
				t.Errorf("gave up after %s; the timeout is %s", took, timeout)
			}
			if errors.Is(tt.want, ErrBusy) && took < timeout {
				t.Errorf("gave up after %s, before the %s timeout", took, timeout)
			}
			t.Logf("%v after %s", err, took.Round(time.Millisecond))
		})
	}

	// A Batch call whose transaction waits for the lock in the committer
	// goroutine (not its caller's) is cancelled at once too, and a cancelled
	// leader leaves the calls queued behind it to the committer. A long lock
	// timeout makes a call that is not cancelled wait past the test's bound.
	leaderCtx, cancelLeader := context.WithCancel(t.Context())
	leader := make(chan error, 1)
	go func() { leader <- patient.Batch(leaderCtx, nop) }()
	waitUntil(t, "the leader to wait for the lock", func() bool {
		patient.batch.mu.Lock()
		defer patient.batch.mu.Unlock()
		return patient.batch.running && len(patient.batch.queue) == 0
	})
	ctx, cancel := context.WithCancel(t.Context())
	queued := queue(t, patient, ctx, nop)
	cancelLeader()
	if err := within(t, leader); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled leader: got %v, want context.Canceled", err)
	}
	waitUntil(t, "the committer to take the queued call", func() bool { return patient.Stats().Queued == 0 })
	cancel()
	if err := within(t, queued); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled call: got %v, want context.Canceled", err)
	}

	// A call queued behind a batch that waits for the lock waits no longer
	// than the lock timeout in all, counted from when it queued, not from
	// when its own batch began: about 3 s here, not 6.
	first := make(chan error, 1)
	go func() { first <- slow.Batch(t.Context(), nop) }()
	waitUntil(t, "the first call to wait for the lock", func() bool {
		slow.batch.mu.Lock()
		defer slow.batch.mu.Unlock()
		return slow.batch.running
	})
	queuedAt := time.Now()
	second := queue(t, slow, t.Context(), nop)
	if err := <-first; !errors.Is(err, ErrBusy) {
		t.Fatalf("first call: got %v, want ErrBusy", err)
	}
	if err := <-second; !errors.Is(err, ErrBusy) {
		t.Fatalf("second call: got %v, want ErrBusy", err)
	}
	if took := time.Since(queuedAt); took > long+long/2 {
		t.Errorf("the queued call gave up after %s; the lock timeout is %s", took.Round(time.Millisecond), long)
	}

	// Once the holder is gone (even killed), the store is usable at once.
	if err := h.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = h.cmd.Wait()
	if err := st.Update(t.Context(), nop); err != nil {
		t.Fatalf("after the holder died: %v", err)
	}
	if err := patient.Close(); err != nil {
		t.Fatal(err)
	}
}

// within waits for a call's outcome; the bound only keeps a broken test from
// hanging.
func within(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("no outcome in 10 s")
		return nil
	}
}
