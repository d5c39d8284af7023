package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/rs/zerolog"
)

// ErrLoosePermissions means the store file or its directory can be read or
// written by other users and supaops could not make it private. The file
// holds the key that signs confirmations and approvals: another user who
// reads it can forge them, and one who can replace it can plant their own.
var ErrLoosePermissions = errors.New("store is not private to its user")

// makePrivate checks that the store file gives no access to group or
// others. When it does, it is tightened to 0600 if this user owns it, with a
// warning; otherwise Open is refused with what to do. A missing file is
// fine: Open creates it private. owns is ownedBySelf but for tests.
func makePrivate(path string, log zerolog.Logger, owns func(os.FileInfo) (string, bool)) error {
	info, err := os.Stat(path) //nolint:gosec // the store path is the operator's own setting
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("opening store: checking the permissions of %s: %w", path, err)
	}
	mode := info.Mode().Perm()
	if !checkedModes || mode&0o077 == 0 {
		return nil
	}
	const want = fs.FileMode(0o600)
	owner, mine := owns(info)
	if !mine {
		return fmt.Errorf("opening store: %w: store file %s has mode %04o (open to other users) and belongs to %s, so supaops cannot make it private: "+
			"have its owner run chmod %o %s, or set SUPAOPS_STORE to a file in a directory of your own",
			ErrLoosePermissions, path, mode, owner, want, path)
	}
	if err := os.Chmod(path, want); err != nil { //nolint:gosec // the store path is the operator's own setting
		return fmt.Errorf("opening store: %w: store file %s has mode %04o (open to other users) and making it %04o failed: %w; run chmod %o %s",
			ErrLoosePermissions, path, mode, want, err, want, path)
	}
	log.Warn().Str("path", path).Str("was", fmt.Sprintf("%04o", mode)).Str("now", fmt.Sprintf("%04o", want)).
		Msg("store file was open to other users; made it private: it holds the key that signs confirmations and approvals")
	return nil
}

// safeDir refuses a store directory in which other users could replace the
// store file (and plant their own signing key): writable by group or
// others, without the sticky bit that stops them removing files they do
// not own. A directory is never changed: it may be shared (/tmp, a
// project's folder), and its mode is not supaops's to decide.
func safeDir(path string) error {
	info, err := os.Stat(path) //nolint:gosec // the store path is the operator's own setting
	if err != nil {
		return fmt.Errorf("opening store: checking the permissions of %s: %w", path, err)
	}
	mode := info.Mode()
	if !checkedModes || mode.Perm()&0o022 == 0 || mode&fs.ModeSticky != 0 {
		return nil
	}
	return fmt.Errorf("opening store: %w: store directory %s has mode %04o: other users could replace the store file in it. "+
		"Run chmod go-w %s, or set SUPAOPS_STORE to a file in a directory of your own",
		ErrLoosePermissions, path, mode.Perm(), path)
}
