package mcphttp

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
)

// BenchmarkHTTPToolCall compares one tools/call through mcp-go's client over
// streamable HTTP with a plain HTTP POST of the same JSON-RPC request (body
// and headers captured from the client) to the same handler. The ratio
// client/plain is the client's overhead; both include the full middleware
// chain (auth, origin, body limit, concurrency, access log to a disabled
// logger).
func BenchmarkHTTPToolCall(b *testing.B) {
	f := newFixture(b)
	h, err := newHandler(f.srv, Config{Tokens: testTokens})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { h.close(context.Background()) })

	// Record the client's tools/call so the plain POST sends exactly that.
	var (
		mu      sync.Mutex
		capBody []byte
		capHdr  http.Header
	)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			body, _ := io.ReadAll(r.Body)
			if peekRPC(body).Method == string(mcp.MethodToolsCall) {
				mu.Lock()
				if capBody == nil {
					capBody, capHdr = body, r.Header.Clone()
				}
				mu.Unlock()
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		h.ServeHTTP(w, r)
	}))
	b.Cleanup(ts.Close)

	c, err := newClient(b, ts.URL, bearer(tokenCI))
	if err != nil {
		b.Fatal(err)
	}
	want := "principal=mcp:token:ci authorization_header=false"
	if got, err := callText(b.Context(), c, "whoami"); err != nil || got != want {
		b.Fatalf("whoami = %q, %v", got, err)
	}

	b.Run("mcp-client", func(b *testing.B) {
		for b.Loop() {
			if _, err := callText(b.Context(), c, "whoami"); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("plain-post", func(b *testing.B) {
		hc := &http.Client{}
		for b.Loop() {
			req, _ := http.NewRequestWithContext(b.Context(), http.MethodPost, ts.URL+Path, bytes.NewReader(capBody))
			req.Header = capHdr.Clone()
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte("mcp:token:ci")) {
				b.Fatalf("plain POST: %d %s", resp.StatusCode, body)
			}
		}
	})
}

// BenchmarkInitializeFlood replays the attack: one legacy initialize per
// iteration from one principal, never ended. It reports the heap still in use
// after the flood (after GC) and the sessions mcp-go holds, which the
// per-principal cap bounds whatever b.N is:
//
//	go test -run '^$' -bench InitializeFlood -benchtime 35000x ./internal/mcphttp/
func BenchmarkInitializeFlood(b *testing.B) {
	f := newFixture(b)
	h, err := newHandler(f.srv, Config{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { h.close(context.Background()) })
	before := heapInUse()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, Path, strings.NewReader(legacyInit))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("initialize: %d %s", rec.Code, rec.Body)
		}
	}
	b.StopTimer()
	after := heapInUse()
	b.ReportMetric(float64(after-min(before, after))/1024, "retained-KiB")
	b.ReportMetric(float64(f.live.Load()), "mcp-go-sessions")
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
