package mcpserver

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/supaops/supaops/internal/sandbox"
)

func TestServeStdio(t *testing.T) {
	st := newStack(t, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- st.srv.ServeStdio(ctx, inR, outW, time.Second) }()

	lines := []string{
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"test","version":"1"}}}`,
		`{"jsonrpc":"2.0","method":"notifications/initialized"}`,
		`{"jsonrpc":"2.0","id":2,"method":"tools/list"}`,
		`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"projects_list","arguments":{}}}`,
		`{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"no_such_tool","arguments":{}}}`,
	}
	go func() {
		for _, l := range lines {
			_, _ = io.WriteString(inW, l+"\n")
		}
	}()
	// Tool calls run on a worker pool: answers come in any order.
	got := map[float64]map[string]any{}
	sc := bufio.NewScanner(outR)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	for len(got) < 4 && sc.Scan() {
		var msg map[string]any
		if err := json.Unmarshal(sc.Bytes(), &msg); err != nil {
			t.Fatalf("not JSON-RPC: %s", sc.Text())
		}
		if id, ok := msg["id"].(float64); ok {
			got[id] = msg
		}
	}
	init, _ := got[1]["result"].(map[string]any)
	if init == nil || init["instructions"] == nil {
		t.Errorf("initialize: %v", got[1])
	}
	// The tool list is fixed for the session: no list_changed promised.
	if caps, _ := init["capabilities"].(map[string]any)["tools"].(map[string]any); caps == nil || caps["listChanged"] == true {
		t.Errorf("tools capability: %v", init["capabilities"])
	}
	if tools, _ := got[2]["result"].(map[string]any)["tools"].([]any); len(tools) != len(st.srv.ToolNames()) {
		t.Errorf("tools/list: %d tools", len(tools))
	}
	res, _ := got[3]["result"].(map[string]any)
	if res == nil || res["isError"] == true || !strings.Contains(toJSON(res), st.seed.ProjectRef) {
		t.Errorf("tools/call: %v", got[3])
	}
	// An unknown tool is a protocol fault: a JSON-RPC error, not a tool result.
	if got[4]["error"] == nil {
		t.Errorf("unknown tool: want a JSON-RPC error, got %v", got[4])
	}
	_ = inW.Close()
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("ServeStdio did not stop")
	}
}

// stdioSession starts a server over pipes, initialises it and returns a
// function that sends one line and a channel of the answers by id.
func stdioSession(t *testing.T, st *stack, ctx context.Context, grace time.Duration) (send func(string), answers <-chan map[string]any, done <-chan error) {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	errc := make(chan error, 1)
	go func() { errc <- st.srv.ServeStdio(ctx, inR, outW, grace) }()
	out := make(chan map[string]any, 16)
	go func() {
		sc := bufio.NewScanner(outR)
		sc.Buffer(make([]byte, 1<<20), 1<<22)
		for sc.Scan() {
			var msg map[string]any
			if json.Unmarshal(sc.Bytes(), &msg) == nil && msg["id"] != nil {
				out <- msg
			}
		}
	}()
	t.Cleanup(func() { _ = inW.Close(); _ = outR.Close() })
	send = func(line string) { _, _ = io.WriteString(inW, line+"\n") }
	send(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"test","version":"1"}}}`)
	send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	select {
	case <-out:
	case <-time.After(10 * time.Second):
		t.Fatal("no answer to initialize")
	}
	return send, out, errc
}

// A stop (SIGTERM) lets a call in flight finish and answer, then returns.
func TestServeStdioDrainsOnStop(t *testing.T) {
	st := newStack(t, Options{})
	st.app.Sandbox.InjectFault(sandbox.Fault{Kind: sandbox.Latency, Operation: "v1-get-project", Delay: 500 * time.Millisecond})
	ctx, stop := context.WithCancel(context.Background())
	send, answers, done := stdioSession(t, st, ctx, 10*time.Second)
	send(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"project_get","arguments":{"ref":"` + st.seed.ProjectRef + `"}}}`)
	time.Sleep(100 * time.Millisecond) // the call is in flight
	stop()
	select {
	case msg := <-answers:
		res, _ := msg["result"].(map[string]any)
		if res == nil || res["isError"] == true || !strings.Contains(toJSON(res), st.seed.ProjectRef) {
			t.Errorf("the call in flight did not finish: %v", msg)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the call in flight got no answer")
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("ServeStdio: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ServeStdio did not return after draining")
	}
}

// A call still running when the grace period ends is cancelled, and the
// server returns.
func TestServeStdioGraceEnds(t *testing.T) {
	st := newStack(t, Options{})
	st.app.Sandbox.InjectFault(sandbox.Fault{Kind: sandbox.Latency, Operation: "v1-get-project", Delay: time.Minute})
	ctx, stop := context.WithCancel(context.Background())
	send, _, done := stdioSession(t, st, ctx, 200*time.Millisecond)
	send(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"project_get","arguments":{"ref":"` + st.seed.ProjectRef + `"}}}`)
	time.Sleep(100 * time.Millisecond)
	stop()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("ServeStdio outlived its grace period")
	}
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
