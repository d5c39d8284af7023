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

	"github.com/supaops/supaops/internal/store"
)

// keyName is the store secret that signs tokens.
const keyName = "consent"

// Binding is what a consent is for.
type Binding struct {
	Principal string `json:"principal"`
	Action    string `json:"action"`
	Project   string `json:"project,omitempty"`
	// ArgsHash is HashArgs of the call's normalized arguments.
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

// Manager issues and checks consent. It is safe for concurrent use.
type Manager struct {
	store *store.Store
	now   func() time.Time

	mu  sync.Mutex
	key []byte // loaded on first use; it never changes
}

// New returns a Manager keeping consent in st. now is time.Now outside tests.
func New(st *store.Store, now func() time.Time) *Manager {
	if now == nil {
		now = time.Now
	}
	return &Manager{store: st, now: now}
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
