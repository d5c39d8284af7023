package health_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/supaops/supaops/internal/health"
)

func TestReadyzNamesEveryCheck(t *testing.T) {
	hang := health.Check{Name: "hangs", Run: func(ctx context.Context) error { <-ctx.Done(); time.Sleep(time.Second); return nil }}
	fine := health.Check{Name: "fine", Run: func(context.Context) error { return nil }}
	broken := health.Check{Name: "broken", Run: func(context.Context) error { return errors.New("it broke") }}
	flag := health.NewFlag("flag", "not up yet")
	tests := []struct {
		name    string
		checks  []health.Check
		setFlag bool
		status  int
		errors  map[string]string // failing check -> part of its error
	}{
		{"all fine", []health.Check{fine}, false, http.StatusOK, nil},
		{"one broken", []health.Check{fine, broken}, false, http.StatusServiceUnavailable, map[string]string{"broken": "it broke"}},
		{"one past the timeout", []health.Check{hang, fine}, false, http.StatusServiceUnavailable, map[string]string{"hangs": "no answer within 50ms"}},
		{"a flag down", []health.Check{flag.Check()}, false, http.StatusServiceUnavailable, map[string]string{"flag": "not up yet"}},
		{"a flag up", []health.Check{flag.Check()}, true, http.StatusOK, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			flag.Set(tt.setFlag, "not up yet")
			h := health.Handler(health.New(50*time.Millisecond, tt.checks...), nil)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, health.ReadyPath, nil))
			if w.Code != tt.status {
				t.Errorf("status %d, want %d", w.Code, tt.status)
			}
			var rep health.Report
			if err := json.Unmarshal(w.Body.Bytes(), &rep); err != nil {
				t.Fatal(err)
			}
			if len(rep.Checks) != len(tt.checks) {
				t.Fatalf("%d checks reported, want %d", len(rep.Checks), len(tt.checks))
			}
			for i, c := range rep.Checks {
				if c.Name != tt.checks[i].Name {
					t.Errorf("check %d is %q, want %q", i, c.Name, tt.checks[i].Name)
				}
				want, failing := tt.errors[c.Name]
				if c.OK == failing || (failing && !strings.Contains(c.Error, want)) {
					t.Errorf("check %s: ok %v error %q", c.Name, c.OK, c.Error)
				}
			}
			if rep.Ready != (tt.status == http.StatusOK) {
				t.Errorf("ready %v", rep.Ready)
			}
		})
	}
}

func TestLivenessAndMetrics(t *testing.T) {
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("m 1\n")) })
	h := health.Handler(health.New(0, health.Check{Name: "down", Run: func(context.Context) error { return errors.New("down") }}), metrics)
	for path, want := range map[string]string{health.LivePath: "ok\n", health.MetricsPath: "m 1\n"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		if w.Code != http.StatusOK || w.Body.String() != want {
			t.Errorf("%s: %d %q", path, w.Code, w.Body.String())
		}
	}
}

func TestLoopbackByDefault(t *testing.T) {
	for in, want := range map[string]string{
		":8080": "127.0.0.1:8080", "8080": "127.0.0.1:8080", "0.0.0.0:8080": "0.0.0.0:8080",
		"[::1]:9": "[::1]:9", "localhost:9": "localhost:9",
	} {
		if got := health.LoopbackByDefault(in); got != want {
			t.Errorf("LoopbackByDefault(%q) = %q, want %q", in, got, want)
		}
	}
}

// Serve, for both binaries' --metrics-addr, listens on loopback when the
// address names no host: /metrics and /readyz there need no token.
func TestServeWithoutHostListensOnLoopbackOnly(t *testing.T) {
	var outside net.IP
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if ip, ok := a.(*net.IPNet); ok && !ip.IP.IsLoopback() && ip.IP.To4() != nil {
			outside = ip.IP
			break
		}
	}
	if outside == nil {
		t.Skip("this machine has no non-loopback IPv4 address to dial")
	}
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(free.Addr().(*net.TCPAddr).Port)
	free.Close()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	if err := health.Serve(ctx, ":"+port, health.Handler(health.New(0), nil), zerolog.Nop()); err != nil {
		t.Fatal(err)
	}
	if c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", port), time.Second); err != nil {
		t.Fatalf("loopback: %v", err)
	} else {
		c.Close()
	}
	if c, err := net.DialTimeout("tcp", net.JoinHostPort(outside.String(), port), time.Second); err == nil {
		c.Close()
		t.Errorf("%s:%s answered: Serve(%q) listens beyond loopback", outside, port, ":"+port)
	}
}
