package slackbot

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/store"
)

// pendingCall is a call waiting for a person: the requester's Confirm, or
// approvers. The button carries only its id: the arguments (which may hold
// secrets) never go to Slack, and stay in the private store until the call
// runs or expires.
type pendingCall struct {
	ID      string           `json:"id"`
	Request pipeline.Request `json:"request"`
	// Token is what the call runs with once confirmed or approved.
	Token      string `json:"token"`
	ApprovalID string `json:"approval_id,omitempty"`
	// Where the requester is, to answer them.
	User        string    `json:"user"`
	Channel     string    `json:"channel"`
	ResponseURL string    `json:"response_url,omitempty"`
	Public      bool      `json:"public,omitempty"`
	Created     time.Time `json:"created"`
	Expires     time.Time `json:"expires"`
}

// errNoPending means the call is gone: run, cancelled, or expired.
var errNoPending = errors.New("this request is no longer waiting: it was run, cancelled, or it expired")

// pendingStore keeps pending calls in the store.
type pendingStore struct {
	store *store.Store
	now   func() time.Time
}

func (p pendingStore) save(ctx context.Context, c *pendingCall) error {
	if c.ID == "" {
		c.ID = "p" + rand.Text()
	}
	c.Created = p.now().UTC()
	data, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("keeping the call for later: %w", err)
	}
	return p.store.Update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(store.BucketPending))
		prunePending(b, p.now())
		return b.Put([]byte(c.ID), data)
	})
}

// take removes and returns the pending call id, in one transaction: of two
// presses racing, one gets it.
func (p pendingStore) take(ctx context.Context, id string, check func(*pendingCall) error) (*pendingCall, error) {
	var c pendingCall
	err := p.store.Update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(store.BucketPending))
		v := b.Get([]byte(id))
		if v == nil {
			return errNoPending
		}
		if err := decodePending(v, &c); err != nil {
			return err
		}
		if !p.now().Before(c.Expires) {
			_ = b.Delete([]byte(id))
			return errNoPending
		}
		if check != nil {
			if err := check(&c); err != nil {
				return err
			}
		}
		return b.Delete([]byte(id))
	})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// byApproval finds the pending call waiting for an approval, without
// taking it.
func (p pendingStore) byApproval(ctx context.Context, approvalID string) (*pendingCall, error) {
	var found *pendingCall
	err := p.store.View(ctx, func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte(store.BucketPending)).ForEach(func(_, v []byte) error {
			var c pendingCall
			if decodePending(v, &c) == nil && c.ApprovalID == approvalID && found == nil {
				found = &c
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("finding the call of approval %s: %w", approvalID, err)
	}
	return found, nil
}

// decodePending keeps numbers exact (json.Number): the arguments run as
// they were consented to, and their hash must match.
func decodePending(v []byte, c *pendingCall) error {
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.UseNumber()
	return dec.Decode(c)
}

// prunePending drops a few expired calls, so the bucket stays small.
func prunePending(b *bbolt.Bucket, now time.Time) {
	var dead [][]byte
	c := b.Cursor()
	for k, v := c.First(); k != nil && len(dead) < 32; k, v = c.Next() {
		var p pendingCall
		if decodePending(v, &p) != nil || !now.Before(p.Expires) {
			dead = append(dead, append([]byte(nil), k...))
		}
	}
	for _, k := range dead {
		_ = b.Delete(k)
	}
}
