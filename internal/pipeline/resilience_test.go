package pipeline_test

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/supaops/supaops/internal/client"
	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/sandbox"
)

// clockedTransport records when each request reached the sandbox (fake time
// inside a synctest bubble).
type clockedTransport struct {
	next  http.RoundTripper
	mu    sync.Mutex
	times []time.Time
}

func (c *clockedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.times = append(c.times, time.Now())
	c.mu.Unlock()
	return c.next.RoundTrip(r)
}

// newDefaultEnv is the pipeline with the client's default limits in front
// of a sandbox that advertises 60 requests per minute (the API's documented
// limit before it became 120), which the client's global budget follows; it
// must be called inside the bubble.
func newDefaultEnv(t *testing.T) (*sandbox.Sandbox, *pipeline.Pipeline, *clockedTransport) {
	t.Helper()
	e := newEnv(t, pipeline.AllowAll{}) // loads the shared spec and registry
	sb, err := sandbox.New(sandbox.Options{Spec: shared.spec, Token: sandboxToken, Budget: 60})
	if err != nil {
		t.Fatal(err)
	}
	clocked := &clockedTransport{next: sb.RoundTripper()}
	api, err := client.New(client.Config{BaseURL: "http://sandbox.test", Token: sandboxToken, Transport: clocked})
	if err != nil {
		t.Fatal(err)
	}
	p, err := pipeline.New(pipeline.Config{Registry: e.pipeline.Registry(), API: api, Authorizer: pipeline.AllowAll{}})
	if err != nil {
		t.Fatal(err)
	}
	return sb, p, clocked
}

func TestBudgetHoldsUnderConcurrentCallers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sb, p, clocked := newDefaultEnv(t)
		slug := sb.Seed().OrgSlug
		const callers, perCaller = 20, 7 // 140 calls: more than two minutes of budget
		start := time.Now()
		var wg sync.WaitGroup
		errs := make(chan error, callers*perCaller)
		for c := range callers {
			wg.Go(func() {
				for i := range perCaller {
					// Distinct offsets: identical GETs would be collapsed into one.
					args := map[string]any{"slug": slug, "offset": c*perCaller + i}
					_, err := p.Call(context.Background(), pipeline.Request{Principal: "mcp:local", Action: "organization_projects_list", Args: args})
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		times := clocked.times
		sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
		if len(times) != callers*perCaller {
			t.Fatalf("%d requests reached the sandbox, want %d", len(times), callers*perCaller)
		}
		if took := time.Since(start); took < 2*time.Minute {
			t.Errorf("140 calls took %v; a 60/min budget needs over two minutes", took)
		}
		for i := range times {
			j := i
			for j < len(times) && times[j].Sub(times[i]) < time.Minute {
				j++
			}
			if j-i > 60 {
				t.Fatalf("%d requests within a minute starting at %v", j-i, times[i])
			}
		}
		if n := sb.Requests("v1-get-all-projects-for-organization"); n != len(times) {
			t.Errorf("sandbox saw %d, transport %d", n, len(times))
		}
	})
}

func TestIdenticalGETsReachTheSandboxOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sb, p, _ := newDefaultEnv(t)
		ref := sb.Seed().ProjectRef
		// The first call is still in flight when the others arrive.
		sb.InjectFault(sandbox.Fault{Kind: sandbox.Latency, Operation: "v1-get-project", Delay: 100 * time.Millisecond, Count: 1})
		var wg sync.WaitGroup
		for range 100 {
			wg.Go(func() {
				if _, err := p.Call(context.Background(), pipeline.Request{Principal: "mcp:local", Action: "project_get", Args: map[string]any{"ref": ref}}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if n := sb.Requests("v1-get-project"); n != 1 {
			t.Errorf("100 identical GETs reached the sandbox %d times, want 1", n)
		}
	})
}

func TestRateLimitStormWaitsForTheReset(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sb, p, _ := newDefaultEnv(t)
		sb.InjectFault(sandbox.Fault{Kind: sandbox.RateLimitStorm, Reset: 7 * time.Second, Count: 1})
		start := time.Now()
		// A POST too: a 429 means nothing was applied, so it is safe to repeat.
		_, err := p.Call(context.Background(), pipeline.Request{Principal: "mcp:local", Action: "project_pause", Args: map[string]any{"ref": sb.Seed().ProjectRef}})
		if err != nil {
			t.Fatal(err)
		}
		if waited := time.Since(start); waited < 7*time.Second || waited > 8*time.Second {
			t.Errorf("waited %v, want the 7 s reset", waited)
		}
		if n := sb.Requests("v1-pause-a-project"); n != 2 {
			t.Errorf("%d requests, want the refused one and the retry", n)
		}
	})
}

