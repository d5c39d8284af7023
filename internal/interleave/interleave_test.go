package interleave

import (
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	if Median(nil) != 0 {
		t.Error("empty")
	}
	if got := Median([]time.Duration{5, 1, 3}); got != 3 {
		t.Errorf("got %v", got)
	}
}

func BenchmarkCompareItself(b *testing.B) {
	n := 0
	f := func() { n++ }
	Compare(b, "a", f, "b", f)
}

// TestCompareMeasuredReportsWhatTheSidesMeasure: the medians are of the
// durations the functions return, not of the time they take.
func TestCompareMeasuredReportsWhatTheSidesMeasure(t *testing.T) {
	res := testing.Benchmark(func(b *testing.B) {
		CompareMeasured(b, "a", func() time.Duration { time.Sleep(time.Millisecond); return 30 * time.Microsecond },
			"z", func() time.Duration { return 10 * time.Microsecond })
	})
	if a, z, r := res.Extra["a-µs"], res.Extra["z-µs"], res.Extra["ratio"]; a != 30 || z != 10 || r != 3 {
		t.Errorf("a %v µs, z %v µs, ratio %v; want 30, 10, 3", a, z, r)
	}
}
