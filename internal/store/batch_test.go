package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// holdBatch starts a Batch call whose fn waits, inside its transaction, until
// release is called: Batch calls made meanwhile queue behind it. release
// returns the held call's outcome.
func holdBatch(t *testing.T, st *Store) (release func() error) {
	t.Helper()
	running, let := make(chan struct{}), make(chan struct{})
	var once sync.Once
	done := make(chan error, 1)
	go func() {
		done <- st.Batch(context.Background(), func(*bbolt.Tx) error {
			once.Do(func() { close(running) })
			<-let
			return nil
		})
	}()
	<-running
	return func() error {
		close(let)
		return <-done
	}
}

// queue starts a Batch call and returns once it waits in the queue, so calls
// queued one after another queue in that order.
func queue(t *testing.T, st *Store, ctx context.Context, fn func(*bbolt.Tx) error) <-chan error {
	t.Helper()
	before := st.Stats().Queued
	done := make(chan error, 1)
	go func() { done <- st.Batch(ctx, fn) }()
	waitUntil(t, "the call to queue", func() bool { return st.Stats().Queued == before+1 })
	return done
}

// waitUntil polls cond; the deadline only keeps a broken test from hanging.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10 s for %s", what)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// appendName appends name to the test bucket under its next sequence number.
func appendName(name string) func(*bbolt.Tx) error {
	return func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte(testBucket))
		if err != nil {
			return err
		}
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		return b.Put(seqKey(seq), []byte(name))
	}
}

// names lists the test bucket's values in sequence order.
func names(t *testing.T, st *Store) []string {
	t.Helper()
	got := appended(t, t.Context(), st)
	seqs := make([]uint64, 0, len(got))
	for s := range got {
		seqs = append(seqs, s)
	}
	slices.Sort(seqs)
	out := []string{}
	for _, s := range seqs {
		out = append(out, got[s])
	}
	return out
}

func wantNil(t *testing.T, calls []<-chan error) {
	t.Helper()
	for i, c := range calls {
		if err := <-c; err != nil {
			t.Errorf("call %d: %v", i, err)
		}
	}
}

// Calls that queue while a commit is under way share the next transaction:
// one commit for all of them, not one each.
func TestBatchSharesCommits(t *testing.T) {
	st := openTemp(t)
	before := st.Stats()
	release := holdBatch(t, st)
	const n = 20
	var calls []<-chan error
	for i := range n {
		calls = append(calls, queue(t, st, t.Context(), appendName(fmt.Sprint("c", i))))
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
	wantNil(t, calls)
	after := st.Stats()
	if commits := after.Commits - before.Commits; commits != 2 {
		t.Errorf("%d commits, want 2: the held call's, then one for the %d queued", commits, n)
	}
	if after.Batched-before.Batched != n+1 || after.LargestBatch != n {
		t.Errorf("stats %+v", after)
	}
	if got := names(t, st); len(got) != n {
		t.Errorf("%d writes in the file, want %d", len(got), n)
	}
}

// The calls of a batch run in the order they queued, each seeing the writes
// of those before it.
func TestBatchRunsInQueueOrder(t *testing.T) {
	st := openTemp(t)
	release := holdBatch(t, st)
	var want []string
	var calls []<-chan error
	for i := range 12 {
		name := fmt.Sprint("c", i)
		want = append(want, name)
		calls = append(calls, queue(t, st, t.Context(), appendName(name)))
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
	wantNil(t, calls)
	if got := names(t, st); !slices.Equal(got, want) {
		t.Fatalf("written in the order %v, want %v", got, want)
	}
}

// A call that fails inside a shared transaction gets its own error, none of
// its writes are kept, and the others of its batch commit all the same.
func TestBatchFailingCallIsAlone(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name string
		fail func(*bbolt.Tx) error
		want error
	}{
		{"error", func(tx *bbolt.Tx) error {
			if err := appendName("bad")(tx); err != nil {
				return err
			}
			return boom
		}, boom},
		{"panic", func(tx *bbolt.Tx) error {
			if err := appendName("bad")(tx); err != nil {
				return err
			}
			panic("a bug in fn")
		}, ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := openTemp(t)
			before := st.Stats()
			release := holdBatch(t, st)
			var ran atomic.Int32
			good := queue(t, st, t.Context(), appendName("a"))
			bad := queue(t, st, t.Context(), func(tx *bbolt.Tx) error {
				ran.Add(1)
				return tt.fail(tx)
			})
			rest := []<-chan error{good, queue(t, st, t.Context(), appendName("b")), queue(t, st, t.Context(), appendName("c"))}
			if err := release(); err != nil {
				t.Fatal(err)
			}
			if err := <-bad; !errors.Is(err, tt.want) {
				t.Errorf("the failing call got %v, want %v", err, tt.want)
			}
			wantNil(t, rest)
			if got := names(t, st); !slices.Equal(got, []string{"a", "b", "c"}) {
				t.Errorf("the file has %v, want [a b c]", got)
			}
			if n := ran.Load(); n != 2 {
				t.Errorf("the failing fn ran %d times, want 2: in the batch, then alone", n)
			}
			// The held call, then the batch without the failing call; the
			// failing call alone commits nothing.
			if commits := st.Stats().Commits - before.Commits; commits != 2 {
				t.Errorf("%d commits, want 2", commits)
			}
		})
	}
}

