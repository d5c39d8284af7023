package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/supaops/supaops/internal/action"
	"github.com/supaops/supaops/internal/client"
	"github.com/supaops/supaops/internal/redact"
	"github.com/supaops/supaops/internal/scope"
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

func (m *memoryRecorder) Record(_ context.Context, rec Record) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return 0, m.err
	}
	m.records = append(m.records, rec)
	return uint64(len(m.records)), nil
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
			name: "unknown action", req: Request{Principal: "mcp:local", Action: "project_gte"},
			api:        &fakeAPI{},
			wantErr:    func(err error) bool { var e *tools.UnknownActionError; return errors.As(err, &e) },
			wantEffect: Deny, wantRule: "builtin:unknown-action",
		},
		{
			name: "invalid arguments never reach the API", req: Request{Principal: "mcp:local", Action: "project_get", Args: map[string]any{"ref": "short"}},
			api:        &fakeAPI{},
			wantErr:    func(err error) bool { var e *tools.InputError; return errors.As(err, &e) },
			wantEffect: Deny, wantRule: "builtin:input",
		},
		{
			name: "default policy allows reads", req: Request{Principal: "mcp:local", Action: "project_get", Args: map[string]any{"ref": ref}},
			api:       &fakeAPI{resp: jsonResponse(200, `{"ref":"`+ref+`"}`)},
			wantCalls: 1, wantEffect: Allow, wantRule: "builtin:default",
		},
		{
			name: "default policy refuses writes and says so", req: Request{Principal: "mcp:local", Action: "project_pause", Args: map[string]any{"ref": ref}},
			api: &fakeAPI{},
			wantErr: func(err error) bool {
				var e *NotAllowedError
				return errors.As(err, &e) && strings.Contains(err.Error(), "no policy is configured")
			},
			wantEffect: Deny, wantRule: "builtin:default",
		},
		{
			name: "default policy refuses destructive actions", req: Request{Principal: "mcp:local", Action: "project_delete", Args: map[string]any{"ref": ref}},
			api:        &fakeAPI{},
			wantErr:    func(err error) bool { var e *NotAllowedError; return errors.As(err, &e) },
			wantEffect: Deny, wantRule: "builtin:default",
		},
		{
			name: "403 names the scope and permissions the action needs", req: Request{Principal: "mcp:local", Action: "project_get", Args: map[string]any{"ref": ref}},
			api: &fakeAPI{err: &client.APIError{Status: 403, Message: "Forbidden resource", Method: "GET", Path: "/v1/projects/" + ref}},
			wantErr: func(err error) bool {
				var e *client.APIError
				return errors.As(err, &e) && strings.Contains(err.Error(), "projects:read") && strings.Contains(err.Error(), "project_admin_read")
			},
			wantCalls: 1, wantEffect: Allow,
		},
		{
			name: "confirm is not a yes", req: Request{Principal: "mcp:local", Action: "project_pause", Args: map[string]any{"ref": ref}},
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
			// A call sent to the API has an intent before and an outcome after;
			// a call refused before it has one record.
			want := 1
			if tt.wantCalls > 0 {
				want = 2
			}
			if len(rec.records) != want {
				t.Fatalf("%d records, want %d", len(rec.records), want)
			}
			got := rec.records[len(rec.records)-1]
			if want == 2 && (rec.records[0].Event != EventIntent || got.Event != EventOutcome || got.Intent != 1) {
				t.Errorf("records %+v: want an intent, then an outcome pointing at it", rec.records)
			}
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
	_, err := p.Call(context.Background(), Request{Principal: "mcp:local", Action: "project_create", Args: map[string]any{
		"name": "x", "organization_slug": "acme", "db_pass": "correct-horse-battery-staple",
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got := rec.records[0].Args["db_pass"]; got != redact.Mask {
		t.Errorf("recorded db_pass %v, want it masked", got)
	}

	api.resp = jsonResponse(200, `[{"name":"OPENAI_KEY","value":"sk-live-123"}]`)
	res, err := p.Call(context.Background(), Request{Principal: "mcp:local", Action: "secrets_list", Args: map[string]any{"ref": ref}})
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

// Fail closed: a call whose intent cannot be recorded is not sent.
func TestNoCallWithoutARecordedIntent(t *testing.T) {
	api := &fakeAPI{resp: jsonResponse(200, `{"ref":"`+ref+`"}`)}
	p := newPipeline(t, api, nil, &memoryRecorder{err: errors.New("store busy")})
	_, err := p.Call(context.Background(), Request{Principal: "mcp:local", Action: "project_get", Args: map[string]any{"ref": ref}})
	var e *NotAllowedError
	if !errors.As(err, &e) || e.Decision.Rule != "builtin:audit-unavailable" || !strings.Contains(err.Error(), "store busy") {
		t.Fatalf("want a refusal naming the audit log, got %v", err)
	}
	if len(api.requests) != 0 {
		t.Errorf("the API was called %d times without a recorded intent", len(api.requests))
	}
}

type failingAuthorizer struct{}

func (failingAuthorizer) Authorize(context.Context, Call) (Decision, error) {
	return Decision{}, errors.New("policy store unreadable")
}

// Fail closed: an authoriser that cannot answer lets nothing through, and
// the refusal says why.
func TestAuthorizerFailureRefuses(t *testing.T) {
	api := &fakeAPI{resp: jsonResponse(200, `{}`)}
	rec := &memoryRecorder{}
	p := newPipeline(t, api, failingAuthorizer{}, rec)
	_, err := p.Call(context.Background(), Request{Principal: "mcp:local", Action: "project_get", Args: map[string]any{"ref": ref}})
	var e *NotAllowedError
	if !errors.As(err, &e) || e.Decision.Effect != Deny || !strings.Contains(err.Error(), "policy store unreadable") {
		t.Fatalf("got %v", err)
	}
	if len(api.requests) != 0 || len(rec.records) != 1 {
		t.Errorf("%d API calls, %d records", len(api.requests), len(rec.records))
	}
}

// Cheap attacks on expensive paths: a huge action name is not looked up
// for suggestions, and is not kept whole; huge arguments are refused.
func TestBounds(t *testing.T) {
	api := &fakeAPI{}
	rec := &memoryRecorder{}
	p := newPipeline(t, api, AllowAll{}, rec)
	huge := strings.Repeat("project_get", 90_000)
	_, err := p.Call(context.Background(), Request{Principal: "mcp:local", Action: huge})
	var unknown *tools.UnknownActionError
	if !errors.As(err, &unknown) || len(unknown.Suggestions) != 0 {
		t.Fatalf("got %v", err)
	}
	if n := len(rec.records[0].Action); n > MaxActionName+64 {
		t.Errorf("the record keeps %d bytes of the name", n)
	}
	if n := len(err.Error()); n > 2*MaxActionName+200 {
		t.Errorf("the error is %d bytes", n)
	}
	big := map[string]any{"ref": ref, "name": "x", "files": []any{map[string]any{"name": "a.ts", "content": strings.Repeat("x", DefaultMaxArgsBytes)}}}
	_, err = p.Call(context.Background(), Request{Principal: "mcp:local", Action: "function_deploy", Args: big})
	var invalid *tools.InputError
	if !errors.As(err, &invalid) || !strings.Contains(err.Error(), "the limit is") {
		t.Fatalf("got %v", err)
	}
	if len(api.requests) != 0 {
		t.Error("an oversized call reached the API")
	}
}

func TestScope(t *testing.T) {
	other := "zyxwvutsrqponmlkjihg"
	tests := []struct {
		name     string
		scope    scope.Scope
		action   string
		args     map[string]any
		wantRule string // "" means allowed
		wantArgs map[string]any
	}{
		{"read-only refuses writes", scope.Scope{ReadOnly: true}, "project_pause", map[string]any{"ref": ref}, scope.RuleReadOnly, nil},
		{"read-only lets reads through", scope.Scope{ReadOnly: true}, "project_get", map[string]any{"ref": ref}, "", nil},
		{"project scope refuses other projects", scope.Scope{Project: ref}, "project_get", map[string]any{"ref": other}, scope.RuleProject, nil},
		{"project scope refuses actions about no project", scope.Scope{Project: ref}, "projects_list", nil, scope.RuleProject, nil},
		{"project scope injects the ref", scope.Scope{Project: ref}, "project_get", nil, "", map[string]any{"ref": ref}},
		{"project scope injects a query project", scope.Scope{Project: ref}, "snippets_list", nil, "", map[string]any{"project_ref": ref}},
		{"without a resolver a branch cannot be placed", scope.Scope{Project: ref}, "branch_get", map[string]any{"branch_id_or_ref": other}, scope.RuleProject, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &fakeAPI{resp: jsonResponse(200, `{}`)}
			p := newPipeline(t, api, AllowAll{}, &memoryRecorder{})
			_, err := p.Call(context.Background(), Request{Principal: "mcp:local", Action: tt.action, Args: tt.args, Scope: tt.scope})
			var e *NotAllowedError
			switch {
			case tt.wantRule == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.wantRule != "" && (!errors.As(err, &e) || e.Decision.Rule != tt.wantRule):
				t.Fatalf("got %v, want a refusal by %s", err, tt.wantRule)
			case tt.wantRule != "" && len(api.requests) != 0:
				t.Error("a refused call reached the API")
			}
			if tt.wantArgs != nil {
				if len(api.requests) != 1 {
					t.Fatalf("%d requests", len(api.requests))
				}
				for k, v := range tt.wantArgs {
					if u := api.requests[0].URL; !strings.Contains(u.String(), fmt.Sprint(v)) {
						t.Errorf("%s=%v not sent: %s", k, v, u)
					}
				}
			}
		})
	}
}

type failingResolver struct{}

func (failingResolver) Resolve(context.Context, *Call) error {
	return errors.New("branch xyz is neither a project nor a branch of one")
}

type fixedResolver struct{ project, org string }

func (f fixedResolver) Resolve(_ context.Context, c *Call) error {
	if c.Branch != "" || c.Project != "" {
		if c.Branch == "" {
			c.Branch = c.Project
		}
		c.Project, c.Organization = f.project, f.org
	}
	return nil
}

// What the authoriser sees is the resolved target, and a call that cannot
// be placed is refused, not guessed.
func TestResolvedTargets(t *testing.T) {
	reg, err := tools.Load()
	if err != nil {
		t.Fatal(err)
	}
	var seen Call
	auth := authorizerFunc(func(_ context.Context, c Call) (Decision, error) {
		seen = c
		return Decision{Effect: Allow, Rule: "t"}, nil
	})
	p, err := New(Config{Registry: reg, API: &fakeAPI{resp: jsonResponse(200, `{}`)}, Authorizer: auth, Resolver: fixedResolver{ref, "acme"}, Recorder: &memoryRecorder{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Call(context.Background(), Request{Principal: "mcp:local", Action: "branch_get", Args: map[string]any{"branch_id_or_ref": "zyxwvutsrqponmlkjihg"}}); err != nil {
		t.Fatal(err)
	}
	if seen.Project != ref || seen.Branch != "zyxwvutsrqponmlkjihg" || seen.Organization != "acme" {
		t.Errorf("authoriser saw project %q branch %q org %q", seen.Project, seen.Branch, seen.Organization)
	}
	p, err = New(Config{Registry: reg, API: &fakeAPI{}, Authorizer: AllowAll{}, Resolver: failingResolver{}, Recorder: &memoryRecorder{}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Call(context.Background(), Request{Principal: "mcp:local", Action: "branch_get", Args: map[string]any{"branch_id_or_ref": "xyzxyzxyzxyzxyzxyzxy"}})
	var e *NotAllowedError
	if !errors.As(err, &e) || e.Decision.Rule != "builtin:unresolved-target" || !strings.Contains(err.Error(), "neither a project") {
		t.Fatalf("got %v", err)
	}
}

type authorizerFunc func(context.Context, Call) (Decision, error)

func (f authorizerFunc) Authorize(ctx context.Context, c Call) (Decision, error) { return f(ctx, c) }

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
			res, err := p.Call(context.Background(), Request{Principal: "mcp:local", Action: tt.action, Args: tt.args})
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, res.Data)
		})
	}
}

func TestPollRequest(t *testing.T) {
	api := &fakeAPI{resp: jsonResponse(201, `{"workflow_run_id":"run-7","message":"ok"}`)}
	reg, err := tools.Load()
	if err != nil {
		t.Fatal(err)
	}
	// The poll keeps the caller's scope: a branch of the scoped project.
	p, err := New(Config{Registry: reg, API: api, Authorizer: AllowAll{}, Resolver: fixedResolver{ref, "acme"}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Call(context.Background(), Request{Action: "branch_push", Args: map[string]any{"branch_id_or_ref": ref}, Principal: "job:x", Scope: scope.Scope{Project: ref}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Poll == nil || res.Poll.Action != "action_run_get" || res.Poll.Args["run_id"] != "run-7" || res.Poll.Args["ref"] != ref || res.Poll.Principal != "job:x" || res.Poll.Scope != (scope.Scope{Project: ref}) {
		t.Errorf("poll %+v", res.Poll)
	}
}

// One identity, one spelling: what the authoriser sees is canonical, and a
// principal that names no known kind is refused.
func TestPrincipalsAreCanonical(t *testing.T) {
	reg, err := tools.Load()
	if err != nil {
		t.Fatal(err)
	}
	var seen Call
	auth := authorizerFunc(func(_ context.Context, c Call) (Decision, error) {
		seen = c
		return Decision{Effect: Allow, Rule: "t"}, nil
	})
	p, err := New(Config{Registry: reg, API: &fakeAPI{resp: jsonResponse(200, `{}`)}, Authorizer: auth, Recorder: &memoryRecorder{}})
	if err != nil {
		t.Fatal(err)
	}
	req := Request{Principal: " MCP:local ", Identities: []string{"slack:usergroup:s0ops", "slack:usergroup:S0OPS"}, Action: "project_get", Args: map[string]any{"ref": ref}}
	if _, err := p.Call(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if seen.Principal != "mcp:local" || len(seen.Identities) != 1 || seen.Identities[0] != "slack:usergroup:S0OPS" {
		t.Errorf("authoriser saw %q %q", seen.Principal, seen.Identities)
	}
	for _, bad := range []string{"", "mcp:local\x00", "root", "slack:user:U 1"} {
		_, err := p.Call(context.Background(), Request{Principal: bad, Action: "project_get", Args: map[string]any{"ref": ref}})
		var e *NotAllowedError
		if !errors.As(err, &e) || e.Decision.Rule != "builtin:principal" {
			t.Errorf("%q: got %v", bad, err)
		}
	}
}

// Secrets are masked by value as well as by name: a rejected password the
// API echoes in its error, the access token echoed in a result, and secret
// fields in other spellings.
func TestSecretsAreRedactedByValue(t *testing.T) {
	const token = "sbp_0123456789abcdef0123456789abcdef01234567"
	const password = "correct-horse-battery-staple"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.Method {
		case http.MethodPost:
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"message":"database password %s is too weak"}`, password)
		default:
			got := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
			fmt.Fprintf(w, `{"ref":"%s","name":"echo %s","Password":"hunter2hunter2","serviceRoleKey":"k-123456789"}`, ref, got)
		}
	}))
	defer srv.Close()
	api, err := client.New(client.Config{BaseURL: srv.URL, Token: token, Retry: client.RetryPolicy{MaxAttempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	rec := &memoryRecorder{}
	p := newPipeline(t, api, AllowAll{}, rec)
	_, err = p.Call(context.Background(), Request{Principal: "mcp:local", Action: "project_create", Args: map[string]any{
		"name": "x", "organization_slug": "acme", "db_pass": password, "region": "us-east-1",
	}})
	if err == nil {
		t.Fatal("want the API's refusal")
	}
	for _, text := range []string{err.Error(), rec.records[len(rec.records)-1].Error} {
		if strings.Contains(text, password) || !strings.Contains(text, "too weak") {
			t.Errorf("the echoed password is not masked: %s", text)
		}
	}
	res, err := p.Call(context.Background(), Request{Principal: "mcp:local", Action: "project_get", Args: map[string]any{"ref": ref}})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(res.Data)
	for _, secret := range []string{token, "hunter2hunter2", "k-123456789"} {
		if strings.Contains(string(out), secret) {
			t.Errorf("%s leaked in %s", secret, out)
		}
	}
}

// A local action goes through the same pipeline: validated, decided,
// recorded before and after, redacted; only the call is in-process.
func TestLocalAction(t *testing.T) {
	reg, err := tools.Load()
	if err != nil {
		t.Fatal(err)
	}
	ran := 0
	local, err := tools.NewLocal(action.Action{
		Name: "things_list", Toolset: "supaops", Risk: action.Read, Summary: "List things.",
		InputSchema: []byte(`{"type":"object","properties":{"limit":{"type":"integer","minimum":1}},"additionalProperties":false}`),
	}, func(_ context.Context, args map[string]any) (any, error) {
		ran++
		return []map[string]any{{"name": "a", "password": "hunter2hunter2"}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if reg, err = reg.With(local); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.With(local); !errors.Is(err, tools.ErrNameTaken) {
		t.Errorf("a second things_list: %v", err)
	}
	rec := &memoryRecorder{}
	p, err := New(Config{Registry: reg, API: &fakeAPI{}, Authorizer: AllowAll{}, Recorder: rec})
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Call(context.Background(), Request{Principal: "mcp:local", Action: "things_list", Args: map[string]any{"limit": 2}})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(res.Data)
	if ran != 1 || strings.Contains(string(out), "hunter2") || !strings.Contains(string(out), `"name":"a"`) {
		t.Errorf("ran %d, result %s", ran, out)
	}
	if len(rec.records) != 2 || rec.records[0].Event != EventIntent {
		t.Errorf("records %+v", rec.records)
	}
	_, err = p.Call(context.Background(), Request{Principal: "mcp:local", Action: "things_list", Args: map[string]any{"limit": 0}})
	var invalid *tools.InputError
	if !errors.As(err, &invalid) || ran != 1 {
		t.Errorf("invalid arguments: %v (ran %d)", err, ran)
	}
}
