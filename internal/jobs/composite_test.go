package jobs_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/supaops/supaops/internal/audit"
)

// A job runs a composite check like any action: rls_check's findings
// reach the report, and its inner calls are recorded as the job's.
func TestActionJobRunsRLSCheck(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.apply(fmt.Sprintf(`version: 1
jobs:
  - name: nightly-rls
    schedule: "@daily"
    kind: action
    projects: [%s]
    notify: [log]
    params: {action: rls_check}
`, r.seed.ProjectRef))
	r.at(24 * time.Hour)
	got := r.inbox.take()
	if len(got) != 1 {
		t.Fatalf("want one report, got %s", titles(got))
	}
	if lines := strings.Join(got[0].Lines, "\n"); !strings.Contains(lines, "orders") || !strings.Contains(lines, "rls_disabled") {
		t.Errorf("the report does not show the finding: %s", lines)
	}
	entries, err := r.app.Audit.Query(context.Background(), audit.Filter{Action: "database_query_read_only"})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) == 0 || entries[0].Record.Via != "rls_check" || entries[0].Record.Surface != "job" {
		t.Errorf("inner call records %+v", entries)
	}
}