func TestRetriesOnlyWhereRepeatingIsHarmless(t *testing.T) {
	tests := []struct {
		name      string
		action    string
		operation string
		fault     sandbox.Fault
		wantErr   bool
		wantSent  int
	}{
		{"GET retried after a 503", "project_get", "v1-get-project", sandbox.Fault{Kind: sandbox.ServerError, Status: 503, Count: 1}, false, 2},
		{"GET retried after a dropped connection", "project_get", "v1-get-project", sandbox.Fault{Kind: sandbox.Drop, Count: 1}, false, 2},
		{"POST not retried after a 500", "project_pause", "v1-pause-a-project", sandbox.Fault{Kind: sandbox.ServerError, Status: 500, Count: 1}, true, 1},
		{"POST not retried after a dropped connection", "project_pause", "v1-pause-a-project", sandbox.Fault{Kind: sandbox.Drop, Count: 1}, true, 1},
		{"PATCH not retried after a 502", "project_update", "v1-update-a-project", sandbox.Fault{Kind: sandbox.ServerError, Status: 502, Count: 1}, true, 1},
		{"read-only POST retried", "database_query_read_only", "v1-read-only-query", sandbox.Fault{Kind: sandbox.ServerError, Status: 500, Count: 1}, false, 2},
		{"GET gives up after the last attempt", "project_get", "v1-get-project", sandbox.Fault{Kind: sandbox.ServerError, Status: 500}, true, client.DefaultMaxAttempts},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				sb, p, clocked := newDefaultEnv(t)
				tt.fault.Operation = tt.operation
				sb.InjectFault(tt.fault)
				a, _ := p.Registry().Lookup(tt.action)
				known := knownArgs(a, sb.Seed())
				known["name"] = "renamed"
				known["query"] = "select 1"
				_, err := p.Call(context.Background(), pipeline.Request{Principal: "mcp:local", Action: tt.action, Args: a.Example(known)})
				if (err != nil) != tt.wantErr {
					t.Fatalf("error %v, want error: %v", err, tt.wantErr)
				}
				if len(clocked.times) != tt.wantSent {
					t.Errorf("sent %d times, want %d", len(clocked.times), tt.wantSent)
				}
			})
		})
	}
}

func TestWaitFollowsAPauseToItsEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sb, p, _ := newDefaultEnv(t)
		res, err := p.Call(context.Background(), pipeline.Request{Principal: "mcp:local", Action: "project_pause", Args: map[string]any{"ref": sb.Seed().ProjectRef}})
		if err != nil {
			t.Fatal(err)
		}
		final, err := p.Wait(context.Background(), res, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if status := final.Data.(map[string]any)["status"]; status != "INACTIVE" {
			t.Errorf("status %v after waiting", status)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		res, err = p.Call(ctx, pipeline.Request{Principal: "mcp:local", Action: "project_restore", Args: map[string]any{"ref": sb.Seed().ProjectRef}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Wait(ctx, res, time.Second); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("a wait past its deadline must say so, got %v", err)
		}
	})
}
