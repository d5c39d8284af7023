package mcpserver

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// recoverPanics turns a panicking handler into an isError result (mcp-go's
// WithRecovery answers with a JSON-RPC -32603 instead, which clients show
// as a broken server rather than as something the model can react to). It
// also lets a call outlive a stdio session that stopped reading, until the
// drain ends (see ServeStdio).
func (s *Server) recoverPanics(next server.ToolHandlerFunc) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (res *mcp.CallToolResult, err error) {
		ctx, cancel := detach(ctx)
		defer cancel()
		defer func() {
			if r := recover(); r != nil {
				s.log.Error().Str("tool", req.Params.Name).Interface("panic", r).Bytes("stack", debug.Stack()).Msg("tool handler panicked")
				res = mcp.NewToolResultError(fmt.Sprintf(
					"Internal error in %s (it was logged). Whether the action took effect is unknown: read the state before trying again.",
					req.Params.Name))
				err = nil
			}
		}()
		return next(ctx, req)
	}
}
