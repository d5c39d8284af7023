package main

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/supaops/supaops/internal/audit"
	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/sandbox"
	"github.com/supaops/supaops/internal/store"
)

// A process killed after its request reached the API leaves the call's
// intent in the audit log, and audit verify says its effect is unknown.
func TestKilledCallLeavesItsIntent(t *testing.T) {
	sb, err := sandbox.New(sandbox.Options{Budget: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	sb.InjectFault(sandbox.Fault{Kind: sandbox.Latency, Operation: "v1-update-a-project", Delay: time.Minute})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = sb.Serve(t.Context(), ln) }()

	dir := t.TempDir()
	store, policyFile := filepath.Join(dir, "s.db"), filepath.Join(dir, "p.yaml")
	if err := os.WriteFile(policyFile, []byte("version: 1\ndefaults: {read: allow, write: allow, destructive: deny}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ref := sb.Seed().ProjectRef
	cmd := exec.Command(binary(t), "call", "project_update", "ref="+ref, "name=renamed", "--api-url", "http://"+ln.Addr().String())
	cmd.Env = append(os.Environ(), "SUPAOPS_STORE="+store, "SUPAOPS_POLICY="+policyFile, "SUPABASE_ACCESS_TOKEN=sbp_crash_test_token")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for sb.Requests("v1-update-a-project") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the call never reached the API")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	out, _, err := runCmd(t, map[string]string{"SUPAOPS_STORE": store}, "audit", "verify")
	if err != nil {
		t.Fatalf("the chain must be intact: %v\n%s", err, out)
	}
	for _, want := range []string{"1 call(s) were recorded as sent but have no outcome", "project_update", ref, "unknown"} {
		if !strings.Contains(out, want) {
			t.Errorf("audit verify lacks %q:\n%s", want, out)
		}
	}
}

// A server killed while many calls are in flight loses none whose result was
// returned: each has its intent and its outcome in the audit log, durable
// before the result left the server, and the chain verifies. Calls in flight
// at the kill may leave an intent without an outcome. The calls are local
// (jobs_list, no API and so no rate limit), each told apart by its "after"
// argument, and many at once, so their records share commits.
func TestKilledServerKeepsEveryReturnedCall(t *testing.T) {
	const callers = 64
	dir := t.TempDir()
	storeFile, policyFile, tokens := filepath.Join(dir, "s.db"), filepath.Join(dir, "p.yaml"), filepath.Join(dir, "tokens")
	if err := os.WriteFile(policyFile, []byte("version: 1\ndefaults: {read: allow, write: allow, destructive: deny}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The server lets one principal have 8 requests in flight: 64 callers
	// take 8 tokens.
	token := func(caller int) string { return fmt.Sprintf("0123456789abcdef0123456789abcdef-crash-%d", caller%8) }
	var lines strings.Builder
	for i := range 8 {
		fmt.Fprintf(&lines, "crash%d %s\n", i, token(i))
	}
	if err := os.WriteFile(tokens, []byte(lines.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	returned := map[string]bool{} // "after" arguments of the calls whose result came back
	for round := range 2 {
		addr := freeAddr(t)
		cmd := exec.Command(binary(t), "--sandbox", "--http", addr, "--tokens-file", tokens, "--policy", policyFile)
		cmd.Env = append(os.Environ(), "SUPAOPS_STORE="+storeFile, "SUPAOPS_LOG_LEVEL=error")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		waitHealthy(t, "http://"+addr+"/healthz")

		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		var count atomic.Int64
		var wg sync.WaitGroup
		for g := range callers {
			wg.Go(func() {
				c, err := client.NewStreamableHttpClient("http://"+addr+"/mcp", transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + token(g)}))
				if err != nil {
					t.Error(err)
					return
				}
				defer c.Close()
				if err := c.Start(ctx); err != nil {
					t.Error(err)
					return
				}
				if _, err := c.Initialize(ctx, mcp.InitializeRequest{}); err != nil {
					t.Errorf("caller %d: initialize: %v", g, err)
					return
				}
				for n := 0; ; n++ {
					after := fmt.Sprintf("r%d-c%d-n%d", round, g, n)
					req := mcp.CallToolRequest{}
					req.Params.Name = "call_action"
					req.Params.Arguments = map[string]any{"name": "jobs_list", "arguments": map[string]any{"after": after}}
					res, err := c.CallTool(ctx, req)
					if err != nil {
						return // the server is gone
					}
					if res.IsError {
						t.Errorf("jobs_list: %v", res.Content)
						return
					}
					mu.Lock()
					returned[after] = true
					mu.Unlock()
					count.Add(1)
				}
			})
		}
		// Kill once a few hundred calls have come back, at a point that
		// differs from round to round.
		want := int64(300 + rand.IntN(300))
		for count.Load() < want {
			if ctx.Err() != nil {
				cancel()
				t.Fatalf("round %d: only %d calls came back", round, count.Load())
			}
			time.Sleep(5 * time.Millisecond)
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		wg.Wait()
		cancel()
		t.Logf("round %d: killed after %d calls came back", round, count.Load())
	}

	out, _, err := runCmd(t, map[string]string{"SUPAOPS_STORE": storeFile}, "audit", "verify")
	if err != nil {
		t.Fatalf("the chain must be intact: %v\n%s", err, out)
	}
	st, err := store.Open(t.Context(), storeFile, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	entries, err := audit.New(st, nil).Query(t.Context(), audit.Filter{Limit: math.MaxInt})
	if err != nil {
		t.Fatal(err)
	}
	intents := map[string]uint64{} // "after" → intent's sequence number
	outcomes := map[uint64]bool{}  // intents with an outcome
	for _, e := range entries {
		switch e.Record.Event {
		case pipeline.EventIntent:
			if after, ok := e.Record.Args["after"].(string); ok {
				intents[after] = e.Seq
			}
		case pipeline.EventOutcome:
			outcomes[e.Record.Intent] = true
		}
	}
	for after := range returned {
		seq, ok := intents[after]
		switch {
		case !ok:
			t.Errorf("call %s returned its result, but its intent is not in the audit log", after)
		case !outcomes[seq]:
			t.Errorf("call %s returned its result, but its outcome (of intent %d) is not in the audit log", after, seq)
		}
	}
	t.Logf("%d calls returned, %d intents recorded, %d without an outcome (in flight at a kill)",
		len(returned), len(intents), len(intents)-len(outcomes))
}
