package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// supaops-mcp sandbox --budget N serves the sandbox over HTTP with N
// requests per minute per token, and its X-RateLimit-* headers say so:
// Limit N, Remaining counting down, Reset the seconds left of the window,
// then 429 with Remaining 0.
func TestSandboxBudgetInHeaders(t *testing.T) {
	for _, budget := range []int{1, 7} {
		t.Run(strconv.Itoa(budget), func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			out, w := io.Pipe()
			done := make(chan error, 1)
			go func() {
				done <- runSandbox(ctx, []string{"--addr", "127.0.0.1:0", "--budget", strconv.Itoa(budget)}, func(string) string { return "" }, w, io.Discard)
				w.Close()
			}()
			t.Cleanup(func() {
				cancel()
				if err := <-done; err != nil {
					t.Errorf("sandbox: %v", err)
				}
			})
			line, err := bufio.NewReader(out).ReadString('\n')
			if err != nil {
				t.Fatalf("reading the sandbox's address: %v", err)
			}
			go io.Copy(io.Discard, out) //nolint:errcheck // drain whatever else it prints
			base := regexp.MustCompile(`http://\S+`).FindString(line)
			if base == "" {
				t.Fatalf("no address in %q", line)
			}
			hc := &http.Client{Timeout: 10 * time.Second}
			for i := 1; i <= budget+1; i++ {
				req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v1/projects", nil)
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Authorization", "Bearer sbp_test")
				resp, err := hc.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				wantStatus, wantRemaining := http.StatusOK, budget-i
				if i > budget {
					wantStatus, wantRemaining = http.StatusTooManyRequests, 0
				}
				h := resp.Header
				reset, err := strconv.Atoi(h.Get("X-RateLimit-Reset"))
				if resp.StatusCode != wantStatus || h.Get("X-RateLimit-Limit") != strconv.Itoa(budget) ||
					h.Get("X-RateLimit-Remaining") != strconv.Itoa(wantRemaining) || err != nil || reset < 1 || reset > 60 {
					t.Errorf("request %d: %d, X-RateLimit-Limit %q Remaining %q Reset %q; want %d, %d, %d and 1-60 seconds",
						i, resp.StatusCode, h.Get("X-RateLimit-Limit"), h.Get("X-RateLimit-Remaining"), h.Get("X-RateLimit-Reset"),
						wantStatus, budget, wantRemaining)
				}
			}
		})
	}
}
