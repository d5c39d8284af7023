package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"go.etcd.io/bbolt"
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

// body is the hashed part of an entry.
func body(e Entry) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	// encoding/json writes struct fields in order and map keys sorted: the
	// same entry always gives the same bytes.
	if err := enc.Encode(e); err != nil {
		return nil, fmt.Errorf("encoding entry %d: %w", e.Seq, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// seal returns the bucket value of e and its hash.
func seal(e Entry) (value []byte, hash string, err error) {
	b, err := body(e)
	if err != nil {
		return nil, "", err
	}
	hash, err = chainHash(e.Prev, b)
	if err != nil {
		return nil, "", err
	}
	value, err = json.Marshal(stored{Hash: hash, Entry: b})
	return value, hash, err
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
	return e, err == nil && want == s.Hash, nil
}

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

func keySeq(k []byte) uint64 {
	if len(k) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(k)
}
