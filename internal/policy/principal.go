package policy

import (
	"errors"
	"fmt"
	"strings"

	"github.com/supaops/supaops/internal/principal"
)

// principalKindsHelp lists what a pattern may name: the principal package's
// forms, which are also the only identities a caller can have.
func principalKindsHelp() string { return principal.Help() + ", or * for anyone" }

// compilePrincipal checks a principal pattern names a known kind. A glob is
// accepted when some identity of a known kind could match it ("slack:*",
// "job:*"), so a misspelt kind ("slak:user:x") cannot silently match nobody.
// A literal must be a principal in its canonical form: callers are matched by
// their canonical identity, so "slack:user:u1" or "mcp:local " would match
// nobody, and the loader keeps approvers as written.
func compilePrincipal(pattern string) (glob, error) {
	if pattern == "" {
		return glob{}, fmt.Errorf("empty principal: want %s", principalKindsHelp())
	}
	g, err := compileGlob(pattern)
	if err != nil {
		return glob{}, fmt.Errorf("principal %q is not a valid glob: %w", pattern, err)
	}
	if g.isLiteral() {
		return g, checkLiteralPrincipal(pattern)
	}
	lit := g.literalPrefix()
	for _, f := range principal.Forms() {
		kind := f.Prefix()
		if strings.HasPrefix(lit, kind) || strings.HasPrefix(kind, lit) {
			return g, nil
		}
	}
	return glob{}, fmt.Errorf("principal %q has an unknown kind: want %s", pattern, principalKindsHelp())
}

func checkLiteralPrincipal(pattern string) error {
	for _, f := range principal.Forms() {
		if f.Named() && pattern == f.Prefix() {
			return fmt.Errorf("principal %q needs a name or id after %q", pattern, f.Prefix())
		}
	}
	canon, err := principal.Parse(pattern)
	switch {
	case errors.Is(err, principal.ErrUnknownKind):
		return fmt.Errorf("principal %q has an unknown kind: want %s", pattern, principalKindsHelp())
	case err != nil:
		// Parse's message already names the principal.
		return err
	case canon != pattern:
		return fmt.Errorf("principal %q is not in canonical form: write %q", pattern, canon)
	}
	return nil
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
