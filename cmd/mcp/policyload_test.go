package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// awaitWithin is await with a deadline: the test fails, rather than hangs,
// when the server does not answer.
func (s *stdioSession) awaitWithin(t *testing.T, id int, d time.Duration) map[string]any {
	t.Helper()
	got := make(chan map[string]any, 1)
	go func() { got <- s.awaitQuiet(id) }()
	select {
	case msg := <-got:
		if msg == nil {
			t.Fatalf("no response %d", id)
		}
		return msg
	case <-time.After(d):
		t.Fatalf("no response %d within %v", id, d)
		return nil
	}
}

// awaitQuiet is await for another goroutine: nil when the output ends.
func (s *stdioSession) awaitQuiet(id int) map[string]any {
	if msg, ok := s.early[id]; ok {
		delete(s.early, id)
		return msg
	}
	for s.lines.Scan() {
		var msg map[string]any
		if json.Unmarshal(s.lines.Bytes(), &msg) != nil {
			return nil
		}
		if n, ok := msg["id"].(float64); ok {
			if int(n) == id {
				return msg
			}
			s.early[int(n)] = msg
		}
	}
	return nil
}

// TestServerListsWhileThePolicyLoads: initialize and tools/list need only
// the registry, so they are answered while the policy is still loading —
// here its file is a FIFO nobody has written to, so loading it blocks — and
// a call waits for the policy, then runs under it.
func TestServerListsWhileThePolicyLoads(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "policy.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFO: %v", err)
	}
	s := startStdio(t, "--sandbox", "--policy", fifo)
	s.send(t, initialize)
	s.awaitWithin(t, 1, 20*time.Second)
	s.send(t, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	s.send(t, `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`)
	if tools := s.awaitWithin(t, 2, 20*time.Second)["result"].(map[string]any)["tools"].([]any); len(tools) < 10 {
		t.Fatalf("%d tools", len(tools))
	}
	s.send(t, `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"project_get","arguments":{"ref":"sandboxprodxxxxxxxxx"}}}`)
	// The call is decided by the policy, which is not in yet.
	early := make(chan map[string]any, 1)
	go func() { early <- s.awaitQuiet(3) }()
	select {
	case msg := <-early:
		t.Fatalf("the call was answered before the policy was read: %v", msg)
	case <-time.After(300 * time.Millisecond):
	}
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	// A rule only this file has: the answer shows which policy decided.
	_, err = io.WriteString(w, "version: 1\ndefaults: {read: allow, write: confirm, destructive: deny}\nrules:\n  - {name: fifo-policy, effect: deny, actions: [project_get]}\n")
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	select {
	case msg := <-early:
		if got := msg["result"].(map[string]any); got["isError"] != true || !strings.Contains(jsonText(t, got), "fifo-policy") {
			t.Fatalf("the call must be decided by the policy read: %v", got)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the call was not answered once the policy was in")
	}
}

func jsonText(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestServerStopsWhenThePolicyDoesNotLoad: the policy compiles while the
// server starts; if it does not compile, the server stops and the command
// fails with the policy's problem, even though the client's input is open.
func TestServerStopsWhenThePolicyDoesNotLoad(t *testing.T) {
	file := filepath.Join(t.TempDir(), "policy.yaml")
	bad := "version: 1\ndefaults: {read: allow, write: confirm, destructive: deny}\nrules:\n  - name: broken\n    effect: deny\n    actions: [project_get]\n    when: 'args.ref =='\n"
	if err := os.WriteFile(file, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	stdin, feed := io.Pipe() // open until the test ends: only the policy stops the server
	defer feed.Close()
	out, toClient := io.Pipe()
	go func() { _, _ = io.Copy(io.Discard, bufio.NewReader(out)) }()
	env := map[string]string{"SUPAOPS_STORE": testStore(t), "SUPAOPS_POLICY": file, "SUPAOPS_LOG_LEVEL": "disabled"}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	args := strings.Fields("--sandbox") // (a slice literal here trips gosec's bounds analysis of splitArgs)
	err := run(ctx, args, func(k string) string { return env[k] }, stdin, toClient, io.Discard)
	toClient.Close()
	if err == nil || !strings.Contains(err.Error(), file+":7") {
		t.Fatalf("got %v, want the policy's problem at %s:7", err, file)
	}
	if ctx.Err() != nil {
		t.Fatal("the server did not stop by itself")
	}
}
