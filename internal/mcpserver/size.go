package mcpserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/supaops/supaops/internal/client"
	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/tools"
)

// ToolsListJSON returns the tools array exactly as this server sends it in
// answer to tools/list: what a client puts in the model's context.
func (s *Server) ToolsListJSON(ctx context.Context) ([]byte, error) {
	resp := s.mcp.HandleMessage(ctx, json.RawMessage(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
	b, err := json.Marshal(resp)
	if err != nil {
		return nil, fmt.Errorf("tools/list: %w", err)
	}
	var env struct {
		Result struct {
			Tools json.RawMessage `json:"tools"`
		} `json:"result"`
		Error *struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(b, &env); err != nil {
		return nil, fmt.Errorf("tools/list: %w", err)
	}
	if env.Error != nil {
		return nil, fmt.Errorf("tools/list: %s", env.Error.Message)
	}
	return env.Result.Tools, nil
}

// ToolsListBytes is the size in bytes of the tools/list tools array for a
// profile, for reports such as docs/benchmarks.md. It needs no API: the
// server it builds only lists.
func ToolsListBytes(ctx context.Context, reg *tools.Registry, opts Options) (int, error) {
	s, err := listingServer(reg, opts)
	if err != nil {
		return 0, err
	}
	b, err := s.ToolsListJSON(ctx)
	return len(b), err
}

// listingOnly is an API that refuses every request: ToolsListBytes never calls.
type listingOnly struct{}

var errListingOnly = errors.New("this server only lists tools")

func (listingOnly) Do(*http.Request) (*client.Response, error) { return nil, errListingOnly }
func (listingOnly) BaseURL() string                            { return "http://listing-only.invalid" }

// listingServer is a server for a profile whose calls all fail: enough to
// list its tools.
func listingServer(reg *tools.Registry, opts Options) (*Server, error) {
	p, err := pipeline.New(pipeline.Config{Registry: reg, API: listingOnly{}})
	if err != nil {
		return nil, err
	}
	return New(reg, p, opts)
}
