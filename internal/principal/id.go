package principal

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/supaops/supaops/internal/suggest"
)

// The fixed principals, which take no name.
const (
	// MCPLocal is an agent on this machine: stdio, or HTTP on loopback without tokens.
	MCPLocal = "mcp:local"
	// CLILocal is the operator's shell.
	CLILocal = "cli:local"
)

// Kinds, as Kind returns them.
const (
	KindMCPLocal       = MCPLocal
	KindMCPToken       = "mcp:token"
	KindSlackUser      = "slack:user"
	KindSlackUsergroup = "slack:usergroup"
	KindSlackChannel   = "slack:channel"
	KindJob            = "job"
	KindCLILocal       = CLILocal
)

// Surfaces, as Surface returns them.
const (
	SurfaceMCP   = "mcp"
	SurfaceCLI   = "cli"
	SurfaceSlack = "slack"
	SurfaceJob   = "job"
)

// MaxNameLen bounds token and job names, and Slack ids (leading letter included).
const MaxNameLen = 64

// ErrUnknownKind is wrapped by Parse when a string names no known kind, so a
// caller can word that case its own way (a policy file, say).
var ErrUnknownKind = errors.New("unknown kind")

// Form is one kind of principal.
type Form struct {
	// Kind is the fixed principal ("mcp:local") or what comes before the
	// name or id ("slack:user").
	Kind string
	// Surface is where such a caller comes in: mcp, cli, slack or job.
	Surface string
	// Param is what follows Kind after a ':': "name", "id", or "" for a
	// fixed principal.
	Param string
	// Leading lists the letters a Slack id of this kind starts with.
	Leading string
}

// Named reports whether the form takes a name or id.
func (f Form) Named() bool { return f.Param != "" }

// article is "a name" or "an id".
func (f Form) article() string {
	if f.Param == "id" {
		return "an id"
	}
	return "a " + f.Param
}

// Prefix is the whole fixed principal, or the kind and its ':' for a named one.
func (f Form) Prefix() string {
	if f.Named() {
		return f.Kind + ":"
	}
	return f.Kind
}

// String is the form as help text shows it, e.g. "slack:user:<id>".
func (f Form) String() string {
	if f.Named() {
		return f.Kind + ":<" + f.Param + ">"
	}
	return f.Kind
}

// Forms lists every kind of principal, in the order help text gives them.
// It is the one list other packages (policy) check principals against.
func Forms() []Form {
	return []Form{
		{Kind: KindMCPLocal, Surface: SurfaceMCP},
		{Kind: KindMCPToken, Surface: SurfaceMCP, Param: "name"},
		// Slack: users are U (W on Enterprise Grid), user groups S, channels
		// C (public), G (private, older workspaces) or D (direct messages).
		{Kind: KindSlackUser, Surface: SurfaceSlack, Param: "id", Leading: "UW"},
		{Kind: KindSlackUsergroup, Surface: SurfaceSlack, Param: "id", Leading: "S"},
		{Kind: KindSlackChannel, Surface: SurfaceSlack, Param: "id", Leading: "CGD"},
		{Kind: KindJob, Surface: SurfaceJob, Param: "name"},
		{Kind: KindCLILocal, Surface: SurfaceCLI},
	}
}

// Help lists the allowed forms for error messages:
// "mcp:local, mcp:token:<name>, slack:user:<id>, ...".
func Help() string {
	forms := Forms()
	parts := make([]string, len(forms))
	for i, f := range forms {
		parts[i] = f.String()
	}
	return strings.Join(parts, ", ")
}

// maxLen bounds what Parse reads, so a huge input costs nothing and its
// error stays short. The longest valid principal is "slack:usergroup:" and a
// 64-character id.
const maxLen = len("slack:usergroup:") + MaxNameLen

// Parse checks s is a principal and returns its canonical spelling: without
// surrounding whitespace, the kind in lower case, a Slack id in upper case.
// Names (tokens, jobs) keep their case: they are the operator's, and
// "mcp:token:CI" may be a different token from "mcp:token:ci". Anything else
// (inner whitespace, control or non-ASCII characters, an unknown kind, a bad
// name or id) is refused with the allowed forms.
func Parse(s string) (string, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return "", fmt.Errorf("empty principal: want one of %s", Help())
	}
	if len(t) > maxLen {
		return "", fmt.Errorf("principal %s is %d bytes long; the longest allowed is %d: want one of %s", suggest.Quote(t, 40), len(t), maxLen, Help())
	}
	if err := checkChars(t); err != nil {
		return "", fmt.Errorf("principal %q %w: want one of %s", t, err, Help())
	}
	lower := strings.ToLower(t) // ASCII only, checked above
	for _, f := range Forms() {
		if !f.Named() {
			if lower == f.Kind {
				return f.Kind, nil
			}
			continue
		}
		if lower == f.Kind || lower == f.Prefix() {
			return "", fmt.Errorf("principal %q needs %s after %q: want %s", t, f.article(), f.Prefix(), f)
		}
		if strings.HasPrefix(lower, f.Prefix()) {
			part, err := f.canonicalPart(t[len(f.Prefix()):])
			if err != nil {
				return "", fmt.Errorf("principal %q: %w", t, err)
			}
			return f.Prefix() + part, nil
		}
	}
	return "", fmt.Errorf("principal %q: %w: want one of %s", t, ErrUnknownKind, Help())
}

