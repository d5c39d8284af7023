package pipeline_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/supaops/supaops/internal/client"
	"github.com/supaops/supaops/internal/interleave"
	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/sandbox"
)

// BenchmarkPipelineVsDirect times one action (project_get) through the whole
// pipeline — validate, authorise, rate limit, call, decode, redact, record —
// against the sandbox over loopback HTTP, and the same request sent by plain
// net/http (request, read, JSON decode). The two alternate call by call, so
// both see the same machine load; the reported ratio is median/median.
func BenchmarkPipelineVsDirect(b *testing.B) {
	e := newEnv(b, pipeline.AllowAll{})
	srv := httptest.NewServer(e.sb)
	defer srv.Close()
	api, err := client.New(client.Config{
		BaseURL: srv.URL, Token: sandboxToken,
		Limits: client.Limits{Global: client.Budget{Requests: 1 << 30, Window: time.Minute}, Endpoints: []client.EndpointLimit{}},
	})
	if err != nil {
		b.Fatal(err)
	}
	p, err := pipeline.New(pipeline.Config{Registry: e.pipeline.Registry(), API: api, Authorizer: pipeline.AllowAll{}, Recorder: &records{}})
	if err != nil {
		b.Fatal(err)
	}
	ref := e.sb.Seed().ProjectRef
	req := pipeline.Request{Action: "project_get", Args: map[string]any{"ref": ref}, Principal: "bench", Surface: "cli"}
	direct := &http.Client{}
	url := srv.URL + "/v1/projects/" + ref
	callDirect := func() {
		r, _ := http.NewRequest(http.MethodGet, url, nil)
		r.Header.Set("Authorization", "Bearer "+sandboxToken)
		r.Header.Set("Accept", "application/json")
		resp, err := direct.Do(r)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var v any
		if err := json.Unmarshal(body, &v); err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("direct: %d %v", resp.StatusCode, err)
		}
	}
	callPipeline := func() {
		if _, err := p.Call(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
	interleave.Compare(b, "pipeline", callPipeline, "direct", callDirect)
}

// BenchmarkCollapse100 sends 100 concurrent identical GETs through the
// pipeline while the first is in flight (2 ms of sandbox latency) and reports
// how many reached the sandbox per 100 calls.
func BenchmarkCollapse100(b *testing.B) {
	e := newEnv(b, pipeline.AllowAll{})
	ref := e.sb.Seed().ProjectRef
	req := pipeline.Request{Principal: "mcp:local", Action: "project_get", Args: map[string]any{"ref": ref}}
	before := e.sb.Requests("v1-get-project")
	rounds := 0
	for b.Loop() {
		e.sb.InjectFault(sandbox.Fault{Kind: sandbox.Latency, Operation: "v1-get-project", Delay: 2 * time.Millisecond, Count: 1})
		var wg sync.WaitGroup
		for range 100 {
			wg.Go(func() {
				if _, err := e.pipeline.Call(context.Background(), req); err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()
		rounds++
	}
	upstream := e.sb.Requests("v1-get-project") - before
	b.ReportMetric(float64(upstream)/float64(rounds), "upstream/100calls")
}
