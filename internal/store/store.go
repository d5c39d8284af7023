// Package store keeps supaops's state (audit log, approvals, confirmations,
// and later jobs) in one bbolt file shared by every supaops process of a user.
//
// Several processes use the file at once: one supaops-mcp per AI client
// window, plus the server. bbolt locks the file for as long as it is open, so
// a Store does not keep it open: every Update or View opens the file, takes
// the lock (shared for View, exclusive for Update) waiting at most
// Options.LockTimeout, runs one short transaction, and closes it. A process
// therefore holds the lock only for the transactions it runs, and a process
// that cannot get it fails with ErrBusy instead of hanging. The price is an
// open, lock, mmap, munmap and close per transaction. Measured on a 2-vCPU VM
// (medians, interleaved with a kept-open handle): a View takes about 0.3 ms
// instead of 2 µs, mostly the munmap; an Update about 1 ms instead of 0.6 ms,
// most of it the two fdatasyncs a durable commit needs either way. supaops
// runs a few transactions per call, so this is noise next to an API call.
// Keep transactions short and never nest them: a transaction waits for the
// file lock like any other, so one opened inside another times out.
//
// Commits are durable: fsync on every commit, never NoSync. Writes that many
// goroutines make at once (the audit log's appends) go through Batch, which
// lets them share one transaction and one commit.
package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"go.etcd.io/bbolt"
)

// DefaultLockTimeout bounds the wait for another process's transaction.
const DefaultLockTimeout = 5 * time.Second

// Options tune a Store.
type Options struct {
	// LockTimeout bounds how long Open, Update and View wait for the file
	// lock; zero means DefaultLockTimeout.
	LockTimeout time.Duration
	// Logger gets a warning when Open makes a loose store file or directory
	// private; the zero value logs nothing.
	Logger zerolog.Logger
	// MaxBatch bounds how many Batch calls share one transaction, and so how
	// long one holds the file lock; zero means DefaultMaxBatch.
	MaxBatch int
	// MaxHold bounds how long batches queued one after another keep the
	// file open and locked between their transactions; zero means
	// DefaultMaxHold. Other processes wait at most that long, plus one
	// transaction, for their turn.
	MaxHold time.Duration
}

// Store is a supaops state file. It is safe for concurrent use by goroutines
// and by processes.
type Store struct {
	path        string
	lockTimeout time.Duration
	// writer lets one Update of this process at a time hold or wait for the
	// file lock; the others queue here instead of in flock.
	writer chan struct{}
	// abandoned counts lock waits given up on but still blocked in flock.
	abandoned atomic.Int32
	batch     batcher
	maxHold   time.Duration
	closed    atomic.Bool
	stats     counters
}

// Open prepares the store at path: it creates the file (in a 0700 directory,
// mode 0600) if missing, marks it as a supaops store and migrates it to this
// supaops's schema. An existing file or directory open to group or others is
// made private (0600, 0700) with a warning if this user owns it, else
// refused (ErrLoosePermissions). It refuses, without writing to it, a file that is corrupt
// or not bbolt (ErrCorrupt), a bbolt file of another application
// (ErrNotSupaops), or one migrated by a newer supaops (ErrNewerSchema).
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if path == "" {
		return nil, errors.New("opening store: no path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("opening store %s: %w", path, err)
	}
	s := &Store{path: abs, lockTimeout: opts.LockTimeout, writer: make(chan struct{}, 1)}
	if s.lockTimeout <= 0 {
		s.lockTimeout = DefaultLockTimeout
	}
	s.batch.idle.L = &s.batch.mu
	s.batch.max = opts.MaxBatch
	s.maxHold = cmp.Or(opts.MaxHold, DefaultMaxHold)
	if s.batch.max <= 0 {
		s.batch.max = DefaultMaxBatch
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil { //nolint:gosec // the path is the operator's own setting
		return nil, fmt.Errorf("opening store %s: creating its directory: %w", abs, err)
	}
	// The file holds the signing key of confirmations and approvals: an
	// older or hand-made file must not be open to other users, nor sit
	// where they could replace it.
	if err := safeDir(filepath.Dir(abs)); err != nil {
		return nil, err
	}
	if err := makePrivate(abs, opts.Logger, ownedBySelf); err != nil {
		return nil, err
	}
	version, err := s.inspect(ctx)
	if err != nil {
		return nil, err
	}
	if version < SchemaVersion {
		if err := s.migrate(ctx); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Path is the absolute path of the store file.
func (s *Store) Path() string { return s.path }

// Update runs fn in a write transaction and commits it durably if fn returns
// nil. Values read in fn are valid only inside it (the file is unmapped when
// the transaction ends): copy what you keep. Keep fn short: other processes
// wait for it.
func (s *Store) Update(ctx context.Context, fn func(*bbolt.Tx) error) error {
	if s.closed.Load() {
		return s.closedErr()
	}
	return s.update(ctx, fn)
}

func (s *Store) update(ctx context.Context, fn func(*bbolt.Tx) error) error {
	return s.run(ctx, readWrite, func(tx *bbolt.Tx) error {
		if err := checkSchema(tx); err != nil {
			return fmt.Errorf("store %s: %w", s.path, err)
		}
		return fn(tx)
	})
}

// View runs fn in a read-only transaction, under a shared lock. The same
// rules as Update's apply to what fn keeps.
func (s *Store) View(ctx context.Context, fn func(*bbolt.Tx) error) error {
	if s.closed.Load() {
		return s.closedErr()
	}
	return s.run(ctx, readOnly, func(tx *bbolt.Tx) error {
		if err := checkSchema(tx); err != nil {
			return fmt.Errorf("store %s: %w", s.path, err)
		}
		return fn(tx)
	})
}

// Check walks every page of the file and reports the first inconsistency
// found, for diagnostics; it reads the whole file, so it is not for every call.
func (s *Store) Check(ctx context.Context) error {
	if s.closed.Load() {
		return s.closedErr()
	}
	return s.run(ctx, readOnly, func(tx *bbolt.Tx) error {
		var first error
		// Drain every error: the checker reads the mapped file until it is done.
		for err := range tx.Check() {
			if first == nil {
				first = fmt.Errorf("store %s: %w: %w", s.path, ErrCorrupt, err)
			}
		}
		return first
	})
}

// Ping opens the file and reads its schema under a shared lock, waiting at
// most timeout (or the store's lock timeout, if shorter) for another
// process's transaction: what a readiness probe asks of the store. A store
// locked longer than that answers ErrBusy.
func (s *Store) Ping(ctx context.Context, timeout time.Duration) error {
	if s.closed.Load() {
		return s.closedErr()
	}
	deadline := time.Now().Add(min(timeout, s.lockTimeout))
	return s.runUntil(ctx, readOnly, deadline, checkSchema)
}
