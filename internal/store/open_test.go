package store

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.etcd.io/bbolt"
)

func TestOpenCreatesPrivateFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "supaops")
	path := filepath.Join(dir, "supaops.db")
	st, err := Open(t.Context(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Path() != path {
		t.Errorf("Path() = %s, want %s", st.Path(), path)
	}
	for _, c := range []struct {
		path string
		want os.FileMode
	}{{dir, 0o700}, {path, 0o600}} {
		info, err := os.Stat(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if got := info.Mode().Perm(); got != c.want {
			t.Errorf("%s has mode %o, want %o", c.path, got, c.want)
		}
	}
	err = st.View(t.Context(), func(tx *bbolt.Tx) error {
		for _, b := range []string{BucketMeta, BucketAudit, BucketApprovals, BucketConfirmations, BucketBindings, BucketOnce, BucketPending, BucketJobs, BucketJobRuns, BucketJobState, BucketOutbox} {
			if tx.Bucket([]byte(b)) == nil {
				t.Errorf("bucket %s missing", b)
			}
		}
		if v, err := readVersion(tx); err != nil || v != SchemaVersion {
			t.Errorf("schema version %d, %v; want %d", v, err, SchemaVersion)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Reopening an up-to-date store writes nothing.
	before := fileSum(t, path)
	if _, err := Open(t.Context(), path, Options{}); err != nil {
		t.Fatal(err)
	}
	if fileSum(t, path) != before {
		t.Error("reopening changed the file")
	}
}

func TestSchemaVersionCountsMigrations(t *testing.T) {
	if got := len(migrations()); got != SchemaVersion {
		t.Fatalf("%d migrations, SchemaVersion %d", got, SchemaVersion)
	}
}

// Files that are ours to initialize: nothing in them can be lost.
func TestOpenInitializesEmptyFiles(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, path string)
	}{
		{"zero bytes", func(t *testing.T, path string) { writeFile(t, path, nil) }},
		{"bbolt without buckets", func(t *testing.T, path string) { boltFile(t, path, func(*bbolt.Tx) error { return nil }) }},
		{"marked at schema 0", func(t *testing.T, path string) { boltFile(t, path, initialize) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "supaops.db")
			tt.setup(t, path)
			st, err := Open(t.Context(), path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := st.Update(t.Context(), func(tx *bbolt.Tx) error {
				_, err := tx.Bucket([]byte(BucketAudit)).NextSequence()
				return err
			}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// Files that are not ours, or not readable, are refused with an error naming
// the file, and left byte for byte as they were.
func TestOpenRefusesForeignFiles(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(t *testing.T, path string)
		want    error
		message string
	}{
		{"text file", func(t *testing.T, path string) {
			writeFile(t, path, bytes.Repeat([]byte("not a database\n"), 1000))
		}, ErrCorrupt, "corrupt or not a bbolt database"},
		{"short file", func(t *testing.T, path string) {
			writeFile(t, path, []byte("hello"))
		}, ErrCorrupt, "corrupt or not a bbolt database"},
		{"both meta pages damaged", func(t *testing.T, path string) {
			newStore(t, path)
			damage(t, path, 16, 64)      // meta page 0
			damage(t, path, 4096+16, 64) // meta page 1
		}, ErrCorrupt, "corrupt or not a bbolt database"},
		{"data pages damaged", func(t *testing.T, path string) {
			newStore(t, path)
			info, _ := os.Stat(path)
			damage(t, path, 2*4096, int(info.Size())-2*4096)
		}, ErrCorrupt, "corrupt"},
		{"another application's bbolt file", func(t *testing.T, path string) {
			boltFile(t, path, func(tx *bbolt.Tx) error {
				b, err := tx.CreateBucket([]byte("widgets"))
				if err != nil {
					return err
				}
				return b.Put([]byte("w1"), []byte("blue"))
			})
		}, ErrNotSupaops, "not a supaops store"},
		{"meta bucket without the marker", func(t *testing.T, path string) {
			boltFile(t, path, func(tx *bbolt.Tx) error {
				_, err := tx.CreateBucket([]byte(BucketMeta))
				return err
			})
		}, ErrNotSupaops, "not a supaops store"},
		{"newer schema", func(t *testing.T, path string) {
			newStore(t, path)
			rawUpdate(t, path, func(tx *bbolt.Tx) error { return putVersion(tx, SchemaVersion+1) })
		}, ErrNewerSchema, "created by a newer supaops"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "supaops.db")
			tt.setup(t, path)
			before := fileSum(t, path)
			_, err := Open(t.Context(), path, Options{})
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if msg := err.Error(); !strings.Contains(msg, path) || !strings.Contains(msg, tt.message) {
				t.Errorf("error %q should name %s and say %q", msg, path, tt.message)
			}
			if fileSum(t, path) != before {
				t.Error("the refused file was changed")
			}
			t.Log(err)
		})
	}
}

// A newer supaops may migrate the file while an older one runs: the older
// one's next transaction is refused rather than writing an old layout.
func TestNewerSchemaAfterOpenRefusesTransactions(t *testing.T) {
	st := openTemp(t)
	rawUpdate(t, st.Path(), func(tx *bbolt.Tx) error { return putVersion(tx, SchemaVersion+1) })
	before := fileSum(t, st.Path())
	if err := st.Update(t.Context(), nop); !errors.Is(err, ErrNewerSchema) {
		t.Errorf("Update: got %v, want ErrNewerSchema", err)
	}
	if err := st.View(t.Context(), nop); !errors.Is(err, ErrNewerSchema) {
		t.Errorf("View: got %v, want ErrNewerSchema", err)
	}
	if fileSum(t, st.Path()) != before {
		t.Error("the file was changed")
	}
}

func TestDeletedFileIsNotRecreated(t *testing.T) {
	st := openTemp(t)
	if err := os.Remove(st.Path()); err != nil {
		t.Fatal(err)
	}
	if err := st.Update(t.Context(), nop); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("got %v, want ErrNotExist", err)
	}
	if _, err := os.Stat(st.Path()); !errors.Is(err, os.ErrNotExist) {
		t.Error("Update recreated the file")
	}
}

func newStore(t *testing.T, path string) {
	t.Helper()
	if _, err := Open(t.Context(), path, Options{}); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// boltFile makes a plain bbolt file, as another application would.
func boltFile(t *testing.T, path string, fn func(*bbolt.Tx) error) {
	t.Helper()
	rawUpdate(t, path, fn)
}

func rawUpdate(t *testing.T, path string, fn func(*bbolt.Tx) error) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
}

func damage(t *testing.T, path string, offset, n int) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(bytes.Repeat([]byte{0xA5}, n), int64(offset)); err != nil {
		t.Fatal(err)
	}
}

func fileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(data)
}
