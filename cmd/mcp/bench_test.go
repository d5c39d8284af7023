package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mcpclient "github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"go.etcd.io/bbolt"

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
	var rec func(*store.Store) pipeline.Recorder
	if withAudit {
		rec = func(st *store.Store) pipeline.Recorder { return audit.New(st, nil) }
	}
	stack := newBenchStack(b, rec, 0)
	c := stack.client(b)
	viaMCP := func() {
		res, err := c.CallTool(ctx, stack.req)
		if err != nil || res.IsError {
			b.Fatalf("%v %v", res, err)
		}
	}
	direct := func() {
		r, _ := http.NewRequest(http.MethodGet, stack.api+"/v1/projects/"+stack.ref, nil)
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

// benchStack is the product over streamable HTTP (HTTP front, MCP server,
// pipeline with its audit log, client) against the sandbox on loopback.
type benchStack struct {
	front, api, ref string
	store           *store.Store
	req             mcp.CallToolRequest
}

// newBenchStack starts the stack; rec builds its recorder on the store (nil:
// no audit log), and maxConcurrent lifts the HTTP front's cap on one
// principal's requests in flight (0: the default).
func newBenchStack(b *testing.B, rec func(*store.Store) pipeline.Recorder, maxConcurrent int) *benchStack {
	b.Helper()
	reg, err := tools.Load()
	if err != nil {
		b.Fatal(err)
	}
	sb, err := sandbox.New(sandbox.Options{Token: "bench", Budget: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	api := httptest.NewServer(sb)
	b.Cleanup(api.Close)
	caller, err := client.New(client.Config{BaseURL: api.URL, Token: "bench",
		Limits: client.Limits{Global: client.Budget{Requests: 1 << 30, Window: time.Minute}, Endpoints: []client.EndpointLimit{}}})
	if err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "s.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	cfg := pipeline.Config{Registry: reg, API: caller, Authorizer: pipeline.AllowAll{}}
	if rec != nil {
		cfg.Recorder = rec(st)
	}
	p, err := pipeline.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	srv, err := mcpserver.New(reg, p, mcpserver.Options{})
	if err != nil {
		b.Fatal(err)
	}
	h, err := mcphttp.Handler(srv.MCP(), mcphttp.Config{Addr: "127.0.0.1:0", MaxConcurrentPerPrincipal: maxConcurrent})
	if err != nil {
		b.Fatal(err)
	}
	front := httptest.NewServer(h)
	b.Cleanup(front.Close)
	req := mcp.CallToolRequest{}
	req.Params.Name = "project_get"
	req.Params.Arguments = map[string]any{"ref": sb.Seed().ProjectRef}
	return &benchStack{front: front.URL, api: api.URL, ref: sb.Seed().ProjectRef, store: st, req: req}
}

// client is a started and initialized MCP client of the stack.
func (s *benchStack) client(b *testing.B) *mcpclient.Client {
	b.Helper()
	ctx := context.Background()
	c, err := mcpclient.NewStreamableHttpClient(s.front + "/mcp")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	if err := c.Start(ctx); err != nil {
		b.Fatal(err)
	}
	if _, err := c.Initialize(ctx, mcp.InitializeRequest{}); err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkConcurrentToolCalls runs project_get from 64 MCP clients at once
// over streamable HTTP, as above, with three recorders: the audit log (group
// commit: concurrent calls share commits), the same log appending each
// record in its own transaction (every append before group commit), and no
// audit log. Each call that reaches the API writes two durable records, its
// intent and its outcome. Reported: calls/s and fdatasyncs per call (bbolt
// syncs twice per commit).
func BenchmarkConcurrentToolCalls(b *testing.B) {
	const callers = 64
	recorders := []struct {
		name string
		rec  func(*store.Store) pipeline.Recorder
	}{
		{"group-commit", func(st *store.Store) pipeline.Recorder { return audit.New(st, nil) }},
		{"commit-per-record", func(st *store.Store) pipeline.Recorder { return updateRecorder{st, audit.New(st, nil)} }},
		{"no-audit", nil},
	}
	for _, r := range recorders {
		b.Run(r.name, func(b *testing.B) {
			stack := newBenchStack(b, r.rec, callers)
			clients := make([]*mcpclient.Client, callers)
			for i := range clients {
				clients[i] = stack.client(b)
			}
			before := stack.store.Stats()
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for _, c := range clients {
				wg.Go(func() {
					for next.Add(1) <= int64(b.N) {
						res, err := c.CallTool(context.Background(), stack.req)
						if err != nil || res.IsError {
							b.Errorf("%v %v", res, err)
							return
						}
					}
				})
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "calls/s")
			b.ReportMetric(2*float64(stack.store.Stats().Commits-before.Commits)/float64(b.N), "fsyncs/call")
		})
	}
}

// updateRecorder appends each record in a transaction of its own, as every
// append did before group commit.
type updateRecorder struct {
	st  *store.Store
	log *audit.Log
}

func (r updateRecorder) Record(ctx context.Context, rec pipeline.Record) (uint64, error) {
	var seq uint64
	err := r.st.Update(ctx, func(tx *bbolt.Tx) error {
		e, err := r.log.AppendTx(tx, rec)
		seq = e.Seq
		return err
	})
	return seq, err
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
