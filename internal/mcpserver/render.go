package mcpserver

import (
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/render"
	"github.com/supaops/supaops/internal/tools"
)

// renderResult turns a pipeline result into a tool result: structuredContent
// when the action declares typed output, the text render gives (untrusted
// data inside its boundary), and notes on cuts and polling.
func (s *Server) renderResult(res *pipeline.Result) (*mcp.CallToolResult, error) {
	a := res.Action
	body, err := render.Data(res, s.maxBytes)
	if err != nil {
		return nil, err
	}
	out := &mcp.CallToolResult{Content: []mcp.Content{mcp.NewTextContent(body.Text)}}
	if s.structured(a) {
		out.StructuredContent = asObject(body.Value)
	}
	if body.Cut != nil {
		out.Content = append(out.Content, mcp.NewTextContent(body.Cut.Note(a)))
	}
	if p := render.PollOf(res); p != nil {
		out.Content = append(out.Content, mcp.NewTextContent(p.Note()+" Call it directly or through "+CallAction+"."))
	}
	return out, nil
}

// asObject makes any result an object, which structuredContent must be: an
// array becomes {"items": [...]}. The compact output schemas require no
// property, so an empty object conforms when nothing could be kept.
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

// structured reports whether a's results go out as structuredContent too:
// worked out from its output schema once per action, not on every call.
func (s *Server) structured(a *tools.Action) bool {
	if v, ok := s.shapes.Load(a); ok {
		return v.(bool)
	}
	shape, _ := shapeOf(a)
	s.shapes.Store(a, shape != noStructured)
	return shape != noStructured
}
