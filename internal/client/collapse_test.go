package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// slowJSON answers after a second, so concurrent callers overlap.
func slowJSON(w http.ResponseWriter, r *http.Request, n int) {
	select {
	case <-time.After(time.Second):
	case <-r.Context().Done():
		return
	}
	w.Header().Set("X-Request-Id", fmt.Sprintf("req-%d", n))
	fmt.Fprintf(w, `{"hit":%d}`, n)
}

// (e) Concurrent identical GETs make one upstream call; each caller gets
// its own copy of the result.
func TestIdenticalGETsCollapse(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &server{respond: slowJSON}
		c, _ := newTestCaller(t, srv, nil)
		const callers = 100
		resps := make([]*Response, callers)
		var wg sync.WaitGroup
		for i := range callers {
			wg.Go(func() {
				resp, err := c.Do(newReq(t, t.Context(), c, "GET", "/v1/projects/abc?x=1", ""))
				if err != nil {
					t.Error(err)
					return
				}
				resps[i] = resp
			})
		}
		wg.Wait()
		if srv.count() != 1 {
			t.Fatalf("%d requests reached the server, want 1", srv.count())
		}
		for i, resp := range resps {
			if resp == nil || string(resp.Body) != `{"hit":1}` || !resp.Shared || resp.RequestID != "req-1" {
				t.Fatalf("caller %d got %+v, want the shared body of hit 1", i, resp)
			}
		}
		// Each caller owns its body and header.
		resps[0].Body[2] = 'X'
		resps[0].Header.Set("X-Request-Id", "changed")
		if string(resps[1].Body) != `{"hit":1}` || resps[1].Header.Get("X-Request-Id") != "req-1" {
			t.Error("callers share one body or header")
		}
	})
}

// (e) Requests that differ in what they would get are not collapsed.
func TestDifferentRequestsDoNotCollapse(t *testing.T) {
	tests := []struct {
		name     string
		edit     func(i int, req *http.Request)
		method   string
		wantHits int
	}{
		{"different URLs", func(i int, r *http.Request) { r.URL.RawQuery = fmt.Sprintf("page=%d", i%2) }, "GET", 2},
		{"different tokens", func(i int, r *http.Request) { r.Header.Set("Authorization", fmt.Sprintf("Bearer sbp_other%d", i%2)) }, "GET", 2},
		{"different Accept", func(i int, r *http.Request) {
			if i%2 == 0 {
				r.Header.Set("Accept", "text/plain")
			}
		}, "GET", 2},
		{"same token explicitly set collapses", func(i int, r *http.Request) {
			if i%2 == 0 {
				r.Header.Set("Authorization", "Bearer "+testToken)
			}
		}, "GET", 1},
		{"HEAD collapses", func(int, *http.Request) {}, "HEAD", 1},
		{"POST never collapses", func(int, *http.Request) {}, "POST", 10},
		{"PUT never collapses", func(int, *http.Request) {}, "PUT", 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := &server{respond: slowJSON}
				c, _ := newTestCaller(t, srv, nil)
				var wg sync.WaitGroup
				for i := range 10 {
					wg.Go(func() {
						req := newReq(t, t.Context(), c, tt.method, "/v1/projects/abc", "")
						tt.edit(i, req)
						if _, err := c.Do(req); err != nil {
							t.Error(err)
						}
					})
				}
				wg.Wait()
				if srv.count() != tt.wantHits {
					t.Errorf("%d requests reached the server, want %d", srv.count(), tt.wantHits)
				}
			})
		})
	}
}