// A call whose context ends while it waits in the queue returns at once, and
// its fn never runs.
func TestBatchCancelledWhileQueued(t *testing.T) {
	st := openTemp(t)
	release := holdBatch(t, st)
	ctx, cancel := context.WithCancel(t.Context())
	var ran atomic.Bool
	cancelled := queue(t, st, ctx, func(tx *bbolt.Tx) error {
		ran.Store(true)
		return appendName("cancelled")(tx)
	})
	kept := queue(t, st, t.Context(), appendName("kept"))
	cancel()
	// The held transaction is still open: the cancelled call must not wait
	// for it.
	select {
	case err := <-cancelled:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the cancelled call still waits for the transaction before it")
	}
	if q := st.Stats().Queued; q != 1 {
		t.Errorf("%d calls queued, want 1: the cancelled one must leave the queue", q)
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
	wantNil(t, []<-chan error{kept})
	if ran.Load() {
		t.Error("the cancelled call's fn ran")
	}
	if got := names(t, st); !slices.Equal(got, []string{"kept"}) {
		t.Errorf("the file has %v, want [kept]", got)
	}
}

// Once a call's transaction has begun, cancelling it no longer matters: the
// caller gets the transaction's true outcome, never an error for a write that
// was in fact committed.
func TestBatchCancelledWhileRunning(t *testing.T) {
	st := openTemp(t)
	ctx, cancel := context.WithCancel(t.Context())
	running := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- st.Batch(ctx, func(tx *bbolt.Tx) error {
			cancel()
			close(running)
			return appendName("committed")(tx)
		})
	}()
	<-running
	if err := <-done; err != nil {
		t.Fatalf("got %v for a committed write", err)
	}
	if got := names(t, st); !slices.Equal(got, []string{"committed"}) {
		t.Errorf("the file has %v", got)
	}

	// The same for a call run by the committer goroutine, not by its caller.
	release := holdBatch(t, st)
	ctx, cancel = context.WithCancel(t.Context())
	taken := make(chan struct{})
	queued := queue(t, st, ctx, func(tx *bbolt.Tx) error {
		close(taken)
		cancel()
		return appendName("committed too")(tx)
	})
	if err := release(); err != nil {
		t.Fatal(err)
	}
	<-taken
	if err := <-queued; err != nil {
		t.Fatalf("got %v for a committed write", err)
	}
	if got := names(t, st); !slices.Equal(got, []string{"committed", "committed too"}) {
		t.Errorf("the file has %v", got)
	}
}

// One transaction takes at most MaxBatch calls, so it holds the file lock
// for a bounded time whatever the queue.
func TestBatchIsBounded(t *testing.T) {
	st, err := Open(t.Context(), openTemp(t).Path(), Options{MaxBatch: 4})
	if err != nil {
		t.Fatal(err)
	}
	before := st.Stats()
	release := holdBatch(t, st)
	var calls []<-chan error
	for i := range 10 {
		calls = append(calls, queue(t, st, t.Context(), appendName(fmt.Sprint("c", i))))
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
	wantNil(t, calls)
	after := st.Stats()
	if after.LargestBatch != 4 || after.Batches-before.Batches != 1+3 {
		t.Errorf("largest batch %d in %d batches, want 4 in 1+3 (4, 4, 2)", after.LargestBatch, after.Batches-before.Batches)
	}
	if got := names(t, st); len(got) != 10 {
		t.Errorf("%d writes in the file, want 10", len(got))
	}
}

// Batches that queue one behind another share one opening of the file
// (each still its own transaction, with its own commit), for MaxHold at
// most; with no hold, each batch opens the file anew.
func TestFollowingBatchesShareAnOpening(t *testing.T) {
	for _, tt := range []struct {
		name      string
		hold      time.Duration
		wantOpens uint64
	}{
		{"held", time.Minute, 1 + 1}, // the held leader's, then one for 3 batches
		{"not held", time.Nanosecond, 1 + 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st, err := Open(t.Context(), openTemp(t).Path(), Options{MaxBatch: 4, MaxHold: tt.hold})
			if err != nil {
				t.Fatal(err)
			}
			before := st.Stats()
			release := holdBatch(t, st)
			var calls []<-chan error
			for i := range 10 {
				calls = append(calls, queue(t, st, t.Context(), appendName(fmt.Sprint("c", i))))
			}
			if err := release(); err != nil {
				t.Fatal(err)
			}
			wantNil(t, calls)
			if err := st.Close(); err != nil { // returns once the committer has closed the file
				t.Fatal(err)
			}
			after := st.Stats()
			if got := after.Commits - before.Commits; got != 1+3 {
				t.Errorf("%d commits, want 1+3: each batch is its own durable transaction", got)
			}
			if got := after.WriteOpens - before.WriteOpens; got != tt.wantOpens {
				t.Errorf("the file was opened %d times for writing, want %d", got, tt.wantOpens)
			}
		})
	}
}

