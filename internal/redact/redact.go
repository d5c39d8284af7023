// Package redact removes secrets from values before they leave supaops: from
// results shown to people and models, from arguments written to the audit log,
// and from log lines and error messages.
//
// Three nets, each catching what the others miss:
//   - by field name: the value of a secret field (matched in any spelling,
//     see FieldKey) is masked whole, whatever it holds;
//   - by shape: text that looks like a credential (Supabase tokens and secret
//     keys, JWTs, webhook secrets, passwords in connection strings, bearer
//     credentials) is masked wherever it appears;
//   - by value: secrets known to the caller (the arguments it sent, the
//     configured token) are masked wherever they are echoed (WithValues).
package redact

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"unicode"
)

// Mask replaces a secret value.
const Mask = "[REDACTED]"

// MinValueLen is the shortest secret value WithValues masks inside text.
// Shorter values ("on", "1234", "RS256") would turn ordinary words and
// numbers into masks everywhere; a secret that short is still masked by its
// field name, and tokens, keys and generated passwords are far longer.
const MinValueLen = 6

// isAlwaysSecret says whether a FieldKey names a field that holds a
// credential in any action; the per-action lists (from the catalogue) add the
// rest. Through FieldKey, "serviceRoleKey", "SERVICE_ROLE_KEY" and
// "service-role-key" count too, as do "apikey" and "Authorization" headers
// echoed in a result. A switch, not a package map, so nothing can change it.
func isAlwaysSecret(key string) bool {
	switch key {
	case "accesstoken", "apikey", "authorization", "clientsecret", "dbpass",
		"jwtsecret", "password", "privatejwk", "privatekey", "refreshtoken",
		"rootkey", "secretkey", "servicerolekey", "smtppass":
		return true
	}
	return false
}

// FieldKey is the one normalisation of field names used for every
// comparison: lower case, without the separators of snake, kebab, dotted and
// spaced spellings. "Service-Role_Key" and "serviceRoleKey" both give
// "servicerolekey".
func FieldKey(name string) string {
	plain := true
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < 'a' && (c < '0' || c > '9') || c > 'z' {
			plain = false
			break
		}
	}
	if plain {
		return name // the common case: no allocation
	}
	var b strings.Builder
	b.Grow(len(name))
	for _, r := range name {
		switch r {
		case '_', '-', '.', ' ':
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// Credentials recognised by their look wherever they appear in text. Each
// has a literal marker checked first: most strings hold none, and a
// substring search is far cheaper than a regular expression. No \b anchors:
// an encoded separator ("%20sbp_…", "\u0022sbp_…") ends in a word character
// and would hide the token. Compiled expressions are immutable and safe for
// concurrent use.
var (
	// sbp_<hex>, sbp_oauth_<hex>, sbp_v0_<hex>: personal access tokens,
	// OAuth access tokens and the newer versioned tokens (any short
	// lower-case infix, so a future sbp_v1_ is caught too).
	personalToken = regexp.MustCompile(`sbp_(?:[a-z0-9]{1,10}_)?[A-Za-z0-9]{16,}`)
	// Secret API keys; sb_publishable_ keys are public and kept.
	secretKey = regexp.MustCompile(`sb_secret_[A-Za-z0-9_\-]{8,}`)
	// JWTs: legacy anon/service_role keys, OAuth tokens.
	jwt = regexp.MustCompile(`eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}`)
	// Standard Webhooks secrets of auth hooks.
	webhookSecret = regexp.MustCompile(`whsec_[A-Za-z0-9+/=]{16,}`)
	// The password of a URL ("scheme://user:password@host"); user may be
	// empty (redis://:pw@host). The password runs to the last "@" before a
	// space or quote, so a password holding a raw "@" is masked whole.
	urlPassword = regexp.MustCompile(`(://[^:/@\s"'<>]*:)[^\s"'<>]*(@)`)
	// password=… in libpq keyword strings, query strings, form bodies and
	// environment listings (DB_PASSWORD=…, so no \b before it). Only "=":
	// "password: must be …" is how input errors name the field.
	keywordPassword = regexp.MustCompile(`(?i)((?:password|passwd|pwd)=)[^\s&;"']+`)
	// Authorization schemes echoed in headers or error messages.
	authScheme = regexp.MustCompile(`(?i)(\b(?:bearer|basic)\s+)([A-Za-z0-9\-._~+/]+=*)`)
)

// Text scrubs token-shaped credentials, connection-string passwords and
// bearer credentials from free text. It knows no particular secret; use a
// Redactor built WithValues for those.
func Text(s string) string {
	if s == "" {
		return s
	}
	for _, shape := range [...]struct {
		marker string
		re     *regexp.Regexp
	}{{"sbp_", personalToken}, {"sb_secret_", secretKey}, {"eyJ", jwt}, {"whsec_", webhookSecret}} {
		if strings.Contains(s, shape.marker) {
			s = shape.re.ReplaceAllString(s, Mask)
		}
	}
	if strings.Contains(s, "://") {
		s = urlPassword.ReplaceAllString(s, "${1}"+Mask+"${2}")
	}
	if strings.Contains(s, "=") && (containsFold(s, "pass") || containsFold(s, "pwd")) {
		s = keywordPassword.ReplaceAllString(s, "${1}"+Mask)
	}
	if containsFold(s, "bearer") || containsFold(s, "basic") {
		s = authScheme.ReplaceAllStringFunc(s, func(m string) string {
			sub := authScheme.FindStringSubmatch(m)
			// "Bearer token" or "Basic authentication" in prose is a
			// word, not a credential: a credential has a digit, a symbol
			// or a capital inside it.
			if isWord(sub[2]) {
				return m
			}
			return sub[1] + Mask
		})
	}
	return s
}

// containsFold is strings.Contains ignoring ASCII case, without allocating;
// sub must be lower case.
func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		j := 0
		for ; j < len(sub); j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != sub[j] {
				break
			}
		}
		if j == len(sub) {
			return true
		}
	}
	return false
}

