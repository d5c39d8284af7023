package mcphttp

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
)

// modernHeaders are the headers of a protocol 2026-07-28 request.
func modernHeaders(tok, method string) map[string]string {
	return map[string]string{
		"Authorization":        "Bearer " + tok,
		"Mcp-Protocol-Version": mcp.ProtocolVersion20260728,
		"Mcp-Method":           method,
	}
}

const modernMeta = `"_meta":{"io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"raw","version":"0"},"io.modelcontextprotocol/protocolVersion":"2026-07-28"}`

// modernSleep runs the sleep tool as a raw protocol 2026-07-28 request with
// the given JSON-RPC id, and sends the response body on the returned channel.
func modernSleep(t *testing.T, url, tok, id string) <-chan string {
	t.Helper()
	h := modernHeaders(tok, "tools/call")
	h["Mcp-Name"] = "sleep"
	res := make(chan string, 1)
	go func() {
		_, _, body := post(t, url, `{"jsonrpc":"2.0","id":`+id+`,"method":"tools/call","params":{"name":"sleep",`+modernMeta+`}}`, h)
		res <- body
	}()
	return res
}

// cancelModern sends a protocol 2026-07-28 notifications/cancelled for id.
func cancelModern(t *testing.T, url, tok, id string) int {
	t.Helper()
	status, _, _ := post(t, url, `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":`+id+`,"reason":"test",`+modernMeta+`}}`,
		modernHeaders(tok, "notifications/cancelled"))
	return status
}

// TestCancelOnlyOwnCalls: mcp-go files every session-less (protocol
// 2026-07-28) request's cancel function under its bare JSON-RPC id, so a
// cancellation from any principal reached any other's call with that id.
// Now only the principal whose call it is can cancel it.
func TestCancelOnlyOwnCalls(t *testing.T) {
	t.Parallel()

	t.Run("another principal cannot cancel", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		url := f.serve(t, Config{Tokens: testTokens})
		c, err := newClient(t, url, bearer(tokenCI)) // modern: no session
		if err != nil {
			t.Fatal(err)
		}
		res := callAsync(c, "sleep")
		f.waitStarted(t, 1)
		// The client numbers its requests from 1; try them all, as numbers
		// and as strings (mcp-go's key does not tell them apart).
		for i := range 20 {
			for _, id := range []string{fmt.Sprint(i), fmt.Sprintf("%q", fmt.Sprint(i))} {
				if got := cancelModern(t, url, tokenOps, id); got != http.StatusAccepted {
					t.Fatalf("cancel %s: status %d, want 202", id, got)
				}
			}
		}
		select {
		case got := <-res:
			t.Fatalf("ci's call ended on ops's cancellation: %q", got)
		default:
		}
		f.releaseAll()
		if got := <-res; got != "slept" {
			t.Fatalf("call = %q, want slept", got)
		}
	})

	t.Run("own call can be cancelled", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		url := f.serve(t, Config{Tokens: testTokens})
		res := modernSleep(t, url, tokenCI, "77")
		f.waitStarted(t, 1)
		if got := cancelModern(t, url, tokenCI, "77"); got != http.StatusAccepted {
			t.Fatalf("cancel: status %d", got)
		}
		if got := <-res; !strings.Contains(got, "context canceled") {
			t.Fatalf("cancelled call answered %q, want a context canceled error", got)
		}
	})

	t.Run("an id in flight for two principals cannot be cancelled", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		url := f.serve(t, Config{Tokens: testTokens})
		ci, ops := modernSleep(t, url, tokenCI, "9"), modernSleep(t, url, tokenOps, "9")
		f.waitStarted(t, 2)
		// mcp-go would cancel whichever stored the id last: maybe ops's.
		cancelModern(t, url, tokenCI, "9")
		f.releaseAll()
		for _, res := range []<-chan string{ci, ops} {
			if got := <-res; !strings.Contains(got, "slept") {
				t.Fatalf("call answered %q, want slept", got)
			}
		}
	})

	t.Run("legacy session cancellation unaffected", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		url := f.serve(t, Config{Tokens: testTokens})
		sid := initialize(t, url, tokenCI)
		res := make(chan string, 1)
		go func() {
			_, _, body := post(t, url, `{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"sleep"}}`,
				map[string]string{"Authorization": "Bearer " + tokenCI, "Mcp-Session-Id": sid, "Mcp-Protocol-Version": mcp.ProtocolVersion20251125})
			res <- body
		}()
		f.waitStarted(t, 1)
		// Another principal's session-less cancellation of id 5 must not
		// reach it either (it is filed under the session anyway).
		cancelModern(t, url, tokenOps, "5")
		if got := onSession(t, url, tokenCI, sid, `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":5}}`); got != http.StatusAccepted {
			t.Fatalf("cancel: status %d", got)
		}
		if got := <-res; !strings.Contains(got, "context canceled") {
			t.Fatalf("cancelled call answered %q, want a context canceled error", got)
		}
	})
}
