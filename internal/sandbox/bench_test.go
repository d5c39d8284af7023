package sandbox

import (
	"io"
	"net/http"
	"testing"
)

// BenchmarkSandboxGetProject measures the sandbox's own cost for one
// GET /v1/projects/{ref} (rate limit, routing, validation, state, JSON), in
// memory and over a loopback TCP server, so pipeline benchmarks can subtract it.
func BenchmarkSandboxGetProject(b *testing.B) {
	s := newTestSandbox(b, Options{Budget: 1 << 30})
	path := "/v1/projects/" + s.Seed().ProjectRef
	run := func(b *testing.B, client *http.Client, base string) {
		req, err := http.NewRequest(http.MethodGet, base+path, nil)
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+testToken)
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
	}
	b.Run("RoundTripper", func(b *testing.B) {
		run(b, &http.Client{Transport: s.RoundTripper()}, "https://api.supabase.com")
	})
	b.Run("Loopback", func(b *testing.B) {
		base := startServer(b, s)
		run(b, &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}, base)
	})
}
