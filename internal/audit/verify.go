package audit

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"go.etcd.io/bbolt"

	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/store"
)

// defaultChunk is how many entries one transaction walks. Long logs are read
// (and pruned) in several short transactions, so Verify, Query or Prune never
// hold the store long enough to make another process's append time out.
const defaultChunk = 1000

// Kind names what is wrong with the chain.
type Kind string

const (
	// Edited: the entry's content no longer matches its hash.
	Edited Kind = "edited"
	// Missing: entries are gone from the start or the middle of the chain.
	Missing Kind = "missing"
	// Relinked: the entry does not follow from the entry before it: that
	// entry was replaced, hash and all, or this entry's link was changed.
	Relinked Kind = "relinked"
	// Truncated: entries are gone from the end of the chain.
	Truncated Kind = "truncated"
	// HeadMismatch: the recorded head is not the last entry.
	HeadMismatch Kind = "head-mismatch"
	// Unreadable: the entry cannot be decoded at all.
	Unreadable Kind = "unreadable"
)

// Problem is one thing wrong with the chain, about entries From to To.
type Problem struct {
	Kind   Kind   `json:"kind"`
	From   uint64 `json:"from"`
	To     uint64 `json:"to"`
	Detail string `json:"detail"`
}

func (p Problem) String() string {
	if p.From == p.To {
		return fmt.Sprintf("entry %d: %s: %s", p.From, p.Kind, p.Detail)
	}
	return fmt.Sprintf("entries %d-%d: %s: %s", p.From, p.To, p.Kind, p.Detail)
}

// Report is the outcome of Verify.
type Report struct {
	// Checked is how many entries were walked.
	Checked int `json:"checked"`
	// First and Last are the sequence numbers of the entries walked, 0 if none.
	First uint64 `json:"first"`
	Last  uint64 `json:"last"`
	// Anchor is the last pruned entry's sequence number, 0 if none.
	Anchor uint64 `json:"anchor"`
	// Head and HeadHash are the recorded end of the chain. Keeping HeadHash
	// outside the store lets a later Verify prove nothing before it changed.
	Head     uint64    `json:"head"`
	HeadHash string    `json:"head_hash"`
	Problems []Problem `json:"problems,omitempty"`
	// Unfinished are calls recorded as about to be sent whose outcome was
	// never recorded: the process died (or is still waiting for the API)
	// after the request may have reached it. The chain can be intact with
	// some; each is a call whose effect must be checked by hand.
	Unfinished []Unfinished `json:"unfinished,omitempty"`
}

// Unfinished is an intent without an outcome.
type Unfinished struct {
	Seq       uint64    `json:"seq"`
	Time      time.Time `json:"time"`
	Principal string    `json:"principal"`
	Action    string    `json:"action"`
	Project   string    `json:"project,omitempty"`
}

func (u Unfinished) String() string {
	project := ""
	if u.Project != "" {
		project = " on " + u.Project
	}
	return fmt.Sprintf("entry %d (%s): %s called %s%s; no outcome was recorded, so whether it took effect is unknown",
		u.Seq, u.Time.Format(time.RFC3339), u.Principal, u.Action, project)
}

// OK reports whether the chain is intact.
func (r Report) OK() bool { return len(r.Problems) == 0 }

// walker carries the chain walk from one read transaction to the next.
type walker struct {
	report Report
	expect uint64 // the sequence number the next entry should have
	prev   string // the hash the next entry's Prev should be; "" when unknown
	done   bool
	open   map[uint64]Unfinished // intents without an outcome so far
}

// Verify walks the chain from the anchor to the head and reports what is
// wrong with it. An error means the walk itself failed; a damaged chain is a
// Report with Problems.
func (l *Log) Verify(ctx context.Context) (Report, error) {
	w := &walker{open: map[uint64]Unfinished{}}
	for first := true; !w.done; first = false {
		err := l.store.View(ctx, func(tx *bbolt.Tx) error {
			return w.step(tx, first, l.chunk)
		})
		if err != nil {
			return Report{}, fmt.Errorf("verifying the audit log: %w", err)
		}
	}
	return w.report, nil
}

