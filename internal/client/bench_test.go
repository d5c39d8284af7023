package client

import (
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// The benchmarks compare Caller.Do with a plain http.Client.Do against the
// same in-memory handler, so the difference is the Caller's own overhead
// (headers, limiter, collapsing, body copy, error handling). The budget is
// large enough never to wait.

func benchHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "bench")
		io.WriteString(w, `{"id":"abcdefghijklmnopqrst","name":"bench","status":"ACTIVE_HEALTHY"}`)
	})
}

func benchCaller(b *testing.B) *Caller {
	c, _ := newTestCaller(b, benchHandler(), func(cfg *Config) {
		cfg.Limits.Global = Budget{Requests: 1 << 20, Window: 100 * time.Millisecond}
	})
	return c
}

func BenchmarkCallerDo(b *testing.B) {
	c := benchCaller(b)
	req := newReq(b, b.Context(), c, "GET", "/v1/projects/abcdefghijklmnopqrst", "")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Do(req); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCallerDoPOST(b *testing.B) {
	c := benchCaller(b)
	b.ReportAllocs()
	for b.Loop() {
		req := newReq(b, b.Context(), c, "POST", "/v1/projects/abcdefghijklmnopqrst/database/query", `{"query":"select 1"}`)
		if _, err := c.Do(req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCallerDoParallel: distinct URLs, so nothing collapses and every
// goroutine contends for the one limiter.
func BenchmarkCallerDoParallel(b *testing.B) {
	c := benchCaller(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			req := newReq(b, b.Context(), c, "GET", "/v1/projects/p"+strconv.Itoa(i), "")
			if _, err := c.Do(req); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkHTTPClientDo(b *testing.B) {
	hc := &http.Client{Transport: &memTransport{handler: benchHandler()}}
	req, _ := http.NewRequestWithContext(b.Context(), http.MethodGet, DefaultBaseURL+"/v1/projects/abcdefghijklmnopqrst", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Accept", "application/json")
	b.ReportAllocs()
	for b.Loop() {
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadAll(resp.Body); err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
	}
}
