package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// TestConfigWriteThenRead checks that a write to a config object shows in a
// later GET: PATCH merges, PUT replaces, and writes on another path land in
// the same document.
func TestConfigWriteThenRead(t *testing.T) {
	t.Parallel()
	s := newTestSandbox(t, Options{})
	tc := newTestClient(t, s)
	base := "/v1/projects/" + s.Seed().ProjectRef
	tests := []struct {
		name     string
		write    request
		readPath string
		want     map[string]any // dotted path -> value in the GET body
		gone     []string       // top-level fields a PUT must have dropped
	}{
		{
			name:     "auth PATCH merges",
			write:    request{method: http.MethodPatch, path: base + "/config/auth", body: map[string]any{"site_url": "https://app.example.com", "jwt_exp": 7200}},
			readPath: base + "/config/auth",
			want:     map[string]any{"site_url": "https://app.example.com", "jwt_exp": 7200.0, "smtp_pass": "sandbox-secret-smtp-pass"},
		},
		{
			name:     "postgrest PATCH merges",
			write:    request{method: http.MethodPatch, path: base + "/postgrest", body: map[string]any{"max_rows": 250}},
			readPath: base + "/postgrest",
			want:     map[string]any{"max_rows": 250.0, "db_schema": "public,graphql_public"},
		},
		{
			name:     "storage PATCH merges nested objects",
			write:    request{method: http.MethodPatch, path: base + "/config/storage", body: map[string]any{"features": map[string]any{"imageTransformation": map[string]any{"enabled": true}}}},
			readPath: base + "/config/storage",
			want:     map[string]any{"features.imageTransformation.enabled": true, "features.s3Protocol.enabled": false},
		},
		{
			name:     "realtime PATCH",
			write:    request{method: http.MethodPatch, path: base + "/config/realtime", body: map[string]any{"max_concurrent_users": 500}},
			readPath: base + "/config/realtime",
			want:     map[string]any{"max_concurrent_users": 500.0},
		},
		{
			name:     "postgres PUT replaces",
			write:    request{method: http.MethodPut, path: base + "/config/database/postgres", body: map[string]any{"max_connections": 90, "statement_timeout": "10s"}},
			readPath: base + "/config/database/postgres",
			want:     map[string]any{"max_connections": 90.0, "statement_timeout": "10s"},
			gone:     []string{"work_mem", "restart_database"},
		},
		{
			name:     "pgsodium PUT",
			write:    request{method: http.MethodPut, path: base + "/pgsodium", body: map[string]any{"root_key": "rotated-root-key"}},
			readPath: base + "/pgsodium",
			want:     map[string]any{"root_key": "rotated-root-key"},
		},
		{
			name:     "ssl enforcement PUT",
			write:    request{method: http.MethodPut, path: base + "/ssl-enforcement", body: map[string]any{"requestedConfig": map[string]any{"database": true}}},
			readPath: base + "/ssl-enforcement",
			want:     map[string]any{"currentConfig.database": true, "appliedSuccessfully": true},
		},
		{
			name:     "pooler PATCH",
			write:    request{method: http.MethodPatch, path: base + "/config/database/pooler", body: map[string]any{"default_pool_size": 33, "pool_mode": "session"}},
			readPath: base + "/config/database/pooler",
			want:     map[string]any{"0.default_pool_size": 33.0, "0.pool_mode": "session"},
		},
		{
			name:     "network restrictions apply",
			write:    request{method: http.MethodPost, path: base + "/network-restrictions/apply", body: map[string]any{"dbAllowedCidrs": []string{"10.0.0.0/8"}}},
			readPath: base + "/network-restrictions",
			want:     map[string]any{"config.dbAllowedCidrs": []any{"10.0.0.0/8"}, "status": "applied", "old_config.dbAllowedCidrs": []any{"0.0.0.0/0"}},
		},
		{
			name:     "backup schedule PATCH",
			write:    request{method: http.MethodPatch, path: base + "/database/backups/schedule", body: map[string]any{"schedule_for": "04:30"}},
			readPath: base + "/database/backups/schedule",
			want:     map[string]any{"schedule_for": "04:30"},
		},
		{
			name:     "jit access config PUT",
			write:    request{method: http.MethodPut, path: base + "/jit-access", body: map[string]any{"state": "disabled"}},
			readPath: base + "/jit-access",
			want:     map[string]any{"state": "disabled"},
		},
		{
			name:     "disk POST",
			write:    request{method: http.MethodPost, path: base + "/config/disk", body: map[string]any{"attributes": map[string]any{"type": "io2", "iops": 5000, "size_gb": 50}}},
			readPath: base + "/config/disk",
			want:     map[string]any{"attributes.type": "io2", "attributes.size_gb": 50.0},
		},
		{
			name:     "vanity subdomain activate",
			write:    request{method: http.MethodPost, path: base + "/vanity-subdomain/activate", body: map[string]any{"vanity_subdomain": "acme"}},
			readPath: base + "/vanity-subdomain",
			want:     map[string]any{"status": "active", "custom_domain": "acme.supabase.co"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := tc.send(tt.write)
			if w.status < 200 || w.status > 299 {
				t.Fatalf("write: status %d: %s", w.status, w.body)
			}
			r := tc.get(tt.readPath)
			mustStatus(t, r, http.StatusOK, "read")
			var doc any
			r.json(t, &doc)
			for path, want := range tt.want {
				if got := lookup(doc, path); !reflect.DeepEqual(got, want) {
					t.Errorf("%s = %#v, want %#v", path, got, want)
				}
			}
			for _, field := range tt.gone {
				if _, ok := doc.(map[string]any)[field]; ok {
					t.Errorf("%s survived the PUT", field)
				}
			}
		})
	}

	// Documents are per project.
	other := tc.get("/v1/projects/" + s.Seed().ProjectRefs[1] + "/postgrest")
	var doc map[string]any
	other.json(t, &doc)
	if doc["max_rows"] == 250.0 {
		t.Error("a PATCH on one project changed another's postgrest config")
	}
}

