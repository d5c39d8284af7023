package sandbox

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// opCase is a valid request for one operation. setup may call the sandbox
// first (e.g. create what the operation deletes) and adjust the case.
type opCase struct {
	params map[string]string
	query  url.Values
	body   any
	raw    []byte
	ct     string
	header map[string]string
	setup  func(t *testing.T, tc *testClient, c *opCase)
}

// defaultParams fills path parameters from the seed.
func defaultParams(seed SeedInfo, path string) map[string]string {
	p := map[string]string{
		"ref":              seed.ProjectRef,
		"slug":             seed.OrgSlug,
		"branch_id_or_ref": seed.PreviewBranchRef,
		"function_slug":    seed.FunctionSlugs[0],
		"provider_id":      seed.SSOProviderIDs[0],
		"tpa_id":           seed.ThirdPartyAuthIDs[0],
		"run_id":           seed.ActionRunIDs[0],
		"version":          seed.MigrationVersions[0],
		"name":             seed.PreviewBranchName,
		"token":            "sandbox-claim-token",
		"user_id":          seed.UserID,
		"addon_variant":    "pitr_7",
		"id":               "44444444-4444-4444-8444-444444444444",
	}
	switch {
	case strings.Contains(path, "/api-keys/"):
		p["id"] = seed.APIKeyIDs[0]
	case strings.Contains(path, "/signing-keys/"):
		p["id"] = seed.SigningKeyIDs[1]
	case strings.Contains(path, "/actions"):
		p["ref"] = seed.PreviewBranchRef
	}
	return p
}

