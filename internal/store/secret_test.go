package store

import (
	"bytes"
	"sync"
	"testing"
)

func TestSecretKey(t *testing.T) {
	st := openTemp(t)
	first, err := st.SecretKey(t.Context(), "consent")
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != SecretKeySize || bytes.Equal(first, make([]byte, SecretKeySize)) {
		t.Fatalf("key %x is not %d random bytes", first, SecretKeySize)
	}
	reopened, err := Open(t.Context(), st.Path(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	again, err := reopened.SecretKey(t.Context(), "consent")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, again) {
		t.Error("the key changed across reopening")
	}
	other, err := st.SecretKey(t.Context(), "other")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(first, other) {
		t.Error("two names share a key")
	}
}

// Processes asking for a key at the same moment all get the same one.
func TestSecretKeyRace(t *testing.T) {
	a := openTemp(t)
	b, err := Open(t.Context(), a.Path(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	keys := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range keys {
		st := []*Store{a, b}[i%2]
		wg.Go(func() {
			k, err := st.SecretKey(t.Context(), "race")
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		})
	}
	wg.Wait()
	for _, k := range keys[1:] {
		if !bytes.Equal(k, keys[0]) {
			t.Fatal("different keys handed out")
		}
	}
}
