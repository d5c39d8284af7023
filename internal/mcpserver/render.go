package mcpserver

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/tools"
)

// render turns a pipeline result into a tool result: structuredContent when
// the action declares typed output, a compact JSON text a model can read,
// untrusted data inside a boundary, and notes on cuts and polling.
func (s *Server) render(res *pipeline.Result) (*mcp.CallToolResult, error) {
	a := res.Action
	shape, _ := shapeOf(a)
	value := res.Data
	if arr, ok := value.([]any); ok && shape == wrappedOutput {
		value = map[string]any{"items": arr}
	}
	var notes []string
	var text string
	var structured any
	switch v := value.(type) {
	case nil:
		text = fmt.Sprintf("Done: HTTP %d %s, no content.", res.Status, http.StatusText(res.Status))
	case string:
		// Text results (diffs, logs) read better as text than as a JSON string.
		text = v
		if len(text) > s.maxBytes {
			text = string(cutUTF8([]byte(text), s.maxBytes))
			notes = append(notes, fmt.Sprintf("Result cut to %d of %d bytes. %s", len(text), len(v), narrowHint(a)))
		}
	default:
		fitted, b, cut, err := fit(v, s.maxBytes)
		if err != nil {
			return nil, err
		}
		text, structured = string(b), fitted
		if cut != nil {
			notes = append(notes, cutNote(a, cut))
		}
	}
	if untrusted(a.Name) {
		wrapped, err := wrapUntrusted(a.Name, text)
		if err != nil {
			return nil, err
		}
		text, structured = wrapped, nil
	}
	out := &mcp.CallToolResult{Content: []mcp.Content{mcp.NewTextContent(text)}}
	if shape != noStructured {
		out.StructuredContent = asObject(structured)
	}
	if res.Poll != nil {
		notes = append(notes, pollNote(a, res.Poll))
	}
	for _, n := range notes {
		out.Content = append(out.Content, mcp.NewTextContent(n))
	}
	return out, nil
}

// asObject makes any result an object, which structuredContent must be. The
// compact output schemas require no property, so an empty object conforms
// when nothing could be kept.
func asObject(v any) map[string]any {
	switch x := v.(type) {
	case map[string]any:
		return x
	case []any:
		return map[string]any{"items": x}
	case nil:
		return map[string]any{}
	}
	return map[string]any{"value": v}
}

// cutNote says what was left out and how to get it.
func cutNote(a *tools.Action, c *cutReport) string {
	var b strings.Builder
	if c.Flat {
		fmt.Fprintf(&b, "Result cut to its first %d of %d bytes of JSON (too large to shorten item by item).", c.To, c.From)
	} else {
		fmt.Fprintf(&b, "Result cut from %d to %d bytes:", c.From, c.To)
		if c.CutArrays {
			fmt.Fprintf(&b, " lists keep their first %d items (the longest had %d);", c.Items, c.Longest)
		}
		if c.CutChars {
			fmt.Fprintf(&b, " long texts keep their first %d characters;", c.Chars)
		}
		if c.CutFields {
			fmt.Fprintf(&b, " objects keep their first %d fields by name (the widest had %d);", c.Fields, c.Widest)
		}
		s := strings.TrimSuffix(b.String(), ";") + "."
		b.Reset()
		b.WriteString(s)
	}
	b.WriteString(" ")
	b.WriteString(narrowHint(a))
	return b.String()
}

// narrowHint says how to ask for less, from what the action accepts.
func narrowHint(a *tools.Action) string {
	switch a.Name {
	case "logs_query":
		return "To see the rest, narrow iso_timestamp_start/iso_timestamp_end, add WHERE and LIMIT to sql, or select fewer columns."
	case "database_query", "database_query_read_only":
		return "To see the rest, select fewer columns and page with LIMIT/OFFSET (or a keyset WHERE) in the query."
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
	return fmt.Sprintf("%s has no paging; ask for a narrower item if another action gives one (search_actions).", a.Name)
}

// pollNote tells the model how to follow a long-running operation.
func pollNote(a *tools.Action, poll *pipeline.Request) string {
	args, err := compactJSON(poll.Args)
	if err != nil {
		args = []byte("{}")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "This started a long-running operation. Follow it with %s %s (directly or through call_action)", poll.Action, args)
	if p := a.Poll; p != nil && p.Field != "" {
		fmt.Fprintf(&b, " until %s is %s", p.Field, strings.Join(p.Done, " or "))
		if len(p.Failed) > 0 {
			fmt.Fprintf(&b, " (failed: %s)", strings.Join(p.Failed, ", "))
		}
	}
	b.WriteString("; wait between checks rather than polling in a tight loop.")
	return b.String()
}
