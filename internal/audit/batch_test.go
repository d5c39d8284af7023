package audit

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/store"
)

// holdStore starts a store.Batch call whose transaction stays open until
// release is called: appends made meanwhile queue behind it.
func holdStore(t *testing.T, st *store.Store) (release func()) {
	t.Helper()
	running, let := make(chan struct{}), make(chan struct{})
	var once sync.Once
	done := make(chan error, 1)
	go func() {
		done <- st.Batch(context.Background(), func(*bbolt.Tx) error {
			once.Do(func() { close(running) })
			<-let
			return nil
		})
	}()
	<-running
	return func() {
		close(let)
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// appended is what one Append returned.
type appended struct {
	entry Entry
	err   error
}

// queueAppend starts an Append and returns once it waits in the store's
// queue, so appends queued one after another queue in that order.
func queueAppend(t *testing.T, l *Log, st *store.Store, rec pipeline.Record) <-chan appended {
	t.Helper()
	before := st.Stats().Queued
	out := make(chan appended, 1)
	go func() {
		e, err := l.Append(context.Background(), rec)
		out <- appended{e, err}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for st.Stats().Queued != before+1 {
		if time.Now().After(deadline) {
			t.Fatal("the append never queued")
		}
		time.Sleep(100 * time.Microsecond)
	}
	return out
}

// Appends that queue during a commit share the next one, and come out
// chained in the order they queued, with consecutive sequence numbers.
func TestQueuedAppendsShareOneCommitInOrder(t *testing.T) {
	st := openStore(t)
	l := New(st, nil)
	first, err := l.Append(t.Context(), record("mcp:local", "first", "p"))
	if err != nil {
		t.Fatal(err)
	}
	before := st.Stats()
	release := holdStore(t, st)
	const n = 24
	var queued []<-chan appended
	for i := range n {
		queued = append(queued, queueAppend(t, l, st, record("mcp:local", fmt.Sprint("a", i), "p")))
	}
	release()
	prev := first
	for i, q := range queued {
		got := <-q
		if got.err != nil {
			t.Fatal(got.err)
		}
		e := got.entry
		if e.Record.Action != fmt.Sprint("a", i) || e.Seq != prev.Seq+1 || e.Prev != prev.Hash {
			t.Fatalf("append %d (%s) got entry %d after %s, want entry %d after %s",
				i, e.Record.Action, e.Seq, e.Prev, prev.Seq+1, prev.Hash)
		}
		prev = e
	}
	if commits := st.Stats().Commits - before.Commits; commits != 2 {
		t.Errorf("%d commits, want 2: the held one, then one for the %d queued appends", commits, n)
	}
	r, err := l.Verify(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() || r.Checked != n+1 || r.Head != prev.Seq || r.HeadHash != prev.Hash {
		t.Fatalf("report %+v", r)
	}
}

// A record that cannot be written fails alone, at once, without waiting
// for the file (it is encoded before it queues): the appends around it
// keep consecutive sequence numbers and an intact chain.
func TestFailedAppendLosesNoOther(t *testing.T) {
	st := openStore(t)
	l := New(st, nil)
	bad := record("mcp:local", "bad", "p")
	bad.Args = map[string]any{"x": math.NaN()} // JSON has no NaN
	release := holdStore(t, st)
	good := []<-chan appended{queueAppend(t, l, st, record("mcp:local", "g0", "p"))}
	if e, err := l.Append(t.Context(), bad); err == nil {
		t.Fatalf("the NaN record was appended as entry %d", e.Seq)
	}
	good = append(good, queueAppend(t, l, st, record("mcp:local", "g1", "p")), queueAppend(t, l, st, record("mcp:local", "g2", "p")))
	release()
	for i, q := range good {
		got := <-q
		if got.err != nil {
			t.Fatalf("good append %d: %v", i, got.err)
		}
		if got.entry.Seq != uint64(i+1) {
			t.Errorf("good append %d got entry %d, want %d", i, got.entry.Seq, i+1)
		}
	}
	r, err := l.Verify(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() || r.Checked != 3 {
		t.Fatalf("report %+v", r)
	}
}

// Two processes appending from many goroutines each to one store keep one
// intact chain, and every sequence number a process got back is its own
// entry in the file.
func TestProcessesAppendToOneChain(t *testing.T) {
	const perGoroutine = 40
	path := filepath.Join(t.TempDir(), "supaops.db")
	if _, err := store.Open(t.Context(), path, store.Options{}); err != nil {
		t.Fatal(err)
	}
	type proc struct {
		name    string
		cmd     *exec.Cmd
		seqs    []uint64
		commits string
	}
	procs := []*proc{{name: "p1"}, {name: "p2"}}
	var wg sync.WaitGroup
	for _, p := range procs {
		p.cmd = exec.Command(os.Args[0], "-test.run=^$")
		p.cmd.Env = append(os.Environ(), helperEnv+"="+p.name, helperPathEnv+"="+path, helperCountEnv+"="+strconv.Itoa(perGoroutine))
		p.cmd.Stderr = os.Stderr
		out, err := p.cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := p.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = p.cmd.Process.Kill(); _ = p.cmd.Wait() })
		wg.Go(func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if c, ok := strings.CutPrefix(sc.Text(), "commits "); ok {
					p.commits = c
					continue
				}
				n, err := strconv.ParseUint(sc.Text(), 10, 64)
				if err != nil {
					t.Errorf("%s printed %q", p.name, sc.Text())
					return
				}
				p.seqs = append(p.seqs, n)
			}
		})
	}
	wg.Wait()
	for _, p := range procs {
		if err := p.cmd.Wait(); err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		if len(p.seqs) != helperGoroutines*perGoroutine {
			t.Fatalf("%s reported %d appends, want %d", p.name, len(p.seqs), helperGoroutines*perGoroutine)
		}
		t.Logf("%s: %d appends in %s commits", p.name, len(p.seqs), p.commits)
	}
	st, err := store.Open(t.Context(), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	l := New(st, nil)
	r, err := l.Verify(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	const total = 2 * helperGoroutines * perGoroutine
	if !r.OK() || r.Checked != total || r.First != 1 || r.Last != total {
		t.Fatalf("report %+v", r)
	}
	entries, err := l.Query(t.Context(), Filter{Limit: total})
	if err != nil {
		t.Fatal(err)
	}
	bySeq := map[uint64]string{}
	for _, e := range entries {
		bySeq[e.Seq] = e.Record.Principal
	}
	for _, p := range procs {
		for _, s := range p.seqs {
			if bySeq[s] != "job:"+p.name {
				t.Fatalf("%s got entry %d, which the file says is %q's", p.name, s, bySeq[s])
			}
		}
	}
}
