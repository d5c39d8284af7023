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
