package consent

import (
	"context"
	"errors"
	"fmt"
	"path"
	"time"

	"go.etcd.io/bbolt"

	"github.com/supaops/supaops/internal/redact"
	"github.com/supaops/supaops/internal/sqlkind"
	"github.com/supaops/supaops/internal/store"
)

// Status is where an approval request stands.
type Status string

const (
	Pending  Status = "pending"  // waiting for approvals
	Approved Status = "approved" // has the approvals it needs; not used yet
	Denied   Status = "denied"
	Used     Status = "used" // the approved call was made
	Expired  Status = "expired"
)

// Vote is one approver's approval.
type Vote struct {
	Approver string    `json:"approver"`
	At       time.Time `json:"at"`
}

// Approval is a request for other people to approve one call.
type Approval struct {
	ID      string  `json:"id"`
	Binding Binding `json:"binding"`
	// Needed is how many approvers must approve.
	Needed int `json:"needed"`
	// Approvers are path.Match patterns over approver identities, such as
	// "slack:user:U123" or "slack:user:*".
	Approvers []string `json:"approvers"`
	// Summary is what approvers are shown of the call: redacted arguments.
	Summary map[string]any `json:"summary,omitempty"`
	// Identities, Surface and Organization are the requester's context (see Details).
	Identities   []string `json:"identities,omitempty"`
	Surface      string   `json:"surface,omitempty"`
	Organization string   `json:"organization,omitempty"`
	Branch       string   `json:"branch,omitempty"`
	// SQL is what the call's SQL would run, as classified when it was
	// requested: the policy is asked again with it.
	SQL *sqlkind.Summary `json:"sql,omitempty"`
	// Preview is what the call will cost or do, as worked out when it was
	// requested (a create's cost).
	Preview    string    `json:"preview,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	Votes      []Vote    `json:"votes,omitempty"`
	DeniedBy   string    `json:"denied_by,omitempty"`
	DenyReason string    `json:"deny_reason,omitempty"`
	DeniedAt   time.Time `json:"denied_at,omitzero"`
	UsedAt     time.Time `json:"used_at,omitzero"`

	// Status is worked out when the request is read.
	Status Status `json:"status"`
	// Token is what the requester passes to ConsumeApproval. Only
	// RequestApproval returns it: approvers never see it.
	Token string `json:"-"`
}

// Statuses lists every status, for validating what a person typed.
func Statuses() []Status { return []Status{Pending, Approved, Denied, Used, Expired} }

// ParseStatus checks s names a status.
func ParseStatus(s string) (Status, error) {
	for _, st := range Statuses() {
		if string(st) == s {
			return st, nil
		}
	}
	return "", fmt.Errorf("unknown approval status %q: want pending, approved, denied, used or expired", s)
}

func (a *Approval) settle(now time.Time) {
	switch {
	case !a.UsedAt.IsZero():
		a.Status = Used
	case !a.DeniedAt.IsZero():
		a.Status = Denied
	case !now.Before(a.ExpiresAt):
		a.Status = Expired
	case len(a.Votes) >= a.Needed:
		a.Status = Approved
	default:
		a.Status = Pending
	}
}

// closed refuses anything more on a request that was used, denied or has
// expired.
func (a *Approval) closed() error {
	switch a.Status {
	case Used:
		return fmt.Errorf("%w at %s", ErrUsed, a.UsedAt.Format(time.RFC3339))
	case Denied:
		return fmt.Errorf("%w by %s", ErrDenied, a.DeniedBy)
	case Expired:
		return expiredError(a.ExpiresAt)
	}
	return nil
}

// Details describe the requested call beyond its binding: what approvers are
// shown, and the requester's context, so the policy can be asked again about
// the same call when an approval arrives.
type Details struct {
	// Summary is shown to approvers; it should be the redacted arguments, and
	// is redacted again here.
	Summary map[string]any
	// Identities, Surface and Organization are the requester's further
	// identities (Slack groups, channel), where the call came in, and the
	// project's organization.
	Identities   []string
	Surface      string
	Organization string
	// Branch is the branch the call is about, if any.
	Branch string
	// SQL is the classification of the call's SQL, if any.
	SQL *sqlkind.Summary
	// Preview is what the call will cost or do, in a line, if known.
	Preview string
}

// RequestApproval records a request for needed of the approvers (path.Match
// patterns over approver identities) to approve the call b within ttl. The
// returned Approval carries the id approvers act on and the Token the
// requester consumes once it is approved.
func (m *Manager) RequestApproval(ctx context.Context, b Binding, needed int, approvers []string, ttl time.Duration, details Details) (Approval, error) {
	a, err := m.newApproval(b, needed, approvers, ttl, details)
	if err != nil {
		return Approval{}, fmt.Errorf("requesting approval: %w", err)
	}
	tok, err := m.sign(ctx, token{kind: approval, id: a.ID, expires: a.ExpiresAt})
	if err != nil {
		return Approval{}, err
	}
	err = m.store.Update(ctx, func(tx *bbolt.Tx) error {
		return save(tx.Bucket([]byte(store.BucketApprovals)), a.ID, a)
	})
	if err != nil {
		return Approval{}, fmt.Errorf("requesting approval for %s: %w", b.Action, err)
	}
	a.Token = tok
	return a, nil
}

func (m *Manager) newApproval(b Binding, needed int, approvers []string, ttl time.Duration, details Details) (Approval, error) {
	if err := b.validate(); err != nil {
		return Approval{}, err
	}
	if len(approvers) == 0 {
		// Nobody could approve; refusing here beats a request that can only expire.
		return Approval{}, errors.New("no approvers named")
	}
	for _, p := range approvers {
		if _, err := path.Match(p, ""); err != nil {
			return Approval{}, fmt.Errorf("approver pattern %q: %w", p, err)
		}
	}
	now := m.now().UTC()
	exp, err := expiry(now, ttl)
	if err != nil {
		return Approval{}, err
	}
	id, err := newID()
	if err != nil {
		return Approval{}, err
	}
	a := Approval{
		ID: id, Binding: b, Needed: max(needed, 1), Approvers: approvers,
		CreatedAt: now, ExpiresAt: exp,
		Identities: append([]string(nil), details.Identities...), Surface: details.Surface, Organization: details.Organization, Branch: details.Branch, SQL: details.SQL, Preview: redact.Text(details.Preview),
	}
	if details.Summary != nil {
		a.Summary, _ = redact.Redactor{}.Value(details.Summary).(map[string]any)
	}
	a.settle(now)
	return a, nil
}

// Get returns the approval request called id.
func (m *Manager) Get(ctx context.Context, id string) (Approval, error) {
	var a Approval
	err := m.store.View(ctx, func(tx *bbolt.Tx) error {
		return load(tx.Bucket([]byte(store.BucketApprovals)), id, &a)
	})
	if err != nil {
		return Approval{}, fmt.Errorf("reading approval request: %w", err)
	}
	a.settle(m.now())
	return a, nil
}