// lookup reads a dotted path ("a.0.b") out of decoded JSON.
func lookup(v any, path string) any {
	for _, part := range strings.Split(path, ".") {
		switch t := v.(type) {
		case map[string]any:
			v = t[part]
		case []any:
			i := 0
			for _, c := range part {
				i = i*10 + int(c-'0')
			}
			if i >= len(t) {
				return nil
			}
			v = t[i]
		default:
			return nil
		}
	}
	return v
}

// TestSecretFieldsNonEmpty checks that every secret-bearing field comes back
// non-empty, so callers' redaction can be tested.
func TestSecretFieldsNonEmpty(t *testing.T) {
	t.Parallel()
	s := newTestSandbox(t, Options{})
	tc := newTestClient(t, s)
	seed := s.Seed()
	base := "/v1/projects/" + seed.ProjectRef
	authFields := []string{
		"smtp_pass", "security_captcha_secret", "nimbus_oauth_client_secret", "sms_twilio_auth_token",
		"sms_twilio_verify_auth_token", "sms_messagebird_access_key", "sms_textlocal_api_key", "sms_vonage_api_key", "sms_vonage_api_secret",
	}
	for _, p := range []string{"apple", "azure", "bitbucket", "discord", "facebook", "figma", "github", "gitlab", "google", "kakao", "keycloak", "linkedin_oidc", "notion", "slack", "slack_oidc", "spotify", "twitch", "twitter", "workos", "zoom"} {
		authFields = append(authFields, "external_"+p+"_secret")
	}
	for _, h := range []string{"custom_access_token", "mfa_verification_attempt", "password_verification_attempt", "send_sms", "send_email", "before_user_created", "after_user_created"} {
		authFields = append(authFields, "hook_"+h+"_secrets")
	}
	tests := []struct {
		name   string
		req    request
		fields []string
		prefix map[string]string
	}{
		{name: "auth config GET", req: request{method: http.MethodGet, path: base + "/config/auth"}, fields: authFields},
		{name: "auth config PATCH", req: request{method: http.MethodPatch, path: base + "/config/auth", body: map[string]any{"disable_signup": true}}, fields: authFields},
		{name: "branch config", req: request{method: http.MethodGet, path: "/v1/branches/" + seed.PreviewBranchRef}, fields: []string{"db_pass", "jwt_secret"}},
		{name: "postgrest", req: request{method: http.MethodGet, path: base + "/postgrest"}, fields: []string{"jwt_secret"}},
		{name: "pgsodium", req: request{method: http.MethodGet, path: base + "/pgsodium"}, fields: []string{"root_key"}},
		{name: "pgsodium PUT", req: request{method: http.MethodPut, path: base + "/pgsodium", body: map[string]any{"root_key": "new"}}, fields: []string{"root_key"}},
		{name: "secrets", req: request{method: http.MethodGet, path: base + "/secrets"}, fields: []string{"0.value", "1.value"}},
		{name: "login role", req: request{method: http.MethodPost, path: base + "/cli/login-role", body: map[string]any{"read_only": false}}, fields: []string{"password"}},
		{name: "claim token", req: request{method: http.MethodPost, path: base + "/claim-token"}, fields: []string{"token"}},
		{
			name:   "oauth token",
			req:    request{method: http.MethodPost, path: "/v1/oauth/token", raw: []byte("grant_type=refresh_token&refresh_token=r"), contentType: "application/x-www-form-urlencoded"},
			fields: []string{"access_token", "refresh_token"},
			prefix: map[string]string{"access_token": "sbp_"},
		},
		{name: "pooler", req: request{method: http.MethodGet, path: base + "/config/database/pooler"}, fields: []string{"0.connection_string"}},
		{name: "pgbouncer", req: request{method: http.MethodGet, path: base + "/config/database/pgbouncer"}, fields: []string{"connection_string"}},
		{
			name:   "api keys revealed",
			req:    request{method: http.MethodGet, path: base + "/api-keys", query: map[string][]string{"reveal": {"true"}}},
			fields: []string{"0.api_key", "1.api_key", "2.api_key", "3.api_key"},
			prefix: map[string]string{"0.api_key": "eyJ", "2.api_key": "sb_publishable_", "3.api_key": "sb_secret_"},
		},
		{name: "api keys masked", req: request{method: http.MethodGet, path: base + "/api-keys"}, fields: []string{"3.api_key"}},
		{name: "api key GET", req: request{method: http.MethodGet, path: base + "/api-keys/" + seed.APIKeyIDs[1], query: map[string][]string{"reveal": {"true"}}}, fields: []string{"api_key"}, prefix: map[string]string{"api_key": "sb_secret_"}},
		{name: "api key POST", req: request{method: http.MethodPost, path: base + "/api-keys", query: map[string][]string{"reveal": {"true"}}, body: map[string]any{"name": "new_key", "type": "secret"}}, fields: []string{"api_key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tc.send(tt.req)
			if r.status < 200 || r.status > 299 {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			var doc any
			if err := json.Unmarshal(r.body, &doc); err != nil {
				t.Fatal(err)
			}
			for _, f := range tt.fields {
				v, _ := lookup(doc, f).(string)
				if v == "" {
					t.Errorf("secret field %s is empty", f)
				}
				if p := tt.prefix[f]; p != "" && !strings.HasPrefix(v, p) {
					t.Errorf("%s = %q, want prefix %q", f, v, p)
				}
			}
		})
	}
}

func TestFunctionsSecretsAndKeys(t *testing.T) {
	t.Parallel()
	s := newTestSandbox(t, Options{})
	tc := newTestClient(t, s)
	seed := s.Seed()
	base := "/v1/projects/" + seed.ProjectRef
	form, ct := deployForm(t)
	version := func(slug string) int {
		r := tc.get(base + "/functions/" + slug)
		mustStatus(t, r, http.StatusOK, "get function")
		var f functionResponse
		r.json(t, &f)
		return f.Version
	}
	for want := 1; want <= 3; want++ {
		r := tc.send(request{method: http.MethodPost, path: base + "/functions/deploy", query: map[string][]string{"slug": {"deployed-fn"}}, raw: form, contentType: ct})
		mustStatus(t, r, http.StatusCreated, "deploy")
		if got := version("deployed-fn"); got != want {
			t.Fatalf("after deploy %d: version %d", want, got)
		}
	}
	r := tc.send(request{method: http.MethodPatch, path: base + "/functions/deployed-fn", body: map[string]any{"verify_jwt": true}})
	mustStatus(t, r, http.StatusOK, "update function")
	if got := version("deployed-fn"); got != 4 {
		t.Fatalf("after update: version %d, want 4", got)
	}
	body := tc.send(request{method: http.MethodGet, path: base + "/functions/deployed-fn/body", header: map[string]string{"Accept": "multipart/form-data"}})
	mustStatus(t, body, http.StatusOK, "function body")
	if !strings.HasPrefix(body.header.Get("Content-Type"), "multipart/form-data") || !strings.Contains(string(body.body), "deployed") {
		t.Fatalf("function body: %s", body.body)
	}
	mustStatus(t, tc.send(request{method: http.MethodDelete, path: base + "/functions/deployed-fn"}), http.StatusOK, "delete function")
	mustStatus(t, tc.get(base+"/functions/deployed-fn"), http.StatusNotFound, "deleted function")

	// Secrets: create, list (digests), delete.
	mustStatus(t, tc.send(request{method: http.MethodPost, path: base + "/secrets", body: []any{map[string]any{"name": "MY_KEY", "value": "v1"}}}), http.StatusCreated, "create secret")
	var secrets []secretResponse
	tc.get(base+"/secrets").json(t, &secrets)
	found := false
	for _, sec := range secrets {
		if sec.Name == "MY_KEY" {
			found = sec.Value == secretDigest("v1")
		}
	}
	if !found {
		t.Fatalf("MY_KEY missing or not digested in %+v", secrets)
	}
	mustStatus(t, tc.send(request{method: http.MethodDelete, path: base + "/secrets", body: []string{"MY_KEY"}}), http.StatusOK, "delete secret")
	tc.get(base+"/secrets").json(t, &secrets)
	for _, sec := range secrets {
		if sec.Name == "MY_KEY" {
			t.Fatal("MY_KEY still listed after delete")
		}
	}

	// API keys: legacy ones disappear when disabled.
	mustStatus(t, tc.send(request{method: http.MethodPut, path: base + "/api-keys/legacy", query: map[string][]string{"enabled": {"false"}}}), http.StatusOK, "disable legacy keys")
	var keys []apiKeyResponse
	tc.get(base+"/api-keys").json(t, &keys)
	for _, k := range keys {
		if k.Type == "legacy" {
			t.Fatalf("legacy key %s listed while disabled", k.Name)
		}
	}
}

func TestOrganizationProjectsPagination(t *testing.T) {
	t.Parallel()
	s := newTestSandbox(t, Options{})
	tc := newTestClient(t, s)
	page := func(query map[string][]string) orgProjectsPage {
		r := tc.send(request{method: http.MethodGet, path: "/v1/organizations/" + s.Seed().OrgSlug + "/projects", query: query})
		mustStatus(t, r, http.StatusOK, "org projects")
		var p orgProjectsPage
		r.json(t, &p)
		return p
	}
	names := func(p orgProjectsPage) []string {
		var out []string
		for _, pr := range p.Projects {
			out = append(out, pr.Name)
		}
		return out
	}
	tests := []struct {
		name      string
		query     map[string][]string
		wantNames []string
		wantCount int
	}{
		{name: "first page by name", query: map[string][]string{"limit": {"2"}}, wantNames: []string{"develop", "feature-login"}, wantCount: 5},
		{name: "second page", query: map[string][]string{"limit": {"2"}, "offset": {"2"}}, wantNames: []string{"sandbox-paused", "sandbox-production"}, wantCount: 5},
		{name: "search", query: map[string][]string{"search": {"sandbox-p"}}, wantNames: []string{"sandbox-paused", "sandbox-production"}, wantCount: 2},
		{name: "status filter", query: map[string][]string{"statuses": {"INACTIVE"}}, wantNames: []string{"sandbox-paused"}, wantCount: 1},
		{name: "name descending", query: map[string][]string{"sort": {"name_desc"}, "limit": {"1"}}, wantNames: []string{"sandbox-staging"}, wantCount: 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := page(tt.query)
			if got := names(p); !reflect.DeepEqual(got, tt.wantNames) || p.Pagination.Count != tt.wantCount {
				t.Fatalf("names %v count %d, want %v count %d", got, p.Pagination.Count, tt.wantNames, tt.wantCount)
			}
		})
	}
}

