package pipeline

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/supaops/supaops/internal/client"
	"github.com/supaops/supaops/internal/redact"
	"github.com/supaops/supaops/internal/tools"
)

const ref = "abcdefghijklmnopqrst"

// fakeAPI answers every request with one canned response and remembers requests.
type fakeAPI struct {
	mu       sync.Mutex
	requests []*http.Request
	resp     *client.Response
	err      error
}

func (f *fakeAPI) Do(req *http.Request) (*client.Response, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, req)
	if f.err != nil {
		return nil, f.err
	}
	return f.resp, nil
}

func (f *fakeAPI) BaseURL() string { return "https://api.example.test" }

type memoryRecorder struct {
	mu      sync.Mutex
	records []Record
	err     error
}

func (m *memoryRecorder) Record(_ context.Context, rec Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.records = append(m.records, rec)
	return m.err
}

func jsonResponse(status int, body string) *client.Response {
	return &client.Response{Status: status, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(body), RequestID: "req-1"}
}

func newPipeline(t *testing.T, api Doer, auth Authorizer, rec Recorder) *Pipeline {
	t.Helper()
	reg, err := tools.Load()
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(Config{Registry: reg, API: api, Authorizer: auth, Recorder: rec})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCallOutcomes(t *testing.T) {
	tests := []struct {
		name       string
		req        Request
		auth       Authorizer
		api        *fakeAPI
		wantErr    func(error) bool
		wantCalls  int
		wantEffect Effect
		wantRule   string
	}{
		{
			name: "unknown action", req: Request{Action: "project_gte"},
			api:        &fakeAPI{},
			wantErr:    func(err error) bool { var e *tools.UnknownActionError; return errors.As(err, &e) },
			wantEffect: Deny, wantRule: "builtin:unknown-action",
		},
		{
			name: "invalid arguments never reach the API", req: Request{Action: "project_get", Args: map[string]any{"ref": "short"}},
			api:        &fakeAPI{},
			wantErr:    func(err error) bool { var e *tools.InputError; return errors.As(err, &e) },
			wantEffect: Deny, wantRule: "builtin:input",
		},
		{
			name: "default policy allows reads", req: Request{Action: "project_get", Args: map[string]any{"ref": ref}},
			api:       &fakeAPI{resp: jsonResponse(200, `{"ref":"`+ref+`"}`)},
			wantCalls: 1, wantEffect: Allow, wantRule: "builtin:default",
		},
		{
			name: "default policy refuses writes and says so", req: Request{Action: "project_pause", Args: map[string]any{"ref": ref}},
			api: &fakeAPI{},
			wantErr: func(err error) bool {
				var e *NotAllowedError
				return errors.As(err, &e) && strings.Contains(err.Error(), "no policy is configured")
			},
			wantEffect: Deny, wantRule: "builtin:default",
		},
		{
			name: "default policy refuses destructive actions", req: Request{Action: "project_delete", Args: map[string]any{"ref": ref}},
			api:        &fakeAPI{},
			wantErr:    func(err error) bool { var e *NotAllowedError; return errors.As(err, &e) },
			wantEffect: Deny, wantRule: "builtin:default",
		},
		{
			name: "403 names the scope and permissions the action needs", req: Request{Action: "project_get", Args: map[string]any{"ref": ref}},
			api: &fakeAPI{err: &client.APIError{Status: 403, Message: "Forbidden resource", Method: "GET", Path: "/v1/projects/" + ref}},
			wantErr: func(err error) bool {
				var e *client.APIError
				return errors.As(err, &e) && strings.Contains(err.Error(), "projects:read") && strings.Contains(err.Error(), "project_admin_read")
			},
			wantCalls: 1, wantEffect: Allow,
		},
		{
			name: "confirm is not a yes", req: Request{Action: "project_pause", Args: map[string]any{"ref": ref}},
			auth: fixedAuthorizer{Decision{Effect: Confirm, Rule: "writes-confirm", Token: "tok"}},
			api:  &fakeAPI{},
			wantErr: func(err error) bool {
				var e *NotAllowedError
				return errors.As(err, &e) && e.Decision.Token == "tok" && strings.Contains(err.Error(), "needs confirmation")
			},
			wantEffect: Confirm, wantRule: "writes-confirm",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &memoryRecorder{}
			p := newPipeline(t, tt.api, tt.auth, rec)
			res, err := p.Call(context.Background(), tt.req)
			if tt.wantErr == nil && err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if tt.wantErr != nil && (err == nil || !tt.wantErr(err)) {
				t.Fatalf("error %v is not the expected one", err)
			}
			if tt.wantErr == nil && res == nil {
				t.Fatal("no result")
			}
			if len(tt.api.requests) != tt.wantCalls {
				t.Errorf("API called %d times, want %d", len(tt.api.requests), tt.wantCalls)
			}
			if len(rec.records) != 1 {
				t.Fatalf("%d records, want exactly 1 for every call", len(rec.records))
			}
			got := rec.records[0]
			if got.Decision.Effect != tt.wantEffect || (tt.wantRule != "" && got.Decision.Rule != tt.wantRule) {
				t.Errorf("recorded decision %+v, want %s by %s", got.Decision, tt.wantEffect, tt.wantRule)
			}
			if (err != nil) != (got.Error != "") {
				t.Errorf("recorded error %q for error %v", got.Error, err)
			}
		})
	}
}

