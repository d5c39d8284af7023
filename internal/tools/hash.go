package tools

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"math/big"
	"slices"
	"strconv"
)

// HashArgs returns "sha256:" and the hex SHA-256 of the canonical JSON of
// args: object keys sorted, no spaces, and numbers in one form whatever their
// Go type or spelling (1, 1.0 and 1e0 hash alike), so the hash taken when
// consent is given matches the one taken when the call is made.
func HashArgs(args map[string]any) (string, error) {
	if args == nil {
		args = map[string]any{}
	}
	data, err := json.Marshal(args)
	if err != nil {
		return "", fmt.Errorf("hashing arguments: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", fmt.Errorf("hashing arguments: %w", err)
	}
	var buf bytes.Buffer
	if err := canonical(&buf, v); err != nil {
		return "", fmt.Errorf("hashing arguments: %w", err)
	}
	sum := sha256.Sum256(buf.Bytes())
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// canonical writes v, as decoded with UseNumber, in canonical form.
func canonical(buf *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case map[string]any:
		buf.WriteByte('{')
		for i, k := range slices.Sorted(maps.Keys(x)) {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeString(buf, k)
			buf.WriteByte(':')
			if err := canonical(buf, x[k]); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	case []any:
		buf.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := canonical(buf, e); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case json.Number:
		n, err := canonicalNumber(x)
		if err != nil {
			return err
		}
		buf.WriteString(n)
	case string:
		writeString(buf, x)
	case bool:
		buf.WriteString(strconv.FormatBool(x))
	case nil:
		buf.WriteString("null")
	default:
		return fmt.Errorf("unexpected %T in arguments", v)
	}
	return nil
}

func writeString(buf *bytes.Buffer, s string) {
	data, _ := json.Marshal(s) // a string always marshals
	buf.Write(data)
}

// canonicalNumber writes integer literals exactly, however long, and other
// numbers as their float64 value: integral ones without a fraction or an
// exponent, the rest in Go's shortest form. It never expands an exponent
// itself, so "1e999999999" cannot make it allocate without bound.
func canonicalNumber(n json.Number) (string, error) {
	s := n.String()
	if i, ok := new(big.Int).SetString(s, 10); ok {
		return i.String(), nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return "", fmt.Errorf("number %q: %w", s, err)
	}
	switch {
	case f == 0:
		return "0", nil // also -0
	case f == math.Trunc(f):
		return new(big.Float).SetFloat64(f).Text('f', 0), nil
	}
	return strconv.FormatFloat(f, 'g', -1, 64), nil
}
