// Package render presents a pipeline result the same way on every surface
// (MCP, Slack, the CLI, job alerts): within a byte budget, with a note on
// what was cut and how to ask for less, data written by the project's users
// inside an untrusted-data boundary, and a note on how to follow a
// long-running operation. Surfaces put the pieces in their own medium; the
// words here name no surface.
package render

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/tools"
)

// Byte budgets for a rendered result.
const (
	// DefaultMaxBytes is the budget when a surface names none.
	DefaultMaxBytes = 64 << 10
	// MinMaxBytes keeps a budget large enough for a cut result and its note.
	MinMaxBytes = 1 << 10
)

// CheckMaxBytes validates a surface's budget: 0 means DefaultMaxBytes.
func CheckMaxBytes(n int) (int, error) {
	switch {
	case n == 0:
		return DefaultMaxBytes, nil
	case n < MinMaxBytes:
		return 0, fmt.Errorf("result budget %d bytes: want 0 (default %d) or at least %d", n, DefaultMaxBytes, MinMaxBytes)
	}
	return n, nil
}

// Body is a result's data as a surface shows it.
type Body struct {
	// Text is what to show: compact JSON, the text the API answered, or a
	// line saying there was no content. Untrusted data is inside its
	// boundary.
	Text string
	// Value is the JSON value Text shows, after cutting. It is nil for text
	// results, flat cuts and untrusted data: structured untrusted data
	// would escape the boundary.
	Value any
	// Untrusted reports that Text carries data the project's users wrote.
	Untrusted bool
	// Cut says what was left out, or nil when nothing was.
	Cut *Cut
}

// Data renders a result's data within maxBytes (0: DefaultMaxBytes).
func Data(res *pipeline.Result, maxBytes int) (Body, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	var body Body
	switch v := res.Data.(type) {
	case nil:
		body.Text = fmt.Sprintf("Done: HTTP %d %s, no content.", res.Status, http.StatusText(res.Status))
	case string:
		// Text results (diffs, logs) read better as text than as a JSON string.
		body.Text = v
		if len(v) > maxBytes {
			body.Text = string(CutUTF8([]byte(v), maxBytes))
			body.Cut = &Cut{From: len(v), To: len(body.Text), Flat: true, Text: true}
		}
	default:
		fitted, b, cut, err := Fit(v, maxBytes)
		if err != nil {
			return Body{}, err
		}
		body.Text, body.Value, body.Cut = string(b), fitted, cut
	}
	if res.Action.Untrusted {
		wrapped, err := WrapUntrusted(res.Action.Name, body.Text)
		if err != nil {
			return Body{}, err
		}
		body.Text, body.Value, body.Untrusted = wrapped, nil, true
	}
	return body, nil
}

// Note says what a cut left out and how to ask for less.
func (c *Cut) Note(a *tools.Action) string {
	var b strings.Builder
	switch {
	case c.Text:
		fmt.Fprintf(&b, "Result cut to its first %d of %d bytes.", c.To, c.From)
	case c.Flat:
		fmt.Fprintf(&b, "Result cut to its first %d of %d bytes of JSON (too large to shorten item by item).", c.To, c.From)
	default:
		var parts []string
		if c.CutArrays {
			parts = append(parts, fmt.Sprintf("lists keep their first %d items (the longest had %d)", c.Items, c.Longest))
		}
		if c.CutChars {
			parts = append(parts, fmt.Sprintf("long texts keep their first %d characters", c.Chars))
		}
		if c.CutFields {
			parts = append(parts, fmt.Sprintf("objects keep their first %d fields by name (the widest had %d)", c.Fields, c.Widest))
		}
		fmt.Fprintf(&b, "Result cut from %d to %d bytes: %s.", c.From, c.To, strings.Join(parts, "; "))
	}
	b.WriteString(" ")
	b.WriteString(NarrowHint(a))
	return b.String()
}

// NarrowHint says how to ask an action for less: the catalogue's words where
// it has some, else what its paging arguments allow.
func NarrowHint(a *tools.Action) string {
	if a.Narrow != "" {
		return "To see the rest, " + a.Narrow + "."
	}
	var ways []string
	if _, ok := a.Param("offset"); ok {
		ways = append(ways, "page with offset and limit")
	}
	if _, ok := a.Param("cursor"); ok {
		ways = append(ways, "page with cursor and limit")
	}
	if _, ok := a.Param("search"); ok {
		ways = append(ways, "filter with search")
	}
	if len(ways) > 0 {
		return "To see the rest, " + strings.Join(ways, ", or ") + "."
	}
	return fmt.Sprintf("%s has no paging; look for an action that returns a narrower item.", a.Name)
}

// Poll is how to follow a long-running operation a result started.
type Poll struct {
	// Action and Args are the call that reports progress.
	Action string
	Args   map[string]any
	// Field is the dotted result field to watch, Done and Failed its
	// terminal values; Field is empty when there is no single one.
	Field        string
	Done, Failed []string
}

// PollOf returns how to follow res, or nil when it started nothing to follow.
func PollOf(res *pipeline.Result) *Poll {
	if res.Poll == nil {
		return nil
	}
	p := &Poll{Action: res.Poll.Action, Args: res.Poll.Args}
	if spec := res.Action.Poll; spec != nil {
		p.Field, p.Done, p.Failed = spec.Field, spec.Done, spec.Failed
	}
	return p
}

// Note says, in one sentence, how to follow the operation.
func (p *Poll) Note() string {
	args, err := CompactJSON(p.Args)
	if err != nil {
		args = []byte("{}")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "This started a long-running operation. Follow it with %s %s", p.Action, args)
	if p.Field != "" {
		fmt.Fprintf(&b, " until %s is %s", p.Field, strings.Join(p.Done, " or "))
		if len(p.Failed) > 0 {
			fmt.Fprintf(&b, " (failed: %s)", strings.Join(p.Failed, ", "))
		}
	}
	b.WriteString("; wait between checks rather than polling in a tight loop.")
	return b.String()
}

// Plain round-trips v through JSON so it holds only what a client decoding
// the wire would see (maps, slices, strings, json.Number, bools, nil).
func Plain(v any) (any, error) {
	text, err := CompactJSON(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(strings.NewReader(string(text)))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("rendering: %w", err)
	}
	return out, nil
}
