package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/bbolt"
)

// DefaultMaxBatch bounds how many Batch calls share one transaction, so the
// file lock is never held for long: see Options.MaxBatch.
const DefaultMaxBatch = 128

// DefaultMaxHold bounds how long consecutive batches keep the file open
// (and locked) between them: see Options.MaxHold.
const DefaultMaxHold = 20 * time.Millisecond

// errAlone tells a Batch caller that its fn failed inside a shared
// transaction, which was rolled back without it: it reruns fn on its own.
var errAlone = errors.New("store: run the call alone")

// batcher queues Batch calls for the goroutine committing them.
type batcher struct {
	mu    sync.Mutex
	queue []*batchCall // waiting, not yet taken into a transaction
	// running is set while a goroutine commits what is queued: the Batch
	// caller that found nobody committing, then one committer goroutine
	// for whatever queued meanwhile, until the queue is empty.
	running bool
	closed  bool
	idle    sync.Cond // signalled when running turns false
	max     int
}

// The states of a batchCall: its caller may give up on it until its fn
// starts, and not after.
const (
	callWaiting int32 = iota
	callStarted
	callWithdrawn
)

type batchCall struct {
	fn   func(*bbolt.Tx) error
	done chan error // buffered: the committer never waits for the caller
	// deadline ends the call's wait for the file lock, as for Update: the
	// lock timeout from when it queued.
	deadline time.Time
	state    atomic.Int32
}

// start reports whether fn may run: it has run before (a retried
// transaction), or its caller has not given up.
func (c *batchCall) start() bool {
	return c.state.CompareAndSwap(callWaiting, callStarted) || c.state.Load() == callStarted
}

// withdraw gives up on c unless its fn has started.
func (c *batchCall) withdraw() bool { return c.state.CompareAndSwap(callWaiting, callWithdrawn) }

func (c *batchCall) withdrawn() bool { return c.state.Load() == callWithdrawn }

// Batch runs fn in a write transaction and returns once that transaction is
// durable, like Update, but concurrent Batch calls of this Store share one
// transaction and so one commit: while a commit is under way, the calls
// arriving queue up, and the next transaction runs all of them, in the order
// they queued (so each fn sees the writes of those before it), and commits
// them with one pair of fdatasyncs. A call that finds nobody committing
// commits its own transaction at once: a lone caller waits no longer than
// with Update. A transaction takes at most Options.MaxBatch calls and the
// file is closed after each, as with Update, so other processes get the lock
// between two batches.
//
// As with bbolt's DB.Batch, fn may run more than once, so it must have no
// effect outside the transaction other than results the last run overwrites.
// If fn fails, the shared transaction is rolled back and rerun without it,
// and fn is rerun alone in a transaction of its own: its error is its
// caller's only.
//
// If ctx ends before fn has started, Batch returns ctx's error at once and fn
// never runs (it may still be waiting in the queue, or its transaction for
// the file lock); once fn has started, Batch returns the outcome of its
// transaction. As with Update, a call waits for the file lock for
// Options.LockTimeout at most, counted from when it queued, then fails with
// ErrBusy.
func (s *Store) Batch(ctx context.Context, fn func(*bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store %s: %w", s.path, err)
	}
	b := &s.batch
	c := &batchCall{fn: fn, done: make(chan error, 1), deadline: time.Now().Add(s.lockTimeout)}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return s.closedErr()
	}
	lead := !b.running
	if lead {
		b.running = true
	} else {
		b.queue = append(b.queue, c)
	}
	b.mu.Unlock()
	if lead {
		s.lead(ctx, c)
	}
	select {
	case err := <-c.done:
		return s.batchResult(ctx, c, err)
	case <-ctx.Done():
	}
	if c.withdraw() {
		b.remove(c)
		return fmt.Errorf("store %s: waiting for a batched commit: %w", s.path, ctx.Err())
	}
	return s.batchResult(ctx, c, <-c.done)
}

// lead commits c, the call that found nobody committing, in its caller's
// goroutine, without a hand-off to another goroutine (its ctx cancels its
// wait for the file lock), then leaves what queued meanwhile to a committer
// goroutine.
func (s *Store) lead(ctx context.Context, c *batchCall) {
	b := &s.batch
	s.commit(ctx, []*batchCall{c})
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.queue) > 0 {
		// The committer serves other callers: the leader's cancellation
		// is not theirs.
		go s.commitQueued(context.WithoutCancel(ctx))
	} else {
		b.stop()
	}
}

func (s *Store) batchResult(ctx context.Context, c *batchCall, err error) error {
	if errors.Is(err, errAlone) {
		return s.update(ctx, c.fn)
	}
	return err
}

