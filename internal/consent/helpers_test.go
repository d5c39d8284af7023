package consent

import (
	"errors"
	"strings"
	"testing"

	"github.com/supaops/supaops/internal/store"
	"github.com/supaops/supaops/internal/store/storetest"
	"github.com/supaops/supaops/internal/tools"
)

// clock and openStore are the shared test helpers under short local names.
type clock = storetest.Clock

func newClock() *clock { return storetest.NewClock() }

func openStore(t testing.TB) *store.Store { return storetest.Open(t) }

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
	h, err := tools.HashArgs(map[string]any{"ref": "abcdefghijklmnopqrst"})
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
