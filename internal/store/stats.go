package store

import (
	"sync/atomic"
	"time"
)

// Stats counts what a Store has written, for tests, benchmarks and
// diagnostics. Each commit is durable: bbolt fdatasyncs the file twice per
// commit (the data pages, then the meta page).
type Stats struct {
	// Commits is the number of write transactions committed, from Update,
	// Batch and Open.
	Commits uint64
	// Batches is the number of those that committed Batch calls, and
	// Batched the number of Batch calls they committed.
	Batches, Batched uint64
	// LargestBatch is the most Batch calls one transaction committed.
	LargestBatch int
	// Queued is the number of Batch calls waiting for a transaction now.
	Queued int
	// WriteHold is how long write transactions held the file's exclusive
	// lock in all, from locking to closing, and LongestWriteHold the longest
	// one: how long another process had to wait at worst.
	WriteHold, LongestWriteHold time.Duration
	// WriteOpens is how many times the file was opened and locked for
	// writing: once per Update, once per run of batches that follow one
	// another (Options.MaxHold).
	WriteOpens uint64
}

// counters are the running totals behind Stats.
type counters struct {
	commits, batches, batched, writeOpens atomic.Uint64
	largestBatch                          atomic.Int64
	hold, longestHold                     atomic.Int64 // nanoseconds
}

// Stats returns the totals since Open.
func (s *Store) Stats() Stats {
	s.batch.mu.Lock()
	queued := len(s.batch.queue)
	s.batch.mu.Unlock()
	return Stats{
		Commits: s.stats.commits.Load(), Batches: s.stats.batches.Load(), Batched: s.stats.batched.Load(),
		LargestBatch: int(s.stats.largestBatch.Load()), Queued: queued,
		WriteHold: time.Duration(s.stats.hold.Load()), LongestWriteHold: time.Duration(s.stats.longestHold.Load()),
		WriteOpens: s.stats.writeOpens.Load(),
	}
}

func (c *counters) noteBatch(n int) { raise(&c.largestBatch, int64(n)) }

func (c *counters) noteHold(d time.Duration) {
	c.writeOpens.Add(1)
	c.hold.Add(int64(d))
	raise(&c.longestHold, int64(d))
}

// raise sets v to n if n is larger.
func raise(v *atomic.Int64, n int64) {
	for {
		old := v.Load()
		if n <= old || v.CompareAndSwap(old, n) {
			return
		}
	}
}