type fixedAuthorizer struct{ d Decision }

func (f fixedAuthorizer) Authorize(context.Context, Call) (Decision, error) { return f.d, nil }

func TestSecretsAreRedactedInResultsAndRecords(t *testing.T) {
	api := &fakeAPI{resp: jsonResponse(201, `{"ref":"`+ref+`","name":"x","status":"COMING_UP"}`)}
	rec := &memoryRecorder{}
	p := newPipeline(t, api, AllowAll{}, rec)
	_, err := p.Call(context.Background(), Request{Action: "project_create", Args: map[string]any{
		"name": "x", "organization_slug": "acme", "db_pass": "correct-horse-battery-staple",
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got := rec.records[0].Args["db_pass"]; got != redact.Mask {
		t.Errorf("recorded db_pass %v, want it masked", got)
	}

	api.resp = jsonResponse(200, `[{"name":"OPENAI_KEY","value":"sk-live-123"}]`)
	res, err := p.Call(context.Background(), Request{Action: "secrets_list", Args: map[string]any{"ref": ref}})
	if err != nil {
		t.Fatal(err)
	}
	list := res.Data.([]any)
	if v := list[0].(map[string]any)["value"]; v != redact.Mask {
		t.Errorf("secret value %v, want it masked", v)
	}
	if n := list[0].(map[string]any)["name"]; n != "OPENAI_KEY" {
		t.Errorf("secret name %v must stay readable", n)
	}
}

func TestRecorderFailureDoesNotHideTheOutcome(t *testing.T) {
	api := &fakeAPI{resp: jsonResponse(200, `{"ref":"`+ref+`"}`)}
	p := newPipeline(t, api, nil, &memoryRecorder{err: errors.New("disk full")})
	res, err := p.Call(context.Background(), Request{Action: "project_get", Args: map[string]any{"ref": ref}})
	if err != nil || res == nil {
		t.Fatalf("the call happened and must be reported: %v", err)
	}
}

func TestDecodeShapes(t *testing.T) {
	tests := []struct {
		name   string
		action string
		args   map[string]any
		resp   *client.Response
		check  func(t *testing.T, data any)
	}{
		{"HEAD count", "action_runs_count", map[string]any{"ref": ref},
			&client.Response{Status: 200, Header: http.Header{"X-Total-Count": {"42"}}},
			func(t *testing.T, data any) {
				if data.(map[string]any)["total_count"] != int64(42) {
					t.Errorf("got %v", data)
				}
			}},
		{"text", "branch_diff", map[string]any{"branch_id_or_ref": ref},
			&client.Response{Status: 200, Header: http.Header{"Content-Type": {"text/plain"}}, Body: []byte("-- diff\ncreate table x();")},
			func(t *testing.T, data any) {
				if s, _ := data.(string); !strings.Contains(s, "create table") {
					t.Errorf("got %v", data)
				}
			}},
		{"empty", "project_pause", map[string]any{"ref": ref},
			&client.Response{Status: 200, Header: http.Header{}},
			func(t *testing.T, data any) {
				if data != nil {
					t.Errorf("got %v", data)
				}
			}},
		{"binary", "function_body_get", map[string]any{"ref": ref, "function_slug": "hello"},
			&client.Response{Status: 200, Header: http.Header{"Content-Type": {"application/octet-stream"}}, Body: []byte{0xff, 0x00, 0xfe}},
			func(t *testing.T, data any) {
				if data.(map[string]any)["base64"] != "/wD+" {
					t.Errorf("got %v", data)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPipeline(t, &fakeAPI{resp: tt.resp}, AllowAll{}, nil)
			res, err := p.Call(context.Background(), Request{Action: tt.action, Args: tt.args})
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, res.Data)
		})
	}
}

func TestPollRequest(t *testing.T) {
	api := &fakeAPI{resp: jsonResponse(201, `{"workflow_run_id":"run-7","message":"ok"}`)}
	p := newPipeline(t, api, AllowAll{}, nil)
	res, err := p.Call(context.Background(), Request{Action: "branch_push", Args: map[string]any{"branch_id_or_ref": ref}, Principal: "job:x"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Poll == nil || res.Poll.Action != "action_run_get" || res.Poll.Args["run_id"] != "run-7" || res.Poll.Args["ref"] != ref || res.Poll.Principal != "job:x" {
		t.Errorf("poll %+v", res.Poll)
	}
}
