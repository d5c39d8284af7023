package sandbox

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// The control endpoint steers advisors, backups, restore points and logs
// over HTTP as the Go methods do, and what it changes is what the API
// answers.
func TestProjectControlEndpoints(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	clock := NewManualClock(t0)
	s := newTestSandbox(t, Options{Now: clock.Now, Token: testToken, TransitionDelay: time.Minute})
	tc := newTestClient(t, s)
	ref := s.Seed().ProjectRef
	base := "/_sandbox/projects/" + ref
	raw := func(method, path, body string) request {
		r := request{method: method, path: path}
		if body != "" {
			r.raw, r.contentType = []byte(body), "application/json"
		}
		return r
	}
	lintKeys := func(t *testing.T) []string {
		keys, _ := advisorKeys(t, s, tc, ref, AdvisorSecurity, nil)
		return keys
	}

	steps := []struct {
		name       string
		req        request
		wantStatus int
		wantBody   string // a substring of the answer
		check      func(t *testing.T)
	}{
		{name: "get the canned lints", req: raw(http.MethodGet, base+"/advisors/security", ""), wantStatus: http.StatusOK, wantBody: cannedSecurity[0]},
		{name: "replace the lints with a pasted API answer",
			req:        raw(http.MethodPut, base+"/advisors/security", `{"lints":[{"name":"rls_disabled_in_public","level":"ERROR","cache_key":"rls_a","title":"RLS Disabled in Public","facing":"EXTERNAL","categories":["SECURITY"],"description":"d","detail":"x","remediation":"r","metadata":{"schema":"public","name":"a","type":"table"}}]}`),
			wantStatus: http.StatusOK, wantBody: `"cache_key":"rls_a"`,
			check: func(t *testing.T) {
				if got := lintKeys(t); !slices.Equal(got, []string{"rls_a"}) {
					t.Errorf("lints %v, want [rls_a]", got)
				}
			}},
		{name: "add one lint", req: raw(http.MethodPost, base+"/advisors/security", `{"name":"rls_disabled_in_public","level":"ERROR","cache_key":"rls b/c"}`),
			wantStatus: http.StatusCreated,
			check: func(t *testing.T) {
				if got := lintKeys(t); !slices.Equal(got, []string{"rls_a", "rls b/c"}) {
					t.Errorf("lints %v, want [rls_a rls b/c]", got)
				}
			}},
		{name: "remove a lint by its escaped cache key", req: raw(http.MethodDelete, base+"/advisors/security/rls%20b%2Fc", ""), wantStatus: http.StatusNoContent,
			check: func(t *testing.T) {
				if got := lintKeys(t); !slices.Equal(got, []string{"rls_a"}) {
					t.Errorf("lints %v, want [rls_a]", got)
				}
			}},
		{name: "remove an unknown lint", req: raw(http.MethodDelete, base+"/advisors/security/nope", ""), wantStatus: http.StatusNotFound, wantBody: "nope"},
		{name: "an invalid lint", req: raw(http.MethodPost, base+"/advisors/performance", `{"name":"unused_index","level":"LOW","cache_key":"k"}`), wantStatus: http.StatusBadRequest, wantBody: "level"},
		{name: "a misspelt key", req:                                                                             //nolint:misspell // the misspelling is the test
		raw(http.MethodPost, base+"/advisors/performance", `{"name":"unused_index","levle":"INFO"}`), wantStatus: http.StatusBadRequest, wantBody: "levle"},
		{name: "an unknown advisor", req: raw(http.MethodGet, base+"/advisors/speed", ""), wantStatus: http.StatusBadRequest, wantBody: "security or performance"},
		{name: "PITR on", req: raw(http.MethodPut, base+"/backups/pitr", `{"enabled":true}`), wantStatus: http.StatusOK,
			check: func(t *testing.T) {
				if !listBackups(t, s, tc, ref).PitrEnabled {
					t.Error("pitr_enabled false after PUT pitr")
				}
			}},
		{name: "PITR without a value", req: raw(http.MethodPut, base+"/backups/pitr", `{}`), wantStatus: http.StatusBadRequest, wantBody: "enabled"},
		{name: "add a backup", req: raw(http.MethodPost, base+"/backups", `{"inserted_at":"2025-03-01T09:00:00Z"}`), wantStatus: http.StatusCreated, wantBody: `"status":"COMPLETED"`},
		{name: "fail the newest", req: raw(http.MethodPost, base+"/backups/fail-newest", ""), wantStatus: http.StatusOK, wantBody: `"status":"FAILED"`,
			check: func(t *testing.T) {
				b := listBackups(t, s, tc, ref).Backups
				if last := b[len(b)-1]; last.Status != "FAILED" || last.InsertedAt != "2025-03-01T09:00:00Z" {
					t.Errorf("newest backup %+v, want the added one, FAILED", last)
				}
			}},
		{name: "list the backups", req: raw(http.MethodGet, base+"/backups", ""), wantStatus: http.StatusOK, wantBody: `"inserted_at":"2025-03-01T09:00:00Z"`},
		{name: "restore points fail from now on", req: raw(http.MethodPut, base+"/restore-points/outcome", `{"status":"FAILED"}`), wantStatus: http.StatusOK,
			check: func(t *testing.T) {
				mustStatus(t, tc.send(request{method: http.MethodPost, path: "/v1/projects/" + ref + "/database/backups/restore-point", body: map[string]any{"name": "rp1"}}), http.StatusCreated, "create")
				clock.Advance(time.Minute)
				r := tc.send(request{method: http.MethodGet, path: "/v1/projects/" + ref + "/database/backups/restore-point", query: map[string][]string{"name": {"rp1"}}})
				if !strings.Contains(string(r.body), `"FAILED"`) {
					t.Errorf("restore point after the delay: %s, want FAILED", r.body)
				}
			}},
		{name: "an unknown outcome", req: raw(http.MethodPut, base+"/restore-points/outcome", `{"status":"REMOVED"}`), wantStatus: http.StatusBadRequest, wantBody: "AVAILABLE or FAILED"},
		{name: "fail an existing restore point", req: raw(http.MethodPost, base+"/restore-points/before-launch/fail", ""), wantStatus: http.StatusNoContent,
			check: func(t *testing.T) {
				r := tc.send(request{method: http.MethodGet, path: "/v1/projects/" + ref + "/database/backups/restore-point", query: map[string][]string{"name": {"before-launch"}}})
				if !strings.Contains(string(r.body), `"FAILED"`) {
					t.Errorf("failed restore point: %s", r.body)
				}
			}},
		{name: "fail an unknown restore point", req: raw(http.MethodPost, base+"/restore-points/nope/fail", ""), wantStatus: http.StatusNotFound},
		{name: "append log rows", req: raw(http.MethodPost, base+"/logs",
			`[{"timestamp":"2025-03-01T10:00:30Z","event_message":"POST /x 500","status_code":500,"path":"/x"},
			  {"source":"postgres_logs","timestamp":1740823230000000,"event_message":"FATAL","error_severity":"FATAL"}]`),
			wantStatus: http.StatusCreated, wantBody: `"appended":2`,
			check: func(t *testing.T) {
				rows := logsAt(t, s, tc, ref, "select event_message from edge_logs where status_code = 500", t0, t0.Add(time.Minute))
				if len(rows) != 1 || rows[0]["event_message"] != "POST /x 500" {
					t.Errorf("edge rows: %v", rows)
				}
				rows = logsAt(t, s, tc, ref, "select event_message from postgres_logs", t0, t0.Add(time.Minute))
				if len(rows) != 1 || rows[0]["event_message"] != "FATAL" {
					t.Errorf("postgres rows: %v", rows)
				}
			}},
		{name: "append one row", req: raw(http.MethodPost, base+"/logs", `{"event_message":"now","status_code":200}`), wantStatus: http.StatusCreated, wantBody: `"appended":1`},
		{name: "a row with an unknown table", req: raw(http.MethodPost, base+"/logs", `{"source":"nginx"}`), wantStatus: http.StatusBadRequest, wantBody: "edge_logs"},
		{name: "list the rows", req: raw(http.MethodGet, base+"/logs", ""), wantStatus: http.StatusOK, wantBody: `"error_severity":"FATAL"`},
		{name: "clear the rows", req: raw(http.MethodDelete, base+"/logs", ""), wantStatus: http.StatusNoContent,
			check: func(t *testing.T) {
				if rows := logsAt(t, s, tc, ref, "select id from edge_logs", t0, t0.Add(time.Hour)); len(rows) != 0 {
					t.Errorf("after clearing: %v", rows)
				}
			}},
		{name: "an unknown project", req: raw(http.MethodGet, "/_sandbox/projects/abcdefghijklmnopqrst/logs", ""), wantStatus: http.StatusNotFound, wantBody: "abcdefghijklmnopqrst"},
		{name: "a wrong method", req: raw(http.MethodPatch, base+"/logs", ""), wantStatus: http.StatusMethodNotAllowed},
		{name: "an unknown route", req: raw(http.MethodGet, base+"/nothing", ""), wantStatus: http.StatusNotFound},
	}
	for _, st := range steps {
		r := tc.send(st.req)
		if r.status != st.wantStatus || !strings.Contains(string(r.body), st.wantBody) {
			t.Fatalf("%s: %d %s, want %d with %q", st.name, r.status, r.body, st.wantStatus, st.wantBody)
		}
		if st.check != nil {
			st.check(t)
		}
	}

	// With a token, the control plane wants it like the API does.
	anon := newTestClient(t, s)
	anon.token = ""
	mustStatus(t, anon.send(raw(http.MethodPost, base+"/logs", `{"event_message":"x"}`)), http.StatusUnauthorized, "no token")
}
