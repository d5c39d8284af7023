package audit

import (
	"testing"
	"time"
)

// BenchmarkAppendDurable appends records to a store on disk, each its own
// durable (fsynced) transaction, as the pipeline does for every call.
func BenchmarkAppendDurable(b *testing.B) {
	l := New(openStore(b), nil)
	rec := record("slack:user:U123", "get_project", "abcdefghijklmnopqrst")
	start := time.Now()
	for b.Loop() {
		if _, err := l.Record(b.Context(), rec); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "appends/s")
}
