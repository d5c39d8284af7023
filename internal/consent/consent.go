// Package consent keeps confirmations and approvals: what happens after the
// policy decides a call needs the caller to confirm it, or someone else to
// approve it. Each consent is bound to one principal, action, project and set
// of arguments, expires, and is good for one call. Callers hold a signed
// token; the record it names lives in the store, so consent survives restarts
// and is shared by every supaops process.
//
// The package does not judge whether a call needs consent: the caller
// re-checks the policy when consent is used.
package consent

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.etcd.io/bbolt"

	"github.com/supaops/supaops/internal/store"
)

// keyName is the store secret that signs tokens.
const keyName = "consent"

// Binding is what a consent is for.
type Binding struct {
	Principal string `json:"principal"`
	Action    string `json:"action"`
	Project   string `json:"project,omitempty"`
	// ArgsHash is tools.HashArgs of the call's normalized arguments.
	ArgsHash string `json:"args_hash"`
}

func (b Binding) validate() error {
	switch {
	case b.Principal == "":
		return fmt.Errorf("binding has no principal")
	case b.Action == "":
		return fmt.Errorf("binding has no action")
	case b.ArgsHash == "":
		return fmt.Errorf("binding has no arguments hash")
	}
	return nil
}

// VoteRecorder writes an approver's vote (or a denial) to the audit log
// inside the transaction that counts it: a vote counts exactly when it is
// recorded. Returning an error refuses the vote.
type VoteRecorder func(tx *bbolt.Tx, v VoteRecord) error

// VoteRecord is one approver's yes or no on a request, as counted.
type VoteRecord struct {
	// Approval is the request after the vote.
	Approval   Approval
	Approver   string
	Identities []string
	Surface    string
	Approve    bool   // false: a denial (or the requester's withdrawal)
	Reason     string // why, for a denial
}

// Manager issues and checks consent. It is safe for concurrent use.
type Manager struct {
	store      *store.Store
	now        func() time.Time
	recordVote VoteRecorder

	mu  sync.Mutex
	key []byte // loaded on first use; it never changes
}

// New returns a Manager keeping consent in st. now is time.Now outside
// tests. recordVote, when not nil, records every counted vote in the same
// transaction.
func New(st *store.Store, now func() time.Time, recordVote VoteRecorder) *Manager {
	if now == nil {
		now = time.Now
	}
	return &Manager{store: st, now: now, recordVote: recordVote}
}

func (m *Manager) signingKey(ctx context.Context) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.key == nil {
		key, err := m.store.SecretKey(ctx, keyName)
		if err != nil {
			return nil, err
		}
		m.key = key
	}
	return m.key, nil
}
