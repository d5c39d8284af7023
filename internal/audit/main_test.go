package audit

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/supaops/supaops/internal/store"
)

// TestProcessesAppendToOneChain re-runs this test binary as helper
// processes; these variables tell a helper what to do.
const (
	helperEnv      = "SUPAOPS_AUDIT_TEST_HELPER" // the helper's name
	helperPathEnv  = "SUPAOPS_AUDIT_TEST_PATH"
	helperCountEnv = "SUPAOPS_AUDIT_TEST_COUNT" // appends per goroutine
)

// helperGoroutines is how many goroutines of a helper append at once.
const helperGoroutines = 16

func TestMain(m *testing.M) {
	if name := os.Getenv(helperEnv); name != "" {
		os.Exit(runHelper(name, os.Getenv(helperPathEnv), os.Getenv(helperCountEnv)))
	}
	os.Exit(m.Run())
}

// runHelper appends from helperGoroutines goroutines at once, recording
// itself as the principal, and prints each sequence number once Record has
// returned it.
func runHelper(name, path, count string) int {
	ctx := context.Background()
	n, err := strconv.Atoi(count)
	if err != nil {
		fmt.Fprintln(os.Stderr, "count:", err)
		return 2
	}
	st, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		return 2
	}
	l := New(st, nil)
	var wg sync.WaitGroup
	failed := make(chan error, helperGoroutines)
	for range helperGoroutines {
		wg.Go(func() {
			for range n {
				seq, err := l.Record(ctx, record("job:"+name, "project_get", "abcdefghijklmnopqrst"))
				if err != nil {
					failed <- err
					return
				}
				fmt.Fprint(os.Stdout, strconv.FormatUint(seq, 10)+"\n")
			}
		})
	}
	wg.Wait()
	close(failed)
	for err := range failed {
		fmt.Fprintln(os.Stderr, "record:", err)
		return 1
	}
	fmt.Printf("commits %d\n", st.Stats().Commits)
	return 0
}