// Same reports whether a and b are valid spellings of one identity.
func Same(a, b string) bool {
	ca, err := Parse(a)
	if err != nil {
		return false
	}
	cb, err := Parse(b)
	return err == nil && ca == cb
}

// Kind returns the kind of a principal (one of the Kind constants), or ""
// when id is not a valid principal.
func Kind(id string) string {
	f, ok := formOf(id)
	if !ok {
		return ""
	}
	return f.Kind
}

// Surface returns where a principal comes in (one of the Surface constants),
// or "" when id is not a valid principal.
func Surface(id string) string {
	f, ok := formOf(id)
	if !ok {
		return ""
	}
	return f.Surface
}

func formOf(id string) (Form, bool) {
	canon, err := Parse(id)
	if err != nil {
		return Form{}, false
	}
	for _, f := range Forms() {
		if canon == f.Kind || (f.Named() && strings.HasPrefix(canon, f.Prefix())) {
			return f, true
		}
	}
	return Form{}, false
}

// MCPToken is the principal of an MCP client using the named HTTP bearer token.
func MCPToken(name string) (string, error) { return build(KindMCPToken, name) }

// SlackUser is the principal of a Slack user, e.g. "U0123ABCD".
func SlackUser(id string) (string, error) { return build(KindSlackUser, id) }

// SlackUsergroup is the principal of a Slack user group, e.g. "S0123ABCD".
func SlackUsergroup(id string) (string, error) { return build(KindSlackUsergroup, id) }

// SlackChannel is the principal of a Slack channel or conversation, e.g. "C0123ABCD".
func SlackChannel(id string) (string, error) { return build(KindSlackChannel, id) }

// Job is the principal of the named scheduled job.
func Job(name string) (string, error) { return build(KindJob, name) }

// build checks the part as given: no trimming, since a constructor's input
// comes from code (a token file, a Slack payload) where stray whitespace is a
// bug to report, not to repair.
func build(kind, part string) (string, error) {
	for _, f := range Forms() {
		if f.Kind != kind {
			continue
		}
		canon, err := f.canonicalPart(part)
		if err != nil {
			return "", err
		}
		return f.Prefix() + canon, nil
	}
	return "", fmt.Errorf("principal: no kind %q", kind) // unreachable: callers pass constants
}

// canonicalPart checks and canonicalises the name or id after a named kind.
func (f Form) canonicalPart(part string) (string, error) {
	if f.Leading != "" {
		return slackID(f, part)
	}
	if !validName(part) {
		return "", fmt.Errorf("%s name %s: want 1 to %d letters, digits, '.', '_' or '-', starting with a letter or digit", f.Kind, suggest.Quote(part, 40), MaxNameLen)
	}
	return part, nil
}

// validName is ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$, as mcphttp requires of token names.
func validName(s string) bool {
	if len(s) == 0 || len(s) > MaxNameLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := isAlnum(c) || (i > 0 && (c == '.' || c == '_' || c == '-'))
		if !ok {
			return false
		}
	}
	return true
}

// slackID upper-cases a Slack id (Slack's ids are upper case; a person may
// type them otherwise) and checks its letters.
func slackID(f Form, part string) (string, error) {
	id := strings.ToUpper(part)
	ok := len(id) >= 2 && len(id) <= MaxNameLen && strings.IndexByte(f.Leading, id[0]) >= 0
	for i := 0; ok && i < len(id); i++ {
		c := id[i]
		ok = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
	}
	if !ok {
		return "", fmt.Errorf("%s id %s: want %s followed by 1 to %d letters or digits, e.g. %c0123ABCD",
			f.Kind, suggest.Quote(part, 40), orList(f.Leading), MaxNameLen-1, f.Leading[0])
	}
	return id, nil
}

// checkChars refuses what no principal contains, naming the first offender;
// its message follows the quoted principal.
func checkChars(s string) error {
	for i, r := range s {
		switch {
		case r == utf8.RuneError:
			return fmt.Errorf("is not valid UTF-8 (at byte %d)", i)
		case unicode.IsSpace(r):
			return fmt.Errorf("contains whitespace at byte %d", i)
		case unicode.IsControl(r):
			return fmt.Errorf("contains a control character at byte %d", i)
		case r > unicode.MaxASCII:
			return fmt.Errorf("contains the non-ASCII character %q at byte %d", r, i)
		}
	}
	return nil
}

func isAlnum(c byte) bool {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

// orList words "CGD" as "C, G or D".
func orList(letters string) string {
	switch len(letters) {
	case 0:
		return ""
	case 1:
		return letters
	}
	parts := strings.Split(letters, "")
	return strings.Join(parts[:len(parts)-1], ", ") + " or " + parts[len(parts)-1]
}