func (w *walker) step(tx *bbolt.Tx, first bool, chunk int) error {
	meta := tx.Bucket([]byte(store.BucketMeta))
	anchor, err := readAnchor(meta)
	if err != nil {
		return err
	}
	if first || anchor.Seq >= w.expect {
		// Start at the anchor; or restart there when a Prune between two
		// transactions removed the entries the walk was about to read.
		w.expect, w.prev = anchor.Seq+1, anchor.Hash
		w.report.Anchor = anchor.Seq
	}
	c := tx.Bucket([]byte(store.BucketAudit)).Cursor()
	k, v := c.Seek(seqKey(w.expect))
	for n := 0; k != nil && n < chunk; k, v = c.Next() {
		w.check(keySeq(k), v)
		n++
	}
	if k != nil {
		return nil
	}
	w.done = true
	h, err := readHead(meta)
	if err != nil {
		return err
	}
	w.checkHead(h)
	for _, u := range w.open {
		w.report.Unfinished = append(w.report.Unfinished, u)
	}
	slices.SortFunc(w.report.Unfinished, func(a, b Unfinished) int { return cmp.Compare(a.Seq, b.Seq) })
	return nil
}

func (w *walker) check(seq uint64, value []byte) {
	r := &w.report
	r.Checked++
	if r.First == 0 {
		r.First = seq
	}
	r.Last = seq
	wantPrev := w.prev
	if seq > w.expect {
		r.Problems = append(r.Problems, Problem{Kind: Missing, From: w.expect, To: seq - 1,
			Detail: fmt.Sprintf("expected entry %d next, found %d", w.expect, seq)})
		wantPrev = "" // the missing entries' hashes are unknown
	}
	w.expect, w.prev = seq+1, ""
	e, ok, err := unseal(value)
	if err != nil {
		r.Problems = append(r.Problems, Problem{Kind: Unreadable, From: seq, To: seq, Detail: err.Error()})
		return
	}
	if wantPrev != "" && e.Prev != wantPrev {
		r.Problems = append(r.Problems, Problem{Kind: Relinked, From: seq, To: seq,
			Detail: fmt.Sprintf("does not follow from entry %d: that entry was replaced, or this link changed", seq-1)})
	}
	switch {
	case !ok:
		r.Problems = append(r.Problems, Problem{Kind: Edited, From: seq, To: seq, Detail: "content does not match its hash"})
	case e.Seq != seq:
		r.Problems = append(r.Problems, Problem{Kind: Edited, From: seq, To: seq,
			Detail: fmt.Sprintf("stored as entry %d but says it is %d", seq, e.Seq)})
	}
	w.prev = e.Hash
	switch e.Record.Event {
	case pipeline.EventIntent:
		w.open[seq] = Unfinished{Seq: seq, Time: e.Time, Principal: e.Record.Principal, Action: e.Record.Action, Project: e.Record.Project}
	case pipeline.EventOutcome:
		delete(w.open, e.Record.Intent)
	}
}

// checkHead compares the end of the walk with the recorded head.
func (w *walker) checkHead(h mark) {
	r := &w.report
	r.Head, r.HeadHash = h.Seq, h.Hash
	last := w.expect - 1 // the last entry walked, or the anchor
	switch {
	case h.Seq > last:
		r.Problems = append(r.Problems, Problem{Kind: Truncated, From: last + 1, To: h.Seq,
			Detail: fmt.Sprintf("the head is entry %d but the chain ends at %d", h.Seq, last)})
	case h.Seq < last:
		r.Problems = append(r.Problems, Problem{Kind: HeadMismatch, From: h.Seq + 1, To: last,
			Detail: fmt.Sprintf("entries after the recorded head %d", h.Seq)})
	case w.prev != "" && h.Hash != w.prev:
		r.Problems = append(r.Problems, Problem{Kind: HeadMismatch, From: last, To: last,
			Detail: "the last entry is not the one recorded as the head: it was replaced"})
	}
}
