package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"
	"time"

	mcpclient "github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/supaops/supaops/internal/audit"
	"github.com/supaops/supaops/internal/client"
	"github.com/supaops/supaops/internal/interleave"
	"github.com/supaops/supaops/internal/mcphttp"
	"github.com/supaops/supaops/internal/mcpserver"
	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/sandbox"
	"github.com/supaops/supaops/internal/scope"
	"github.com/supaops/supaops/internal/store"
	"github.com/supaops/supaops/internal/tools"
)

// BenchmarkHTTPToolCallVsDirect calls project_get as an MCP client over
// streamable HTTP (our HTTP front, MCP server, pipeline with its durable audit
// write, client) against the sandbox on loopback, alternating with the same
// request sent to the sandbox by plain net/http. Reported: the two medians and
// their ratio. The durable-audit case is the product as it runs; no-audit
// shows how much of it is the fsync of the audit record.
func BenchmarkHTTPToolCallVsDirect(b *testing.B) {
	b.Run("durable-audit", func(b *testing.B) { benchHTTPToolCall(b, true) })
	b.Run("no-audit", func(b *testing.B) { benchHTTPToolCall(b, false) })
}

func benchHTTPToolCall(b *testing.B, withAudit bool) {
	ctx := context.Background()
	reg, err := tools.Load()
	if err != nil {
		b.Fatal(err)
	}
	sb, err := sandbox.New(sandbox.Options{Token: "bench", Budget: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	api := httptest.NewServer(sb)
	defer api.Close()
	caller, err := client.New(client.Config{BaseURL: api.URL, Token: "bench",
		Limits: client.Limits{Global: client.Budget{Requests: 1 << 30, Window: time.Minute}, Endpoints: []client.EndpointLimit{}}})
	if err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(ctx, filepath.Join(b.TempDir(), "s.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	cfg := pipeline.Config{Registry: reg, API: caller, Authorizer: pipeline.AllowAll{}}
	if withAudit {
		cfg.Recorder = audit.New(st, nil)
	}
	p, err := pipeline.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	srv, err := mcpserver.New(reg, p, mcpserver.Options{})
	if err != nil {
		b.Fatal(err)
	}
	h, err := mcphttp.Handler(srv.MCP(), mcphttp.Config{Addr: "127.0.0.1:0"})
	if err != nil {
		b.Fatal(err)
	}
	front := httptest.NewServer(h)
	defer front.Close()
	c, err := mcpclient.NewStreamableHttpClient(front.URL + "/mcp")
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	if err := c.Start(ctx); err != nil {
		b.Fatal(err)
	}
	if _, err := c.Initialize(ctx, mcp.InitializeRequest{}); err != nil {
		b.Fatal(err)
	}
	ref := sb.Seed().ProjectRef
	req := mcp.CallToolRequest{}
	req.Params.Name = "project_get"
	req.Params.Arguments = map[string]any{"ref": ref}
	viaMCP := func() {
		res, err := c.CallTool(ctx, req)
		if err != nil || res.IsError {
			b.Fatalf("%v %v", res, err)
		}
	}
	direct := func() {
		r, _ := http.NewRequest(http.MethodGet, api.URL+"/v1/projects/"+ref, nil)
		r.Header.Set("Authorization", "Bearer bench")
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			b.Fatal(err)
		}
	}
	interleave.Compare(b, "mcp-http", viaMCP, "direct", direct)
}

// BenchmarkToolsListBytes reports the size of tools/list for each profile.
func BenchmarkToolsListBytes(b *testing.B) {
	reg, err := tools.Load()
	if err != nil {
		b.Fatal(err)
	}
	profiles := []struct {
		name string
		opts mcpserver.Options
	}{
		{"default", mcpserver.Options{}},
		{"read-only", mcpserver.Options{Scope: scope.Scope{ReadOnly: true}}},
		{"project-scope", mcpserver.Options{Scope: scope.Scope{Project: "abcdefghijklmnopqrst"}}},
		{"all", mcpserver.Options{Toolsets: []string{"all"}}},
	}
	for _, pr := range profiles {
		b.Run(pr.name, func(b *testing.B) {
			var n int
			for b.Loop() {
				if n, err = mcpserver.ToolsListBytes(context.Background(), reg, pr.opts); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n), "bytes")
		})
	}
}

func medianFloat(f []float64) float64 {
	if len(f) == 0 {
		return 0
	}
	s := slices.Clone(f)
	slices.Sort(s)
	return s[len(s)/2]
}
