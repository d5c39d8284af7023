package store

import (
	"context"
	"errors"
	"fmt"
	"os"

	"go.etcd.io/bbolt"
)

// inspect reads an existing file's schema version without writing to it, so
// a file that turns out not to be ours is left exactly as it was. A missing
// or empty file, or a bbolt database without any bucket (a first Open that
// stopped half-way), is initialized.
func (s *Store) inspect(ctx context.Context) (uint64, error) {
	info, err := os.Stat(s.path)
	if errors.Is(err, os.ErrNotExist) || (err == nil && info.Size() == 0) {
		return s.initialize(ctx)
	}
	if err != nil {
		return 0, fmt.Errorf("opening store %s: %w", s.path, err)
	}
	if !info.Mode().IsRegular() {
		return 0, fmt.Errorf("opening store %s: %w: not a regular file", s.path, ErrCorrupt)
	}
	var version uint64
	empty := false
	err = s.run(ctx, readOnly, func(tx *bbolt.Tx) error {
		if !hasBuckets(tx) {
			empty = true
			return nil
		}
		v, err := readVersion(tx)
		version = v
		return err
	})
	switch {
	case err != nil:
		return 0, wrapOpen(s.path, err)
	case empty:
		return s.initialize(ctx)
	case version > SchemaVersion:
		return 0, fmt.Errorf("opening store %s: %w (schema %d; this one knows up to %d): upgrade supaops, or set SUPAOPS_STORE to another file",
			s.path, ErrNewerSchema, version, SchemaVersion)
	}
	return version, nil
}

func (s *Store) initialize(ctx context.Context) (uint64, error) {
	var version uint64
	err := s.run(ctx, create, func(tx *bbolt.Tx) error {
		if err := initialize(tx); err != nil {
			return err
		}
		v, err := readVersion(tx)
		version = v
		return err
	})
	if err != nil {
		return 0, wrapOpen(s.path, err)
	}
	if version > SchemaVersion {
		return 0, fmt.Errorf("opening store %s: %w (schema %d; this one knows up to %d)", s.path, ErrNewerSchema, version, SchemaVersion)
	}
	return version, nil
}

// migrate runs the pending migrations, one write transaction each. Each
// rereads the version inside its transaction, so processes opening the store
// at the same moment never run a migration twice.
func (s *Store) migrate(ctx context.Context) error {
	steps := migrations()
	for done := false; !done; {
		err := s.run(ctx, readWrite, func(tx *bbolt.Tx) error {
			v, err := readVersion(tx)
			if err != nil {
				return err
			}
			if v >= uint64(len(steps)) {
				done = true
				return nil
			}
			if err := steps[v](tx); err != nil {
				return fmt.Errorf("migrating schema %d to %d: %w", v, v+1, err)
			}
			done = v+1 == uint64(len(steps))
			return putVersion(tx, v+1)
		})
		if err != nil {
			return wrapOpen(s.path, err)
		}
	}
	return nil
}

// wrapOpen names the file in errors from the checks run by Open; errors from
// run already name it.
func wrapOpen(path string, err error) error {
	switch {
	case errors.Is(err, ErrNotSupaops):
		return fmt.Errorf("opening store %s: %w: it is a bbolt database without the supaops marker; supaops leaves it untouched: set SUPAOPS_STORE to another path", path, ErrNotSupaops)
	case errors.Is(err, ErrBusy), errors.Is(err, ErrCorrupt), errors.Is(err, os.ErrNotExist):
		return err
	default:
		return fmt.Errorf("opening store %s: %w", path, err)
	}
}
