package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestProbe(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/down" {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	}))
	defer srv.Close()
	tests := []struct {
		name  string
		args  []string
		want  string // "" means success
		usage bool
	}{
		{"up", []string{srv.URL + "/healthz"}, "", false},
		{"unready", []string{srv.URL + "/down"}, "503", false},
		{"nothing listening", []string{"http://127.0.0.1:1/healthz"}, "probe http://127.0.0.1:1/healthz", false},
		{"no URL", nil, "usage", true},
		{"not http", []string{"ftp://x/healthz"}, "want an http(s) URL", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(context.Background(), append([]string{"probe"}, tt.args...), func(string) string { return "" }, strings.NewReader(""), &out, &out)
			if tt.want == "" {
				if err != nil || out.String() != "ok\n" {
					t.Fatalf("%v %q", err, out.String())
				}
				return
			}
			var usage *usageError
			if err == nil || !strings.Contains(err.Error(), tt.want) || errors.As(err, &usage) != tt.usage {
				t.Fatalf("error %v, want %q (usage %v)", err, tt.want, tt.usage)
			}
		})
	}
}
