package policy

import (
	"fmt"
	"strings"
)

// principalKinds lists the identity kinds a pattern may name. Kinds ending in
// ':' take a name or id after them.
func principalKinds() []string {
	return []string{"mcp:local", "mcp:token:", "slack:user:", "slack:usergroup:", "slack:channel:", "job:", "cli:local"}
}

const principalKindsHelp = "mcp:local, mcp:token:<name>, slack:user:<id>, slack:usergroup:<id>, slack:channel:<id>, job:<name>, cli:local, or * for anyone"

// compilePrincipal checks a principal pattern names a known kind. A glob is
// accepted when some identity of a known kind could match it ("slack:*",
// "job:*"), so a misspelt kind ("slak:user:x") cannot silently match nobody.
func compilePrincipal(pattern string) (glob, error) {
	if pattern == "" {
		return glob{}, fmt.Errorf("empty principal: want %s", principalKindsHelp)
	}
	g, err := compileGlob(pattern)
	if err != nil {
		return glob{}, fmt.Errorf("principal %q is not a valid glob: %w", pattern, err)
	}
	lit := g.literalPrefix()
	for _, kind := range principalKinds() {
		named := strings.HasSuffix(kind, ":")
		switch {
		case g.isLiteral() && !named && lit == kind:
			return g, nil
		case g.isLiteral() && named && strings.HasPrefix(lit, kind):
			if lit == kind {
				return glob{}, fmt.Errorf("principal %q needs a name or id after %q", pattern, kind)
			}
			return g, nil
		case !g.isLiteral() && (strings.HasPrefix(lit, kind) || strings.HasPrefix(kind, lit)):
			return g, nil
		}
	}
	return glob{}, fmt.Errorf("principal %q has an unknown kind: want %s", pattern, principalKindsHelp)
}

// principalSet is a compiled principals list; it matches when any identity
// matches any pattern.
type principalSet []glob

func (s principalSet) match(in *Input) bool {
	for i := range s {
		g := &s[i]
		if g.match(in.Principal) {
			return true
		}
		for _, id := range in.Identities {
			if g.match(id) {
				return true
			}
		}
	}
	return false
}

// matchedBy names the first pattern and identity that match, for Explain.
func (s principalSet) matchedBy(in *Input) (pattern, identity string, ok bool) {
	for i := range s {
		g := &s[i]
		if g.match(in.Principal) {
			return g.src, in.Principal, true
		}
		for _, id := range in.Identities {
			if g.match(id) {
				return g.src, id, true
			}
		}
	}
	return "", "", false
}

func (s principalSet) String() string {
	srcs := make([]string, len(s))
	for i := range s {
		srcs[i] = s[i].src
	}
	return "[" + strings.Join(srcs, ", ") + "]"
}
