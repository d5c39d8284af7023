package consent

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"go.etcd.io/bbolt"

	"github.com/supaops/supaops/internal/store"
)

// Filter selects approval requests; zero fields select everything.
type Filter struct {
	Status    Status
	Principal string // who asked
}

// List returns the approval requests matching f, newest first.
func (m *Manager) List(ctx context.Context, f Filter) ([]Approval, error) {
	var out []Approval
	err := m.store.View(ctx, func(tx *bbolt.Tx) error {
		now := m.now()
		return tx.Bucket([]byte(store.BucketApprovals)).ForEach(func(k, v []byte) error {
			var a Approval
			if err := json.Unmarshal(v, &a); err != nil {
				return fmt.Errorf("reading %s: %w", k, err)
			}
			a.settle(now)
			if (f.Status == "" || a.Status == f.Status) && (f.Principal == "" || a.Binding.Principal == f.Principal) {
				out = append(out, a)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("listing approval requests: %w", err)
	}
	slices.SortFunc(out, func(a, b Approval) int { return b.CreatedAt.Compare(a.CreatedAt) })
	return out, nil
}
