package mcphttp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// stalledRequest is a request whose headers promise a body that only partly
// arrives: a JSON-RPC message cut off after its first bytes.
func stalledRequest(path string, headers ...string) string {
	const partial = `{"jsonrpc":"2.0","id":1,`
	var b strings.Builder
	fmt.Fprintf(&b, "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n", path, len(legacyInit))
	for _, h := range headers {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("\r\n")
	if !strings.Contains(b.String(), "Expect:") {
		b.WriteString(partial)
	}
	return b.String()
}

// dialSend opens a raw connection to the server at url and writes req.
func dialSend(t *testing.T, url, req string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	return conn
}

// readUntilClosed reads one response from conn and then expects the server to
// close the connection. wait bounds the whole read; it is a safety net far
// above the timeouts under test, not a measurement.
func readUntilClosed(t *testing.T, conn net.Conn, wait time.Duration) *http.Response {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(wait))
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no response before the connection ended: %v", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && !isReset(err) {
		t.Fatalf("connection not closed by the server after the response: %v", err)
	}
	return resp
}

func isReset(err error) bool {
	return err != nil && strings.Contains(err.Error(), "connection reset")
}

// TestStalledBody: a client that sends headers and part of a body, then
// stalls, has its connection closed at the body deadline, with an error
// response, whichever route or refusal it hit. Before, net/http waited
// without limit for the rest of a refused request's body, and a stalled
// body read by the handler lost its deadline after the 400.
func TestStalledBody(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	url := f.serve(t, Config{Tokens: testTokens, BodyReadTimeout: 200 * time.Millisecond})
	auth := "Authorization: Bearer " + tokenCI

	tests := []struct {
		name string
		req  string
		want int
	}{
		{name: "authenticated call", req: stalledRequest(Path, auth), want: http.StatusRequestTimeout},
		{name: "no token", req: stalledRequest(Path), want: http.StatusUnauthorized},
		{name: "origin refused", req: stalledRequest(Path, auth, "Origin: https://evil.example"), want: http.StatusForbidden},
		{name: "unknown path", req: stalledRequest("/nope", auth), want: http.StatusNotFound},
		{name: "health check", req: stalledRequest(HealthPath), want: http.StatusMethodNotAllowed},
		{name: "foreign session", req: stalledRequest(Path, auth, "Mcp-Session-Id: "+initialize(t, url, tokenOps)), want: http.StatusNotFound},
		{name: "chunked", req: "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n" + auth + "\r\n\r\n10\r\n{\"jsonrpc\":\"2.0\"", want: http.StatusRequestTimeout},
		// The client waits for 100 Continue before sending anything: the
		// refusal must not ask for the body, nor wait for it.
		{name: "expect continue, refused", req: stalledRequest(Path, "Expect: 100-continue"), want: http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			conn := dialSend(t, url, tt.req)
			resp := readUntilClosed(t, conn, 20*time.Second) //nolint:bodyclose // readUntilClosed drains and closes it
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
}

// TestBodyDeadlineLifted: once the body is in, the deadline is gone, so a
// call may run longer than BodyReadTimeout (net/http's background read would
// otherwise hit it and cancel the call), and a refused request with its whole
// body sent keeps its connection for the next request.
func TestBodyDeadlineLifted(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const timeout = 50 * time.Millisecond
	url := f.serve(t, Config{Tokens: testTokens, BodyReadTimeout: timeout})

	t.Run("long call", func(t *testing.T) {
		c, err := newClient(t, url, bearer(tokenCI))
		if err != nil {
			t.Fatal(err)
		}
		res := callAsync(c, "sleep")
		f.waitStarted(t, 1)
		time.Sleep(4 * timeout) // past the deadline it would have had
		f.releaseAll()
		if got := <-res; got != "slept" {
			t.Fatalf("call = %q, want slept", got)
		}
	})
	t.Run("refused with its body keeps the connection", func(t *testing.T) {
		body := legacyInit
		conn := dialSend(t, url, fmt.Sprintf("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body))
		_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
		br := bufio.NewReader(conn)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || resp.Close {
			t.Fatalf("status %d, close %t; want 401 on a kept connection", resp.StatusCode, resp.Close)
		}
		if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		resp, err = http.ReadResponse(br, nil)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("second request on the connection: %v, %v", resp, err)
		}
		resp.Body.Close()
	})
}
