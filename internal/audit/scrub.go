package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/redact"
)

// scrub redacts every string of a record. The pipeline hands over records
// already redacted; this is the second line, in case a surface or a bug
// lets a credential through.
func scrub(rec pipeline.Record) pipeline.Record {
	rec.Principal = redact.Text(rec.Principal)
	rec.Surface = redact.Text(rec.Surface)
	rec.Action = redact.Text(rec.Action)
	rec.Project = redact.Text(rec.Project)
	rec.Error = redact.Text(rec.Error)
	rec.RequestID = redact.Text(rec.RequestID)
	rec.Decision.Rule = redact.Text(rec.Decision.Rule)
	rec.Decision.Reason = redact.Text(rec.Decision.Reason)
	rec.Decision.Token = fingerprint(rec.Decision.Token)
	if rec.Args != nil {
		// The zero Redactor masks the always-secret fields and scrubs text.
		args, _ := redact.Redactor{}.Value(rec.Args).(map[string]any)
		rec.Args = args
	}
	return rec
}

// fingerprint replaces a signed consent token ("kind.id.expiry.signature"),
// a bearer credential until used, by a short hash that still lets its uses
// be matched up in the log. A bare approval id (no dots) is kept: it only
// names the request, and readers of the log need it.
func fingerprint(token string) string {
	if !strings.Contains(token, ".") {
		return redact.Text(token)
	}
	sum := sha256.Sum256([]byte(token))
	return "sha256:" + hex.EncodeToString(sum[:8])
}
