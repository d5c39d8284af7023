package client

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// These tests use real sockets and the default transport (outside synctest)
// to check that the retry rules read real http.Transport errors right.

func realCaller(t *testing.T, baseURL string) *Caller {
	t.Helper()
	c, err := New(Config{
		Token:   testToken,
		BaseURL: baseURL,
		Retry:   RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A refused connection proves nothing was sent: even a POST is retried.
func TestRealDialFailureIsRetriedForPOST(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now

	var trips atomic.Int32
	c := realCaller(t, "http://"+addr)
	inner := c.transport
	c.transport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
		trips.Add(1)
		return inner.RoundTrip(r)
	})
	_, err = c.Do(newReq(t, t.Context(), c, "POST", "/v1/projects", `{"name":"x"}`))
	var reqErr *RequestError
	if !errors.As(err, &reqErr) || reqErr.Sent || !strings.Contains(err.Error(), "could not connect") {
		t.Fatalf("err = %v, want an unsent *RequestError saying it could not connect", err)
	}
	if trips.Load() != 3 {
		t.Errorf("%d attempts, want 3", trips.Load())
	}
}

// A connection dropped after the request arrived: GET is retried, POST not.
func TestRealConnectionDropAfterWrite(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		if tcp, ok := conn.(*net.TCPConn); ok {
			tcp.SetLinger(0) // close with a reset
		}
		conn.Close()
	}))
	defer srv.Close()

	for _, tt := range []struct {
		method   string
		wantHits int32
	}{{"POST", 1}, {"PATCH", 1}, {"GET", 3}, {"PUT", 3}} {
		t.Run(tt.method, func(t *testing.T) {
			hits.Store(0)
			c := realCaller(t, srv.URL)
			_, err := c.Do(newReq(t, t.Context(), c, tt.method, "/v1/projects/abc", `{}`))
			var reqErr *RequestError
			if !errors.As(err, &reqErr) || !reqErr.Sent {
				t.Fatalf("err = %v, want a sent *RequestError", err)
			}
			if hits.Load() != tt.wantHits {
				t.Errorf("%d requests reached the server, want %d", hits.Load(), tt.wantHits)
			}
		})
	}
}

// A burst of concurrent calls reuses the connections the burst before it
// opened: the client keeps more idle connections to the API than
// net/http's default of two, so a busy server does not dial (and, against
// the real API, handshake TLS) again for every burst.
func TestConcurrentBurstsReuseConnections(t *testing.T) {
	const inFlight = 16
	var dialed atomic.Int32
	arrived := make(chan struct{}, inFlight)
	release := make(chan struct{})
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-release
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{}`)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			dialed.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	c := realCaller(t, srv.URL)
	burst := func() {
		var wg sync.WaitGroup
		for i := range inFlight {
			// Distinct paths: identical GETs in flight would be collapsed.
			path := fmt.Sprintf("%s/v1/projects/project%015d", srv.URL, i)
			wg.Go(func() {
				req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, path, nil)
				if err == nil {
					_, err = c.Do(req)
				}
				if err != nil {
					t.Error(err)
				}
			})
		}
		for range inFlight { // every call holds a connection at once
			<-arrived
		}
		for range inFlight {
			release <- struct{}{}
		}
		wg.Wait()
	}
	burst()
	if got := dialed.Load(); got != inFlight {
		t.Fatalf("the first burst opened %d connections, want %d", got, inFlight)
	}
	burst()
	if got := dialed.Load() - inFlight; got != 0 {
		t.Errorf("the second burst opened %d new connections, want 0 (it should reuse the first burst's)", got)
	}
}
