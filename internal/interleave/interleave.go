// Package interleave compares two ways of doing the same thing inside one
// benchmark, alternating call by call, so both see the same machine load: on
// a shared, noisy machine the ratio of their medians holds steady where
// absolute times do not.
package interleave

import (
	"slices"
	"testing"
	"time"
)

// Compare runs ours and baseline alternately (swapping which goes first every
// round) for b.Loop, and reports the medians as "<ours>-µs" and
// "<baseline>-µs" and their ratio as "ratio".
func Compare(b *testing.B, oursName string, ours func(), baselineName string, baseline func()) {
	b.Helper()
	CompareMeasured(b, oursName, func() time.Duration { return timed(ours) }, baselineName, func() time.Duration { return timed(baseline) })
}

// CompareMeasured is Compare for functions that time themselves and return
// the time taken, leaving out their own set-up and tear-down (starting and
// stopping a process around the part measured).
func CompareMeasured(b *testing.B, oursName string, ours func() time.Duration, baselineName string, baseline func() time.Duration) {
	b.Helper()
	var a, z []time.Duration
	for i := 0; b.Loop(); i++ {
		if i%2 == 0 {
			a = append(a, ours())
			z = append(z, baseline())
		} else {
			z = append(z, baseline())
			a = append(a, ours())
		}
	}
	ma, mz := Median(a), Median(z)
	b.ReportMetric(float64(ma.Microseconds()), oursName+"-µs")
	b.ReportMetric(float64(mz.Microseconds()), baselineName+"-µs")
	if mz > 0 {
		b.ReportMetric(float64(ma)/float64(mz), "ratio")
	}
}

func timed(f func()) time.Duration {
	start := time.Now()
	f()
	return time.Since(start)
}

// Median of durations; 0 for none.
func Median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
