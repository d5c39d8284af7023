package tools

import (
	"context"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func TestNewRequest(t *testing.T) {
	reg := loadRegistry(t)
	const server = "https://api.example.test"
	const ref = "abcdefghijklmnopqrst"
	tests := []struct {
		name        string
		action      string
		args        map[string]any
		wantMethod  string
		wantURL     string
		wantHeaders map[string]string
		wantJSON    string // expected JSON body, compared as values
	}{
		{"path", "project_get", map[string]any{"ref": ref}, "GET", "/v1/projects/" + ref, nil, ""},
		{"query", "organization_projects_list", map[string]any{"slug": "acme", "limit": 5, "sort": "name_asc"}, "GET", "/v1/organizations/acme/projects?limit=5&sort=name_asc", nil, ""},
		{"array query", "project_health_get", map[string]any{"ref": ref, "services": []any{"auth", "db"}}, "GET", "/v1/projects/" + ref + "/health?services=auth&services=db", nil, ""},
		{"uuid path", "api_key_get", map[string]any{"ref": ref, "id": "8b1e0f5c-4a4e-4c43-9d2b-0f6f5d3b7a11"}, "GET", "/v1/projects/" + ref + "/api-keys/8b1e0f5c-4a4e-4c43-9d2b-0f6f5d3b7a11", nil, ""},
		{"flattened body", "project_create", map[string]any{"name": "x", "organization_slug": "acme", "db_pass": "pw", "region": "us-east-1"}, "POST", "/v1/projects", map[string]string{"Content-Type": "application/json"}, `{"name":"x","organization_slug":"acme","db_pass":"pw","region":"us-east-1"}`},
		{"whole body", "secrets_create", map[string]any{"ref": ref, "body": []any{map[string]any{"name": "A", "value": "b"}}}, "POST", "/v1/projects/" + ref + "/secrets", nil, `[{"name":"A","value":"b"}]`},
		{"header parameter", "migration_apply", map[string]any{"ref": ref, "query": "select 1", "idempotency_key": "k1"}, "POST", "/v1/projects/" + ref + "/database/migrations", map[string]string{"Idempotency-Key": "k1"}, `{"query":"select 1"}`},
		{"branch by ref", "branch_get", map[string]any{"branch_id_or_ref": ref}, "GET", "/v1/branches/" + ref, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := reg.Lookup(tt.action)
			if err != nil {
				t.Fatal(err)
			}
			args, err := Normalize(tt.args)
			if err != nil {
				t.Fatal(err)
			}
			if err := a.Validate(args); err != nil {
				t.Fatalf("test arguments must be valid: %v", err)
			}
			req, err := a.NewRequest(context.Background(), server, args)
			if err != nil {
				t.Fatal(err)
			}
			if req.Method != tt.wantMethod {
				t.Errorf("method %s, want %s", req.Method, tt.wantMethod)
			}
			gotURL := strings.TrimPrefix(req.URL.String(), server)
			if !sameURL(gotURL, tt.wantURL) {
				t.Errorf("URL %s, want %s", gotURL, tt.wantURL)
			}
			for k, v := range tt.wantHeaders {
				if got := req.Header.Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			if tt.wantJSON == "" {
				return
			}
			body, _ := io.ReadAll(req.Body)
			var got, want any
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("body %s: %v", body, err)
			}
			_ = json.Unmarshal([]byte(tt.wantJSON), &want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("body %s, want %s", body, tt.wantJSON)
			}
		})
	}
}

// sameURL compares paths exactly and query strings as sets of values.
func sameURL(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	if err1 != nil || err2 != nil {
		return false
	}
	return ua.Path == ub.Path && reflect.DeepEqual(ua.Query(), ub.Query())
}

func TestNewRequestMultipartDeploy(t *testing.T) {
	reg := loadRegistry(t)
	a, _ := reg.Lookup("function_deploy")
	args, _ := Normalize(map[string]any{
		"ref":      "abcdefghijklmnopqrst",
		"slug":     "hello",
		"file":     []any{map[string]any{"name": "index.ts", "content": "Deno.serve(() => new Response('hi'))"}},
		"metadata": map[string]any{"entrypoint_path": "index.ts", "name": "hello"},
	})
	if err := a.Validate(args); err != nil {
		t.Fatal(err)
	}
	req, err := a.NewRequest(context.Background(), "https://api.example.test", args)
	if err != nil {
		t.Fatal(err)
	}
	mediaType, params, err := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/form-data" {
		t.Fatalf("content type %q: %v", req.Header.Get("Content-Type"), err)
	}
	form, err := multipart.NewReader(req.Body, params["boundary"]).ReadForm(1 << 20)
	if err != nil {
		t.Fatal(err)
	}
	files := form.File["file"]
	if len(files) != 1 || files[0].Filename != "index.ts" {
		t.Fatalf("files %v", files)
	}
	f, _ := files[0].Open()
	content, _ := io.ReadAll(f)
	if !strings.Contains(string(content), "Deno.serve") {
		t.Errorf("file content %q", content)
	}
	var meta map[string]any
	if err := json.Unmarshal([]byte(form.Value["metadata"][0]), &meta); err != nil || meta["entrypoint_path"] != "index.ts" {
		t.Errorf("metadata %v: %v", form.Value["metadata"], err)
	}
	if req.URL.Query().Get("slug") != "hello" {
		t.Errorf("slug query %q", req.URL.RawQuery)
	}
}

func TestNewRequestFormBody(t *testing.T) {
	reg := loadRegistry(t)
	a, _ := reg.Lookup("oauth_token_exchange")
	args, _ := Normalize(map[string]any{"grant_type": "authorization_code", "code": "c0de", "client_id": "7a0c5b8e-8d1b-4f59-8d34-c5bb5c2b0f7c"})
	if err := a.Validate(args); err != nil {
		t.Fatal(err)
	}
	req, err := a.NewRequest(context.Background(), "https://api.example.test", args)
	if err != nil {
		t.Fatal(err)
	}
	if ct := req.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		t.Errorf("content type %q", ct)
	}
	body, _ := io.ReadAll(req.Body)
	form, _ := url.ParseQuery(string(body))
	if form.Get("grant_type") != "authorization_code" || form.Get("code") != "c0de" {
		t.Errorf("form %v", form)
	}
}
