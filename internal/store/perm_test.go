//go:build unix

package store

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

// An existing store file or directory open to other users is made private
// on Open when this user owns it, with a warning naming it.
func TestOpenTightensLoosePermissions(t *testing.T) {
	tests := []struct {
		name              string
		fileMode, dirMode fs.FileMode
		wantWarnings      int
	}{
		{"world-readable file", 0o644, 0o700, 1},
		{"group-writable file", 0o660, 0o700, 1},
		{"world-writable file and directory", 0o666, 0o777, 2},
		{"readable directory", 0o600, 0o755, 1},
		{"private already", 0o600, 0o700, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "state")
			path := filepath.Join(dir, "supaops.db")
			if _, err := Open(t.Context(), path, Options{}); err != nil {
				t.Fatal(err)
			}
			for p, m := range map[string]fs.FileMode{path: tt.fileMode, dir: tt.dirMode} {
				if err := os.Chmod(p, m); err != nil {
					t.Fatal(err)
				}
			}
			var logs bytes.Buffer
			if _, err := Open(t.Context(), path, Options{Logger: zerolog.New(&logs)}); err != nil {
				t.Fatalf("Open: %v", err)
			}
			for p, want := range map[string]fs.FileMode{path: 0o600, dir: 0o700} {
				info, err := os.Stat(p)
				if err != nil {
					t.Fatal(err)
				}
				if got := info.Mode().Perm(); got != want {
					t.Errorf("%s has mode %04o after Open, want %04o", p, got, want)
				}
			}
			if got := strings.Count(logs.String(), `"level":"warn"`); got != tt.wantWarnings {
				t.Errorf("%d warnings, want %d:\n%s", got, tt.wantWarnings, logs.String())
			}
			if tt.fileMode != 0o600 && !strings.Contains(logs.String(), path) {
				t.Errorf("the warning does not name %s:\n%s", path, logs.String())
			}
		})
	}
}

// A loose file or directory of another user cannot be made private: Open
// refuses, naming the file, its mode and the fix, and leaves it unchanged.
func TestOpenRefusesLooseFileOfAnotherUser(t *testing.T) {
	other := func(os.FileInfo) (string, bool) { return "uid 4242, not this user (uid 1000)", false }
	for _, dir := range []bool{false, true} {
		p := t.TempDir()
		mode := fs.FileMode(0o755)
		if !dir {
			p = filepath.Join(p, "supaops.db")
			mode = 0o644
			if err := os.WriteFile(p, nil, mode); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		err := makePrivate(p, dir, zerolog.Nop(), other)
		if !errors.Is(err, ErrLoosePermissions) {
			t.Fatalf("dir=%v: err = %v, want ErrLoosePermissions", dir, err)
		}
		for _, want := range []string{p, "mode 0" + octal(mode), "uid 4242", "chmod", "SUPAOPS_STORE"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("dir=%v: error %q does not mention %q", dir, err, want)
			}
		}
		if info, _ := os.Stat(p); info.Mode().Perm() != mode {
			t.Errorf("dir=%v: mode changed to %04o", dir, info.Mode().Perm())
		}
	}
}

// The same through Open, with a real file of another user: as root, a
// chowned file and directory; otherwise "/", root's directory open to others.
func TestOpenRefusesStoreOfAnotherUser(t *testing.T) {
	if os.Geteuid() != 0 {
		root, err := os.Stat("/")
		if err != nil || root.Mode().Perm()&0o077 == 0 {
			t.Skip("needs root, or a root directory open to others")
		}
		path := "/supaops-test-never-created.db"
		if _, err := Open(t.Context(), path, Options{}); !errors.Is(err, ErrLoosePermissions) || !strings.Contains(err.Error(), "store directory / ") {
			t.Errorf("Open(%s): %v, want ErrLoosePermissions naming the directory", path, err)
		}
		if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s was created", path)
		}
		return
	}
	const nobody = 65534
	for _, loose := range []string{"file", "directory"} {
		t.Run(loose, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "state")
			path := filepath.Join(dir, "supaops.db")
			if _, err := Open(t.Context(), path, Options{}); err != nil {
				t.Fatal(err)
			}
			target, mode := path, fs.FileMode(0o644)
			if loose == "directory" {
				target, mode = dir, 0o755
			}
			if err := os.Chown(target, nobody, nobody); err != nil {
				t.Skipf("chown: %v", err)
			}
			if err := os.Chmod(target, mode); err != nil {
				t.Fatal(err)
			}
			_, err := Open(t.Context(), path, Options{})
			if !errors.Is(err, ErrLoosePermissions) {
				t.Fatalf("err = %v, want ErrLoosePermissions", err)
			}
			for _, want := range []string{"store " + loose + " " + target + " ", "mode 0" + octal(mode), "uid 65534", "chmod", "SUPAOPS_STORE"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			if info, _ := os.Stat(target); info.Mode().Perm() != mode {
				t.Errorf("mode changed to %04o", info.Mode().Perm())
			}
		})
	}
}

func octal(m fs.FileMode) string {
	const digits = "01234567"
	p := m.Perm()
	return string([]byte{digits[p>>6&7], digits[p>>3&7], digits[p&7]})
}
