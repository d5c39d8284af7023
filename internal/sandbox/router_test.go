package sandbox

import (
	"net/http"
	"reflect"
	"testing"
)

func TestRouter(t *testing.T) {
	t.Parallel()
	spec, err := testSpec()
	if err != nil {
		t.Fatal(err)
	}
	rt := spec.api.router
	tests := []struct {
		method, path string
		wantOp       string
		wantParams   map[string]string
	}{
		{http.MethodGet, "/v1/projects", "v1-list-all-projects", map[string]string{}},
		{http.MethodGet, "/v1/projects/", "v1-list-all-projects", map[string]string{}},
		{http.MethodGet, "/v1/projects/available-regions", "v1-get-available-regions", map[string]string{}},
		{http.MethodGet, "/v1/projects/abcdefghijklmnopqrst", "v1-get-project", map[string]string{"ref": "abcdefghijklmnopqrst"}},
		{http.MethodHead, "/v1/projects/abcdefghijklmnopqrst/actions", "v1-count-action-runs", map[string]string{"ref": "abcdefghijklmnopqrst"}},
		{http.MethodGet, "/v1/projects/abcdefghijklmnopqrst/actions/run1/logs", "v1-get-action-run-logs", map[string]string{"ref": "abcdefghijklmnopqrst", "run_id": "run1"}},
		{http.MethodGet, "/v1/projects/abcdefghijklmnopqrst/analytics/endpoints/logs.all", "v1-get-project-logs", map[string]string{"ref": "abcdefghijklmnopqrst"}},
		{http.MethodGet, "/v1/projects/abcdefghijklmnopqrst/config/auth/signing-keys/legacy", "v1-get-legacy-signing-key", map[string]string{"ref": "abcdefghijklmnopqrst"}},
		{http.MethodGet, "/v1/projects/abcdefghijklmnopqrst/config/auth/signing-keys/k1", "v1-get-project-signing-key", map[string]string{"ref": "abcdefghijklmnopqrst", "id": "k1"}},
		{http.MethodDelete, "/v1/projects/abcdefghijklmnopqrst/custom-hostname", "v1-delete-hostname-config", map[string]string{"ref": "abcdefghijklmnopqrst"}},
		{http.MethodPut, "/v1/projects", "", nil},
		{http.MethodGet, "/v1/nope", "", nil},
		{http.MethodGet, "/v1//projects", "", nil},
	}
	for _, tt := range tests {
		op, params := rt.match(tt.method, tt.path)
		got := ""
		if op != nil {
			got = op.id
		}
		if got != tt.wantOp || (op != nil && !reflect.DeepEqual(params, tt.wantParams)) {
			t.Errorf("%s %s: %q %v, want %q %v", tt.method, tt.path, got, params, tt.wantOp, tt.wantParams)
		}
	}
}
