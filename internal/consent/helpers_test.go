package consent

import (
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/supaops/supaops/internal/store"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func openStore(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "supaops.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func reopen(t testing.TB, st *store.Store) *store.Store {
	t.Helper()
	again, err := store.Open(t.Context(), st.Path(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return again
}

func binding(t testing.TB) Binding {
	t.Helper()
	h, err := HashArgs(map[string]any{"ref": "abcdefghijklmnopqrst"})
	if err != nil {
		t.Fatal(err)
	}
	return Binding{Principal: "mcp:local", Action: "delete_project", Project: "abcdefghijklmnopqrst", ArgsHash: h}
}

// allErrors are the refusals; each case must match its own and no other.
var allErrors = []error{
	ErrForged, ErrUnknown, ErrArgsChanged, ErrOtherPrincipal, ErrOtherAction, ErrOtherProject,
	ErrExpired, ErrUsed, ErrDenied, ErrPending, ErrNotEnoughApprovals, ErrSelfApproval,
	ErrNotApprover, ErrAlreadyApproved, ErrFullyApproved,
}

// wantRefusal checks err is want and no other refusal; want nil means success.
func wantRefusal(t *testing.T, err, want error) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("got %v, want %v", err, want)
	}
	for _, other := range allErrors {
		if errors.Is(want, other) {
			continue
		}
		if errors.Is(err, other) {
			t.Errorf("%v also matches %v", err, other)
		}
	}
	t.Log(err)
}

func isErr(err, target error) bool { return errors.Is(err, target) }

func splitToken(tok string) []string { return strings.SplitN(tok, ".", 4) }
