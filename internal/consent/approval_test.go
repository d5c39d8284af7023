package consent

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/supaops/supaops/internal/tools"
)

const approvalTTL = time.Hour

// approvers are the patterns every test request names.
var approvers = []string{"slack:user:U1*", "slack:group:ops"}

func request(t *testing.T, m *Manager, needed int) Approval {
	t.Helper()
	a, err := m.RequestApproval(t.Context(), binding(t), needed, approvers, approvalTTL, Details{Summary: map[string]any{"ref": "abcdefghijklmnopqrst"}})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func approve(t *testing.T, m *Manager, id, approver string) {
	t.Helper()
	if _, err := m.Approve(t.Context(), id, approver, nil, "cli"); err != nil {
		t.Fatal(err)
	}
}

func TestApprovalFlow(t *testing.T) {
	c := newClock()
	m := New(openStore(t), c.Now, nil)
	b := binding(t)
	a := request(t, m, 2)
	tok := a.Token
	if a.Status != Pending || tok == "" || a.ID == "" {
		t.Fatalf("new request %+v", a)
	}
	a, err := m.Approve(t.Context(), a.ID, "slack:user:U10", nil, "cli")
	if err != nil || a.Status != Pending || len(a.Votes) != 1 {
		t.Fatalf("after one approval: %+v, %v", a, err)
	}
	// A second person, eligible through a group.
	a, err = m.Approve(t.Context(), a.ID, "slack:user:U77", []string{"slack:user:U77", "slack:group:ops"}, "cli")
	if err != nil || a.Status != Approved {
		t.Fatalf("after two approvals: %+v, %v", a, err)
	}
	used, err := m.ConsumeApproval(t.Context(), tok, b)
	if err != nil || used.Status != Used || len(used.Votes) != 2 {
		t.Fatalf("consuming: %+v, %v", used, err)
	}
	got, err := m.Get(t.Context(), a.ID)
	if err != nil || got.Status != Used || got.Token != "" {
		t.Fatalf("Get: %+v, %v", got, err)
	}
}

func TestApprovalRefusals(t *testing.T) {
	tests := []struct {
		name   string
		needed int
		// act does what the case is about, after any setup of its own.
		act  func(t *testing.T, m *Manager, c *clock, a Approval, b Binding) error
		want error
	}{
		{"approve: own request", 1, func(t *testing.T, m *Manager, _ *clock, a Approval, _ Binding) error {
			_, err := m.Approve(t.Context(), a.ID, "mcp:local", nil, "cli")
			return err
		}, ErrSelfApproval},
		{"approve: own request under another name", 1, func(t *testing.T, m *Manager, _ *clock, a Approval, _ Binding) error {
			_, err := m.Approve(t.Context(), a.ID, "slack:user:U1", []string{"slack:user:U1", "mcp:local"}, "cli")
			return err
		}, ErrSelfApproval},
		{"approve: not on the list", 1, func(t *testing.T, m *Manager, _ *clock, a Approval, _ Binding) error {
			_, err := m.Approve(t.Context(), a.ID, "slack:user:U2", []string{"slack:group:devs"}, "cli")
			return err
		}, ErrNotApprover},
		{"approve: twice by one approver", 2, func(t *testing.T, m *Manager, _ *clock, a Approval, _ Binding) error {
			approve(t, m, a.ID, "slack:user:U1")
			_, err := m.Approve(t.Context(), a.ID, "slack:user:U1", nil, "cli")
			return err
		}, ErrAlreadyApproved},
		{"approve: already fully approved", 1, func(t *testing.T, m *Manager, _ *clock, a Approval, _ Binding) error {
			approve(t, m, a.ID, "slack:user:U1")
			_, err := m.Approve(t.Context(), a.ID, "slack:user:U12", nil, "cli")
			return err
		}, ErrFullyApproved},
		{"approve: expired", 1, func(t *testing.T, m *Manager, c *clock, a Approval, _ Binding) error {
			c.Advance(approvalTTL)
			_, err := m.Approve(t.Context(), a.ID, "slack:user:U1", nil, "cli")
			return err
		}, ErrExpired},
		{"approve: denied", 1, func(t *testing.T, m *Manager, _ *clock, a Approval, _ Binding) error {
			if _, err := m.Deny(t.Context(), a.ID, "slack:user:U12", nil, "cli", "not today"); err != nil {
				t.Fatal(err)
			}
			_, err := m.Approve(t.Context(), a.ID, "slack:user:U1", nil, "cli")
			return err
		}, ErrDenied},
		{"approve: used", 1, func(t *testing.T, m *Manager, _ *clock, a Approval, b Binding) error {
			approve(t, m, a.ID, "slack:user:U1")
			if _, err := m.ConsumeApproval(t.Context(), a.Token, b); err != nil {
				t.Fatal(err)
			}
			_, err := m.Approve(t.Context(), a.ID, "slack:user:U12", nil, "cli")
			return err
		}, ErrUsed},
		{"approve: unknown id", 1, func(t *testing.T, m *Manager, _ *clock, _ Approval, _ Binding) error {
			_, err := m.Approve(t.Context(), "nosuchid", "slack:user:U1", nil, "cli")
			return err
		}, ErrUnknown},
		{"deny: not on the list", 1, func(t *testing.T, m *Manager, _ *clock, a Approval, _ Binding) error {
			_, err := m.Deny(t.Context(), a.ID, "slack:user:U2", nil, "cli", "no")
			return err
		}, ErrNotApprover},
		{"deny: withdrawn by the requester", 1, func(t *testing.T, m *Manager, _ *clock, a Approval, _ Binding) error {
			_, err := m.Deny(t.Context(), a.ID, "mcp:local", nil, "cli", "changed my mind")
			return err
		}, nil},
		{"deny: after approval, before use", 1, func(t *testing.T, m *Manager, _ *clock, a Approval, _ Binding) error {
			approve(t, m, a.ID, "slack:user:U1")
			_, err := m.Deny(t.Context(), a.ID, "slack:user:U12", nil, "cli", "veto")
			return err
		}, nil},
		{"deny: twice", 1, func(t *testing.T, m *Manager, _ *clock, a Approval, _ Binding) error {
			if _, err := m.Deny(t.Context(), a.ID, "slack:user:U1", nil, "cli", "no"); err != nil {
				t.Fatal(err)
			}
			_, err := m.Deny(t.Context(), a.ID, "slack:user:U12", nil, "cli", "no")
			return err
		}, ErrDenied},
		{"consume: approved", 2, func(t *testing.T, m *Manager, _ *clock, a Approval, b Binding) error {
			approve(t, m, a.ID, "slack:user:U1")
			approve(t, m, a.ID, "slack:user:U12")
			_, err := m.ConsumeApproval(t.Context(), a.Token, b)
			return err
		}, nil},
		{"consume: pending", 1, func(t *testing.T, m *Manager, _ *clock, a Approval, b Binding) error {
			_, err := m.ConsumeApproval(t.Context(), a.Token, b)
			return err
		}, ErrPending},
		{"consume: not enough approvals", 2, func(t *testing.T, m *Manager, _ *clock, a Approval, b Binding) error {
			approve(t, m, a.ID, "slack:user:U1")
			_, err := m.ConsumeApproval(t.Context(), a.Token, b)
			return err
		}, ErrNotEnoughApprovals},
		{"consume: denied", 1, func(t *testing.T, m *Manager, _ *clock, a Approval, b Binding) error {
			approve(t, m, a.ID, "slack:user:U1")
			if _, err := m.Deny(t.Context(), a.ID, "slack:user:U12", nil, "cli", "veto"); err != nil {
				t.Fatal(err)
			}
			_, err := m.ConsumeApproval(t.Context(), a.Token, b)
			return err
		}, ErrDenied},
		{"consume: expired", 1, func(t *testing.T, m *Manager, c *clock, a Approval, b Binding) error {
			approve(t, m, a.ID, "slack:user:U1")
			c.Advance(approvalTTL)
			_, err := m.ConsumeApproval(t.Context(), a.Token, b)
			return err
		}, ErrExpired},
		{"consume: replayed", 1, func(t *testing.T, m *Manager, _ *clock, a Approval, b Binding) error {
			approve(t, m, a.ID, "slack:user:U1")
			if _, err := m.ConsumeApproval(t.Context(), a.Token, b); err != nil {
				t.Fatal(err)
			}
			_, err := m.ConsumeApproval(t.Context(), a.Token, b)
			return err
		}, ErrUsed},
		{"consume: forged", 1, func(t *testing.T, m *Manager, _ *clock, a Approval, b Binding) error {
			approve(t, m, a.ID, "slack:user:U1")
			_, err := m.ConsumeApproval(t.Context(), flipLast(a.Token), b)
			return err
		}, ErrForged},
		{"consume: id swapped into a token", 1, func(t *testing.T, m *Manager, _ *clock, a Approval, b Binding) error {
			other := request(t, m, 1)
			approve(t, m, other.ID, "slack:user:U1")
			parts := splitToken(a.Token)
			_, err := m.ConsumeApproval(t.Context(), parts[0]+"."+other.ID+"."+parts[2]+"."+parts[3], b)
			return err
		}, ErrForged},
		{"consume: confirmation token", 1, func(t *testing.T, m *Manager, _ *clock, _ Approval, b Binding) error {
			tok, err := m.IssueConfirmation(t.Context(), b, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			_, err = m.ConsumeApproval(t.Context(), tok, b)
			return err
		}, ErrUnknown},
		{"consume: another principal", 1, func(t *testing.T, m *Manager, _ *clock, a Approval, b Binding) error {
			approve(t, m, a.ID, "slack:user:U1")
			b.Principal = "slack:user:U1"
			_, err := m.ConsumeApproval(t.Context(), a.Token, b)
			return err
		}, ErrOtherPrincipal},
		{"consume: another action", 1, func(t *testing.T, m *Manager, _ *clock, a Approval, b Binding) error {
			approve(t, m, a.ID, "slack:user:U1")
			b.Action = "restore_project"
			_, err := m.ConsumeApproval(t.Context(), a.Token, b)
			return err
		}, ErrOtherAction},
		{"consume: another project", 1, func(t *testing.T, m *Manager, _ *clock, a Approval, b Binding) error {
			approve(t, m, a.ID, "slack:user:U1")
			b.Project = "other"
			_, err := m.ConsumeApproval(t.Context(), a.Token, b)
			return err
		}, ErrOtherProject},
		{"consume: changed arguments", 1, func(t *testing.T, m *Manager, _ *clock, a Approval, b Binding) error {
			approve(t, m, a.ID, "slack:user:U1")
			b.ArgsHash, _ = tools.HashArgs(map[string]any{"ref": "other"})
			_, err := m.ConsumeApproval(t.Context(), a.Token, b)
			return err
		}, ErrArgsChanged},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			m := New(openStore(t), c.Now, nil)
			b := binding(t)
			a := request(t, m, tt.needed)
			wantRefusal(t, tt.act(t, m, c, a, b), tt.want)
		})
	}
}

