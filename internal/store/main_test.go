package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// The multi-process tests re-run this test binary as a helper process; the
// helper's job is chosen by these variables.
const (
	helperEnv     = "SUPAOPS_STORE_TEST_HELPER"
	helperPathEnv = "SUPAOPS_STORE_TEST_PATH"
	helperForEnv  = "SUPAOPS_STORE_TEST_FOR"
	helperNameEnv = "SUPAOPS_STORE_TEST_NAME"
)

// testBucket is where the helpers append; tests may create buckets of their own.
const testBucket = "test-appends"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(runHelper(mode))
	}
	os.Exit(m.Run())
}

func runHelper(mode string) int {
	ctx := context.Background()
	path := os.Getenv(helperPathEnv)
	d, _ := time.ParseDuration(os.Getenv(helperForEnv))
	st, err := Open(ctx, path, Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		return 2
	}
	switch mode {
	case "append":
		return helperAppend(ctx, st.Update, os.Getenv(helperNameEnv), d)
	case "batch":
		// Goroutines appending at once, so their appends share commits.
		var wg sync.WaitGroup
		var failed atomic.Bool
		for range batchWriters {
			wg.Go(func() {
				if helperAppend(ctx, st.Batch, os.Getenv(helperNameEnv), d) != 0 {
					failed.Store(true)
				}
			})
		}
		wg.Wait()
		if failed.Load() {
			return 1
		}
		return 0
	case "hold":
		err := st.Update(ctx, func(*bbolt.Tx) error {
			fmt.Println("locked")
			time.Sleep(d)
			return nil
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, "hold:", err)
			return 1
		}
		return 0
	}
	fmt.Fprintln(os.Stderr, "unknown helper mode", mode)
	return 2
}

// batchWriters is how many goroutines a "batch" helper appends from.
const batchWriters = 8

// helperAppend appends for d with write (Update or Batch), printing each
// sequence number once its commit has returned: every number printed must be
// in the file afterwards.
func helperAppend(ctx context.Context, write func(context.Context, func(*bbolt.Tx) error) error, name string, d time.Duration) int {
	for end := time.Now().Add(d); time.Now().Before(end); {
		var seq uint64
		err := write(ctx, func(tx *bbolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists([]byte(testBucket))
			if err != nil {
				return err
			}
			if seq, err = b.NextSequence(); err != nil {
				return err
			}
			return b.Put(seqKey(seq), []byte(name))
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, "append:", err)
			return 1
		}
		// One write per line: lines of concurrent writers do not mix.
		fmt.Fprint(os.Stdout, strconv.FormatUint(seq, 10)+"\n")
	}
	return 0
}

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }
