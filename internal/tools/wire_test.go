package tools

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/supaops/supaops/internal/client"
	"github.com/supaops/supaops/internal/sandbox"
)

const wireToken = "sbp_0123456789abcdef0123456789abcdef01234567"

// A built request whose path does not have the shape of the action's path
// template is refused, even when Validate was skipped: "." and ".." are
// resolved away and "" leaves an empty segment, reaching another endpoint.
func TestNewRequestRefusesAnotherEndpoint(t *testing.T) {
	reg := loadRegistry(t)
	const ref = "abcdefghijklmnopqrst"
	tests := []struct {
		action string
		args   map[string]any
	}{
		{"action_run_get", map[string]any{"ref": ref, "run_id": ".."}},
		{"action_run_get", map[string]any{"ref": ref, "run_id": "."}},
		{"action_run_get", map[string]any{"ref": ref, "run_id": ""}},
		{"action_run_logs_get", map[string]any{"ref": ref, "run_id": ".."}},
		{"branch_get_by_name", map[string]any{"ref": ref, "name": ".."}},
		{"project_get", map[string]any{"ref": ".."}},
		{"function_get", map[string]any{"ref": "..", "function_slug": "x"}},
		{"organization_project_claim_get", map[string]any{"slug": "acme", "token": "."}},
	}
	for _, server := range []string{"https://api.example.test", "https://proxy.example/supabase"} {
		for i, tt := range tests {
			t.Run(fmt.Sprintf("%s/%d-%s", server, i, tt.action), func(t *testing.T) {
				a, err := reg.Lookup(tt.action)
				if err != nil {
					t.Fatal(err)
				}
				args, err := Normalize(tt.args)
				if err != nil {
					t.Fatal(err)
				}
				req, err := a.NewRequest(context.Background(), server, args)
				if err == nil {
					t.Fatalf("built %s %s, want a refusal", req.Method, req.URL)
				}
				if !strings.Contains(err.Error(), a.Path) {
					t.Errorf("error %q does not name the path template", err)
				}
			})
		}
	}
}

// The base URL may carry a path prefix (a proxy), with or without a trailing
// slash; the generated builders alone would drop its last segment.
func TestNewRequestKeepsBasePathPrefix(t *testing.T) {
	reg := loadRegistry(t)
	a, _ := reg.Lookup("branch_get_by_name")
	args, _ := Normalize(map[string]any{"ref": "abcdefghijklmnopqrst", "name": "feature/x"})
	tests := []struct{ server, want string }{
		{"https://api.example.test", "https://api.example.test/v1/projects/abcdefghijklmnopqrst/branches/feature%2Fx"},
		{"https://api.example.test/", "https://api.example.test/v1/projects/abcdefghijklmnopqrst/branches/feature%2Fx"},
		{"https://proxy.example/supabase", "https://proxy.example/supabase/v1/projects/abcdefghijklmnopqrst/branches/feature%2Fx"},
		{"https://proxy.example/supabase/", "https://proxy.example/supabase/v1/projects/abcdefghijklmnopqrst/branches/feature%2Fx"},
		{"https://proxy.example/a/b", "https://proxy.example/a/b/v1/projects/abcdefghijklmnopqrst/branches/feature%2Fx"},
	}
	for _, tt := range tests {
		req, err := a.NewRequest(context.Background(), tt.server, args)
		if err != nil {
			t.Errorf("%s: %v", tt.server, err)
			continue
		}
		if got := req.URL.String(); got != tt.want {
			t.Errorf("%s: URL %s, want %s", tt.server, got, tt.want)
		}
	}
}

// Each request asks for its action's own media type.
func TestNewRequestAccept(t *testing.T) {
	reg := loadRegistry(t)
	const ref = "abcdefghijklmnopqrst"
	tests := []struct {
		action string
		args   map[string]any
		want   string // "" leaves the client's default
	}{
		{"branch_diff", map[string]any{"branch_id_or_ref": ref}, "text/plain"},
		{"action_run_logs_get", map[string]any{"ref": ref, "run_id": "r1"}, "text/plain"},
		{"project_get", map[string]any{"ref": ref}, "application/json"},
		{"project_pause", map[string]any{"ref": ref}, ""},
	}
	for _, tt := range tests {
		a, _ := reg.Lookup(tt.action)
		args, _ := Normalize(tt.args)
		req, err := a.NewRequest(context.Background(), "https://api.example.test", args)
		if err != nil {
			t.Fatalf("%s: %v", tt.action, err)
		}
		if got := req.Header.Get("Accept"); got != tt.want {
			t.Errorf("%s: Accept %q, want %q", tt.action, got, tt.want)
		}
	}
}

// wire is the sandbox served under a path prefix, as behind a proxy. Any
// request outside the prefix is recorded: the token must never go there.
type wire struct {
	sb      *sandbox.Sandbox
	api     *client.Caller
	outside atomic.Int32
	hits    atomic.Int32
}

