package sandbox

import (
	"net/http"
	"strings"
	"testing"
)

// TestInvalidRequests checks that bad requests get the API's 4xx with a
// message naming what is wrong.
func TestInvalidRequests(t *testing.T) {
	t.Parallel()
	s := newTestSandbox(t, Options{})
	tc := newTestClient(t, s)
	ref := s.Seed().ProjectRef
	deployNoMetadata := "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.ts\"\r\n\r\nx\r\n--b--\r\n"
	tests := []struct {
		name       string
		req        request
		wantStatus int
		wantInMsg  []string
	}{
		{
			name:       "bad ref pattern",
			req:        request{method: http.MethodGet, path: "/v1/projects/ABCDEFGHIJKLMNOPQRST"},
			wantStatus: http.StatusBadRequest,
			wantInMsg:  []string{`"ref"`, "regular expression"},
		},
		{
			name:       "short ref",
			req:        request{method: http.MethodGet, path: "/v1/projects/abc"},
			wantStatus: http.StatusBadRequest,
			wantInMsg:  []string{`"ref"`, "length"},
		},
		{
			name:       "missing required body field",
			req:        request{method: http.MethodPost, path: "/v1/projects", body: map[string]any{"organization_slug": "sandbox-org", "db_pass": "x"}},
			wantStatus: http.StatusBadRequest,
			wantInMsg:  []string{"missing required field", `"name"`},
		},
		{
			name:       "wrong enum",
			req:        request{method: http.MethodPost, path: "/v1/projects/" + ref + "/api-keys", body: map[string]any{"name": "abcd", "type": "bogus"}},
			wantStatus: http.StatusBadRequest,
			wantInMsg:  []string{`"type"`, "allowed values"},
		},
		{
			name:       "extra property where additionalProperties is false",
			req:        request{method: http.MethodPost, path: "/v1/organizations", body: map[string]any{"name": "x", "extra": 1}},
			wantStatus: http.StatusBadRequest,
			wantInMsg:  []string{"unknown field", `"extra"`},
		},
		{
			name:       "nested extra property",
			req:        request{method: http.MethodPost, path: "/v1/projects/" + ref + "/config/auth/signing-keys", body: map[string]any{"algorithm": "HS256", "private_jwk": map[string]any{"kty": "oct", "k": "0123456789abcdef0123", "bogus": 1}}},
			wantStatus: http.StatusBadRequest,
			wantInMsg:  []string{"private_jwk"},
		},
		{
			name:       "SUPABASE_ secret name",
			req:        request{method: http.MethodPost, path: "/v1/projects/" + ref + "/secrets", body: []any{map[string]any{"name": "SUPABASE_FOO", "value": "x"}}},
			wantStatus: http.StatusBadRequest,
			wantInMsg:  []string{`"0.name"`, "SUPABASE_"},
		},
		{
			name:       "wrong type in body",
			req:        request{method: http.MethodPatch, path: "/v1/projects/" + ref + "/config/auth", body: map[string]any{"jwt_exp": "an hour"}},
			wantStatus: http.StatusBadRequest,
			wantInMsg:  []string{`"jwt_exp"`, "integer"},
		},
		{
			name:       "missing required query parameter",
			req:        request{method: http.MethodGet, path: "/v1/projects/available-regions"},
			wantStatus: http.StatusBadRequest,
			wantInMsg:  []string{`"organization_slug"`},
		},
		{
			name:       "query parameter out of range",
			req:        request{method: http.MethodGet, path: "/v1/organizations/sandbox-org/projects", query: map[string][]string{"limit": {"1000"}}},
			wantStatus: http.StatusBadRequest,
			wantInMsg:  []string{`"limit"`},
		},
		{
			name:       "wrong enum in query",
			req:        request{method: http.MethodGet, path: "/v1/projects/" + ref + "/health", query: map[string][]string{"services": {"dns"}}},
			wantStatus: http.StatusBadRequest,
			wantInMsg:  []string{`"services"`},
		},
		{
			name:       "branch id that is neither a ref nor a UUID",
			req:        request{method: http.MethodGet, path: "/v1/branches/not-a-ref"},
			wantStatus: http.StatusBadRequest,
			wantInMsg:  []string{`"branch_id_or_ref"`},
		},
		{
			name:       "malformed JSON",
			req:        request{method: http.MethodPost, path: "/v1/organizations", raw: []byte("{bad"), contentType: "application/json"},
			wantStatus: http.StatusBadRequest,
			wantInMsg:  []string{"request body"},
		},
		{
			name:       "unsupported content type",
			req:        request{method: http.MethodPost, path: "/v1/organizations", raw: []byte("name=x"), contentType: "text/plain"},
			wantStatus: http.StatusBadRequest,
			wantInMsg:  []string{"Content-Type"},
		},
		{
			name:       "missing body",
			req:        request{method: http.MethodPost, path: "/v1/organizations"},
			wantStatus: http.StatusBadRequest,
			wantInMsg:  []string{"body"},
		},
		{
			name: "deploy without metadata part",
			req: request{method: http.MethodPost, path: "/v1/projects/" + ref + "/functions/deploy", query: map[string][]string{"slug": {"x"}},
				raw: []byte(deployNoMetadata), contentType: "multipart/form-data; boundary=b"},
			wantStatus: http.StatusBadRequest,
			wantInMsg:  []string{`"metadata"`},
		},
		{
			name:       "oauth token form with an unknown grant type",
			req:        request{method: http.MethodPost, path: "/v1/oauth/token", raw: []byte("grant_type=password"), contentType: "application/x-www-form-urlencoded"},
			wantStatus: http.StatusBadRequest,
			wantInMsg:  []string{"grant_type"},
		},
		{
			name:       "unknown path",
			req:        request{method: http.MethodGet, path: "/v1/nope"},
			wantStatus: http.StatusNotFound,
			wantInMsg:  []string{"Cannot GET /v1/nope"},
		},
		{
			name:       "unknown method on a known path",
			req:        request{method: http.MethodPut, path: "/v1/projects"},
			wantStatus: http.StatusNotFound,
			wantInMsg:  []string{"Cannot PUT /v1/projects"},
		},
		{
			name:       "unknown project",
			req:        request{method: http.MethodGet, path: "/v1/projects/abcdefghijklmnopqrst/postgrest"},
			wantStatus: http.StatusNotFound,
			wantInMsg:  []string{"abcdefghijklmnopqrst"},
		},
		{
			name:       "unknown organization",
			req:        request{method: http.MethodGet, path: "/v1/organizations/no-such-org"},
			wantStatus: http.StatusNotFound,
			wantInMsg:  []string{"no-such-org"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tc.send(tt.req)
			mustStatus(t, r, tt.wantStatus, tt.name)
			msg := r.message(t)
			for _, want := range tt.wantInMsg {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q does not mention %q", msg, want)
				}
			}
			if r.header.Get("X-Request-Id") == "" {
				t.Error("no X-Request-Id on an error answer")
			}
		})
	}
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	s := newTestSandbox(t, Options{Token: "sbp_right"})
	ref := s.Seed().ProjectRef
	tests := []struct {
		name   string
		header string
		want   int
	}{
		{name: "no header", header: "", want: http.StatusUnauthorized},
		{name: "empty bearer", header: "Bearer ", want: http.StatusUnauthorized},
		{name: "basic auth", header: "Basic dXNlcjpwYXNz", want: http.StatusUnauthorized},
		{name: "wrong token", header: "Bearer sbp_wrong", want: http.StatusUnauthorized},
		{name: "right token", header: "Bearer sbp_right", want: http.StatusOK},
		{name: "lowercase scheme", header: "bearer sbp_right", want: http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tc := newTestClient(t, s)
			tc.token = ""
			r := tc.send(request{method: http.MethodGet, path: "/v1/projects/" + ref, header: map[string]string{"Authorization": tt.header}})
			mustStatus(t, r, tt.want, tt.name)
			if tt.want == http.StatusUnauthorized {
				if msg := r.message(t); msg != "Unauthorized" {
					t.Errorf("message %q, want Unauthorized", msg)
				}
				if n := s.Requests("v1-get-project"); n != 0 {
					t.Errorf("unauthenticated request counted: Requests = %d", n)
				}
			}
		})
	}

	// Without Options.Token any non-empty bearer is accepted.
	open := newTestSandbox(t, Options{})
	tc := newTestClient(t, open)
	tc.token = "anything"
	mustStatus(t, tc.get("/v1/projects/"+ref), http.StatusOK, "any bearer")
	if n := open.Requests("v1-get-project"); n != 1 {
		t.Errorf("Requests(v1-get-project) = %d, want 1", n)
	}
}
