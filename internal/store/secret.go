package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"go.etcd.io/bbolt"
)

// SecretKeySize is the length of a key made by SecretKey.
const SecretKeySize = 32

// SecretKey returns the random key called name, creating it the first time.
// Every process sharing the store gets the same key, e.g. to sign tokens that
// another supaops process verifies.
func (s *Store) SecretKey(ctx context.Context, name string) ([]byte, error) {
	if name == "" {
		return nil, errors.New("reading a secret key: no name")
	}
	k := []byte(secretsKey + name)
	var key []byte
	err := s.View(ctx, func(tx *bbolt.Tx) error {
		key = bytes.Clone(tx.Bucket([]byte(BucketMeta)).Get(k))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading secret key %s: %w", name, err)
	}
	if key != nil {
		return key, nil
	}
	fresh := make([]byte, SecretKeySize)
	if _, err := rand.Read(fresh); err != nil {
		return nil, fmt.Errorf("making secret key %s: %w", name, err)
	}
	err = s.Update(ctx, func(tx *bbolt.Tx) error {
		meta := tx.Bucket([]byte(BucketMeta))
		// Another process may have made it since the View: theirs wins.
		if existing := meta.Get(k); existing != nil {
			key = bytes.Clone(existing)
			return nil
		}
		key = fresh
		return meta.Put(k, fresh)
	})
	if err != nil {
		return nil, fmt.Errorf("storing secret key %s: %w", name, err)
	}
	return key, nil
}
