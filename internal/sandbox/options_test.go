package sandbox

import (
	"net/http"
	"strings"
	"testing"

	"github.com/supaops/supaops/internal/redact"
)

// A negative budget (--budget -1) is refused, naming the option and what is
// allowed, instead of silently becoming the default.
func TestNewRefusesNegativeBudget(t *testing.T) {
	spec, err := testSpec()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		budget  int
		wantErr bool
	}{
		{-1, true},
		{-120, true},
		{0, false},
		{1, false},
	}
	for _, tt := range tests {
		_, err := New(Options{Spec: spec, Budget: tt.budget})
		if !tt.wantErr {
			if err != nil {
				t.Errorf("budget %d: %v", tt.budget, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("budget %d: accepted, want an error", tt.budget)
			continue
		}
		for _, want := range []string{"budget", "positive", "0 for the default"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("budget %d: error %q does not mention %q", tt.budget, err, want)
			}
		}
	}
}

// Text operations answer only a client that accepts text, like a strict
// server, so a client asking them for JSON is caught in tests.
func TestTextOperationsCheckAccept(t *testing.T) {
	s := newTestSandbox(t, Options{})
	tc := newTestClient(t, s)
	diff := "/v1/branches/" + s.Seed().PreviewBranchRef + "/diff"
	tests := []struct {
		path, accept string
		want         int
	}{
		{diff, "", http.StatusOK},
		{diff, "text/plain", http.StatusOK},
		{diff, "text/*", http.StatusOK},
		{diff, "application/json, */*;q=0.1", http.StatusOK},
		{diff, "application/json", http.StatusNotAcceptable},
		{diff, "text/plain;q=0", http.StatusNotAcceptable},
		// JSON operations are not checked.
		{"/v1/projects/" + s.Seed().ProjectRef, "text/plain", http.StatusOK},
	}
	for _, tt := range tests {
		r := tc.send(request{method: http.MethodGet, path: tt.path, header: map[string]string{"Accept": tt.accept}})
		if r.status != tt.want {
			t.Errorf("GET %s with Accept %q: status %d, want %d (%s)", tt.path, tt.accept, r.status, tt.want, r.body)
		}
	}
}

// Every credential the sandbox makes up in a real credential's shape is
// caught by its shape alone, so redaction tests against the sandbox exercise
// the shape net, not just field names.
func TestShapedSecretsAreCaughtByShape(t *testing.T) {
	var values []string
	for _, name := range []string{"access_token", "api_key", "hook_send_sms_secrets"} {
		v, ok := secretValueFor(name)
		if !ok {
			t.Fatalf("no sandbox value for %s", name)
		}
		values = append(values, v)
	}
	values = append(values, fakeJWT("abcdefghijklmnopqrst", "service_role"))
	for _, v := range values {
		if got := redact.Text("value: " + v); strings.Contains(got, v) || !strings.Contains(got, redact.Mask) {
			t.Errorf("redact.Text leaves a sandbox credential of %d bytes starting %.8q", len(v), v)
		}
	}
}
