// Package audit keeps the record of every call supaops makes, in the store,
// as a hash chain: each entry carries the hash of the one before, and the
// chain's head is kept beside it, so Verify finds an entry that was edited,
// removed, or cut off the end. Anyone able to rewrite the whole file can
// rewrite the whole chain too; Report.Head gives the head hash to keep
// elsewhere when that matters.
package audit

import (
	"context"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/store"
)

// Entry is one recorded call.
type Entry struct {
	Seq uint64 `json:"seq"`
	// Time is when the entry was appended. It never goes back from one entry
	// to the next, even if the clock does.
	Time time.Time `json:"time"`
	// Prev is the hash of the entry before (or of the anchor after pruning),
	// hex; all zeros for the first entry ever.
	Prev   string          `json:"prev"`
	Record pipeline.Record `json:"record"`
	// Hash is SHA-256(Prev's bytes || the entry's canonical JSON), hex.
	Hash string `json:"-"`
}

// Log is the audit log of one store. It implements pipeline.Recorder and is
// safe for concurrent use, also by several processes sharing the store.
type Log struct {
	store    *store.Store
	now      func() time.Time
	chunk    int      // entries per transaction when walking; see defaultChunk
	observer Observer // nil: no one watches
}

// Observer is told of every Append once its commit is durable or has
// failed, with how long the append waited for it (metrics). It must be
// quick and must not block.
type Observer interface {
	ObserveAppend(d time.Duration, err error)
}

// WithObserver returns the log, on the same store, telling o of appends.
func (l *Log) WithObserver(o Observer) *Log {
	c := *l
	c.observer = o
	return &c
}

var _ pipeline.Recorder = (*Log)(nil)

// New returns the audit log kept in st. now is time.Now outside tests.
func New(st *store.Store, now func() time.Time) *Log {
	if now == nil {
		now = time.Now
	}
	return &Log{store: st, now: now, chunk: defaultChunk}
}

// Record appends rec and returns its sequence number once the commit is
// durable; it implements pipeline.Recorder.
func (l *Log) Record(ctx context.Context, rec pipeline.Record) (uint64, error) {
	e, err := l.Append(ctx, rec)
	return e.Seq, err
}

// Append adds rec to the end of the chain, scrubbing secrets from it first,
// and moves the head in the same transaction. Concurrent appends share a
// transaction and its commit (store.Batch): each still returns only once its
// entry is durable, and the entries of one commit are chained in the order
// they queued.
func (l *Log) Append(ctx context.Context, rec pipeline.Record) (Entry, error) {
	// Scrubbing needs nothing from the store: it is done before queueing,
	// so the batch holds the file lock for less.
	rec = scrub(rec)
	recJSON, err := encodeRecord(rec)
	if err != nil {
		return Entry{}, fmt.Errorf("encoding the audit record (%s): %w", rec.Action, err)
	}
	var entry Entry
	start := time.Now()
	err = l.store.Batch(ctx, func(tx *bbolt.Tx) error {
		var err error
		entry, err = l.appendScrubbed(tx, rec, recJSON)
		return err
	})
	if l.observer != nil {
		l.observer.ObserveAppend(time.Since(start), err)
	}
	if err != nil {
		return Entry{}, fmt.Errorf("appending to the audit log (%s): %w", rec.Action, err)
	}
	return entry, nil
}

// AppendTx appends rec inside a write transaction of the log's store, so a
// change elsewhere in the store (an approval's vote) and its record commit
// together or not at all.
func (l *Log) AppendTx(tx *bbolt.Tx, rec pipeline.Record) (Entry, error) {
	rec = scrub(rec)
	recJSON, err := encodeRecord(rec)
	if err != nil {
		return Entry{}, fmt.Errorf("encoding the audit record (%s): %w", rec.Action, err)
	}
	return l.appendScrubbed(tx, rec, recJSON)
}

// appendScrubbed appends a record scrub has seen, encoded as recJSON
// (encodeRecord). Everything it reads comes
// from tx, so it can run again when a batch's transaction is retried.
func (l *Log) appendScrubbed(tx *bbolt.Tx, rec pipeline.Record, recJSON []byte) (Entry, error) {
	b := tx.Bucket([]byte(store.BucketAudit))
	meta := tx.Bucket([]byte(store.BucketMeta))
	head, err := readHead(meta)
	if err != nil {
		return Entry{}, err
	}
	seq, err := b.NextSequence()
	if err != nil {
		return Entry{}, err
	}
	entry := Entry{Seq: seq, Time: l.now().UTC(), Prev: head.Hash, Record: rec}
	if entry.Time.Before(head.Time) {
		entry.Time = head.Time
	}
	hashed, err := bodyOf(entry.Seq, entry.Time, entry.Prev, recJSON)
	if err != nil {
		return Entry{}, err
	}
	value, hash, err := sealBody(entry.Prev, hashed)
	if err != nil {
		return Entry{}, err
	}
	entry.Hash = hash
	if err := b.Put(seqKey(seq), value); err != nil {
		return Entry{}, err
	}
	if err := writeHead(meta, mark{Seq: seq, Hash: hash, Time: entry.Time}); err != nil {
		return Entry{}, err
	}
	return entry, nil
}
