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

// makePrivate checks that path (a directory when dir is set) gives no access
// to group or others. When it does, it is tightened to 0700 or 0600 if this
// user owns it, with a warning; otherwise Open is refused with what to do.
// A missing path is fine: Open creates it private. owns is ownedBySelf but
// for tests.
func makePrivate(path string, dir bool, log zerolog.Logger, owns func(os.FileInfo) (string, bool)) error {
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
	what, want := "store file", fs.FileMode(0o600)
	if dir {
		what, want = "store directory", 0o700
	}
	owner, mine := owns(info)
	if !mine {
		return fmt.Errorf("opening store: %w: %s %s has mode %04o (open to other users) and belongs to %s, so supaops cannot make it private: "+
			"have its owner run chmod %o %s, or set SUPAOPS_STORE to a file in a directory of your own",
			ErrLoosePermissions, what, path, mode, owner, want, path)
	}
	if err := os.Chmod(path, want); err != nil { //nolint:gosec // the store path is the operator's own setting
		return fmt.Errorf("opening store: %w: %s %s has mode %04o (open to other users) and making it %04o failed: %w; run chmod %o %s",
			ErrLoosePermissions, what, path, mode, want, err, want, path)
	}
	log.Warn().Str("path", path).Str("was", fmt.Sprintf("%04o", mode)).Str("now", fmt.Sprintf("%04o", want)).
		Msgf("%s was open to other users; made it private: it holds the key that signs confirmations and approvals", what)
	return nil
}
