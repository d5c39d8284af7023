package app_test

import (
	"context"
	"os"
	"sync"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/supaops/supaops/internal/app/apptest"
	"github.com/supaops/supaops/internal/pipeline"
)

// BenchmarkStoreGrowth makes 10,000 calls (a read, as an agent's are
// mostly) through the pipeline, 16 at a time, and reports how much the
// store file grew: the README's "store growth per 10,000 calls". Each call
// is two audit records (intent and outcome). Run it once:
//
//	go test -run '^$' -bench StoreGrowth -benchtime 1x ./internal/app
func BenchmarkStoreGrowth(b *testing.B) {
	const calls, workers = 10_000, 16
	for b.Loop() {
		a := apptest.New(b, apptest.Options{})
		ctx := context.Background()
		size := func() int64 {
			fi, err := os.Stat(a.Store.Path())
			if err != nil {
				b.Fatal(err)
			}
			return fi.Size()
		}
		// used is the pages in use (bbolt's high-water mark); the file
		// grows ahead of it, doubling up to 1 GiB.
		used := func() int64 {
			var n int64
			if err := a.Store.View(ctx, func(tx *bbolt.Tx) error { n = tx.Size(); return nil }); err != nil {
				b.Fatal(err)
			}
			return n
		}
		before, usedBefore := size(), used()
		var wg sync.WaitGroup
		next := make(chan int)
		for range workers {
			wg.Go(func() {
				for range next {
					if _, err := a.Pipeline.Call(ctx, pipeline.Request{Action: "projects_list", Principal: "mcp:local", Surface: "mcp"}); err != nil {
						b.Error(err)
					}
				}
			})
		}
		for i := range calls {
			next <- i
		}
		close(next)
		wg.Wait()
		b.ReportMetric(float64(size()-before)/(1<<20), "file-MiB/10k-calls")
		b.ReportMetric(float64(used()-usedBefore)/(1<<20), "used-MiB/10k-calls")
	}
}
