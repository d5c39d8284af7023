package mcpserver

import (
	"context"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
)

// BenchmarkToolCallInProcess is one tool call through the whole server —
// MCP framing, pipeline (validation, policy, audit on a bbolt store),
// sandbox API, rendering — over mcp-go's in-process client.
func BenchmarkToolCallInProcess(b *testing.B) {
	st := newStack(b, Options{})
	c := st.client(b)
	req := mcp.CallToolRequest{Params: mcp.CallToolParams{Name: "project_get", Arguments: map[string]any{"ref": st.seed.ProjectRef}}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		res, err := c.CallTool(ctx, req)
		if err != nil || res.IsError {
			b.Fatalf("%v %v", err, res)
		}
	}
}

// BenchmarkToolsList measures answering tools/list for the default profile.
func BenchmarkToolsList(b *testing.B) {
	s, err := listingServer(registry(b), Options{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.ToolsListJSON(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
