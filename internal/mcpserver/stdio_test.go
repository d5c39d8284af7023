package mcpserver

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"
)

func TestServeStdio(t *testing.T) {
	st := newStack(t, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- st.srv.ServeStdio(ctx, inR, outW) }()

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

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
