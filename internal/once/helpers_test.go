package once

import (
	"testing"

	"go.etcd.io/bbolt"

	"github.com/supaops/supaops/internal/store"
)

func countKeys(t *testing.T, st *store.Store) int {
	t.Helper()
	n := 0
	err := st.View(t.Context(), func(tx *bbolt.Tx) error {
		n = tx.Bucket([]byte(store.BucketOnce)).Stats().KeyN
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
