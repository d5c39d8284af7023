package store

import (
	"errors"
	"path/filepath"
)

// DefaultPath is where the store lives unless configured: $SUPAOPS_STORE, else
// $XDG_STATE_HOME/supaops/supaops.db, else ~/.local/state/supaops/supaops.db.
// getenv is os.Getenv in production; tests pass their own.
func DefaultPath(getenv func(string) string) (string, error) {
	if p := getenv("SUPAOPS_STORE"); p != "" {
		return filepath.Clean(p), nil
	}
	// The XDG spec says relative values are invalid and must be ignored.
	if state := getenv("XDG_STATE_HOME"); filepath.IsAbs(state) {
		return filepath.Join(state, "supaops", "supaops.db"), nil
	}
	home := getenv("HOME")
	if home == "" {
		return "", errors.New("finding the store path: neither SUPAOPS_STORE, XDG_STATE_HOME nor HOME is set")
	}
	return filepath.Join(home, ".local", "state", "supaops", "supaops.db"), nil
}