func isWord(s string) bool {
	for i, r := range s {
		if !unicode.IsLetter(r) || i > 0 && unicode.IsUpper(r) {
			return false
		}
	}
	return true
}

// Secret masks a known secret (such as the configured access token) inside
// text, for errors that might echo it. Unlike WithValues it masks a secret
// of any length: the caller vouches that it is one.
func Secret(s, secret string) string {
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, Mask)
}

// Redactor removes the secrets of one action (its field names plus the ones
// that are always secret) and, if built WithValues, known secret values. The
// zero value redacts only the always-secret fields and token shapes. A
// Redactor is immutable and safe for concurrent use.
type Redactor struct {
	fields map[string]bool // FieldKey of the action's own secret fields
	values []string        // known secrets, longest first
	repl   *strings.Replacer
}

// New returns a Redactor for the given extra secret field names (in any
// spelling).
func New(fields []string) Redactor {
	m := make(map[string]bool, len(fields))
	for _, f := range fields {
		if k := FieldKey(f); k != "" {
			m[k] = true
		}
	}
	return Redactor{fields: m}
}

// IsSecretField reports whether the value of a field called name is masked.
func (r Redactor) IsSecretField(name string) bool {
	k := FieldKey(name)
	return isAlwaysSecret(k) || r.fields[k]
}

// WithValues returns a copy of r that also masks each of values wherever it
// appears in a string, as is and in its JSON-escaped and URL-encoded forms
// (how an API echoes a value it was sent). Values shorter than MinValueLen
// bytes are ignored (see MinValueLen); so are duplicates. Pass every secret
// argument of a call (SecretValues) and the configured access token.
func (r Redactor) WithValues(values ...string) Redactor {
	seen := make(map[string]bool, len(r.values)+len(values)*5)
	all := make([]string, 0, len(r.values)+len(values)*5)
	add := func(v string) {
		if len(v) >= MinValueLen && !seen[v] {
			seen[v] = true
			all = append(all, v)
		}
	}
	for _, v := range r.values {
		add(v)
	}
	for _, v := range values {
		add(v)
		add(jsonEscaped(v, false))
		add(jsonEscaped(v, true)) // encoding/json's default turns <>& into \u003c...
		add(url.QueryEscape(v))
		add(url.PathEscape(v))
	}
	if len(all) == len(r.values) {
		return r
	}
	// Longest first: where one secret contains another, the whole of the
	// longer one is masked, not its remainder left around a mask.
	sort.SliceStable(all, func(i, j int) bool { return len(all[i]) > len(all[j]) })
	pairs := make([]string, 0, 2*len(all))
	for _, v := range all {
		pairs = append(pairs, v, Mask)
	}
	out := r
	out.values = all
	out.repl = strings.NewReplacer(pairs...)
	return out
}

// WithSecretsOf is r.WithValues(r.SecretValues(args)...): the redactor for
// the results, errors and records of a call made with args.
func (r Redactor) WithSecretsOf(args any) Redactor {
	return r.WithValues(r.SecretValues(args)...)
}

// jsonEscaped is v as it appears inside a JSON string.
func jsonEscaped(v string, escapeHTML bool) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(escapeHTML)
	if enc.Encode(v) != nil {
		return v
	}
	s := strings.TrimSuffix(b.String(), "\n")
	return s[1 : len(s)-1]
}

// SecretValues collects, at any depth of a JSON-shaped value (a call's
// arguments), every string held by a secret field: the field's own value, or
// every string inside it when it is an object or a list (a private JWK, a
// map of branch secrets, a list of {name, value} secrets, where "value" is
// the secret field). Numbers under a secret field count as their text.
// Short values are kept here; WithValues drops them.
func (r Redactor) SecretValues(v any) []string {
	var out []string
	var walk func(v any, secret bool)
	walk = func(v any, secret bool) {
		switch x := v.(type) {
		case map[string]any:
			for k, val := range x {
				walk(val, secret || r.IsSecretField(k))
			}
		case []any:
			for _, val := range x {
				walk(val, secret)
			}
		case string:
			if secret && x != "" {
				out = append(out, x)
			}
		case json.Number:
			if secret {
				out = append(out, x.String())
			}
		case float64, int, int64:
			if secret {
				out = append(out, fmt.Sprint(x))
			}
		}
	}
	walk(v, false)
	return out
}

// Text scrubs s: known secret values first (before a shape could mask part
// of one and leave the rest), then token shapes (see the package Text).
func (r Redactor) Text(s string) string {
	// strings.Contains is much faster than the Replacer's trie, and most
	// strings hold no secret.
	for _, v := range r.values {
		if strings.Contains(s, v) {
			s = r.repl.Replace(s)
			break
		}
	}
	return Text(s)
}

// Value returns a deep copy of a JSON-shaped value (maps, slices, strings,
// numbers...) with secret fields masked and every string scrubbed by Text.
// The input is not changed. Empty and null secrets stay as they are: they
// reveal nothing and showing them tells the reader a value is unset. Map
// keys are kept: they are names, and masking them could merge two entries.
func (r Redactor) Value(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			if r.IsSecretField(k) && !empty(val) {
				out[k] = Mask
				continue
			}
			out[k] = r.Value(val)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			out[i] = r.Value(val)
		}
		return out
	case string:
		return r.Text(x)
	default:
		return v
	}
}

func empty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	}
	return false
}
