package policy

import (
	"fmt"
	"strings"
)

// Effect is what a rule decides. The values match pipeline.Effect, so a
// decision converts with pipeline.Effect(d.Effect).
type Effect string

const (
	Allow Effect = "allow"
	// Confirm lets the call go ahead once the caller confirms it.
	Confirm Effect = "confirm"
	// Approve lets the call go ahead once enough approvers approve it.
	Approve Effect = "approve"
	Deny    Effect = "deny"
)

// effects lists every effect from the weakest to the strongest.
func effects() []Effect { return []Effect{Allow, Confirm, Approve, Deny} }

// strength orders effects for precedence: deny > approve > confirm > allow.
// An unknown effect counts as deny.
func (e Effect) strength() int {
	switch e {
	case Allow:
		return 0
	case Confirm:
		return 1
	case Approve:
		return 2
	default:
		return 3
	}
}

func parseEffect(s string) (Effect, error) {
	for _, e := range effects() {
		if string(e) == s {
			return e, nil
		}
	}
	names := make([]string, 0, 4)
	for _, e := range effects() {
		names = append(names, string(e))
	}
	return "", fmt.Errorf("unknown effect %q: want %s", s, strings.Join(names, ", "))
}
