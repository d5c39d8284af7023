package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"
)

const testToken = "sbp_sandbox_test_token"

// testSpec is loaded once per test binary: loading is most of New's cost.
var testSpec = sync.OnceValues(LoadSpec)

func newTestSandbox(t testing.TB, opts Options) *Sandbox {
	t.Helper()
	if opts.Spec == nil {
		spec, err := testSpec()
		if err != nil {
			t.Fatalf("LoadSpec: %v", err)
		}
		opts.Spec = spec
	}
	s, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// testClient sends requests to a sandbox over its in-memory transport.
type testClient struct {
	t     testing.TB
	rt    http.RoundTripper
	base  string
	token string
}

func newTestClient(t testing.TB, s *Sandbox) *testClient {
	return &testClient{t: t, rt: s.RoundTripper(), base: "https://api.supabase.com", token: testToken}
}

type result struct {
	status int
	header http.Header
	body   []byte
}

func (r result) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
}

// message is the {"message": ...} of an error answer.
func (r result) message(t testing.TB) string {
	t.Helper()
	var m struct {
		Message string `json:"message"`
	}
	r.json(t, &m)
	return m.Message
}

// request describes one call; body is JSON-encoded unless raw is set.
type request struct {
	method      string
	path        string
	query       url.Values
	body        any
	raw         []byte
	contentType string
	header      map[string]string
}

func (tc *testClient) build(req request) *http.Request {
	tc.t.Helper()
	var body io.Reader
	ct := req.contentType
	switch {
	case req.raw != nil:
		body = bytes.NewReader(req.raw)
	case req.body != nil:
		b, err := json.Marshal(req.body)
		if err != nil {
			tc.t.Fatalf("encoding body: %v", err)
		}
		body = bytes.NewReader(b)
		if ct == "" {
			ct = "application/json"
		}
	}
	u := tc.base + req.path
	if len(req.query) > 0 {
		u += "?" + req.query.Encode()
	}
	r, err := http.NewRequestWithContext(context.Background(), req.method, u, body)
	if err != nil {
		tc.t.Fatalf("building request: %v", err)
	}
	if ct != "" {
		r.Header.Set("Content-Type", ct)
	}
	if tc.token != "" {
		r.Header.Set("Authorization", "Bearer "+tc.token)
	}
	for k, v := range req.header {
		r.Header.Set(k, v)
	}
	return r
}

func (tc *testClient) send(req request) result {
	tc.t.Helper()
	resp, err := tc.rt.RoundTrip(tc.build(req))
	if err != nil {
		tc.t.Fatalf("%s %s: %v", req.method, req.path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tc.t.Fatalf("reading %s %s: %v", req.method, req.path, err)
	}
	return result{status: resp.StatusCode, header: resp.Header, body: b}
}

func (tc *testClient) get(path string) result {
	return tc.send(request{method: http.MethodGet, path: path})
}

// mustStatus fails unless r has the wanted status.
func mustStatus(t testing.TB, r result, want int, what string) {
	t.Helper()
	if r.status != want {
		t.Fatalf("%s: status %d, want %d; body: %s", what, r.status, want, r.body)
	}
}

// projectStatus reads a project's status.
func (tc *testClient) projectStatus(ref string) string {
	tc.t.Helper()
	r := tc.get("/v1/projects/" + ref)
	mustStatus(tc.t, r, http.StatusOK, "get project")
	var p struct {
		Status string `json:"status"`
	}
	r.json(tc.t, &p)
	return p.Status
}

// mustConform fails unless r, the answer to req, is valid against the spec's
// response schema for operation opID.
func mustConform(t testing.TB, s *Sandbox, tc *testClient, opID string, req request, r result) {
	t.Helper()
	op := s.api.byID[opID]
	if op == nil {
		t.Fatalf("unknown operation %s", opID)
	}
	opts := &openapi3filter.Options{IncludeResponseStatus: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: tc.build(req), Route: op.route, Options: opts},
		Status:                 r.status,
		Header:                 r.header,
		Options:                opts,
	}
	input.SetBodyBytes(r.body)
	if err := openapi3filter.ValidateResponse(context.Background(), input); err != nil {
		t.Fatalf("%s: answer does not match the spec: %v\nbody: %.600s", opID, err, r.body)
	}
}
