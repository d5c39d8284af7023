// Command trivialmcp is the floor supaops-mcp's start-up is measured
// against: an mcp-go stdio server with three tools and nothing else.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

func main() {
	s := server.NewMCPServer("trivial", "1", server.WithToolCapabilities(false))
	for _, name := range []string{"echo", "add", "now"} {
		s.AddTool(mcp.NewTool(name,
			mcp.WithDescription("A trivial tool: "+name+"."),
			mcp.WithString("text", mcp.Description("Some text."), mcp.Required()),
		), func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultText(req.GetString("text", "")), nil
		})
	}
	if err := server.ServeStdio(s); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
