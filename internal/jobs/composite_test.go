package jobs_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/supaops/supaops/internal/action"
	"github.com/supaops/supaops/internal/audit"
	"github.com/supaops/supaops/internal/composite"
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

// Every read composite can be a job's action: each run reports, and its
// inner calls are recorded as the job's, via the composite.
func TestActionJobsRunEveryReadComposite(t *testing.T) {
	r := newRig(t, rigOptions{})
	var jobs strings.Builder
	jobs.WriteString("version: 1\njobs:\n")
	var names []string
	for _, d := range composite.Defs() {
		a, err := r.app.Registry.Lookup(d.Name)
		if err != nil {
			t.Fatal(err)
		}
		if a.Risk != action.Read {
			continue
		}
		args := ""
		if d.Name == "cost_preview" {
			args = ", args: {kind: branch}"
		}
		names = append(names, d.Name)
		fmt.Fprintf(&jobs, "  - name: job-%s\n    schedule: \"@daily\"\n    kind: action\n    projects: [%s]\n    notify: [log]\n    params: {action: %s%s}\n",
			strings.ReplaceAll(d.Name, "_", "-"), r.seed.ProjectRef, d.Name, args)
	}
	if len(names) < 8 {
		t.Fatalf("only %d read composites: %v", len(names), names)
	}
	r.apply(jobs.String())
	r.at(24 * time.Hour)
	if got := r.inbox.take(); len(got) != len(names) {
		t.Fatalf("%d reports for %d jobs: %s", len(got), len(names), titles(got))
	}
	entries, err := r.app.Audit.Query(context.Background(), audit.Filter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	via := map[string]bool{}
	for _, e := range entries {
		if e.Record.Surface == "job" && e.Record.Via != "" {
			via[e.Record.Via] = true
		}
	}
	for _, n := range names {
		if !via[n] {
			t.Errorf("no inner call of %s recorded as the job's", n)
		}
	}
}
