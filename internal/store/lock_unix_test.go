//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package store

import (
	"errors"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// Waiters that give up leave a blocked flock behind until the holder lets
// go; past a few of them, waiters poll instead, so a holder stuck for good
// cannot make a process pile up blocked threads.
func TestAbandonedWaitersAreBounded(t *testing.T) {
	holder := openTemp(t)
	st, err := Open(t.Context(), holder.Path(), Options{LockTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	holding, release := make(chan struct{}), make(chan struct{})
	done := make(chan error)
	go func() {
		done <- holder.Update(t.Context(), func(*bbolt.Tx) error {
			close(holding)
			<-release
			return nil
		})
	}()
	<-holding
	for range maxAbandoned + 2 {
		if err := st.View(t.Context(), nop); !errors.Is(err, ErrBusy) {
			t.Fatalf("got %v, want ErrBusy", err)
		}
	}
	if n := st.abandoned.Load(); n != maxAbandoned {
		t.Errorf("%d abandoned waiters, want %d", n, maxAbandoned)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); st.abandoned.Load() > 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("abandoned waiters never finished")
		}
	}
	if err := st.View(t.Context(), nop); err != nil {
		t.Fatal(err)
	}
}
