package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.etcd.io/bbolt"

	"github.com/supaops/supaops/internal/pipeline"
)

// genesis is the Prev of the first entry ever.
var genesis = strings.Repeat("0", 2*sha256.Size)

// Keys in the store's meta bucket.
const (
	headKey   = "audit.head"   // the last entry appended
	anchorKey = "audit.anchor" // the last entry pruned
)

// mark is an end of the chain: the last entry appended (head) or the last
// one pruned (anchor).
type mark struct {
	Seq  uint64    `json:"seq"`
	Hash string    `json:"hash"`
	Time time.Time `json:"time"`
}

func readHead(meta *bbolt.Bucket) (mark, error) { return readMark(meta, headKey) }

func readAnchor(meta *bbolt.Bucket) (mark, error) { return readMark(meta, anchorKey) }

func readMark(meta *bbolt.Bucket, key string) (mark, error) {
	data := meta.Get([]byte(key))
	if data == nil {
		return mark{Hash: genesis}, nil
	}
	var h mark
	if err := json.Unmarshal(data, &h); err != nil {
		return mark{}, fmt.Errorf("reading %s: %w", key, err)
	}
	return h, nil
}

func writeHead(meta *bbolt.Bucket, h mark) error { return writeMark(meta, headKey, h) }

func writeAnchor(meta *bbolt.Bucket, h mark) error { return writeMark(meta, anchorKey, h) }

func writeMark(meta *bbolt.Bucket, key string, h mark) error {
	data, err := json.Marshal(h)
	if err != nil {
		return err
	}
	return meta.Put([]byte(key), data)
}

// stored is an entry as kept in the bucket: the entry's canonical JSON
// exactly as hashed, and its hash. Verify hashes the stored bytes, never a
// re-encoding, so the check does not depend on how JSON is decoded.
type stored struct {
	Hash  string          `json:"hash"`
	Entry json.RawMessage `json:"entry"`
}

// body is the hashed part of an entry: its canonical JSON, HTML characters
// as written (the encoder's default would escape them).
func body(e Entry) ([]byte, error) {
	rec, err := encodeRecord(e.Record)
	if err != nil {
		return nil, fmt.Errorf("encoding entry %d: %w", e.Seq, err)
	}
	return bodyOf(e.Seq, e.Time, e.Prev, rec)
}

// encodeRecord is a record's canonical JSON. encoding/json writes struct
// fields in order and map keys sorted: the same record always gives the
// same bytes. Appends encode it before they queue for the file lock.
func encodeRecord(rec pipeline.Record) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(rec); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// bodyOf writes an entry's canonical JSON around its record's: the bytes
// encoding/json gives for Entry (TestBodyOfIsEntrysJSON), without encoding
// the record again inside the write lock.
func bodyOf(seq uint64, at time.Time, prev string, rec []byte) ([]byte, error) {
	stamp, err := at.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("encoding entry %d: %w", seq, err)
	}
	b := make([]byte, 0, len(rec)+len(prev)+len(stamp)+64)
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, seq, 10)
	b = append(b, `,"time":`...)
	b = append(b, stamp...)
	b = append(b, `,"prev":`...)
	b = strconv.AppendQuote(b, prev) // hex: nothing to escape
	b = append(b, `,"record":`...)
	b = append(b, rec...)
	return append(b, '}'), nil
}

// seal returns the bucket value of e and its hash.
func seal(e Entry) (value []byte, hash string, err error) {
	b, err := body(e)
	if err != nil {
		return nil, "", err
	}
	return sealBody(e.Prev, b)
}

// sealBody returns the bucket value of an entry's body and its hash. The
// value is written by hand: json.Marshal would escape HTML characters in
// the body, and the stored bytes would no longer be the hashed ones.
func sealBody(prev string, b []byte) (value []byte, hash string, err error) {
	hash, err = chainHash(prev, b)
	if err != nil {
		return nil, "", err
	}
	value = make([]byte, 0, len(b)+len(hash)+24)
	value = append(value, `{"hash":"`...)
	value = append(value, hash...)
	value = append(value, `","entry":`...)
	value = append(value, b...)
	return append(value, '}'), hash, nil
}

func chainHash(prev string, body []byte) (string, error) {
	p, err := hex.DecodeString(prev)
	if err != nil || len(p) != sha256.Size {
		return "", fmt.Errorf("previous hash %q is not a SHA-256", prev)
	}
	h := sha256.New()
	h.Write(p)
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// unseal decodes a bucket value. ok reports whether the stored hash matches
// the stored bytes; the entry is returned whenever it could be decoded.
func unseal(value []byte) (e Entry, ok bool, err error) {
	var s stored
	if err := json.Unmarshal(value, &s); err != nil {
		return Entry{}, false, fmt.Errorf("unreadable entry: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(s.Entry))
	dec.UseNumber() // arguments keep their numbers as written
	if err := dec.Decode(&e); err != nil {
		return Entry{}, false, fmt.Errorf("unreadable entry: %w", err)
	}
	e.Hash = s.Hash
	want, err := chainHash(e.Prev, s.Entry)
	if err == nil && want != s.Hash {
		// Entries written before the value was written by hand were
		// stored with HTML characters escaped. A match on the unescaped
		// bytes is as good a proof: they are the bytes that were hashed.
		want, err = chainHash(e.Prev, []byte(htmlUnescaped(s.Entry)))
	}
	return e, err == nil && want == s.Hash, nil
}

// htmlUnescaped undoes json.Marshal's HTML escaping of a stored entry.
func htmlUnescaped(entry []byte) string {
	return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&", `\u2028`, "\u2028", `\u2029`, "\u2029").Replace(string(entry))
}

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

func keySeq(k []byte) uint64 {
	if len(k) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(k)
}
