package consent

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// kind tells confirmation tokens from approval tokens; it is signed too, so
// one cannot pass for the other.
type kind string

const (
	confirmation kind = "c1"
	approval     kind = "a1"
)

// token is what a signed token says: which record, until when.
type token struct {
	kind    kind
	id      string
	expires time.Time
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newID returns a random id of 128 bits, lower-case so it is easy to type.
func newID() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("making an id: %w", err)
	}
	return strings.ToLower(idEncoding.EncodeToString(b)), nil
}

// sign returns "kind.id.expiry.signature", the signature an HMAC-SHA256 of
// the rest under the store's consent key.
func (m *Manager) sign(ctx context.Context, t token) (string, error) {
	key, err := m.signingKey(ctx)
	if err != nil {
		return "", fmt.Errorf("signing a consent token: %w", err)
	}
	payload := string(t.kind) + "." + t.id + "." + strconv.FormatInt(t.expires.Unix(), 10)
	return payload + "." + mac(key, payload), nil
}

// verify checks a token's form and signature (not its expiry: the record's
// state is checked with it, so the caller learns the most specific reason).
func (m *Manager) verify(ctx context.Context, s string, want kind) (token, error) {
	key, err := m.signingKey(ctx)
	if err != nil {
		return token{}, fmt.Errorf("verifying a consent token: %w", err)
	}
	payload, sig, ok := cutLast(s, ".")
	if !ok || !hmac.Equal([]byte(sig), []byte(mac(key, payload))) {
		return token{}, fmt.Errorf("%w: the signature does not verify", ErrForged)
	}
	parts := strings.Split(payload, ".")
	if len(parts) != 3 {
		return token{}, fmt.Errorf("%w: not a consent token", ErrForged)
	}
	exp, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil {
		return token{}, fmt.Errorf("%w: unreadable expiry", ErrForged)
	}
	t := token{kind: kind(parts[0]), id: parts[1], expires: time.Unix(exp, 0)}
	if t.kind != want {
		return token{}, fmt.Errorf("%w: this is %s token, not %s one", ErrUnknown, t.kind.article(), want.article())
	}
	return t, nil
}

// Expiry reads when a token expires, without verifying it: for showing the
// holder until when it is good. Verification happens when it is used.
func Expiry(tok string) (time.Time, bool) {
	payload, _, ok := cutLast(tok, ".")
	if !ok {
		return time.Time{}, false
	}
	parts := strings.Split(payload, ".")
	if len(parts) != 3 {
		return time.Time{}, false
	}
	exp, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(exp, 0).UTC(), true
}

func (k kind) article() string {
	if k == approval {
		return "an approval"
	}
	return "a confirmation"
}

func mac(key []byte, payload string) string {
	h := hmac.New(sha256.New, key)
	h.Write([]byte("supaops consent\x00" + payload))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

func cutLast(s, sep string) (before, after string, found bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}
