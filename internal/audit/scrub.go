package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/redact"
)

// Bounds on what one entry keeps, so a huge request cannot make the log
// grow by its size: longer strings keep their start and say how long they
// were (the record's ArgsHash still identifies the exact arguments).
const (
	maxName   = 256     // principal, action, project and other names
	maxText   = 4 << 10 // error and reason texts
	maxString = 1 << 10 // one string inside the arguments
	maxItems  = 100     // fields of an object or items of a list in the arguments
	maxDepth  = 8       // nesting kept in the arguments
)

// scrub redacts and bounds every string of a record. The pipeline hands
// over records already redacted; this is the second line, in case a
// surface or a bug lets a credential through.
func scrub(rec pipeline.Record) pipeline.Record {
	for _, f := range []*string{&rec.Principal, &rec.Surface, &rec.Action, &rec.Project, &rec.Branch, &rec.Organization, &rec.RequestID, &rec.Decision.Rule, &rec.Decision.ApprovalID} {
		*f = keep(*f, maxName)
	}
	rec.Identities = slices.Clone(rec.Identities)
	for i := range rec.Identities {
		rec.Identities[i] = keep(rec.Identities[i], maxName)
	}
	if len(rec.Identities) > maxItems {
		rec.Identities = rec.Identities[:maxItems]
	}
	rec.Error = keep(rec.Error, maxText)
	rec.Decision.Reason = keep(rec.Decision.Reason, maxText)
	rec.Decision.Token = fingerprint(rec.Decision.Token)
	if rec.Args != nil {
		// The zero Redactor masks the always-secret fields; boundValue
		// scrubs and bounds the text.
		args, _ := redact.Redactor{}.Value(boundValue(rec.Args, 0)).(map[string]any)
		rec.Args = args
	}
	return rec
}

// keep redacts s and keeps its first n bytes, saying how long it was. Only
// a little more than what is kept is scanned for secrets, so a huge string
// costs no more than a short one; the margin catches a credential that
// straddles the cut.
func keep(s string, n int) string {
	if len(s) <= n {
		return redact.Text(s)
	}
	const margin = 256
	head := redact.Text(strings.ToValidUTF8(s[:min(len(s), n+margin)], ""))
	return fmt.Sprintf("%s…(%d bytes in all)", strings.ToValidUTF8(head[:min(len(head), n)], ""), len(s))
}

func boundValue(v any, depth int) any {
	switch x := v.(type) {
	case string:
		return keep(x, maxString)
	case map[string]any:
		if depth >= maxDepth {
			return fmt.Sprintf("(an object of %d fields, nested too deep to keep)", len(x))
		}
		keys := slices.Sorted(maps.Keys(x))
		out := make(map[string]any, min(len(keys), maxItems+1))
		for i, k := range keys {
			if i == maxItems {
				out["…"] = fmt.Sprintf("%d more fields not kept", len(keys)-maxItems)
				break
			}
			out[keep(k, maxName)] = boundValue(x[k], depth+1)
		}
		return out
	case []any:
		if depth >= maxDepth {
			return fmt.Sprintf("(a list of %d items, nested too deep to keep)", len(x))
		}
		n := min(len(x), maxItems)
		out := make([]any, 0, n+1)
		for _, e := range x[:n] {
			out = append(out, boundValue(e, depth+1))
		}
		if len(x) > n {
			out = append(out, fmt.Sprintf("…%d more items not kept", len(x)-n))
		}
		return out
	}
	return v
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
