package audit

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/supaops/supaops/internal/pipeline"
)

// Arguments with characters encoding/json escapes for HTML by default (<, >,
// &, U+2028) are stored as hashed: the chain verifies, and the entry reads
// back with the same text.
func TestEntriesWithHTMLCharactersVerify(t *testing.T) {
	c := newClock()
	l := New(openStore(t), c.Now)
	const sql = "select 1 where a < b && c > d \u2028 <script>"
	rec := pipeline.Record{Action: "database_query", Principal: "cli:ops", Args: map[string]any{"query": sql}}
	if _, err := l.Append(t.Context(), rec); err != nil {
		t.Fatal(err)
	}
	r, err := l.Verify(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() {
		t.Fatalf("the chain does not verify: %+v", r)
	}
	got, err := l.Query(t.Context(), Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Record.Args["query"] != sql {
		t.Fatalf("read back %+v", got)
	}
}

// bodyOf writes, around a record's JSON, exactly what encoding/json writes
// for the whole entry (HTML characters unescaped), so the hash of an entry
// does not depend on which of the two wrote it.
func TestBodyOfIsEntrysJSON(t *testing.T) {
	at := time.Date(2026, 11, 30, 18, 4, 5, 123456789, time.UTC)
	tests := []struct {
		name string
		e    Entry
	}{
		{"empty record", Entry{Seq: 1, Time: at, Prev: genesis}},
		{"a call", Entry{Seq: 1 << 40, Time: at.Truncate(time.Second), Prev: strings.Repeat("ab", 32), Record: pipeline.Record{
			Action: "project_get", Principal: "mcp:alice", Args: map[string]any{"ref": "abc", "n": 3.5, "list": []any{"x", nil}},
		}}},
		{"html and line separators", Entry{Seq: 7, Time: at, Prev: genesis, Record: pipeline.Record{
			Action: "database_query", Args: map[string]any{"query": "a < b && c > d \u2028\u2029 \"q\" \\"},
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(tt.e); err != nil {
				t.Fatal(err)
			}
			want := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
			got, err := body(tt.e)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("bodyOf wrote\n%s\nencoding/json writes\n%s", got, want)
			}
		})
	}
}

// An entry stored before the fix (json.Marshal escaped its HTML characters,
// so the stored bytes were not the hashed ones) still verifies; editing one
// still does not.
func TestLegacyEscapedEntryVerifies(t *testing.T) {
	e := Entry{Seq: 1, Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Prev: genesis,
		Record: pipeline.Record{Action: "database_query", Args: map[string]any{"query": "select 1 where a < b && c > d"}}}
	b, err := body(e)
	if err != nil {
		t.Fatal(err)
	}
	hash, err := chainHash(e.Prev, b)
	if err != nil {
		t.Fatal(err)
	}
	legacy, err := json.Marshal(stored{Hash: hash, Entry: b}) // the old seal
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(legacy, []byte(`\u003c`)) {
		t.Fatalf("the old seal did not escape: %s", legacy)
	}
	if _, ok, err := unseal(legacy); err != nil || !ok {
		t.Errorf("legacy entry: ok %v, err %v", ok, err)
	}
	edited := bytes.Replace(legacy, []byte("select 1"), []byte("select 2"), 1)
	if _, ok, _ := unseal(edited); ok {
		t.Error("an edited legacy entry verifies")
	}
}
