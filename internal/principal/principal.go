// Package principal carries who is calling through a request's context, from
// the surface that authenticated them (an MCP HTTP token, a Slack signature,
// a job's name) to the code that builds pipeline requests.
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