func TestRequestApprovalChecksInput(t *testing.T) {
	m := New(openStore(t), nil, nil)
	tests := []struct {
		name      string
		b         Binding
		approvers []string
		ttl       time.Duration
	}{
		{"no approvers", binding(t), nil, time.Hour},
		{"bad pattern", binding(t), []string{"slack:user:["}, time.Hour},
		{"no time to live", binding(t), approvers, 0},
		{"no principal", Binding{Action: "a", ArgsHash: "h"}, approvers, time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := m.RequestApproval(t.Context(), tt.b, 1, tt.approvers, tt.ttl, Details{}); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

// Approvers see a redacted summary, and never the requester's token.
func TestApprovalSummaryAndToken(t *testing.T) {
	m := New(openStore(t), nil, nil)
	a, err := m.RequestApproval(t.Context(), binding(t), 1, approvers, time.Hour,
		Details{Summary: map[string]any{"db_pass": "hunter2hunter2", "ref": "abc"}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.Get(t.Context(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(got)
	if strings.Contains(string(data), "hunter2") || strings.Contains(string(data), splitToken(a.Token)[3]) {
		t.Fatalf("leaks: %s", data)
	}
	if got.Summary["ref"] != "abc" {
		t.Errorf("summary %v", got.Summary)
	}
}

func TestList(t *testing.T) {
	c := newClock()
	m := New(openStore(t), c.Now, nil)
	pending := request(t, m, 1)
	c.Advance(time.Minute)
	approved := request(t, m, 1)
	approve(t, m, approved.ID, "slack:user:U1")
	c.Advance(time.Minute)
	denied := request(t, m, 1)
	if _, err := m.Deny(t.Context(), denied.ID, "slack:user:U1", nil, "cli", "no"); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Minute)
	other, err := m.RequestApproval(t.Context(), Binding{Principal: "slack:user:U9", Action: "x", ArgsHash: "h"}, 1, approvers, time.Minute, Details{})
	if err != nil {
		t.Fatal(err)
	}
	c.Advance(2 * time.Minute) // other expires

	tests := []struct {
		name   string
		filter Filter
		want   []string
	}{
		{"all, newest first", Filter{}, []string{other.ID, denied.ID, approved.ID, pending.ID}},
		{"pending", Filter{Status: Pending}, []string{pending.ID}},
		{"approved", Filter{Status: Approved}, []string{approved.ID}},
		{"denied", Filter{Status: Denied}, []string{denied.ID}},
		{"expired", Filter{Status: Expired}, []string{other.ID}},
		{"by requester", Filter{Principal: "slack:user:U9"}, []string{other.ID}},
		{"none used", Filter{Status: Used}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := m.List(t.Context(), tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, a := range got {
				ids = append(ids, a.ID)
			}
			if !slices.Equal(ids, tt.want) {
				t.Fatalf("got %v, want %v", ids, tt.want)
			}
		})
	}
}

// Requests and votes outlive the process that made them.
func TestApprovalPersists(t *testing.T) {
	c := newClock()
	st := openStore(t)
	b := binding(t)
	first := New(st, c.Now, nil)
	a := request(t, first, 2)
	approve(t, first, a.ID, "slack:user:U1")

	second := New(reopen(t, st), c.Now, nil)
	got, err := second.Get(t.Context(), a.ID)
	if err != nil || got.Status != Pending || len(got.Votes) != 1 {
		t.Fatalf("after reopening: %+v, %v", got, err)
	}
	approve(t, second, a.ID, "slack:user:U12")
	if _, err := second.ConsumeApproval(t.Context(), a.Token, b); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentConsumeApprovalOnce(t *testing.T) {
	st := openStore(t)
	managers := []*Manager{New(st, nil, nil), New(reopen(t, st), nil, nil)}
	b := binding(t)
	a := request(t, managers[0], 1)
	approve(t, managers[0], a.ID, "slack:user:U1")
	var ok, used atomic.Int32
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			_, err := managers[i%2].ConsumeApproval(t.Context(), a.Token, b)
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
		t.Fatalf("%d consumed, %d refused as used", ok.Load(), used.Load())
	}
}

// Two approvers racing to give the last approval: one counts, the other is told.
func TestConcurrentApprovals(t *testing.T) {
	m := New(openStore(t), nil, nil)
	a := request(t, m, 1)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, who := range []string{"slack:user:U1", "slack:user:U12"} {
		wg.Go(func() { _, errs[i] = m.Approve(t.Context(), a.ID, who, nil, "cli") })
	}
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) {
		t.Fatalf("errors %v", errs)
	}
	for _, err := range errs {
		if err != nil && !isErr(err, ErrFullyApproved) {
			t.Fatal(err)
		}
	}
}

func TestPrune(t *testing.T) {
	c := newClock()
	m := New(openStore(t), c.Now, nil)
	b := binding(t)
	old := request(t, m, 1)
	if _, err := m.IssueConfirmation(t.Context(), b, time.Minute); err != nil {
		t.Fatal(err)
	}
	c.Advance(2 * approvalTTL)
	fresh := request(t, m, 1)
	removed, err := m.Prune(t.Context(), time.Hour/2)
	if err != nil {
		t.Fatal(err)
	}
	if removed != 2 {
		t.Errorf("removed %d, want 2", removed)
	}
	if _, err := m.Get(t.Context(), old.ID); !isErr(err, ErrUnknown) {
		t.Errorf("old request: %v", err)
	}
	if _, err := m.Get(t.Context(), fresh.ID); err != nil {
		t.Errorf("fresh request: %v", err)
	}
}
