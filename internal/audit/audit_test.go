package audit

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/redact"
	"github.com/supaops/supaops/internal/store"
)

func TestAppendChainsEntries(t *testing.T) {
	c := newClock()
	l := New(openStore(t), c.Now)
	entries := appendN(t, l, c, 5)
	prev := genesis
	for i, e := range entries {
		if e.Seq != uint64(i+1) {
			t.Errorf("entry %d has sequence %d", i, e.Seq)
		}
		if e.Prev != prev {
			t.Errorf("entry %d: prev %s, want %s", e.Seq, e.Prev, prev)
		}
		prev = e.Hash
	}
	r, err := l.Verify(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() || r.Checked != 5 || r.First != 1 || r.Last != 5 || r.Head != 5 || r.HeadHash != prev {
		t.Fatalf("report %+v", r)
	}
}

func TestRecordImplementsRecorder(t *testing.T) {
	var rec pipeline.Recorder = New(openStore(t), nil)
	seq, err := rec.Record(t.Context(), record("slack:user:U1", "delete_project", "abc"))
	if err != nil || seq != 1 {
		t.Fatalf("seq %d, %v", seq, err)
	}
	got, err := rec.(*Log).Query(t.Context(), Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Record.Action != "delete_project" || got[0].Record.Principal != "slack:user:U1" {
		t.Fatalf("got %+v", got)
	}
}

// Secrets that slip past the pipeline's redaction never reach the file.
func TestAppendScrubsSecrets(t *testing.T) {
	const pat = "sbp_0123456789abcdef0123456789abcdef"
	const pass = "hunter2hunter2"
	tests := []struct {
		name   string
		modify func(*pipeline.Record)
		secret string
	}{
		{"error text", func(r *pipeline.Record) { r.Error = "token " + pat + " rejected" }, pat},
		{"argument value", func(r *pipeline.Record) { r.Args = map[string]any{"query": "use " + pat} }, pat},
		{"nested argument", func(r *pipeline.Record) {
			r.Args = map[string]any{"body": map[string]any{"list": []any{"x", pat}}}
		}, pat},
		{"secret field name", func(r *pipeline.Record) { r.Args = map[string]any{"db_pass": pass} }, pass},
		{"connection string", func(r *pipeline.Record) {
			r.Args = map[string]any{"url": "postgresql://postgres:" + pass + "@db.example.co:5432/postgres"}
		}, pass},
		{"decision reason", func(r *pipeline.Record) { r.Decision.Reason = "saw " + pat }, pat},
		{"consent token", func(r *pipeline.Record) { r.Decision.Token = "c1.secret-token-value" }, "secret-token-value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := openStore(t)
			l := New(st, nil)
			rec := record("mcp:local", "run_query", "abc")
			tt.modify(&rec)
			e, err := l.Append(t.Context(), rec)
			if err != nil {
				t.Fatal(err)
			}
			raw := rawEntry(t, st, e.Seq)
			if bytes.Contains(raw, []byte(tt.secret)) {
				t.Fatalf("the secret is in the file: %s", raw)
			}
			if !bytes.Contains(raw, []byte(redact.Mask)) && !bytes.Contains(raw, []byte("sha256:")) {
				t.Errorf("nothing was masked: %s", raw)
			}
			if r, err := l.Verify(t.Context()); err != nil || !r.OK() {
				t.Fatalf("verify: %+v %v", r, err)
			}
		})
	}
}

// The append time never goes back, even when the clock does, so time order
// and sequence order agree.
func TestAppendTimeNeverGoesBack(t *testing.T) {
	c := newClock()
	l := New(openStore(t), c.Now)
	first := appendN(t, l, c, 1)[0]
	c.Advance(-time.Hour)
	second := appendN(t, l, c, 1)[0]
	if second.Time.Before(first.Time) {
		t.Fatalf("second entry at %s, before the first at %s", second.Time, first.Time)
	}
}

// Logs on two handles of one file (as two processes have) append without
// breaking the chain.
func TestConcurrentAppends(t *testing.T) {
	a := openStore(t)
	b, err := store.Open(t.Context(), a.Path(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	logs := []*Log{New(a, nil), New(b, nil)}
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for range 10 {
				if _, err := logs[i%2].Record(t.Context(), record("job:x", "get_project", "p")); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	r, err := logs[0].Verify(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() || r.Checked != 40 {
		t.Fatalf("report %+v", r)
	}
}

func TestDecisionToken(t *testing.T) {
	tests := []struct {
		name, token, want string
	}{
		{"approval id kept", "ju62l5g7dsctrpp6f4rdeg74we", "ju62l5g7dsctrpp6f4rdeg74we"},
		{"signed token hashed", "c1.ju62l5g7dsctrpp6f4rdeg74we.1767225600.c2lnbmF0dXJl", "sha256:"},
		{"none", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := record("mcp:local", "delete_project", "abc")
			rec.Decision.Token = tt.token
			got := scrub(rec).Decision.Token
			if !strings.HasPrefix(got, tt.want) || (tt.want == "sha256:" && strings.Contains(got, "c2lnbmF0dXJl")) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func rawEntry(t *testing.T, st *store.Store, seq uint64) []byte {
	t.Helper()
	var raw []byte
	err := st.View(t.Context(), func(tx *bbolt.Tx) error {
		raw = bytes.Clone(tx.Bucket([]byte(store.BucketAudit)).Get(seqKey(seq)))
		return nil
	})
	if err != nil || raw == nil {
		t.Fatalf("reading entry %d: %v", seq, err)
	}
	return raw
}

func TestProblemString(t *testing.T) {
	one := Problem{Kind: Edited, From: 3, To: 3, Detail: "x"}.String()
	many := Problem{Kind: Missing, From: 3, To: 5, Detail: "y"}.String()
	if !strings.HasPrefix(one, "entry 3: edited") || !strings.HasPrefix(many, "entries 3-5: missing") {
		t.Fatalf("%q %q", one, many)
	}
}

// A huge request cannot make the log grow by its size: names, texts and
// arguments are bounded, and the entry says how long they were.
func TestAppendBoundsWhatItKeeps(t *testing.T) {
	l := New(openStore(t), nil)
	rec := record("mcp:local", strings.Repeat("x", 900_000), "p")
	rec.Error = strings.Repeat("e", 100_000)
	rec.Args = map[string]any{"query": strings.Repeat("q", 500_000), "list": make([]any, 10_000)}
	e, err := l.Append(t.Context(), rec)
	if err != nil {
		t.Fatal(err)
	}
	value, _, err := seal(e)
	if err != nil {
		t.Fatal(err)
	}
	if len(value) > 64<<10 {
		t.Errorf("entry is %d bytes", len(value))
	}
	if !strings.Contains(e.Record.Action, "(900000 bytes in all)") || !strings.Contains(e.Record.Args["query"].(string), "(500000 bytes in all)") {
		t.Errorf("a bounded value must say how long it was: %.80s / %.80s", e.Record.Action, e.Record.Args["query"])
	}
	if list := e.Record.Args["list"].([]any); len(list) != maxItems+1 {
		t.Errorf("list kept %d items", len(list))
	}
}

// An intent whose outcome never came (the process died after the request
// may have reached the API) is reported by Verify.
func TestVerifyReportsIntentsWithoutOutcome(t *testing.T) {
	l := New(openStore(t), nil)
	intent := func(action string) uint64 {
		r := record("mcp:local", action, "p")
		r.Event = pipeline.EventIntent
		seq, err := l.Record(t.Context(), r)
		if err != nil {
			t.Fatal(err)
		}
		return seq
	}
	done, dead := intent("project_pause"), intent("project_delete")
	out := record("mcp:local", "project_pause", "p")
	out.Event, out.Intent = pipeline.EventOutcome, done
	if _, err := l.Record(t.Context(), out); err != nil {
		t.Fatal(err)
	}
	r, err := l.Verify(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() || len(r.Unfinished) != 1 || r.Unfinished[0].Seq != dead || r.Unfinished[0].Action != "project_delete" {
		t.Fatalf("report %+v", r)
	}
	if !strings.Contains(r.Unfinished[0].String(), "whether it took effect is unknown") {
		t.Errorf("%s", r.Unfinished[0])
	}
}

// AppendTx commits with the transaction it is part of, or not at all.
func TestAppendTxRollsBackWithItsTransaction(t *testing.T) {
	st := openStore(t)
	l := New(st, nil)
	err := st.Update(t.Context(), func(tx *bbolt.Tx) error {
		if _, err := l.AppendTx(tx, record("slack:user:U1", "vote", "p")); err != nil {
			return err
		}
		return errors.New("the vote was refused")
	})
	if err == nil {
		t.Fatal("want the transaction's error")
	}
	got, err := l.Query(t.Context(), Filter{})
	if err != nil || len(got) != 0 {
		t.Fatalf("a rolled-back append was kept: %v %v", got, err)
	}
}
