package consent

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"time"

	"go.etcd.io/bbolt"

	"github.com/supaops/supaops/internal/redact"
	"github.com/supaops/supaops/internal/store"
)

// Approve records approver's approval of request id. identities are all the
// approver's identities (their user id, groups, ...); one of them, or
// approver itself, must match the request's approver patterns. approver must
// be one canonical id per person: it is what stops one person approving twice.
// On a refusal the returned Approval is the request as it stands, if it exists.
func (m *Manager) Approve(ctx context.Context, id, approver string, identities []string, surface string) (Approval, error) {
	if approver == "" {
		return Approval{}, errors.New("approving: no approver")
	}
	vote := VoteRecord{Approver: approver, Identities: identities, Surface: surface, Approve: true}
	a, err := m.change(ctx, id, &vote, func(a *Approval, now time.Time) error {
		if err := a.closed(); err != nil {
			return err
		}
		if isRequester(a, approver, identities) {
			return fmt.Errorf("%w (%s asked for it)", ErrSelfApproval, a.Binding.Principal)
		}
		if !eligible(a.Approvers, approver, identities) {
			return fmt.Errorf("%w: %s matches none of %v", ErrNotApprover, approver, a.Approvers)
		}
		if slices.ContainsFunc(a.Votes, func(v Vote) bool { return v.Approver == approver }) {
			return fmt.Errorf("%w (%s)", ErrAlreadyApproved, approver)
		}
		if a.Status == Approved {
			return fmt.Errorf("%w (%d of %d)", ErrFullyApproved, len(a.Votes), a.Needed)
		}
		a.Votes = append(a.Votes, Vote{Approver: approver, At: now.UTC()})
		return nil
	})
	if err != nil {
		return a, fmt.Errorf("approving %s: %w", id, err)
	}
	return a, nil
}

// Deny refuses request id for good. The requester may withdraw their own
// request; otherwise the denier must be one of its approvers. An approved
// request can still be denied until it is used.
func (m *Manager) Deny(ctx context.Context, id, approver string, identities []string, surface, reason string) (Approval, error) {
	if approver == "" {
		return Approval{}, errors.New("denying: no approver")
	}
	vote := VoteRecord{Approver: approver, Identities: identities, Surface: surface, Reason: redact.Text(reason)}
	a, err := m.change(ctx, id, &vote, func(a *Approval, now time.Time) error {
		if err := a.closed(); err != nil {
			return err
		}
		if !isRequester(a, approver, identities) && !eligible(a.Approvers, approver, identities) {
			return fmt.Errorf("%w: %s matches none of %v", ErrNotApprover, approver, a.Approvers)
		}
		a.DeniedBy, a.DenyReason, a.DeniedAt = approver, redact.Text(reason), now.UTC()
		return nil
	})
	if err != nil {
		return a, fmt.Errorf("denying %s: %w", id, err)
	}
	return a, nil
}

// ConsumeApproval checks that tok's request is approved for the call b and
// uses it up, in one transaction: it lets one call through, once. It returns
// the request, whose votes say who approved.
func (m *Manager) ConsumeApproval(ctx context.Context, tok string, b Binding) (Approval, error) {
	t, err := m.verify(ctx, tok, approval)
	if err != nil {
		return Approval{}, fmt.Errorf("using approval for %s: %w", b.Action, err)
	}
	a, err := m.change(ctx, t.id, nil, func(a *Approval, now time.Time) error {
		if err := checkBinding(a.Binding, b); err != nil {
			return err
		}
		if err := a.closed(); err != nil {
			return err
		}
		switch {
		case len(a.Votes) == 0:
			return fmt.Errorf("%w: 0 of %d approvals", ErrPending, a.Needed)
		case a.Status != Approved:
			return fmt.Errorf("%w: %d of %d", ErrNotEnoughApprovals, len(a.Votes), a.Needed)
		}
		a.UsedAt = now.UTC()
		return nil
	})
	if err != nil {
		return a, fmt.Errorf("using approval for %s: %w", b.Action, err)
	}
	return a, nil
}

// change applies fn to request id in one write transaction; fn sees the
// request's current status and refuses by returning an error. A vote, when
// given, is recorded in the same transaction.
func (m *Manager) change(ctx context.Context, id string, vote *VoteRecord, fn func(a *Approval, now time.Time) error) (Approval, error) {
	var a Approval
	err := m.store.Update(ctx, func(tx *bbolt.Tx) error {
		bucket := tx.Bucket([]byte(store.BucketApprovals))
		a = Approval{}
		if err := load(bucket, id, &a); err != nil {
			return err
		}
		now := m.now()
		a.settle(now)
		if err := fn(&a, now); err != nil {
			return err
		}
		a.settle(now)
		if vote != nil && m.recordVote != nil {
			vote.Approval = a
			if err := m.recordVote(tx, *vote); err != nil {
				return fmt.Errorf("recording the vote in the audit log: %w", err)
			}
		}
		return save(bucket, id, a)
	})
	return a, err
}

func isRequester(a *Approval, approver string, identities []string) bool {
	return approver == a.Binding.Principal || slices.Contains(identities, a.Binding.Principal)
}

func eligible(patterns []string, approver string, identities []string) bool {
	for _, id := range append([]string{approver}, identities...) {
		for _, p := range patterns {
			if ok, _ := path.Match(p, id); ok {
				return true
			}
		}
	}
	return false
}