func TestFunctionEszipUpload(t *testing.T) {
	t.Parallel()
	s := newTestSandbox(t, Options{})
	tc := newTestClient(t, s)
	base := "/v1/projects/" + s.Seed().ProjectRef + "/functions"
	bundle := []byte("ESZIP2\x00sandbox-bundle")
	r := tc.send(request{method: http.MethodPost, path: base, raw: bundle, contentType: eszipContentType,
		query: map[string][]string{"slug": {"eszip-fn"}, "name": {"eszip-fn"}, "verify_jwt": {"false"}, "entrypoint_path": {"file:///src/index.ts"}}})
	mustStatus(t, r, http.StatusCreated, "create from eszip")
	var f functionResponse
	r.json(t, &f)
	if f.Slug != "eszip-fn" || f.Version != 1 || f.VerifyJwt || f.EzbrSha256 == "" {
		t.Fatalf("created function: %+v", f)
	}
	r = tc.send(request{method: http.MethodPatch, path: base + "/eszip-fn", raw: bundle, contentType: eszipContentType})
	mustStatus(t, r, http.StatusOK, "update from eszip")
	r.json(t, &f)
	if f.Version != 2 {
		t.Fatalf("version after update: %d", f.Version)
	}
	mustStatus(t, tc.send(request{method: http.MethodPost, path: base, raw: bundle, contentType: eszipContentType, query: map[string][]string{"slug": {"eszip-fn"}}}),
		http.StatusBadRequest, "create an existing function")
}

