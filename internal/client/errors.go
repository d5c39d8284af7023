package client

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/supaops/supaops/internal/redact"
)

const (
	maxErrorBodyBytes = 4 << 10 // APIError.Body keeps at most this much
	maxMessageRunes   = 500     // a text body longer than this is cut in messages
	redacted          = redact.Mask
	// scrubWindowBytes is how much of an error body is scrubbed before it is
	// cut to maxErrorBodyBytes: enough that a secret straddling the cut is
	// masked whole rather than left half visible.
	scrubWindowBytes = 4 * maxErrorBodyBytes
)

// APIError is a non-2xx answer from the Management API, after retries.
// Message, RequestID, Path and Body never hold the configured token, nor
// anything shaped like a credential (redact.Text); Redact, or a redactor
// given with WithRedactor, masks the caller's own secrets too.
type APIError struct {
	Status    int
	Message   string // the API's message, else a trimmed text body
	RequestID string // X-Request-Id, else Sb-Request-Id, else Cf-Ray
	Method    string
	Path      string // URL path without the query (which may hold SQL)
	Body      []byte // the start of the response body (truncated)
	// Scope and Permissions are filled by the registry layer for 401/403: what
	// the operation needs, so the message can say what to grant. Each entry of
	// Permissions is an alternative.
	Scope       string
	Permissions []string
	// RetryAt is set on 429s we stopped waiting for: when to try again.
	RetryAt  time.Time
	Attempts int

	pastDeadline bool // a 429 given up on because of the request's deadline
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %d %s", e.Method, e.Path, e.Status, http.StatusText(e.Status))
	if e.Message != "" && !strings.EqualFold(e.Message, http.StatusText(e.Status)) {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if !e.RetryAt.IsZero() {
		fmt.Fprintf(&b, "; retry after %s", e.RetryAt.UTC().Format(time.RFC3339))
	}
	var needs []string
	if e.Scope != "" {
		needs = append(needs, "OAuth scope "+e.Scope)
	}
	switch len(e.Permissions) {
	case 0:
	case 1:
		needs = append(needs, "permission "+e.Permissions[0])
	default: // alternatives: any one of them will do
		needs = append(needs, "one of the permissions "+strings.Join(e.Permissions, " or "))
	}
	if len(needs) > 0 {
		fmt.Fprintf(&b, "; the token needs %s", strings.Join(needs, " and "))
	}
	var notes []string
	if e.RequestID != "" {
		notes = append(notes, "request id "+e.RequestID)
	}
	if e.Attempts > 1 {
		notes = append(notes, fmt.Sprintf("after %d attempts", e.Attempts))
	}
	if len(notes) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(notes, "; "))
	}
	return b.String()
}

// Redact masks, in place, what r knows to be secret (the secret arguments of
// the call, say) in every text the error carries: the API may echo a value
// it rejects ("password \"hunter2\" is too weak"). A JSON body also has its
// secret fields masked; one cut short is scrubbed as text.
func (e *APIError) Redact(r redact.Redactor) {
	e.Message = r.Text(e.Message)
	e.RequestID = r.Text(e.RequestID)
	e.Path = r.Text(e.Path)
	if len(e.Body) == 0 {
		return
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(e.Body))
	dec.UseNumber()
	if dec.Decode(&v) == nil && !dec.More() {
		if out, err := json.Marshal(r.Value(v)); err == nil {
			e.Body = out
			return
		}
	}
	e.Body = []byte(r.Text(string(e.Body)))
}

// clone gives each caller of a collapsed GET its own error to annotate.
func (e *APIError) clone() *APIError {
	c := *e
	c.Body = bytes.Clone(e.Body)
	c.Permissions = append([]string(nil), e.Permissions...)
	return &c
}

// RequestError is a request that got no usable API response: it timed out,
// could not connect, lost its connection, or was canceled. Unwrap gives the
// cause, so errors.Is(err, context.DeadlineExceeded) works.
type RequestError struct {
	Method   string
	Path     string // URL path without the query
	Attempts int
	Reason   string // what went wrong, in words
	Sent     bool   // the request may have reached the server (and been applied)
	TimedOut bool
	Err      error
	detail   string // Err's text with secrets removed
	ctxEnded bool   // the request's context ended it, not the API or the network
}

func (e *RequestError) Error() string {
	return fmt.Sprintf("%s %s: %s: %s", e.Method, e.Path, e.Reason, e.detail)
}

func (e *RequestError) Unwrap() error { return e.Err }

// Redact masks, in place, what r knows to be secret in the error's text.
// Unwrap still gives the original cause, which carries no token: transport
// errors do not repeat headers.
func (e *RequestError) Redact(r redact.Redactor) {
	e.Path = r.Text(e.Path)
	e.Reason = r.Text(e.Reason)
	e.detail = r.Text(e.detail)
}

// Timeout reports whether the request timed out, like net.Error.
func (e *RequestError) Timeout() bool { return e.TimedOut }

func (e *RequestError) clone() *RequestError {
	c := *e
	return &c
}

// requestID picks the id support needs to find the request.
func requestID(h http.Header) string {
	for _, name := range [...]string{"X-Request-Id", "Sb-Request-Id", "Cf-Ray"} {
		if v := h.Get(name); v != "" {
			return v
		}
	}
	return ""
}

// apiMessage extracts a human message from an error body: the JSON field
// "message" (a string, or a list as NestJS validation sends), else "error"
// (a string or an object with a message), else "msg"; else the trimmed text
// body. HTML (proxy error pages) is not a message. scrub (if not nil) runs
// before a long text is cut, so no secret is cut in half and left partly
// visible.
func apiMessage(body []byte, contentType string, scrub func(string) string) string {
	if scrub == nil {
		scrub = func(s string) string { return s }
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return ""
	}
	if body[0] == '{' {
		var fields map[string]json.RawMessage
		if json.Unmarshal(body, &fields) == nil {
			for _, key := range []string{"message", "error", "msg", "error_description"} {
				if msg := jsonText(fields[key]); msg != "" {
					return scrub(msg)
				}
			}
			return ""
		}
	}
	if strings.Contains(contentType, "html") || body[0] == '<' {
		return ""
	}
	return cutRunes(scrub(strings.Join(strings.Fields(string(body)), " ")), maxMessageRunes)
}

func jsonText(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.TrimSpace(s)
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) == nil {
		parts := make([]string, 0, len(list))
		for _, item := range list {
			if t := jsonText(item); t != "" {
				parts = append(parts, t)
			}
		}
		return strings.Join(parts, "; ")
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) == nil {
		return jsonText(obj["message"])
	}
	return ""
}

func cutRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// redactor removes the configured token, whatever its length or shape, and
// anything shaped like a credential from text that leaves the package.
type redactor struct{ token string }

func (r redactor) string(s string) string {
	return redact.Text(redact.Secret(s, r.token))
}

// body scrubs the start of an error body and cuts it to max bytes, scrubbing
// first so that the cut cannot leave part of a secret.
func (r redactor) body(b []byte, max int) []byte {
	s := r.string(string(b[:min(len(b), scrubWindowBytes)]))
	return []byte(s[:min(len(s), max)])
}
