package consent

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/supaops/supaops/internal/store"
	"github.com/supaops/supaops/internal/tools"
)

func TestConfirm(t *testing.T) {
	const ttl = 5 * time.Minute
	tests := []struct {
		name string
		// use confirms; it may change the token, the binding or the clock first.
		use  func(t *testing.T, m *Manager, c *clock, tok string, b Binding) error
		want error
	}{
		{"confirmed", func(t *testing.T, m *Manager, _ *clock, tok string, b Binding) error {
			return m.Confirm(t.Context(), tok, b)
		}, nil},
		{"just before expiry", func(t *testing.T, m *Manager, c *clock, tok string, b Binding) error {
			c.Advance(ttl - time.Second)
			return m.Confirm(t.Context(), tok, b)
		}, nil},
		{"bad signature", func(t *testing.T, m *Manager, _ *clock, tok string, b Binding) error {
			return m.Confirm(t.Context(), flipLast(tok), b)
		}, ErrForged},
		{"longer expiry forged", func(t *testing.T, m *Manager, _ *clock, tok string, b Binding) error {
			return m.Confirm(t.Context(), withExpiry(tok, "9999999999"), b)
		}, ErrForged},
		{"garbage", func(t *testing.T, m *Manager, _ *clock, _ string, b Binding) error {
			return m.Confirm(t.Context(), "garbage", b)
		}, ErrForged},
		{"empty", func(t *testing.T, m *Manager, _ *clock, _ string, b Binding) error {
			return m.Confirm(t.Context(), "", b)
		}, ErrForged},
		{"signed by another store", func(t *testing.T, _ *Manager, c *clock, _ string, b Binding) error {
			other := New(openStore(t), c.Now, nil)
			tok, err := other.IssueConfirmation(t.Context(), b, ttl)
			if err != nil {
				t.Fatal(err)
			}
			m := New(openStore(t), c.Now, nil)
			return m.Confirm(t.Context(), tok, b)
		}, ErrForged},
		{"unknown id", func(t *testing.T, m *Manager, c *clock, tok string, b Binding) error {
			c.Advance(ttl + time.Hour)
			if _, err := m.Prune(t.Context(), time.Minute); err != nil {
				t.Fatal(err)
			}
			return m.Confirm(t.Context(), tok, b)
		}, ErrUnknown},
		{"approval token", func(t *testing.T, m *Manager, _ *clock, _ string, b Binding) error {
			a, err := m.RequestApproval(t.Context(), b, 1, []string{"*"}, ttl, Details{})
			if err != nil {
				t.Fatal(err)
			}
			return m.Confirm(t.Context(), a.Token, b)
		}, ErrUnknown},
		{"another principal", func(t *testing.T, m *Manager, _ *clock, tok string, b Binding) error {
			b.Principal = "slack:user:U2"
			return m.Confirm(t.Context(), tok, b)
		}, ErrOtherPrincipal},
		{"another action", func(t *testing.T, m *Manager, _ *clock, tok string, b Binding) error {
			b.Action = "pause_project"
			return m.Confirm(t.Context(), tok, b)
		}, ErrOtherAction},
		{"another project", func(t *testing.T, m *Manager, _ *clock, tok string, b Binding) error {
			b.Project = "zzzzzzzzzzzzzzzzzzzz"
			return m.Confirm(t.Context(), tok, b)
		}, ErrOtherProject},
		{"changed arguments", func(t *testing.T, m *Manager, _ *clock, tok string, b Binding) error {
			b.ArgsHash, _ = tools.HashArgs(map[string]any{"ref": "abcdefghijklmnopqrst", "force": true})
			return m.Confirm(t.Context(), tok, b)
		}, ErrArgsChanged},
		{"expired", func(t *testing.T, m *Manager, c *clock, tok string, b Binding) error {
			c.Advance(ttl)
			return m.Confirm(t.Context(), tok, b)
		}, ErrExpired},
		{"replayed", func(t *testing.T, m *Manager, _ *clock, tok string, b Binding) error {
			if err := m.Confirm(t.Context(), tok, b); err != nil {
				t.Fatal(err)
			}
			return m.Confirm(t.Context(), tok, b)
		}, ErrUsed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			m := New(openStore(t), c.Now, nil)
			b := binding(t)
			tok, err := m.IssueConfirmation(t.Context(), b, ttl)
			if err != nil {
				t.Fatal(err)
			}
			wantRefusal(t, tt.use(t, m, c, tok, b), tt.want)
		})
	}
}

// A refused confirmation is not used up: the right call can still use it.
func TestRefusedConfirmationStaysUsable(t *testing.T) {
	m := New(openStore(t), nil, nil)
	b := binding(t)
	tok, err := m.IssueConfirmation(t.Context(), b, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	other := b
	other.Principal = "mcp:intruder"
	wantRefusal(t, m.Confirm(t.Context(), tok, other), ErrOtherPrincipal)
	wantRefusal(t, m.Confirm(t.Context(), tok, b), nil)
}

func TestIssueConfirmationChecksInput(t *testing.T) {
	m := New(openStore(t), nil, nil)
	tests := []struct {
		name string
		b    Binding
		ttl  time.Duration
	}{
		{"no principal", Binding{Action: "a", ArgsHash: "h"}, time.Minute},
		{"no action", Binding{Principal: "p", ArgsHash: "h"}, time.Minute},
		{"no arguments hash", Binding{Principal: "p", Action: "a"}, time.Minute},
		{"no time to live", binding(t), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := m.IssueConfirmation(t.Context(), tt.b, tt.ttl); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

// Of many callers racing to use one token, through two handles on the file
// (as two processes have), exactly one goes ahead.
func TestConcurrentConfirmOnce(t *testing.T) {
	st := openStore(t)
	managers := []*Manager{New(st, nil, nil), New(reopen(t, st), nil, nil)}
	b := binding(t)
	tok, err := managers[0].IssueConfirmation(t.Context(), b, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	var ok, used atomic.Int32
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			err := managers[i%2].Confirm(t.Context(), tok, b)
			switch {
			case err == nil:
				ok.Add(1)
			case isErr(err, ErrUsed):
				used.Add(1)
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 1 || used.Load() != 7 {
		t.Fatalf("%d confirmed, %d refused as used", ok.Load(), used.Load())
	}
}

func TestConfirmationPersists(t *testing.T) {
	c := newClock()
	st := openStore(t)
	b := binding(t)
	tok, err := New(st, c.Now, nil).IssueConfirmation(t.Context(), b, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	// A new process: new store handle, new manager, same file.
	wantRefusal(t, New(reopen(t, st), c.Now, nil).Confirm(t.Context(), tok, b), nil)
	var saved Confirmation
	err = st.View(t.Context(), func(tx *bbolt.Tx) error {
		return load(tx.Bucket([]byte(store.BucketConfirmations)), tokenID(t, tok), &saved)
	})
	if err != nil || saved.UsedAt.IsZero() {
		t.Fatalf("saved %+v, %v", saved, err)
	}
}

func flipLast(tok string) string {
	last := tok[len(tok)-1]
	if last == 'A' {
		return tok[:len(tok)-1] + "B"
	}
	return tok[:len(tok)-1] + "A"
}

// withExpiry swaps the expiry field of a token, keeping its signature.
func withExpiry(tok, exp string) string {
	parts := splitToken(tok)
	parts[2] = exp
	return parts[0] + "." + parts[1] + "." + parts[2] + "." + parts[3]
}

func tokenID(t *testing.T, tok string) string {
	t.Helper()
	return splitToken(tok)[1]
}
