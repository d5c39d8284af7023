package client

import "time"

// Observer is told what the Caller does on the wire (metrics watch it
// through this, without the client knowing how they are kept). Calls come
// from the goroutines that send requests: they must be quick and must not
// block.
type Observer interface {
	// ObserveAttempt is one request sent: its status (0 when no answer
	// came), how long it took, and whether it was a retry of an earlier
	// attempt of the same call.
	ObserveAttempt(status int, d time.Duration, retry bool)
	// ObserveRateWait is a wait for the rate-limit budget before an attempt.
	ObserveRateWait(d time.Duration)
}

type nopObserver struct{}

func (nopObserver) ObserveAttempt(int, time.Duration, bool) {}
func (nopObserver) ObserveRateWait(time.Duration)           {}