// commitQueued commits batches until the queue is empty; ctx is never
// cancelled. Batches that follow one another share one opening of the
// file, for up to Options.MaxHold: opening, locking, mapping and closing the
// file cost more than committing a few records, and while calls keep
// queueing another one is already waiting. Each batch is still its own
// durable transaction; the file is closed, and other processes get the
// lock, when the queue is empty or the hold is up.
func (s *Store) commitQueued(ctx context.Context) {
	for {
		calls := s.batch.take()
		if len(calls) == 0 {
			return
		}
		err := s.session(ctx, readWrite, calls[0].deadline, func(db *bbolt.DB) error {
			opened := time.Now()
			for {
				s.commitOn(db, calls)
				if time.Since(opened) >= s.maxHold {
					return nil
				}
				// The committer stops (take) only once the file is
				// closed, so Close returns with it closed.
				if calls = s.batch.takeMore(s.batch.max); len(calls) == 0 {
					return nil
				}
			}
		})
		if err != nil {
			// The file could not be opened, or not closed: the batch in hand
			// is told why, unless it was told its commit already.
			for _, c := range calls {
				select {
				case c.done <- err:
				default:
				}
			}
		}
	}
}

// take removes up to max calls from the queue, oldest first, or stops the
// committer if there are none.
func (b *batcher) take() []*batchCall {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.queue) == 0 {
		b.stop()
		return nil
	}
	return b.takeLocked(b.max)
}

// takeMore is take for a committer that goes on: it does not stop it. It
// takes up to limit calls.
func (b *batcher) takeMore(limit int) []*batchCall {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.queue) == 0 || limit <= 0 {
		return nil
	}
	return b.takeLocked(limit)
}

// takeLocked removes up to limit calls from the queue; b.mu is held.
func (b *batcher) takeLocked(limit int) []*batchCall {
	n := min(len(b.queue), limit)
	calls := slices.Clone(b.queue[:n])
	b.queue = slices.Delete(b.queue, 0, n)
	return calls
}

// stop marks the committer gone; b.mu is held.
func (b *batcher) stop() {
	b.running = false
	b.idle.Broadcast()
}

// remove takes a withdrawn call out of the queue, if it is still there.
func (b *batcher) remove(c *batchCall) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if i := slices.Index(b.queue, c); i >= 0 {
		b.queue = slices.Delete(b.queue, i, i+1)
	}
}

// commit runs calls in one transaction and tells each its outcome. A call
// whose fn fails (or panics) is taken out and told to run alone, and the
// transaction is rerun without it, as bbolt's DB.Batch does. ctx cancels the
// wait for the file lock: a leader passes its own, with its call alone.
//
// Calls that queued while the leader waited for the file and opened it join
// its transaction: they cost it a few microseconds, against a commit of
// their own later.
func (s *Store) commit(ctx context.Context, calls []*batchCall) {
	deadline := calls[0].deadline
	s.commitWith(calls, func(fn func(*bbolt.Tx) error) error {
		// The oldest call's deadline bounds the wait for the lock, so none
		// of them waits longer than the lock timeout.
		return s.runUntil(ctx, readWrite, deadline, fn)
	}, true)
}

// commitOn is commit on a file already open and locked (commitQueued).
func (s *Store) commitOn(db *bbolt.DB, calls []*batchCall) {
	s.commitWith(calls, func(fn func(*bbolt.Tx) error) (err error) {
		// As in session: a panic is the transaction's failure (bbolt rolls
		// it back), so the batch goes on without the call that caused it.
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("store %s: %w: transaction failed: %v", s.path, ErrCorrupt, r)
			}
		}()
		if err := db.Update(fn); err != nil {
			return err
		}
		s.stats.commits.Add(1)
		return nil
	}, false)
}

// commitWith runs calls in one transaction, run by update, and tells each
// its outcome (see commit); with join, the calls queued by the time the
// transaction starts join it, up to the batch's bound.
func (s *Store) commitWith(calls []*batchCall, update func(func(*bbolt.Tx) error) error, join bool) {
	for {
		calls = slices.DeleteFunc(calls, (*batchCall).withdrawn)
		if len(calls) == 0 {
			return
		}
		failed, ran := -1, 0
		err := update(func(tx *bbolt.Tx) error {
			if join {
				calls = append(calls, s.batch.takeMore(s.batch.max-len(calls))...)
				join = false // once: a rerun keeps who joined
			}
			if err := checkSchema(tx); err != nil {
				return fmt.Errorf("store %s: %w", s.path, err)
			}
			for i, c := range calls {
				if !c.start() {
					continue // its caller gave up
				}
				ran++
				failed = i // still set if fn panics
				if err := c.fn(tx); err != nil {
					return err
				}
			}
			failed = -1
			return nil
		})
		if err != nil && failed >= 0 {
			calls[failed].done <- errAlone
			calls = slices.Delete(calls, failed, failed+1)
			continue
		}
		if err == nil && ran > 0 {
			s.stats.batches.Add(1)
			s.stats.batched.Add(uint64(ran))
			s.stats.noteBatch(ran)
		}
		for _, c := range calls {
			c.done <- err
		}
		return
	}
}

// Close waits until every Batch call already queued has committed, and makes
// later transactions fail. A Store keeps no file open between transactions,
// so Close is only needed to drain the queue, at shutdown.
func (s *Store) Close() error {
	b := &s.batch
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	s.closed.Store(true)
	for b.running {
		b.idle.Wait()
	}
	return nil
}

func (s *Store) closedErr() error {
	return fmt.Errorf("store %s: %w", s.path, ErrClosed)
}
