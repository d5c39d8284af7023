package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"time"

	"go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// access says how a transaction opens the file.
type access int

const (
	readOnly  access = iota // shared lock, the file must exist
	readWrite               // exclusive lock, the file must exist
	create                  // exclusive lock, the file is created if missing
)

// run opens the file, runs fn in one transaction and closes the file again,
// so the lock is held for that transaction only and other supaops processes
// get their turn (see Store). It waits for the lock for the lock timeout at
// most.
func (s *Store) run(ctx context.Context, acc access, fn func(*bbolt.Tx) error) error {
	return s.runUntil(ctx, acc, time.Now().Add(s.lockTimeout), fn)
}

// runUntil is run waiting for the lock until deadline at most.
func (s *Store) runUntil(ctx context.Context, acc access, deadline time.Time, fn func(*bbolt.Tx) error) error {
	return s.session(ctx, acc, deadline, func(db *bbolt.DB) error {
		if acc == readOnly {
			return db.View(fn)
		}
		if err := db.Update(fn); err != nil {
			return err
		}
		s.stats.commits.Add(1)
		return nil
	})
}

// session opens the file, waiting for the lock until deadline at most, lets
// use run transactions on it, and closes it again. A write session counts
// its own commits.
func (s *Store) session(ctx context.Context, acc access, deadline time.Time, use func(*bbolt.DB) error) (err error) {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store %s: %w", s.path, err)
	}
	if acc != readOnly {
		// Writers of this process queue here, so at most one of them holds
		// (or waits for) the file lock at a time.
		if err := s.acquireWriter(ctx, deadline); err != nil {
			return err
		}
		defer s.releaseWriter()
	}
	// A damaged file can make bbolt panic or fault on the mapped memory; turn
	// that into an error instead of killing the server.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	db, err := s.openDB(ctx, acc, deadline)
	if err != nil {
		return err
	}
	locked := time.Now()
	defer func() {
		if closeErr := db.Close(); closeErr != nil && err == nil {
			err = fmt.Errorf("store %s: closing: %w", s.path, closeErr)
		}
		if acc != readOnly {
			s.stats.noteHold(time.Since(locked))
		}
	}()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("store %s: %w: transaction failed: %v", s.path, ErrCorrupt, r)
		}
	}()
	return use(db)
}

func (s *Store) acquireWriter(ctx context.Context, deadline time.Time) error {
	// A free slot is taken even past the deadline (a batched call may reach
	// it after waiting in the queue): only a wait can time out.
	select {
	case s.writer <- struct{}{}:
		return nil
	default:
	}
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case s.writer <- struct{}{}:
		return nil
	case <-timer.C:
		return s.busy()
	case <-ctx.Done():
		return fmt.Errorf("store %s: waiting for the lock: %w", s.path, ctx.Err())
	}
}

func (s *Store) releaseWriter() { <-s.writer }

func (s *Store) busy() error {
	return fmt.Errorf("store %s: %w: another supaops process (or transaction) held it longer than the lock timeout (%s)", s.path, ErrBusy, s.lockTimeout)
}

// openDB locks and opens the file for one transaction.
func (s *Store) openDB(ctx context.Context, acc access, deadline time.Time) (db *bbolt.DB, err error) {
	flag := os.O_RDWR
	switch acc {
	case readOnly:
		flag = os.O_RDONLY
	case create:
		flag |= os.O_CREATE
	}
	f, err := lockedFile(ctx, s.path, flag, acc != readOnly, deadline, &s.abandoned)
	switch {
	case errors.Is(err, ErrBusy):
		return nil, s.busy()
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return nil, fmt.Errorf("store %s: waiting for the lock: %w", s.path, err)
	case errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("store %s: the file is gone (was it moved or deleted?): %w", s.path, err)
	case err != nil:
		return nil, fmt.Errorf("store %s: opening: %w", s.path, err)
	}
	defer func() {
		// A panic here would otherwise leave the file locked for good.
		if r := recover(); r != nil {
			f.Close()
			db, err = nil, fmt.Errorf("store %s: %w: opening failed: %v", s.path, ErrCorrupt, r)
		}
	}()
	opts := &bbolt.Options{
		ReadOnly: acc == readOnly,
		// Only matters where lockedFile cannot lock: bbolt then polls, bounded.
		Timeout:  max(time.Until(deadline), time.Millisecond),
		OpenFile: func(string, int, os.FileMode) (*os.File, error) { return f, nil },
	}
	db, err = bbolt.Open(s.path, 0o600, opts)
	switch {
	case err == nil:
		return db, nil
	case errors.Is(err, bolterrors.ErrTimeout):
		return nil, s.busy()
	case errors.Is(err, bolterrors.ErrInvalid), errors.Is(err, bolterrors.ErrChecksum),
		errors.Is(err, bolterrors.ErrVersionMismatch), errors.Is(err, bolterrors.ErrInvalidMapping):
		return nil, fmt.Errorf("store %s: %w (%w); supaops leaves it untouched: move it away or set SUPAOPS_STORE to another path", s.path, ErrCorrupt, err)
	default:
		// bbolt closed f itself.
		return nil, fmt.Errorf("store %s: opening: %w", s.path, err)
	}
}