// TestConcurrentRequests mixes reads and writes from many goroutines; run
// with -race it checks that replies never share memory with the state.
func TestConcurrentRequests(t *testing.T) {
	t.Parallel()
	s := newTestSandbox(t, Options{Budget: 1 << 20})
	seed := s.Seed()
	base := "/v1/projects/" + seed.ProjectRef
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			tc := newTestClient(t, s)
			for i := range 25 {
				reqs := []request{
					{method: http.MethodGet, path: base + "/config/auth"},
					{method: http.MethodPatch, path: base + "/config/auth", body: map[string]any{"jwt_exp": 3600 + g*100 + i}},
					{method: http.MethodGet, path: base + "/config/auth/sso/providers"},
					{method: http.MethodPut, path: base + "/config/auth/sso/providers/" + seed.SSOProviderIDs[0], body: map[string]any{"domains": []string{fmt.Sprintf("d%d.example.com", i)}}},
					{method: http.MethodGet, path: "/v1/projects"},
					{method: http.MethodPost, path: "/v1/branches/" + seed.PreviewBranchRef + "/push", body: map[string]any{}},
					{method: http.MethodGet, path: "/v1/projects/" + seed.PreviewBranchRef + "/actions"},
					{method: http.MethodPatch, path: base + "/network-restrictions", body: map[string]any{"add": map[string]any{"dbAllowedCidrs": []string{fmt.Sprintf("10.%d.0.0/16", i)}}}},
					{method: http.MethodGet, path: base + "/network-restrictions"},
				}
				r := tc.send(reqs[(g+i)%len(reqs)])
				if r.status < 200 || r.status > 299 {
					t.Errorf("status %d: %s", r.status, r.body)
					return
				}
			}
		})
	}
	wg.Wait()
}
