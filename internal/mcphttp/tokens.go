package mcphttp

import (
	"bufio"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/supaops/supaops/internal/principal"
)

// LoadTokensFile reads a tokens file: one "name token" or "name: token" per
// line, blank lines and lines starting with # ignored. It returns token ->
// principal name, as Config.Tokens wants. It refuses a file other users can
// read or write, duplicate names or tokens, short tokens and malformed lines.
// Errors name the file, line and principal, never a token.
func LoadTokensFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("tokens file: %w", err)
	}
	defer f.Close()
	// Stat the open file, not the path, so the checked file is the read one.
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("tokens file: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("tokens file %s: not a regular file", path)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("tokens file %s: mode %04o lets group or others access it; run `chmod 600 %s`", path, perm, path)
	}

	tokens := make(map[string]string)
	nameLine := make(map[string]int)
	tokenLine := make(map[string]int)
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, tok, ok := splitTokenLine(line)
		if !ok {
			return nil, fmt.Errorf("tokens file %s:%d: want \"name token\" or \"name: token\"", path, n)
		}
		if err := checkName(name); err != nil {
			return nil, fmt.Errorf("tokens file %s:%d: %w", path, n, err)
		}
		if err := checkToken(tok); err != nil {
			return nil, fmt.Errorf("tokens file %s:%d: token for %q: %w", path, n, name, err)
		}
		// Names differing only in case would be two principals a reader of
		// the audit log takes for one.
		if prev, dup := nameLine[strings.ToLower(name)]; dup {
			return nil, fmt.Errorf("tokens file %s:%d: name %q already defined on line %d (names are compared ignoring case)", path, n, name, prev)
		}
		if prev, dup := tokenLine[tok]; dup {
			return nil, fmt.Errorf("tokens file %s:%d: token for %q is the same as the token on line %d; every principal needs its own", path, n, name, prev)
		}
		nameLine[strings.ToLower(name)], tokenLine[tok] = n, n
		tokens[tok] = name
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("tokens file %s: %w", path, err)
	}
	if len(tokens) == 0 {
		return nil, fmt.Errorf("tokens file %s: no tokens", path)
	}
	return tokens, nil
}

// splitTokenLine splits "name token" or "name: token"; the token is the one
// remaining field.
func splitTokenLine(line string) (name, tok string, ok bool) {
	i := strings.IndexAny(line, ": \t")
	if i <= 0 {
		return "", "", false
	}
	name, rest := line[:i], strings.TrimLeft(line[i:], " \t")
	if after, found := strings.CutPrefix(rest, ":"); found {
		rest = strings.TrimLeft(after, " \t")
	}
	if rest == "" || strings.ContainsAny(rest, " \t") {
		return "", "", false
	}
	return name, rest, true
}

// authenticator maps a bearer token to its principal.
type authenticator struct {
	// local: no tokens configured (loopback only), every caller is mcp:local.
	local   bool
	entries []tokenEntry
}

type tokenEntry struct {
	sum [sha256.Size]byte
	id  string
}

func newAuthenticator(tokens map[string]string) authenticator {
	a := authenticator{local: len(tokens) == 0}
	for tok, name := range tokens {
		// Validate checked every name, so the constructor cannot fail here.
		id, _ := principal.MCPToken(name)
		a.entries = append(a.entries, tokenEntry{sum: sha256.Sum256([]byte(tok)), id: id})
	}
	return a
}

var (
	errNoCredentials  = errors.New("missing bearer token")
	errBadCredentials = errors.New("invalid bearer token")
)

// authenticate checks an Authorization header value. Both sides are hashed to
// a fixed length and every configured token is compared, so the time taken
// depends on neither the presented token's length nor which token matched.
func (a authenticator) authenticate(header string) (principal.Principal, error) {
	if a.local {
		return principal.Principal{ID: principal.MCPLocal}, nil
	}
	scheme, tok, _ := strings.Cut(header, " ")
	tok = strings.TrimSpace(tok)
	if !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return principal.Principal{}, errNoCredentials
	}
	sum := sha256.Sum256([]byte(tok))
	match := 0 // index+1 of the matching entry, 0 for none
	for i := range a.entries {
		eq := subtle.ConstantTimeCompare(sum[:], a.entries[i].sum[:])
		match = subtle.ConstantTimeSelect(eq, i+1, match)
	}
	if match == 0 {
		return principal.Principal{}, errBadCredentials
	}
	return principal.Principal{ID: a.entries[match-1].id}, nil
}