// Separate Callers (separate tokens) never share results.
func TestCallersDoNotShareFlights(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &server{respond: slowJSON}
		a, _ := newTestCaller(t, srv, nil)
		b, _ := newTestCaller(t, srv, func(cfg *Config) { cfg.Token = "sbp_another_token" })
		var wg sync.WaitGroup
		for _, c := range []*Caller{a, b, a, b} {
			wg.Go(func() {
				if _, err := c.Do(newReq(t, t.Context(), c, "GET", "/v1/projects", "")); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if srv.count() != 2 {
			t.Errorf("%d requests reached the server, want 2", srv.count())
		}
		for _, h := range srv.all() {
			if auth := h.header.Get("Authorization"); auth != "Bearer "+testToken && auth != "Bearer sbp_another_token" {
				t.Errorf("unexpected Authorization %q", auth)
			}
		}
	})
}

// The caller that started a collapsed GET giving up does not fail the others.
func TestCollapsedGETSurvivesStarterCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &server{respond: slowJSON}
		c, _ := newTestCaller(t, srv, nil)
		ctx, cancel := context.WithCancel(t.Context())
		starterDone := make(chan error)
		go func() {
			_, err := c.Do(newReq(t, ctx, c, "GET", "/v1/projects", ""))
			starterDone <- err
		}()
		synctest.Wait() // the starter's call is in flight
		var wg sync.WaitGroup
		for range 5 {
			wg.Go(func() {
				resp, err := c.Do(newReq(t, t.Context(), c, "GET", "/v1/projects", ""))
				if err != nil || !resp.Shared {
					t.Errorf("follower: resp %+v, err %v; want the shared result", resp, err)
				}
			})
		}
		synctest.Wait()
		cancel()
		if err := <-starterDone; !errors.Is(err, context.Canceled) {
			t.Errorf("starter: err = %v, want context.Canceled", err)
		}
		wg.Wait()
		if srv.count() != 1 {
			t.Errorf("%d requests reached the server, want 1", srv.count())
		}
	})
}

// When the starter's deadline ends the shared call, a follower with more
// time goes alone instead of failing.
func TestCollapsedGETFollowerOutlivesStarterDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &server{respond: slowJSON}
		c, _ := newTestCaller(t, srv, nil)
		ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
		defer cancel()
		starterDone := make(chan error)
		go func() {
			_, err := c.Do(newReq(t, ctx, c, "GET", "/v1/projects", ""))
			starterDone <- err
		}()
		synctest.Wait()
		start := time.Now()
		resp, err := c.Do(newReq(t, t.Context(), c, "GET", "/v1/projects", ""))
		if err != nil {
			t.Fatalf("follower: %v", err)
		}
		if got := time.Since(start); got != 1500*time.Millisecond {
			t.Errorf("follower took %s, want 1.5s (0.5s shared, then 1s alone)", got)
		}
		if resp.Shared {
			t.Error("follower's second try should not be shared")
		}
		if err := <-starterDone; !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "timed out") {
			t.Errorf("starter: err = %v, want a timeout", err)
		}
	})
}

// Callers of a collapsed GET that fails each get their own error to annotate.
func TestCollapsedErrorsAreCopies(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &server{respond: func(w http.ResponseWriter, r *http.Request, n int) {
			time.Sleep(time.Second)
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte(`{"message":"forbidden"}`))
		}}
		c, _ := newTestCaller(t, srv, nil)
		errs := make([]*APIError, 2)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Go(func() {
				_, err := c.Do(newReq(t, t.Context(), c, "GET", "/v1/projects", ""))
				if !errors.As(err, &errs[i]) {
					t.Errorf("err = %v, want an *APIError", err)
				}
			})
		}
		wg.Wait()
		if errs[0] == nil || errs[1] == nil || errs[0] == errs[1] {
			t.Fatalf("errors %p and %p, want two distinct *APIError", errs[0], errs[1])
		}
		errs[0].Scope = "projects:read"
		if errs[1].Scope != "" {
			t.Error("annotating one caller's error changed another's")
		}
	})
}

func TestCollapseKeyHidesToken(t *testing.T) {
	c, _ := newTestCaller(t, &server{}, nil)
	req := newReq(t, t.Context(), c, "GET", "/v1/projects", "")
	if key := c.collapseKey(req); strings.Contains(key, testToken) {
		t.Fatalf("collapse key %q contains the token", key)
	}
	req.Header.Set("Authorization", "Bearer sbp_secret_override")
	if key := c.collapseKey(req); strings.Contains(key, "sbp_secret_override") {
		t.Fatalf("collapse key %q contains the token", key)
	}
}
