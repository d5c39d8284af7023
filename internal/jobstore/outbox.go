package jobstore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"go.etcd.io/bbolt"

	"github.com/supaops/supaops/internal/store"
)

// Alert is what a job tells people: surface-neutral, rendered by each
// notifier (Slack blocks, a webhook's JSON, a log line).
type Alert struct {
	// Key identifies the alert for dedupe: the same key is delivered once,
	// e.g. "nightly-backup@2026-11-30T03:00:00Z/abc…/stale".
	Key string `json:"key"`
	Job string `json:"job"`
	Run string `json:"run"`
	// Severity is info (a recovery, a report), warning or error.
	Severity string   `json:"severity"`
	Title    string   `json:"title"`
	Lines    []string `json:"lines,omitempty"`
	// Untrusted is data the project's users wrote (log rows): shown only
	// inside an untrusted-data boundary.
	Untrusted string `json:"untrusted,omitempty"`
	// Project is the project it is about, if one.
	Project string `json:"project,omitempty"`
	// Target is where it goes: "slack:C123", "webhook:https://…", "log".
	Target string    `json:"target"`
	At     time.Time `json:"at"`
}

// Delivery is an alert in the outbox with how its delivery goes.
type Delivery struct {
	Alert     Alert     `json:"alert"`
	Attempts  int       `json:"attempts"`
	NextTry   time.Time `json:"next_try"`
	LastError string    `json:"last_error,omitempty"`
}

// Outbox limits.
const (
	// MaxDeliveryAttempts: after this many failures (about two days at
	// the longest backoff) an alert is dropped, with the error logged; a
	// target down for days is the operator's news, not the alert's.
	MaxDeliveryAttempts = 56
	// sentKept is how long a delivered alert's key is remembered, so the
	// same finding found again (a retried run) is not sent twice.
	sentKept = 7 * 24 * time.Hour
)

// Keys of the outbox: alerts waiting ("p" + key + target) and the keys of
// those delivered ("s" + key + target, valued with when).
var (
	pendingPrefix = []byte("p\x00")
	sentPrefix    = []byte("s\x00")
)

func outboxID(prefix []byte, a Alert) []byte {
	return append(bytes.Clone(prefix), a.Key+"\x00"+a.Target...)
}