// Close returns only once every queued call has committed, and the store
// refuses transactions afterwards.
func TestCloseDrainsTheQueue(t *testing.T) {
	st := openTemp(t)
	release := holdBatch(t, st)
	const n = 8
	var calls []<-chan error
	for i := range n {
		calls = append(calls, queue(t, st, t.Context(), appendName(fmt.Sprint("c", i))))
	}
	go func() {
		// Let the held call go once Close has begun: a View with an ended
		// context fails at once, with ErrClosed once the store is closed.
		ended, cancel := context.WithCancel(context.Background())
		cancel()
		for !errors.Is(st.View(ended, nop), ErrClosed) {
			time.Sleep(100 * time.Microsecond)
		}
		_ = release()
	}()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if got := st.Stats().Batched; got != n+1 {
		t.Fatalf("Close returned with %d of %d calls committed", got, n+1)
	}
	wantNil(t, calls)
	for name, do := range map[string]func() error{
		"Batch":  func() error { return st.Batch(t.Context(), appendName("after")) },
		"Update": func() error { return st.Update(t.Context(), nop) },
		"View":   func() error { return st.View(t.Context(), nop) },
	} {
		if err := do(); !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close: got %v, want ErrClosed", name, err)
		}
	}
	reopened, err := Open(t.Context(), st.Path(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(t, reopened); len(got) != n {
		t.Errorf("%d writes in the file, want %d", len(got), n)
	}
}

// Goroutines writing through Batch and Update at once all commit, each write
// once.
func TestBatchAndUpdateTogether(t *testing.T) {
	st := openTemp(t)
	var wg sync.WaitGroup
	const perGoroutine = 25
	for i := range 16 {
		write := st.Batch
		if i%4 == 0 {
			write = st.Update
		}
		wg.Go(func() {
			for j := range perGoroutine {
				if err := write(t.Context(), appendName(fmt.Sprint(i, "/", j))); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	got := names(t, st)
	slices.Sort(got)
	if len(got) != 16*perGoroutine || len(slices.Compact(got)) != 16*perGoroutine {
		t.Fatalf("%d writes, want %d distinct", len(got), 16*perGoroutine)
	}
}

// A batched call reaches its transaction with part of its lock timeout spent
// in the queue, even all of it: a lock that is free is taken all the same,
// only a wait for it times out.
func TestExpiredDeadlineTakesAFreeLock(t *testing.T) {
	st := openTemp(t)
	for i := range 20 {
		if err := st.runUntil(t.Context(), readWrite, time.Now().Add(-time.Second), appendName(fmt.Sprint(i))); err != nil {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
}

// Calls that queue while the leader (the call that found nobody committing)
// waits for the file join the leader's transaction: one commit for all.
func TestLeaderTakesWhatQueuedWhileItWaited(t *testing.T) {
	st := openTemp(t)
	// An Update holds the file, so the next Batch call leads but waits.
	inside, let := make(chan struct{}), make(chan struct{})
	updated := make(chan error, 1)
	go func() {
		updated <- st.Update(context.Background(), func(*bbolt.Tx) error {
			close(inside)
			<-let
			return nil
		})
	}()
	<-inside
	before := st.Stats()
	leader := make(chan error, 1)
	go func() { leader <- st.Batch(context.Background(), appendName("leader")) }()
	waitUntil(t, "the leader to start", func() bool {
		st.batch.mu.Lock()
		defer st.batch.mu.Unlock()
		return st.batch.running
	})
	var calls []<-chan error
	for i := range 5 {
		calls = append(calls, queue(t, st, t.Context(), appendName(fmt.Sprint("c", i))))
	}
	close(let)
	if err := <-updated; err != nil {
		t.Fatal(err)
	}
	if err := <-leader; err != nil {
		t.Fatal(err)
	}
	wantNil(t, calls)
	after := st.Stats()
	if got := after.Batches - before.Batches; got != 1 || after.LargestBatch != 6 {
		t.Errorf("%d batches, the largest of %d calls; want 1 of 6: the leader and the 5 that queued meanwhile", got, after.LargestBatch)
	}
	if got := names(t, st); !slices.Equal(got, []string{"leader", "c0", "c1", "c2", "c3", "c4"}) {
		t.Errorf("the file has %v", got)
	}
}
