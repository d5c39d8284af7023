package audit

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/supaops/supaops/internal/store"
)

// tamper edits the log's bucket and meta directly, as someone with the file would.
type tamper func(t *testing.T, audit, meta *bbolt.Bucket, entries []Entry)

func deleteEntries(seqs ...uint64) tamper {
	return func(t *testing.T, audit, _ *bbolt.Bucket, _ []Entry) {
		for _, s := range seqs {
			if err := audit.Delete(seqKey(s)); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// editInPlace changes an entry's content but leaves its stored hash.
func editInPlace(seq uint64) tamper {
	return func(t *testing.T, audit, _ *bbolt.Bucket, _ []Entry) {
		v := bytes.Clone(audit.Get(seqKey(seq)))
		v = bytes.Replace(v, []byte(`"principal":"mcp:local"`), []byte(`"principal":"mcp:other"`), 1)
		if err := audit.Put(seqKey(seq), v); err != nil {
			t.Fatal(err)
		}
	}
}

// reseal replaces an entry by another one with a correct hash of its own.
func reseal(seq uint64) tamper {
	return func(t *testing.T, audit, _ *bbolt.Bucket, entries []Entry) {
		e := entries[seq-1]
		e.Record.Principal = "mcp:other"
		v, _, err := seal(e)
		if err != nil {
			t.Fatal(err)
		}
		if err := audit.Put(seqKey(seq), v); err != nil {
			t.Fatal(err)
		}
	}
}

func garble(seq uint64) tamper {
	return func(t *testing.T, audit, _ *bbolt.Bucket, _ []Entry) {
		if err := audit.Put(seqKey(seq), []byte("{not json")); err != nil {
			t.Fatal(err)
		}
	}
}

func setHead(seq uint64) tamper {
	return func(t *testing.T, _, meta *bbolt.Bucket, entries []Entry) {
		e := entries[seq-1]
		if err := writeHead(meta, mark{Seq: seq, Hash: e.Hash, Time: e.Time}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestVerifyFindsTampering(t *testing.T) {
	type found struct {
		Kind     Kind
		From, To uint64
	}
	tests := []struct {
		name   string
		tamper tamper
		// appendAfter appends this many entries after tampering.
		appendAfter int
		want        []found
	}{
		{"intact", func(*testing.T, *bbolt.Bucket, *bbolt.Bucket, []Entry) {}, 0, nil},
		{"entry edited", editInPlace(3), 0, []found{{Edited, 3, 3}}},
		{"entry replaced with its own hash", reseal(3), 0, []found{{Relinked, 4, 4}}},
		{"last entry replaced with its own hash", reseal(6), 0, []found{{HeadMismatch, 6, 6}}},
		{"entry removed", deleteEntries(3), 0, []found{{Missing, 3, 3}}},
		{"entries removed", deleteEntries(2, 3, 4), 0, []found{{Missing, 2, 4}}},
		{"first entry removed", deleteEntries(1), 0, []found{{Missing, 1, 1}}},
		{"tail truncated", deleteEntries(5, 6), 0, []found{{Truncated, 5, 6}}},
		{"tail truncated, then appended to", deleteEntries(5, 6), 2, []found{{Missing, 5, 6}}},
		{"everything removed", deleteEntries(1, 2, 3, 4, 5, 6), 0, []found{{Truncated, 1, 6}}},
		{"entry unreadable", garble(2), 0, []found{{Unreadable, 2, 2}}},
		{"head moved back", setHead(4), 0, []found{{HeadMismatch, 5, 6}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			st := openStore(t)
			l := New(st, c.Now)
			entries := appendN(t, l, c, 6)
			err := st.Update(t.Context(), func(tx *bbolt.Tx) error {
				tt.tamper(t, tx.Bucket([]byte(store.BucketAudit)), tx.Bucket([]byte(store.BucketMeta)), entries)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			appendN(t, l, c, tt.appendAfter)
			r, err := l.Verify(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			var got []found
			for _, p := range r.Problems {
				got = append(got, found{p.Kind, p.From, p.To})
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("problems %v, want %v", r.Problems, tt.want)
			}
			if r.OK() != (len(tt.want) == 0) {
				t.Errorf("OK() = %v", r.OK())
			}
		})
	}
}

// Verify reads long logs in several transactions and still sees the whole
// chain, including a prune that happens between two of them.
func TestVerifyInChunks(t *testing.T) {
	c := newClock()
	l := New(openStore(t), c.Now)
	l.chunk = 3
	appendN(t, l, c, 10)
	r, err := l.Verify(t.Context())
	if err != nil || !r.OK() || r.Checked != 10 {
		t.Fatalf("report %+v, %v", r, err)
	}

	w := &walker{}
	step := func(first bool) {
		err := l.store.View(t.Context(), func(tx *bbolt.Tx) error { return w.step(tx, first, l.chunk) })
		if err != nil {
			t.Fatal(err)
		}
	}
	step(true) // entries 1-3
	if _, err := l.Prune(t.Context(), Retention{MaxCount: 4}); err != nil {
		t.Fatal(err)
	}
	for !w.done {
		step(false)
	}
	if !w.report.OK() || w.report.Last != 10 || w.report.Anchor != 6 {
		t.Fatalf("report %+v", w.report)
	}
}

func TestReportIsJSON(t *testing.T) {
	r := Report{Checked: 1, Problems: []Problem{{Kind: Missing, From: 2, To: 3, Detail: "d"}}}
	data, err := json.Marshal(r)
	if err != nil || !bytes.Contains(data, []byte(`"kind":"missing"`)) {
		t.Fatalf("%s %v", data, err)
	}
}
