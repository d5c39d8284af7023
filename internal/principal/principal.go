// Package principal names callers and carries them through a request's
// context, from the surface that authenticated them (an MCP HTTP token, a
// Slack signature, a job's name) to the code that builds pipeline requests.
//
// A principal is a string such as "mcp:local", "mcp:token:ci",
// "slack:user:U123" or "job:nightly-backup". Policies, approvals and audit
// records compare them as strings, so each identity must have exactly one
// spelling: build them with the constructors here, and put anything typed by
// a person through Parse, which returns the canonical form or refuses.
package principal

import "context"

// Principal is an authenticated caller.
type Principal struct {
	// ID is the primary identity, e.g. "mcp:local", "mcp:token:ci", "slack:user:U123".
	ID string
	// Identities are further identities the caller speaks as (Slack user
	// groups, the channel).
	Identities []string
}

// New returns a principal whose ID and identities are canonical (see Parse).
// Identities equal to the ID or to one another are dropped, so a caller
// cannot count twice.
func New(id string, identities ...string) (Principal, error) {
	canon, err := Parse(id)
	if err != nil {
		return Principal{}, err
	}
	p := Principal{ID: canon}
	seen := map[string]bool{canon: true}
	for _, s := range identities {
		c, err := Parse(s)
		if err != nil {
			return Principal{}, err
		}
		if !seen[c] {
			seen[c] = true
			p.Identities = append(p.Identities, c)
		}
	}
	return p, nil
}

type key struct{}

// With returns ctx carrying p.
func With(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, key{}, p)
}

// From returns the principal ctx carries, if any.
func From(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(key{}).(Principal)
	return p, ok && p.ID != ""
}
