package once

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/supaops/supaops/internal/store"
	"github.com/supaops/supaops/internal/store/storetest"
)

func TestTake(t *testing.T) {
	c := storetest.NewClock()
	k := New(storetest.Open(t), c.Now)
	take := func(key string) bool {
		ok, err := k.Take(t.Context(), key, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !take("slack:T1:trigger-1") {
		t.Fatal("the first take must succeed")
	}
	if take("slack:T1:trigger-1") {
		t.Error("a retry was taken again")
	}
	if !take("slack:T1:trigger-2") {
		t.Error("another key was refused")
	}
	c.Advance(2 * time.Minute)
	if !take("slack:T1:trigger-1") {
		t.Error("an expired key must be taken again")
	}
	for _, bad := range []string{"", strings.Repeat("k", MaxKey+1)} {
		if _, err := k.Take(t.Context(), bad, time.Minute); err == nil {
			t.Errorf("key of %d bytes accepted", len(bad))
		}
	}
}

// Two processes (two stores on one file) racing on one key: one wins.
func TestTakeAcrossProcesses(t *testing.T) {
	a := storetest.Open(t)
	b, err := store.Open(t.Context(), a.Path(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	keepers := []*Keeper{New(a, nil), New(b, nil)}
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			ok, err := keepers[i%2].Take(t.Context(), "interaction:U1:1700000000.1", time.Minute)
			if err != nil {
				t.Error(err)
			}
			if ok {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Errorf("%d takes won, want 1", wins.Load())
	}
}

// Expired keys do not pile up.
func TestExpiredKeysArePruned(t *testing.T) {
	c := storetest.NewClock()
	st := storetest.Open(t)
	k := New(st, c.Now)
	for i := range 100 {
		if _, err := k.Take(t.Context(), strings.Repeat("x", i+1), time.Second); err != nil {
			t.Fatal(err)
		}
	}
	c.Advance(time.Minute)
	for i := range 10 {
		if _, err := k.Take(t.Context(), "fresh"+strings.Repeat("y", i), time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	n := countKeys(t, st)
	if n != 10 {
		t.Errorf("%d keys left; expired ones were not pruned", n)
	}
}