func deployForm(t *testing.T) ([]byte, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	// As the Supabase CLI sends it: metadata is a plain form field holding JSON.
	if err := mw.WriteField("metadata", `{"entrypoint_path":"index.ts","name":"deployed-fn","verify_jwt":false}`); err != nil {
		t.Fatal(err)
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="index.ts"`)
	h.Set("Content-Type", "application/octet-stream")
	fw, err := mw.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.WriteString(fw, `Deno.serve(() => new Response("deployed"))`)
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), mw.FormDataContentType()
}

func validCases(t *testing.T, seed SeedInfo) map[string]*opCase {
	q := func(kv ...string) url.Values {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return v
	}
	staging := seed.ProjectRefs[1]
	hobby := seed.ProjectRefs[3]
	developRef := seed.BranchRefs[1]
	form, formCT := deployForm(t)
	return map[string]*opCase{
		"v1-delete-a-branch":        {params: map[string]string{"branch_id_or_ref": developRef}, query: q("force", "false")},
		"v1-restore-a-branch":       {params: map[string]string{"branch_id_or_ref": developRef}},
		"v1-update-a-branch-config": {body: map[string]any{"persistent": false, "request_review": true}},
		"v1-merge-a-branch":         {body: map[string]any{}},
		"v1-push-a-branch":          {body: map[string]any{"migration_version": seed.MigrationVersions[0]}},
		"v1-reset-a-branch":         {body: map[string]any{}},
		"v1-authorize-user": {query: q("client_id", "66666666-6666-4666-8666-666666666666", "response_type", "code",
			"redirect_uri", "https://app.example.com/callback")},
		"v1-oauth-authorize-project-claim": {query: q("project_ref", seed.ProjectRef, "client_id", "66666666-6666-4666-8666-666666666666",
			"response_type", "code", "redirect_uri", "https://app.example.com/callback")},
		"v1-revoke-token": {body: map[string]any{"client_id": "66666666-6666-4666-8666-666666666666", "client_secret": "s", "refresh_token": "r"}},
		"v1-exchange-oauth-token": {
			raw: []byte("grant_type=authorization_code&code=abc&client_id=66666666-6666-4666-8666-666666666666&client_secret=s"),
			ct:  "application/x-www-form-urlencoded",
		},
		"v1-create-an-organization":            {body: map[string]any{"name": "Created Org"}},
		"v1-get-all-projects-for-organization": {query: q("limit", "2", "sort", "created_desc")},
		"v1-create-a-project": {body: map[string]any{
			"name": "created-project", "organization_slug": seed.OrgSlug, "db_pass": "sandbox-pass", "region": "eu-west-1",
		}},
		"v1-get-available-regions":               {query: q("organization_slug", seed.OrgSlug)},
		"v1-delete-a-project":                    {params: map[string]string{"ref": hobby}},
		"v1-update-a-project":                    {body: map[string]any{"name": "sandbox-production"}},
		"v1-list-action-runs":                    {query: q("limit", "10")},
		"v1-update-action-run-status":            {body: map[string]any{"clone": "EXITED"}},
		"v1-get-security-advisors":               {query: q("lint_type", "sql")},
		"v1-get-project-function-combined-stats": {query: q("interval", "1hr", "function_id", "hello-world")},
		"v1-get-project-usage-api-count":         {query: q("interval", "1day")},
		"v1-get-project-api-keys":                {query: q("reveal", "true")},
		"v1-create-project-api-key":              {body: map[string]any{"name": "ci_key", "type": "secret"}},
		"v1-update-project-legacy-api-keys":      {query: q("enabled", "true")},
		"v1-delete-project-api-key":              {params: map[string]string{"id": seed.APIKeyIDs[1]}},
		"v1-update-project-api-key":              {body: map[string]any{"description": "updated by the conformance test"}},
		"v1-apply-project-addon":                 {body: map[string]any{"addon_type": "pitr", "addon_variant": "pitr_7"}},
		"v1-disable-preview-branching":           {params: map[string]string{"ref": staging}},
		"v1-create-a-branch":                     {body: map[string]any{"branch_name": "conformance", "git_branch": "conformance"}},
		"v1-create-login-role":                   {body: map[string]any{"read_only": true}},
		"v1-update-auth-service-config":          {body: map[string]any{"site_url": "https://example.com", "smtp_pass": "new-smtp-pass"}},
		"v1-create-project-signing-key":          {body: map[string]any{"algorithm": "ES256"}},
		"v1-remove-project-signing-key":          {params: map[string]string{"id": seed.SigningKeyIDs[0]}},
		"v1-update-project-signing-key":          {body: map[string]any{"status": "in_use"}},
		"v1-create-a-sso-provider":               {body: map[string]any{"type": "saml", "metadata_url": "https://idp.example.org/metadata", "domains": []string{"example.org"}}},
		"v1-delete-a-sso-provider": {setup: func(t *testing.T, tc *testClient, c *opCase) {
			r := tc.send(request{method: http.MethodPost, path: "/v1/projects/" + seed.ProjectRef + "/config/auth/sso/providers",
				body: map[string]any{"type": "saml", "metadata_url": "https://idp.example.net/metadata"}})
			mustStatus(t, r, http.StatusCreated, "create SSO provider")
			var p struct{ ID string }
			r.json(t, &p)
			c.params = map[string]string{"provider_id": p.ID}
		}},
		"v1-update-a-sso-provider":          {body: map[string]any{"domains": []string{"example.com", "example.net"}}},
		"v1-create-project-tpa-integration": {body: map[string]any{"oidc_issuer_url": "https://issuer.example.com"}},
		"v1-delete-project-tpa-integration": {setup: func(t *testing.T, tc *testClient, c *opCase) {
			r := tc.send(request{method: http.MethodPost, path: "/v1/projects/" + seed.ProjectRef + "/config/auth/third-party-auth",
				body: map[string]any{"jwks_url": "https://issuer.example.net/.well-known/jwks.json"}})
			mustStatus(t, r, http.StatusCreated, "create third-party auth")
			var p struct{ ID string }
			r.json(t, &p)
			c.params = map[string]string{"tpa_id": p.ID}
		}},
		"v1-update-pooler-config":   {body: map[string]any{"default_pool_size": 20}},
		"v1-update-postgres-config": {body: map[string]any{"max_connections": 120, "statement_timeout": "30s"}},
		"v1-modify-database-disk": {body: map[string]any{"attributes": map[string]any{
			"type": "gp3", "iops": 3000, "size_gb": 16, "throughput_mibps": 125,
		}}},
		"v1-update-realtime-config": {body: map[string]any{"max_concurrent_users": 300}},
		"v1-update-storage-config":  {body: map[string]any{"fileSizeLimit": 52428800}},
		"v1-delete-hostname-config": {query: q("remove_addon", "false")},
		"v1-activate-custom-hostname": {setup: func(t *testing.T, tc *testClient, c *opCase) {
			r := tc.send(request{method: http.MethodPost, path: "/v1/projects/" + seed.ProjectRef + "/custom-hostname/initialize",
				body: map[string]any{"custom_hostname": "api.example.com"}})
			mustStatus(t, r, http.StatusCreated, "initialize custom hostname")
		}},
		"v1-update-hostname-config":  {body: map[string]any{"custom_hostname": "api.example.com"}},
		"v1-restore-physical-backup": {body: map[string]any{"id": seed.BackupIDs[0]}},
		"v1-restore-pitr-backup":     {body: map[string]any{"recovery_time_target_unix": 900000000}},
		"v1-get-restore-point":       {query: q("name", seed.RestorePointNames[0])},
		"v1-create-restore-point":    {body: map[string]any{"name": "conformance"}},
		"v1-update-backup-schedule":  {body: map[string]any{"schedule_for": "03:00"}},
		"v1-undo":                    {body: map[string]any{"name": seed.RestorePointNames[0]}},
		"v1-authorize-jit-access":    {body: map[string]any{"role": "postgres", "rhost": "203.0.113.7"}},
		"v1-update-jit-access":       {body: map[string]any{"user_id": seed.UserID, "roles": []any{map[string]any{"role": "postgres"}}}},
		"v1-rollback-migrations":     {query: q("gte", "99990101000000")},
		"v1-apply-a-migration": {body: map[string]any{"name": "conformance", "query": "create table conformance (id int);"},
			header: map[string]string{"Idempotency-Key": "conformance-1"}},
		"v1-upsert-a-migration":       {body: map[string]any{"name": "conformance_upsert", "query": "select 1"}},
		"v1-patch-a-migration":        {body: map[string]any{"name": "create_profiles_renamed"}},
		"v1-update-database-password": {body: map[string]any{"password": "sandbox-new-password"}},
		"v1-run-a-query":              {body: map[string]any{"query": "select 1"}},
		"v1-read-only-query":          {body: map[string]any{"query": "select version()"}},
		"v1-create-a-function": {body: map[string]any{
			"slug": "created-fn", "name": "created-fn", "body": "Deno.serve(() => new Response('hi'))",
		}},
		"v1-bulk-update-functions": {body: []any{map[string]any{
			"id": "bulk-fn-id", "name": "bulk-fn", "slug": "bulk-fn", "status": "ACTIVE", "version": 4,
		}}},
		"v1-deploy-a-function":           {raw: form, ct: formCT, query: q("slug", "deployed-fn")},
		"v1-delete-a-function":           {params: map[string]string{"function_slug": seed.FunctionSlugs[1]}},
		"v1-update-a-function":           {body: map[string]any{"name": "hello-world-v2", "verify_jwt": true}},
		"v1-get-services-health":         {query: q("services", "auth", "services", "db", "services", "realtime", "services", "rest")},
		"v1-update-jit-access-config":    {body: map[string]any{"state": "enabled"}},
		"v1-delete-network-bans":         {body: map[string]any{"ipv4_addresses": []string{"203.0.113.7"}}},
		"v1-patch-network-restrictions":  {body: map[string]any{"add": map[string]any{"dbAllowedCidrs": []string{"10.0.0.0/8"}}}},
		"v1-update-network-restrictions": {body: map[string]any{"dbAllowedCidrs": []string{"10.0.0.0/8", "192.0.2.0/24"}}},
		"v1-pause-a-project":             {params: map[string]string{"ref": staging}},
		"v1-restore-a-project":           {params: map[string]string{"ref": staging}},
		"v1-cancel-a-project-restoration": {params: map[string]string{"ref": seed.PausedProjectRef}, setup: func(t *testing.T, tc *testClient, c *opCase) {
			r := tc.send(request{method: http.MethodPost, path: "/v1/projects/" + seed.PausedProjectRef + "/restore"})
			mustStatus(t, r, http.StatusOK, "restore the paused project")
		}},
		"v1-update-pgsodium-config":              {body: map[string]any{"root_key": "sandbox-new-root-key"}},
		"v1-update-postgrest-service-config":     {body: map[string]any{"max_rows": 500, "db_schema": "public"}},
		"v1-remove-a-read-replica":               {body: map[string]any{"database_identifier": seed.ProjectRef + "-rr-us-east-1"}},
		"v1-setup-a-read-replica":                {body: map[string]any{"read_replica_region": "eu-west-1"}},
		"v1-bulk-delete-secrets":                 {body: []string{seed.SecretNames[1]}},
		"v1-bulk-create-secrets":                 {body: []any{map[string]any{"name": "NEW_SECRET", "value": "s3cr3t"}}},
		"v1-update-ssl-enforcement-config":       {body: map[string]any{"requestedConfig": map[string]any{"database": true}}},
		"v1-upgrade-postgres-version":            {body: map[string]any{"target_version": "17.6.1.001", "release_channel": "ga"}},
		"v1-activate-vanity-subdomain-config":    {body: map[string]any{"vanity_subdomain": "my-sandbox"}},
		"v1-check-vanity-subdomain-availability": {body: map[string]any{"vanity_subdomain": "free-name"}},
	}
}

// TestAllOperationsConform sends a valid request to every operation and
// checks the answer: a 2xx, a body valid against the spec's response schema,
// the API's content types, and an X-Request-Id.
func TestAllOperationsConform(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		const delay = time.Minute
		s := newTestSandbox(t, Options{Budget: 1 << 20, TransitionDelay: delay})
		tc := newTestClient(t, s)
		seed := s.Seed()
		cases := validCases(t, seed)
		opts := &openapi3filter.Options{IncludeResponseStatus: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}
		opts.WithCustomSchemaErrorFunc(func(err *openapi3.SchemaError) string { return err.Reason })

		if got := len(s.api.ops); got != 164 {
			t.Fatalf("sandbox serves %d operations, want 164", got)
		}
		seen := map[string]bool{}
		for _, op := range s.api.ops {
			seen[op.id] = true
			c := cases[op.id]
			if c == nil {
				c = &opCase{}
			}
			if c.setup != nil {
				c.setup(t, tc, c)
			}
			params := defaultParams(seed, op.path)
			for k, v := range c.params {
				params[k] = v
			}
			path := op.path
			for k, v := range params {
				path = strings.ReplaceAll(path, "{"+k+"}", url.PathEscape(v))
			}
			req := request{method: op.method, path: path, query: c.query, body: c.body, raw: c.raw, contentType: c.ct, header: c.header}
			r := tc.send(req)
			if r.status < 200 || r.status > 299 {
				t.Errorf("%s (%s %s): status %d: %s", op.id, op.method, path, r.status, r.body)
				continue
			}
			if r.header.Get("X-Request-Id") == "" {
				t.Errorf("%s: no X-Request-Id", op.id)
			}
			checkShape(t, op, r)
			input := &openapi3filter.ResponseValidationInput{
				RequestValidationInput: &openapi3filter.RequestValidationInput{
					Request: tc.build(req), Route: op.route, Options: opts,
				},
				Status:  r.status,
				Header:  r.header,
				Options: opts,
			}
			input.SetBodyBytes(r.body)
			if err := openapi3filter.ValidateResponse(context.Background(), input); err != nil {
				t.Errorf("%s: response does not match the spec: %v\nbody: %.400s", op.id, err, r.body)
			}
			// Let transitions (pause, restore, resize...) settle before the next operation.
			time.Sleep(delay + time.Second)
		}
		for id := range cases {
			if !seen[id] {
				t.Errorf("case for unknown operation %q", id)
			}
		}
	})
}

// checkShape checks what schema validation cannot: content types, empty
// bodies and headers.
func checkShape(t *testing.T, op *operation, r result) {
	t.Helper()
	ct := r.header.Get("Content-Type")
	switch {
	case op.id == "v1-count-action-runs":
		if r.header.Get("X-Total-Count") == "" {
			t.Errorf("%s: no X-Total-Count", op.id)
		}
	case op.contentType == "text/plain":
		if !strings.HasPrefix(ct, "text/plain") {
			t.Errorf("%s: Content-Type %q, want text/plain", op.id, ct)
		}
	case op.id == "v1-run-a-query" || op.id == "v1-read-only-query":
		if !strings.Contains(string(r.body), cannedNote) {
			t.Errorf("%s: canned rows do not say they come from the sandbox: %s", op.id, r.body)
		}
	case op.schema == nil:
		if len(r.body) != 0 {
			t.Errorf("%s: spec declares no body, got %q", op.id, r.body)
		}
	default:
		if !strings.HasPrefix(ct, "application/json") {
			t.Errorf("%s: Content-Type %q, want application/json", op.id, ct)
		}
	}
	if op.success == http.StatusNoContent && r.status != http.StatusNoContent {
		t.Errorf("%s: status %d, want 204", op.id, r.status)
	}
}
