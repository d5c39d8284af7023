package store

import (
	"errors"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

func nop(*bbolt.Tx) error { return nil }

// Goroutines of one process, through one Store or two, serialize their
// writes without losing any.
func TestConcurrentUpdatesInProcess(t *testing.T) {
	a := openTemp(t)
	b, err := Open(t.Context(), a.Path(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	const perGoroutine = 10
	var wg sync.WaitGroup
	for i := range 6 {
		st := []*Store{a, b}[i%2]
		wg.Go(func() {
			for range perGoroutine {
				err := st.Update(t.Context(), func(tx *bbolt.Tx) error {
					bk, err := tx.CreateBucketIfNotExists([]byte(testBucket))
					if err != nil {
						return err
					}
					seq, _ := bk.NextSequence()
					return bk.Put(seqKey(seq), []byte("x"))
				})
				if err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if got := len(appended(t, t.Context(), a)); got != 6*perGoroutine {
		t.Fatalf("got %d appends, want %d", got, 6*perGoroutine)
	}
}

// A writer of the same process that holds the store too long makes the next
// one fail with ErrBusy, too.
func TestLockTimeoutInProcess(t *testing.T) {
	st, err := Open(t.Context(), openTemp(t).Path(), Options{LockTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	holding, release := make(chan struct{}), make(chan struct{})
	done := make(chan error)
	go func() {
		done <- st.Update(t.Context(), func(*bbolt.Tx) error {
			close(holding)
			<-release
			return nil
		})
	}()
	<-holding
	if err := st.Update(t.Context(), nop); !errors.Is(err, ErrBusy) {
		t.Errorf("Update while another holds: got %v, want ErrBusy", err)
	}
	if err := st.View(t.Context(), nop); !errors.Is(err, ErrBusy) {
		t.Errorf("View while a writer holds: got %v, want ErrBusy", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestFnErrorRollsBack(t *testing.T) {
	st := openTemp(t)
	boom := errors.New("boom")
	err := st.Update(t.Context(), func(tx *bbolt.Tx) error {
		if _, err := tx.CreateBucket([]byte("rolled-back")); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v", err)
	}
	_ = st.View(t.Context(), func(tx *bbolt.Tx) error {
		if tx.Bucket([]byte("rolled-back")) != nil {
			t.Error("the failed transaction was committed")
		}
		return nil
	})
}