func newWire(t *testing.T, delay time.Duration) *wire {
	t.Helper()
	sb, err := sandbox.New(sandbox.Options{Token: wireToken, Budget: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	w := &wire{sb: sb}
	mux := http.NewServeMux()
	mux.Handle("/supabase/", http.StripPrefix("/supabase", http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.hits.Add(1)
		time.Sleep(delay) // lets concurrent identical GETs overlap
		sb.ServeHTTP(rw, r)
	})))
	mux.HandleFunc("/", func(rw http.ResponseWriter, r *http.Request) {
		w.outside.Add(1)
		http.Error(rw, "outside the prefix", http.StatusTeapot)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	w.api, err = client.New(client.Config{
		BaseURL: srv.URL + "/supabase", Token: wireToken,
		Limits: client.Limits{Global: client.Budget{Requests: 1 << 20, Window: time.Minute}, Endpoints: []client.EndpointLimit{}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if n := w.outside.Load(); n > 0 {
			t.Errorf("%d requests went outside the base URL's path prefix", n)
		}
	})
	return w
}

func (w *wire) call(t *testing.T, reg *Registry, name string, args map[string]any) (*client.Response, error) {
	t.Helper()
	a, err := reg.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	norm, err := Normalize(args)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Validate(norm); err != nil {
		t.Fatal(err)
	}
	req, err := a.NewRequest(t.Context(), w.api.BaseURL(), norm)
	if err != nil {
		t.Fatal(err)
	}
	return w.api.Do(req)
}

// End to end through a base URL with a path prefix: JSON and text
// operations work, text ones get their own media type (the sandbox answers
// 406 to anything else), and no request leaves the prefix.
func TestCallsThroughPathPrefix(t *testing.T) {
	reg := loadRegistry(t)
	w := newWire(t, 0)
	seed := w.sb.Seed()
	tests := []struct {
		action   string
		args     map[string]any
		wantType string
	}{
		{"project_get", map[string]any{"ref": seed.ProjectRef}, "application/json"},
		{"branch_diff", map[string]any{"branch_id_or_ref": seed.PreviewBranchRef}, "text/plain"},
		{"action_run_logs_get", map[string]any{"ref": seed.PreviewBranchRef, "run_id": seed.ActionRunIDs[0]}, "text/plain"},
	}
	for _, tt := range tests {
		resp, err := w.call(t, reg, tt.action, tt.args)
		if err != nil {
			t.Errorf("%s: %v", tt.action, err)
			continue
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, tt.wantType) {
			t.Errorf("%s: Content-Type %q, want %s", tt.action, ct, tt.wantType)
		}
	}
}

// GET collapsing keeps requests with different Accepts apart: the text
// operation asked for JSON by another caller at the same moment gets its
// own answer (406), not the shared text.
func TestCollapsingSeparatesAccepts(t *testing.T) {
	reg := loadRegistry(t)
	w := newWire(t, 200*time.Millisecond)
	a, _ := reg.Lookup("branch_diff")
	args, _ := Normalize(map[string]any{"branch_id_or_ref": w.sb.Seed().PreviewBranchRef})
	run := func(accepts ...string) []error {
		errs := make([]error, len(accepts))
		var wg sync.WaitGroup
		for i, accept := range accepts {
			wg.Go(func() {
				req, err := a.NewRequest(t.Context(), w.api.BaseURL(), args)
				if err != nil {
					errs[i] = err
					return
				}
				if accept != "" {
					req.Header.Set("Accept", accept)
				}
				_, errs[i] = w.api.Do(req)
			})
		}
		wg.Wait()
		return errs
	}

	// Control: identical requests at the same moment do collapse.
	w.hits.Store(0)
	if errs := run("", ""); errs[0] != nil || errs[1] != nil {
		t.Fatalf("identical requests: %v", errs)
	}
	if n := w.hits.Load(); n != 1 {
		t.Fatalf("identical concurrent GETs reached the server %d times, want 1 (they did not overlap)", n)
	}

	w.hits.Store(0)
	errs := run("", "application/json")
	if n := w.hits.Load(); n != 2 {
		t.Errorf("GETs with different Accepts reached the server %d times, want 2", n)
	}
	var apiErr *client.APIError
	if errs[0] != nil || !errors.As(errs[1], &apiErr) || apiErr.Status != http.StatusNotAcceptable {
		t.Errorf("text/plain: %v; application/json: %v (want 406)", errs[0], errs[1])
	}
}

// Every action's example builds, under a plain base and a prefixed one: the
// shape check refuses nothing a valid call makes.
func TestEveryActionBuildsUnderPrefix(t *testing.T) {
	reg := loadRegistry(t)
	for _, a := range reg.Actions() {
		args, err := Normalize(a.Example(nil))
		if err != nil {
			t.Fatal(err)
		}
		for _, server := range []string{"https://api.example.test", "https://proxy.example/supabase/"} {
			req, err := a.NewRequest(context.Background(), server, args)
			if err != nil {
				t.Errorf("%s under %s: %v", a.Name, server, err)
				continue
			}
			if want := strings.TrimSuffix(server, "/") + "/v1/"; !strings.HasPrefix(req.URL.String(), want) {
				t.Errorf("%s: URL %s does not start with %s", a.Name, req.URL, want)
			}
		}
	}
}
