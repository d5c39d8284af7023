package store

import "errors"

// The reasons a store cannot be used. Errors returned by this package wrap one
// of them (test with errors.Is) and name the file.
var (
	// ErrBusy means another process held the store longer than the lock timeout.
	ErrBusy = errors.New("store is busy")
	// ErrNewerSchema means the file was migrated by a newer supaops; this one
	// would not understand what it holds, so it leaves the file alone.
	ErrNewerSchema = errors.New("store was created by a newer supaops")
	// ErrNotSupaops means the file is a bbolt database that supaops did not create.
	ErrNotSupaops = errors.New("not a supaops store")
	// ErrCorrupt means the file is not a readable bbolt database: damaged, or
	// another kind of file.
	ErrCorrupt = errors.New("store file is corrupt or not a bbolt database")
	// ErrClosed means the Store was closed (see Store.Close).
	ErrClosed = errors.New("store is closed")
)
