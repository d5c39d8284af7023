package sandbox

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// startServer serves s on a loopback listener until the test ends.
func startServer(t testing.TB, s *Sandbox) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return after cancel")
		}
	})
	return "http://" + ln.Addr().String()
}

func TestServeOnRealListener(t *testing.T) {
	t.Parallel()
	// New loads its own spec here, as the binaries do.
	s, err := New(Options{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	base := startServer(t, s)
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	get := func(path string) (result, error) {
		req, err := http.NewRequest(http.MethodGet, base+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := client.Do(req)
		if err != nil {
			return result{}, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return result{status: resp.StatusCode, header: resp.Header, body: b}, err
	}
	path := "/v1/projects/" + s.Seed().ProjectRef

	r, err := get(path)
	if err != nil || r.status != http.StatusOK {
		t.Fatalf("GET project over TCP: %v %d %s", err, r.status, r.body)
	}
	if r.header.Get("X-Request-Id") == "" || r.header.Get("X-RateLimit-Limit") != "120" {
		t.Errorf("headers: %v", r.header)
	}

	s.InjectFault(Fault{Kind: Drop, Operation: "v1-get-project"})
	if r, err := get(path); err == nil {
		t.Fatalf("dropped request answered %d", r.status)
	}
	s.ClearFaults()
	if r, err := get(path); err != nil || r.status != http.StatusOK {
		t.Fatalf("after clearing the drop: %v %d", err, r.status)
	}
}

func TestServeStopsOnContext(t *testing.T) {
	t.Parallel()
	s := newTestSandbox(t, Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve after cancel: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not stop")
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Error("listener still accepting after Serve returned")
	}
}
