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

// An existing store file open to other users is made private on Open when
// this user owns it, with a warning naming it; its directory is left as it
// is (it may be shared) unless others could replace the file in it.
func TestOpenTightensLoosePermissions(t *testing.T) {
	tests := []struct {
		name              string
		fileMode, dirMode fs.FileMode
		wantFile          fs.FileMode
		wantWarnings      int
		wantErr           bool
	}{
		{"world-readable file", 0o644, 0o700, 0o600, 1, false},
		{"group-writable file", 0o660, 0o700, 0o600, 1, false},
		{"readable directory is left alone", 0o600, 0o755, 0o600, 0, false},
		{"shared directory with the sticky bit, like /tmp", 0o644, 0o777 | fs.ModeSticky, 0o600, 1, false},
		{"world-writable directory is refused", 0o600, 0o777, 0o600, 0, true},
		{"group-writable directory is refused", 0o600, 0o770, 0o600, 0, true},
		{"private already", 0o600, 0o700, 0o600, 0, false},
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
			_, err := Open(t.Context(), path, Options{Logger: zerolog.New(&logs)})
			if tt.wantErr {
				if !errors.Is(err, ErrLoosePermissions) || !strings.Contains(err.Error(), "chmod go-w "+dir) {
					t.Fatalf("err = %v, want ErrLoosePermissions with the fix", err)
				}
			} else if err != nil {
				t.Fatalf("Open: %v", err)
			}
			for p, want := range map[string]fs.FileMode{path: tt.wantFile, dir: tt.dirMode} {
				info, err := os.Stat(p)
				if err != nil {
					t.Fatal(err)
				}
				if got := info.Mode() & (fs.ModePerm | fs.ModeSticky); got != want {
					t.Errorf("%s has mode %v after Open, want %v", p, got, want)
				}
			}
			if got := strings.Count(logs.String(), `"level":"warn"`); got != tt.wantWarnings {
				t.Errorf("%d warnings, want %d:\n%s", got, tt.wantWarnings, logs.String())
			}
		})
	}
}

// A loose file of another user cannot be made private: Open refuses,
// naming the file, its mode and the fix, and leaves it unchanged.
func TestOpenRefusesLooseFileOfAnotherUser(t *testing.T) {
	other := func(os.FileInfo) (string, bool) { return "uid 4242, not this user (uid 1000)", false }
	p := filepath.Join(t.TempDir(), "supaops.db")
	const mode = fs.FileMode(0o644)
	if err := os.WriteFile(p, nil, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	err := makePrivate(p, zerolog.Nop(), other)
	if !errors.Is(err, ErrLoosePermissions) {
		t.Fatalf("err = %v, want ErrLoosePermissions", err)
	}
	for _, want := range []string{p, "mode 0" + octal(mode), "uid 4242", "chmod", "SUPAOPS_STORE"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if info, _ := os.Stat(p); info.Mode().Perm() != mode {
		t.Errorf("mode changed to %04o", info.Mode().Perm())
	}
}

// The same through Open with a real file of another user (as root, a
// chowned file).
func TestOpenRefusesStoreOfAnotherUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give a file to another user")
	}
	const nobody = 65534
	dir := filepath.Join(t.TempDir(), "state")
	path := filepath.Join(dir, "supaops.db")
	if _, err := Open(t.Context(), path, Options{}); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, nobody, nobody); err != nil {
		t.Skipf("chown: %v", err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Open(t.Context(), path, Options{})
	if !errors.Is(err, ErrLoosePermissions) || !strings.Contains(err.Error(), "uid 65534") {
		t.Fatalf("err = %v, want ErrLoosePermissions naming the owner", err)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o644 {
		t.Errorf("mode changed to %04o", info.Mode().Perm())
	}
}

func octal(m fs.FileMode) string {
	const digits = "01234567"
	p := m.Perm()
	return string([]byte{digits[p>>6&7], digits[p>>3&7], digits[p&7]})
}
