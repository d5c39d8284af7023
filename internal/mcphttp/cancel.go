package mcphttp

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"

	"github.com/mark3labs/mcp-go/mcp"
)

// cancelGuard keeps one principal from cancelling another's calls.
//
// mcp-go files the cancel function of every request in flight under
// "<session ID>:<JSON-RPC id>", and a notifications/cancelled naming that id
// on the same session cancels it. Requests without a session (every protocol
// 2026-07-28 request) all share the empty session ID, and clients number
// their requests from 1, so without this guard any token holder could cancel
// any other's running tool call by sending cancellations for small ids.
//
// The guard tracks the session-less requests in flight under mcp-go's key,
// with their principal, and lets a session-less cancellation through only
// when the id it names is in flight for the sender alone. It holds its lock
// while mcp-go handles the cancellation, so no other principal's request can
// take the id in between.
type cancelGuard struct {
	mu sync.Mutex
	// key -> principal -> requests in flight
	inflight map[string]map[string]int
}

func newCancelGuard() *cancelGuard {
	return &cancelGuard{inflight: make(map[string]map[string]int)}
}

// inflightKey is mcp-go's key for a session-less request id: the id decoded
// as JSON into an any, printed with %v (so 7 and "7" collide there, and here).
func inflightKey(rawID json.RawMessage) (string, bool) {
	var id any
	if len(rawID) == 0 || json.Unmarshal(rawID, &id) != nil || id == nil {
		return "", false
	}
	return fmt.Sprintf("%v", id), true
}

// start records a session-less request in flight; the returned func ends it.
func (g *cancelGuard) start(key, p string) func() {
	g.mu.Lock()
	defer g.mu.Unlock()
	m := g.inflight[key]
	if m == nil {
		m = make(map[string]int, 1)
		g.inflight[key] = m
	}
	m[p]++
	return func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		if m[p]--; m[p] == 0 {
			delete(m, p)
		}
		if len(m) == 0 {
			delete(g.inflight, key)
		}
	}
}

// cancel runs forward, which hands the cancellation to mcp-go, if p alone has
// a request under key in flight, and reports whether it did.
func (g *cancelGuard) cancel(key, p string, forward func()) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	m := g.inflight[key]
	if len(m) != 1 || m[p] == 0 {
		return false
	}
	forward()
	return true
}

// sessionless reports whether mcp-go files r's requests under the empty
// session ID: it has no session header, or it is a protocol 2026-07-28
// message, for which mcp-go ignores the header. The check mirrors mcp-go's
// own (header or _meta version).
func sessionless(r *http.Request, peek rpcPeek) bool {
	if r.Header.Get("Mcp-Session-Id") == "" || mcp.IsModernProtocol(r.Header.Get(mcp.HeaderProtocolVersion)) {
		return true
	}
	if len(peek.Params.Meta) == 0 {
		return false
	}
	var meta *mcp.Meta
	_ = json.Unmarshal(peek.Params.Meta, &meta)
	return mcp.IsModernProtocol(meta.ProtocolVersion())
}

// cancelledID returns the requestId a notifications/cancelled names.
func (p rpcPeek) cancelledID() json.RawMessage { return p.Params.RequestID }