// Enqueue puts alerts in the outbox, one delivery per alert key and
// target; an alert already there or delivered in the last week (a run
// retried, the same finding again) is not added twice. It returns how many
// were new.
func (s *Store) Enqueue(ctx context.Context, alerts ...Alert) (int, error) {
	now := s.now().UTC()
	added := 0
	err := s.st.Update(ctx, func(tx *bbolt.Tx) error {
		var err error
		_, added, err = enqueueTx(tx, alerts, now, Taker{})
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("queueing alerts: %w", err)
	}
	return added, nil
}

// Taker says which of the alerts it queues the caller delivers itself, at
// once: those whose target Can accept, taken for Lease (no other process
// delivers them meanwhile). The zero Taker takes none.
type Taker struct {
	Lease time.Duration
	Can   func(target string) bool
}

func (t Taker) takes(target string) bool { return t.Lease > 0 && t.Can != nil && t.Can(target) }

// enqueueTx queues the alerts not already queued or delivered, and returns
// those the taker takes and how many were new.
func enqueueTx(tx *bbolt.Tx, alerts []Alert, now time.Time, take Taker) ([]Delivery, int, error) {
	b := tx.Bucket([]byte(store.BucketOutbox))
	var taken []Delivery
	added := 0
	for _, a := range alerts {
		if b.Get(outboxID(pendingPrefix, a)) != nil || b.Get(outboxID(sentPrefix, a)) != nil {
			continue
		}
		if a.At.IsZero() {
			a.At = now
		}
		d := Delivery{Alert: a, NextTry: now}
		if take.takes(a.Target) {
			d.NextTry = now.Add(take.Lease)
		}
		v, err := json.Marshal(d)
		if err != nil {
			return taken, added, err
		}
		if err := b.Put(outboxID(pendingPrefix, a), v); err != nil {
			return taken, added, err
		}
		added++
		if take.takes(a.Target) {
			taken = append(taken, d)
		}
	}
	return taken, added, nil
}

// Take claims the deliveries due now whose target kind deliverable
// accepts, oldest first, for lease: another process taking them meanwhile
// finds them not due, and if this one dies they are due again when the
// lease ends (an alert is delivered at least once, and usually once).
func (s *Store) Take(ctx context.Context, deliverable func(target string) bool, lease time.Duration) ([]Delivery, error) {
	now := s.now().UTC()
	// A read first: alerts backing off are looked at every tick, and a
	// write transaction costs a sync even when it changes nothing.
	anyDue := false
	err := s.st.View(ctx, func(tx *bbolt.Tx) error {
		c := tx.Bucket([]byte(store.BucketOutbox)).Cursor()
		for k, v := c.Seek(pendingPrefix); k != nil && bytes.HasPrefix(k, pendingPrefix) && !anyDue; k, v = c.Next() {
			var d Delivery
			anyDue = json.Unmarshal(v, &d) == nil && !now.Before(d.NextTry) && deliverable(d.Alert.Target)
		}
		return nil
	})
	if err != nil || !anyDue {
		return nil, err
	}
	var out []Delivery
	err = s.st.Update(ctx, func(tx *bbolt.Tx) error {
		out = out[:0]
		b := tx.Bucket([]byte(store.BucketOutbox))
		c := b.Cursor()
		type taken struct {
			k []byte
			d Delivery
		}
		var list []taken
		for k, v := c.Seek(pendingPrefix); k != nil && bytes.HasPrefix(k, pendingPrefix); k, v = c.Next() {
			var d Delivery
			if err := json.Unmarshal(v, &d); err != nil {
				return fmt.Errorf("reading delivery %q: %w", k, err)
			}
			if now.Before(d.NextTry) || !deliverable(d.Alert.Target) {
				continue
			}
			d.NextTry = now.Add(lease)
			list = append(list, taken{bytes.Clone(k), d})
		}
		for _, t := range list {
			v, err := json.Marshal(t.d)
			if err != nil {
				return err
			}
			if err := b.Put(t.k, v); err != nil {
				return err
			}
			out = append(out, t.d)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("taking alerts from the outbox: %w", err)
	}
	slices.SortFunc(out, func(a, b Delivery) int { return a.Alert.At.Compare(b.Alert.At) })
	return out, nil
}

// Pending lists the deliveries not yet made (for reports and tests).
func (s *Store) Pending(ctx context.Context) ([]Delivery, error) {
	var out []Delivery
	err := s.st.View(ctx, func(tx *bbolt.Tx) error {
		c := tx.Bucket([]byte(store.BucketOutbox)).Cursor()
		for k, v := c.Seek(pendingPrefix); k != nil && bytes.HasPrefix(k, pendingPrefix); k, v = c.Next() {
			var d Delivery
			if err := json.Unmarshal(v, &d); err != nil {
				return err
			}
			out = append(out, d)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the outbox: %w", err)
	}
	return out, nil
}

// Delivered records the outcome of one delivery: sent (its key is
// remembered a week), or failed and to be tried again after backoff
// (doubling from 30 s, at most an hour), until MaxDeliveryAttempts. It
// reports whether the alert was given up.
func (s *Store) Delivered(ctx context.Context, a Alert, deliveryErr error) (gaveUp bool, err error) {
	now := s.now().UTC()
	err = s.st.Update(ctx, func(tx *bbolt.Tx) error {
		gaveUp = false
		b := tx.Bucket([]byte(store.BucketOutbox))
		k := outboxID(pendingPrefix, a)
		var d Delivery
		if v := b.Get(k); v == nil || json.Unmarshal(v, &d) != nil {
			return nil // already recorded by another process
		}
		d.Attempts++
		if deliveryErr == nil || d.Attempts >= MaxDeliveryAttempts {
			gaveUp = deliveryErr != nil
			if err := b.Delete(k); err != nil {
				return err
			}
			sent, _ := now.MarshalText()
			if err := b.Put(outboxID(sentPrefix, a), sent); err != nil {
				return err
			}
			return pruneSent(b, now)
		}
		d.LastError = deliveryErr.Error()
		d.NextTry = now.Add(min(30*time.Second<<min(d.Attempts-1, 7), time.Hour))
		v, err := json.Marshal(d)
		if err != nil {
			return err
		}
		return b.Put(k, v)
	})
	if err != nil {
		return false, fmt.Errorf("recording the delivery of alert %s: %w", a.Key, err)
	}
	return gaveUp, nil
}

// pruneSent forgets a few delivered keys older than sentKept.
func pruneSent(b *bbolt.Bucket, now time.Time) error {
	var dead [][]byte
	c := b.Cursor()
	for k, v := c.Seek(sentPrefix); k != nil && bytes.HasPrefix(k, sentPrefix) && len(dead) < 32; k, v = c.Next() {
		var at time.Time
		if at.UnmarshalText(v) == nil && now.Sub(at) > sentKept {
			dead = append(dead, bytes.Clone(k))
		}
	}
	for _, k := range dead {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

func hasPending(tx *bbolt.Tx) bool {
	k, _ := tx.Bucket([]byte(store.BucketOutbox)).Cursor().Seek(pendingPrefix)
	return k != nil && bytes.HasPrefix(k, pendingPrefix)
}
