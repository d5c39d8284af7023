// Package redact removes secrets from values before they leave supaops: from
// results shown to people and models, from arguments written to the audit log,
// and from log lines and error messages.
package redact

import (
	"encoding/json"
	"regexp"
	"strings"
)

// Mask replaces a secret value.
const Mask = "[REDACTED]"

// alwaysSecret are field names that hold credentials in any action; the
// per-action lists (from the catalogue) add the rest.
var alwaysSecret = []string{
	"access_token", "api_key", "client_secret", "db_pass", "jwt_secret",
	"password", "private_jwk", "refresh_token", "root_key", "service_role_key",
	"smtp_pass",
}

// tokenShapes match credentials by their look wherever they appear in text:
// personal access tokens, secret API keys, JWTs, and passwords inside
// connection URLs.
var tokenShapes = []*regexp.Regexp{
	regexp.MustCompile(`sbp_[A-Za-z0-9]{16,}`),
	regexp.MustCompile(`sb_secret_[A-Za-z0-9_\-]{8,}`),
	regexp.MustCompile(`eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}`),
}

var urlPassword = regexp.MustCompile(`(://[^:/@\s]+:)[^@\s]+(@)`)

// Redactor removes the secrets of one action (its field names plus the ones
// that are always secret). The zero value redacts only the always-secret fields.
type Redactor struct {
	fields map[string]bool
}

// New returns a Redactor for the given extra secret field names.
func New(fields []string) Redactor {
	m := make(map[string]bool, len(alwaysSecret)+len(fields))
	for _, f := range alwaysSecret {
		m[f] = true
	}
	for _, f := range fields {
		m[f] = true
	}
	return Redactor{fields: m}
}

func (r Redactor) isSecret(field string) bool {
	if r.fields == nil {
		for _, f := range alwaysSecret {
			if f == field {
				return true
			}
		}
		return false
	}
	return r.fields[field]
}

// Value returns a deep copy of a JSON-shaped value (maps, slices, strings,
// numbers...) with secret fields masked and token-shaped text scrubbed. The
// input is not changed. Empty and null secrets stay as they are: they reveal
// nothing and showing them tells the reader a value is unset.
func (r Redactor) Value(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			if r.isSecret(k) && !empty(val) {
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
		return Text(x)
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
	case json.Number:
		return false
	}
	return false
}

// Text scrubs token-shaped credentials and connection-string passwords from free text.
func Text(s string) string {
	if s == "" {
		return s
	}
	for _, re := range tokenShapes {
		if re.MatchString(s) {
			s = re.ReplaceAllString(s, Mask)
		}
	}
	if strings.Contains(s, "://") {
		s = urlPassword.ReplaceAllString(s, "${1}"+Mask+"${2}")
	}
	return s
}

// Secret masks a known secret (such as the configured access token) inside
// text, for errors that might echo it.
func Secret(s, secret string) string {
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, Mask)
}
