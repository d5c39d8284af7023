package consent

import (
	"context"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/supaops/supaops/internal/store"
)

// Confirmation is a caller's own consent to one call.
type Confirmation struct {
	ID        string    `json:"id"`
	Binding   Binding   `json:"binding"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	UsedAt    time.Time `json:"used_at,omitzero"`
}

// IssueConfirmation records that b needs confirming and returns the token
// the caller sends back, within ttl, to confirm.
func (m *Manager) IssueConfirmation(ctx context.Context, b Binding, ttl time.Duration) (string, error) {
	if err := b.validate(); err != nil {
		return "", fmt.Errorf("issuing a confirmation: %w", err)
	}
	now := m.now().UTC()
	exp, err := expiry(now, ttl)
	if err != nil {
		return "", fmt.Errorf("issuing a confirmation: %w", err)
	}
	id, err := newID()
	if err != nil {
		return "", fmt.Errorf("issuing a confirmation: %w", err)
	}
	tok, err := m.sign(ctx, token{kind: confirmation, id: id, expires: exp})
	if err != nil {
		return "", err
	}
	c := Confirmation{ID: id, Binding: b, CreatedAt: now, ExpiresAt: exp}
	err = m.store.Update(ctx, func(tx *bbolt.Tx) error {
		return save(tx.Bucket([]byte(store.BucketConfirmations)), id, c)
	})
	if err != nil {
		return "", fmt.Errorf("issuing a confirmation for %s: %w", b.Action, err)
	}
	return tok, nil
}

// Confirm checks that tok confirms the call b and uses it up, in one
// transaction: of two calls racing with one token, one goes ahead.
func (m *Manager) Confirm(ctx context.Context, tok string, b Binding) error {
	t, err := m.verify(ctx, tok, confirmation)
	if err != nil {
		return fmt.Errorf("confirming %s: %w", b.Action, err)
	}
	err = m.store.Update(ctx, func(tx *bbolt.Tx) error {
		bucket := tx.Bucket([]byte(store.BucketConfirmations))
		var c Confirmation
		if err := load(bucket, t.id, &c); err != nil {
			return err
		}
		if err := checkBinding(c.Binding, b); err != nil {
			return err
		}
		now := m.now()
		switch {
		case !c.UsedAt.IsZero():
			return fmt.Errorf("%w at %s", ErrUsed, c.UsedAt.Format(time.RFC3339))
		case !now.Before(c.ExpiresAt):
			return expiredError(c.ExpiresAt)
		}
		c.UsedAt = now.UTC()
		return save(bucket, c.ID, c)
	})
	if err != nil {
		return fmt.Errorf("confirming %s: %w", b.Action, err)
	}
	return nil
}
