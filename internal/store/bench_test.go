package store

import (
	"path/filepath"
	"testing"

	"go.etcd.io/bbolt"
)

// The per-transaction cost of opening the file for every transaction, against
// bbolt kept open (the design this package does not use, because it would
// lock other processes out).

func put(tx *bbolt.Tx) error {
	b, err := tx.CreateBucketIfNotExists([]byte(testBucket))
	if err != nil {
		return err
	}
	seq, _ := b.NextSequence()
	return b.Put(seqKey(seq), []byte("benchmark value of a realistic size, a few dozen bytes"))
}

func get(tx *bbolt.Tx) error {
	_ = tx.Bucket([]byte(BucketMeta)).Get([]byte(appKey))
	return nil
}

func BenchmarkUpdate(b *testing.B) {
	st := openTemp(b)
	for b.Loop() {
		if err := st.Update(b.Context(), put); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkView(b *testing.B) {
	st := openTemp(b)
	for b.Loop() {
		if err := st.View(b.Context(), get); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUpdateKeptOpen(b *testing.B) {
	db := openBolt(b)
	for b.Loop() {
		if err := db.Update(put); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkViewKeptOpen(b *testing.B) {
	db := openBolt(b)
	for b.Loop() {
		if err := db.View(get); err != nil {
			b.Fatal(err)
		}
	}
}

func openBolt(b *testing.B) *bbolt.DB {
	db, err := bbolt.Open(filepath.Join(b.TempDir(), "bolt.db"), 0o600, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	err = db.Update(func(tx *bbolt.Tx) error {
		meta, err := tx.CreateBucket([]byte(BucketMeta))
		if err != nil {
			return err
		}
		return meta.Put([]byte(appKey), []byte(appMarker))
	})
	if err != nil {
		b.Fatal(err)
	}
	return db
}
