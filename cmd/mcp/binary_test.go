package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/supaops/supaops/internal/interleave"
)

// buildFlags build test binaries as make build does (static, stripped):
// start-up time and resident memory are measured on what ships.
var buildFlags = []string{"build", "-trimpath", "-ldflags", "-s -w"}

// goBuild runs go build with buildFlags and CGO off, as make build does.
// extra flags go before the package (-tags).
func goBuild(out, pkg string, extra ...string) error {
	args := append(append(append([]string(nil), buildFlags...), extra...), "-o", out, pkg)
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, msg)
	}
	return nil
}

// builtBinary is a binary the tests build once per test run.
type builtBinary struct {
	once sync.Once
	path string
	err  error
}

var built, trivialBuilt, trivialLibsBuilt builtBinary

// build builds pkg once, as a binary named out, with extra build flags, and
// returns its path.
func (b *builtBinary) build(tb testing.TB, out, pkg string, extra ...string) string {
	tb.Helper()
	b.once.Do(func() {
		dir, err := os.MkdirTemp("", out)
		if err != nil {
			b.err = err
			return
		}
		b.path = filepath.Join(dir, out)
		b.err = goBuild(b.path, pkg, extra...)
	})
	if b.err != nil {
		tb.Fatal(b.err)
	}
	return b.path
}

// binary builds supaops-mcp once per test run.
func binary(tb testing.TB) string { return built.build(tb, "supaops-mcp", ".") }

// stdioSession drives the binary over stdio with newline-delimited JSON-RPC.
type stdioSession struct {
	cmd   *exec.Cmd
	in    io.WriteCloser
	lines *bufio.Scanner
	early map[int]map[string]any // responses read while waiting for another
}

func startStdio(tb testing.TB, args ...string) *stdioSession {
	tb.Helper()
	cmd := exec.Command(binary(tb), args...)
	cmd.Env = append(os.Environ(), "SUPAOPS_STORE="+filepath.Join(tb.TempDir(), "s.db"), "SUPAOPS_LOG_LEVEL=error")
	in, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		in.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	lines := bufio.NewScanner(out)
	lines.Buffer(make([]byte, 1<<20), 16<<20)
	return &stdioSession{cmd: cmd, in: in, lines: lines, early: map[int]map[string]any{}}
}

func (s *stdioSession) send(tb testing.TB, msg string) {
	tb.Helper()
	if _, err := io.WriteString(s.in, msg+"\n"); err != nil {
		tb.Fatal(err)
	}
}

// await reads responses until the one with id arrives (the server answers
// out of order) and returns it.
func (s *stdioSession) await(tb testing.TB, id int) map[string]any {
	tb.Helper()
	if msg, ok := s.early[id]; ok {
		delete(s.early, id)
		return msg
	}
	for s.lines.Scan() {
		var msg map[string]any
		if err := json.Unmarshal(s.lines.Bytes(), &msg); err != nil {
			tb.Fatalf("not JSON-RPC: %s", s.lines.Bytes())
		}
		n, ok := msg["id"].(float64)
		if !ok {
			continue // a notification
		}
		if int(n) == id {
			return msg
		}
		s.early[int(n)] = msg
	}
	tb.Fatalf("no response %d: %v", id, s.lines.Err())
	return nil
}

