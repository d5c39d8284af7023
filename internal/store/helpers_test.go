package store

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

func openTemp(t testing.TB) *Store {
	t.Helper()
	st, err := Open(t.Context(), filepath.Join(t.TempDir(), "supaops.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// helper is a running helper process and the lines it has printed.
type helper struct {
	cmd   *exec.Cmd
	lines chan string
}

func startHelper(t *testing.T, mode, path, name string, d time.Duration) *helper {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(),
		helperEnv+"="+mode, helperPathEnv+"="+path, helperNameEnv+"="+name, helperForEnv+"="+d.String())
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &helper{cmd: cmd, lines: make(chan string, 1<<16)}
	go readLines(out, h.lines)
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return h
}

func readLines(r io.Reader, lines chan<- string) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		lines <- sc.Text()
	}
	close(lines)
}

// waitLine waits for the helper's next line.
func (h *helper) waitLine(t *testing.T, timeout time.Duration) string {
	t.Helper()
	select {
	case line, ok := <-h.lines:
		if !ok {
			t.Fatal("helper exited before printing")
		}
		return line
	case <-time.After(timeout):
		t.Fatal("helper printed nothing in", timeout)
	}
	return ""
}

// seqs collects every sequence number the helper printed until it exited.
func (h *helper) seqs(t *testing.T) []uint64 {
	t.Helper()
	var out []uint64
	for line := range h.lines {
		out = append(out, parseSeq(t, line))
	}
	return out
}

func parseSeq(t *testing.T, line string) uint64 {
	t.Helper()
	n, err := strconv.ParseUint(line, 10, 64)
	if err != nil {
		t.Fatalf("helper printed %q", line)
	}
	return n
}

// appended reads the test bucket: sequence number → writer name.
func appended(t *testing.T, ctx context.Context, st *Store) map[uint64]string {
	t.Helper()
	got := map[uint64]string{}
	err := st.View(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(testBucket))
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			got[uint64FromKey(k)] = string(v)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func uint64FromKey(k []byte) uint64 {
	var n uint64
	for _, c := range k {
		n = n<<8 | uint64(c)
	}
	return n
}
