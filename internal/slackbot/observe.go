package slackbot

import "time"

// Observer is told how quickly Slack's deliveries are acknowledged and
// whether the Socket Mode connection is up (metrics, readiness). It must
// be quick and must not block.
type Observer interface {
	// ObserveAck is one delivery acknowledged (transport "socket" or
	// "http") d after it arrived; ok is false when the acknowledgement
	// could not be sent or the request was refused.
	ObserveAck(transport string, d time.Duration, ok bool)
	// ObserveConnected is the Socket Mode connection coming up or going down.
	ObserveConnected(up bool)
}

type nopObserver struct{}

func (nopObserver) ObserveAck(string, time.Duration, bool) {}
func (nopObserver) ObserveConnected(bool)                  {}