const initialize = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"test","version":"1"}}}`

func TestBinaryOverStdio(t *testing.T) {
	s := startStdio(t, "--sandbox")
	s.send(t, initialize)
	init := s.await(t, 1)
	if init["result"].(map[string]any)["serverInfo"].(map[string]any)["name"] != "supaops" {
		t.Fatalf("initialize: %v", init)
	}
	s.send(t, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	s.send(t, `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`)
	s.send(t, `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"project_get","arguments":{"ref":"sandboxprodxxxxxxxxx"}}}`)
	s.send(t, `{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"project_get","arguments":{"ref":"nope"}}}`)
	s.send(t, `{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"no_such_tool","arguments":{}}}`)
	s.send(t, `{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"call_action","arguments":{"name":"project_update","arguments":{"ref":"sandboxprodxxxxxxxxx","name":"x"}}}}`)

	tools := s.await(t, 2)["result"].(map[string]any)["tools"].([]any)
	if len(tools) < 10 {
		t.Errorf("%d tools", len(tools))
	}
	ok := s.await(t, 3)["result"].(map[string]any)
	if ok["isError"] == true || !strings.Contains(fmt.Sprint(ok["content"]), "sandbox-production") {
		t.Errorf("project_get: %v", ok)
	}
	bad := s.await(t, 4)["result"].(map[string]any)
	if bad["isError"] != true || !strings.Contains(fmt.Sprint(bad["content"]), "ref") {
		t.Errorf("an invalid argument must be a tool error naming it: %v", bad)
	}
	if unknown := s.await(t, 5); unknown["error"] == nil {
		t.Errorf("an unknown tool is a protocol error: %v", unknown)
	}
	confirm := s.await(t, 6)["result"].(map[string]any)
	if confirm["isError"] != true || !strings.Contains(fmt.Sprint(confirm["content"]), "confirm") {
		t.Errorf("a write under the default policy needs confirmation: %v", confirm)
	}
}

// freeAddr finds a loopback port to serve on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestBinaryOverHTTP(t *testing.T) {
	dir := t.TempDir()
	const token = "0123456789abcdef0123456789abcdef-ci"
	tokens := filepath.Join(dir, "tokens")
	if err := os.WriteFile(tokens, []byte("ci "+token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	cmd := exec.Command(binary(t), "--sandbox", "--http", addr, "--tokens-file", tokens, "--allowed-origins", "https://ops.example.com")
	cmd.Env = append(os.Environ(), "SUPAOPS_STORE="+filepath.Join(dir, "s.db"), "SUPAOPS_LOG_LEVEL=error")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	url := "http://" + addr + "/mcp"
	waitHealthy(t, "http://"+addr+"/healthz")

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	call := func(headers map[string]string) (*mcp.CallToolResult, error) {
		c, err := client.NewStreamableHttpClient(url, transport.WithHTTPHeaders(headers))
		if err != nil {
			return nil, err
		}
		defer c.Close()
		if err := c.Start(ctx); err != nil {
			return nil, err
		}
		if _, err := c.Initialize(ctx, mcp.InitializeRequest{}); err != nil {
			return nil, err
		}
		req := mcp.CallToolRequest{}
		req.Params.Name = "projects_list"
		return c.CallTool(ctx, req)
	}
	res, err := call(map[string]string{"Authorization": "Bearer " + token})
	if err != nil || res.IsError {
		t.Fatalf("a good token: %v %v", res, err)
	}
	refused := []struct {
		name    string
		headers map[string]string
	}{
		{"no token", nil},
		{"wrong token", map[string]string{"Authorization": "Bearer " + strings.Repeat("x", 40)}},
		{"foreign origin", map[string]string{"Authorization": "Bearer " + token, "Origin": "https://evil.example.com"}},
	}
	for _, tt := range refused {
		if _, err := call(tt.headers); err == nil {
			t.Errorf("%s: want the call refused", tt.name)
		}
	}
	// The allowed origin works.
	if res, err := call(map[string]string{"Authorization": "Bearer " + token, "Origin": "https://ops.example.com"}); err != nil || res.IsError {
		t.Errorf("allowed origin: %v %v", res, err)
	}
}

func waitHealthy(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s never answered", url)
}

// BenchmarkStartupToToolsList measures a cold start of the stdio server as an
// MCP client sees it: process start, initialize, tools/list answered. It also
// reports the idle resident memory after the list.
func BenchmarkStartupToToolsList(b *testing.B) {
	if runtime.GOOS != "linux" {
		b.Skip("reads /proc for RSS")
	}
	binary(b)
	var times []time.Duration
	var rss []float64
	for b.Loop() {
		start := time.Now()
		s := startStdio(b, "--sandbox")
		s.send(b, initialize)
		s.await(b, 1)
		s.send(b, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
		s.send(b, `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`)
		s.await(b, 2)
		times = append(times, time.Since(start))
		rss = append(rss, residentMiB(b, s.cmd.Process.Pid))
		s.in.Close()
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
	}
	b.ReportMetric(float64(interleave.Median(times).Microseconds())/1000, "ms-to-tools/list")
	b.ReportMetric(medianFloat(rss), "idle-RSS-MiB")
}

func residentMiB(tb testing.TB, pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kb float64
			fmt.Sscanf(strings.TrimSpace(rest), "%f", &kb)
			return kb / 1024
		}
	}
	tb.Fatal("no VmRSS")
	return 0
}

// TestServerReloadsItsPolicy changes the policy file under a running server:
// a good change takes effect, a bad one is refused and the last good policy
// stays in force.
func TestServerReloadsItsPolicy(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "policy.yaml")
	write := func(src string) {
		t.Helper()
		// Write then rename, as editors do, so the server never reads half a file.
		tmp := file + ".tmp"
		if err := os.WriteFile(tmp, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, file); err != nil {
			t.Fatal(err)
		}
	}
	const header = "version: 1\ndefaults: {read: allow, write: confirm, destructive: deny}\n"
	write(header + "rules:\n  - {name: no-project-get, effect: deny, actions: [project_get]}\n")
	s := startStdio(t, "--sandbox", "--policy", file)
	s.send(t, initialize)
	s.await(t, 1)
	s.send(t, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	id := 10
	call := func() string {
		id++
		s.send(t, fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"project_get","arguments":{"ref":"sandboxprodxxxxxxxxx"}}}`, id))
		return fmt.Sprint(s.await(t, id)["result"])
	}
	if got := call(); !strings.Contains(got, "no-project-get") {
		t.Fatalf("the first policy denies project_get: %s", got)
	}
	write(header)
	waitFor(t, func() bool { return !strings.Contains(call(), "no-project-get") })
	write(header + "rules:\n  - {name: broken, effect: maybe}\n")
	time.Sleep(3 * time.Second) // two polls of the file
	if got := call(); strings.Contains(got, "isError:true") {
		t.Errorf("a bad file must leave the last good policy in force: %s", got)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 15 s")
		}
		time.Sleep(200 * time.Millisecond)
	}
}
