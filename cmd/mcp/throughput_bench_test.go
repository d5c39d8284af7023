package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	mcpclient "github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/supaops/supaops/internal/app"
	"github.com/supaops/supaops/internal/client"
	"github.com/supaops/supaops/internal/mcphttp"
	"github.com/supaops/supaops/internal/mcpserver"
	"github.com/supaops/supaops/internal/sandbox"
)

// throughputClients is how many MCP clients call at once, each with its
// own token (its own principal).
const throughputClients = 32

// BenchmarkMCPHTTPThroughput measures calls per second of project_get over
// streamable HTTP with 32 concurrent clients, each with its own token:
// supaops as it runs (the shipped default policy, the pipeline, the durable
// audit log with an intent and an outcome per call, the client's limiter)
// against a trivial mcp-go server whose one tool makes the same plain HTTP
// request to the same sandbox. Rounds alternate between the two; reported
// are the median calls/s of each and their ratio. "one-client" alternates
// single calls and reports the two medians.
func BenchmarkMCPHTTPThroughput(b *testing.B) {
	env := newThroughputEnv(b)
	b.Run("32-clients", func(b *testing.B) {
		const callsPerClient = 20
		var ours, trivial []float64
		for b.Loop() {
			ours = append(ours, env.round(b, env.supaops, callsPerClient))
			trivial = append(trivial, env.round(b, env.trivial, callsPerClient))
		}
		mo, mt := median(ours), median(trivial)
		b.ReportMetric(mo, "supaops-calls/s")
		b.ReportMetric(mt, "trivial-calls/s")
		b.ReportMetric(mo/mt, "ratio")
	})
	b.Run("one-client", func(b *testing.B) {
		var ours, trivial []time.Duration
		for i := 0; b.Loop(); i++ {
			a, t := timedCall(b, env.supaops[0], env.ref), timedCall(b, env.trivial[0], env.ref)
			if i%2 == 1 { // the other goes first
				t, a = timedCall(b, env.trivial[0], env.ref), timedCall(b, env.supaops[0], env.ref)
			}
			ours, trivial = append(ours, a), append(trivial, t)
		}
		mo, mt := medianDur(ours), medianDur(trivial)
		b.ReportMetric(float64(mo.Microseconds()), "supaops-µs")
		b.ReportMetric(float64(mt.Microseconds()), "trivial-µs")
		b.ReportMetric(float64(mo)/float64(mt), "ratio")
	})
}

type throughputEnv struct {
	ref              string
	supaops, trivial []*mcpclient.Client
}

func newThroughputEnv(b *testing.B) *throughputEnv {
	b.Helper()
	ctx := context.Background()
	const token = "sbp_throughput"
	sb, err := sandbox.New(sandbox.Options{Token: token, Budget: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	api := httptest.NewServer(sb)
	b.Cleanup(api.Close)
	env := &throughputEnv{ref: sb.Seed().ProjectRef}

	a, err := app.Open(ctx, app.Options{
		StoreFile: filepath.Join(b.TempDir(), "s.db"), API: true, APIURL: api.URL, Token: token,
		Limits: client.Limits{Global: client.Budget{Requests: 1 << 30, Window: time.Minute}, Endpoints: []client.EndpointLimit{}},
	})
	if err != nil {
		b.Fatal(err)
	}
	srv, err := mcpserver.New(a.Registry, a.Pipeline, mcpserver.Options{})
	if err != nil {
		b.Fatal(err)
	}
	tokens := map[string]string{}
	for i := range throughputClients {
		tokens[fmt.Sprintf("token-%02d-0123456789abcdef0123456789abcdef", i)] = fmt.Sprintf("client-%02d", i)
	}
	h, err := mcphttp.Handler(srv.MCP(), mcphttp.Config{Addr: "127.0.0.1:0", Tokens: tokens})
	if err != nil {
		b.Fatal(err)
	}
	ours := httptest.NewServer(h)
	b.Cleanup(ours.Close)
	for tok := range tokens {
		env.supaops = append(env.supaops, startClient(b, ours.URL+"/mcp", transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + tok})))
	}

	triv := server.NewMCPServer("trivial", "1.0.0")
	// The same connection pool as supaops's client keeps (internal/client),
	// so neither side dials anew under load.
	pool := http.DefaultTransport.(*http.Transport).Clone()
	pool.MaxIdleConnsPerHost = client.DefaultIdleConnsPerHost
	direct := &http.Client{Transport: pool}
	triv.AddTool(mcp.NewTool("project_get", mcp.WithString("ref", mcp.Required())), func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		ref, err := req.RequireString("ref")
		if err != nil {
			return nil, err
		}
		r, err := http.NewRequestWithContext(ctx, http.MethodGet, api.URL+"/v1/projects/"+ref, nil)
		if err != nil {
			return nil, err
		}
		r.Header.Set("Authorization", "Bearer "+token)
		resp, err := direct.Do(r)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return nil, err
		}
		return mcp.NewToolResultText(string(body)), nil
	})
	trivial := httptest.NewServer(server.NewStreamableHTTPServer(triv))
	b.Cleanup(trivial.Close)
	for range throughputClients {
		env.trivial = append(env.trivial, startClient(b, trivial.URL+"/mcp"))
	}
	return env
}

func startClient(b *testing.B, url string, opts ...transport.StreamableHTTPCOption) *mcpclient.Client {
	b.Helper()
	c, err := mcpclient.NewStreamableHttpClient(url, opts...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.Close() })
	ctx := context.Background()
	if err := c.Start(ctx); err != nil {
		b.Fatal(err)
	}
	if _, err := c.Initialize(ctx, mcp.InitializeRequest{}); err != nil {
		b.Fatal(err)
	}
	return c
}

// round has every client make calls calls at once and returns calls/s.
func (e *throughputEnv) round(b *testing.B, clients []*mcpclient.Client, calls int) float64 {
	start := time.Now()
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range calls {
				call(b, c, e.ref)
			}
		}()
	}
	wg.Wait()
	return float64(calls*len(clients)) / time.Since(start).Seconds()
}

func call(b *testing.B, c *mcpclient.Client, ref string) {
	req := mcp.CallToolRequest{}
	req.Params.Name = "project_get"
	req.Params.Arguments = map[string]any{"ref": ref}
	res, err := c.CallTool(context.Background(), req)
	if err != nil || res.IsError {
		b.Errorf("project_get: %v %+v", err, res)
	}
}

func timedCall(b *testing.B, c *mcpclient.Client, ref string) time.Duration {
	start := time.Now()
	call(b, c, ref)
	return time.Since(start)
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

func medianDur(v []time.Duration) time.Duration {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
