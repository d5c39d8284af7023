package jobs_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/principal"
	"github.com/supaops/supaops/internal/sandbox"
)

// An advisors job alerts only what is new since its last run, and what was
// resolved; a run with nothing new says nothing.
func TestAdvisorsAlertOnlyWhatIsNew(t *testing.T) {
	r := newRig(t, rigOptions{})
	ref := r.seed.ProjectRef
	sb := r.app.Sandbox
	must(t, sb.SetLints(ref, sandbox.AdvisorSecurity, []sandbox.Lint{
		{Name: "rls_disabled_in_public", Level: "ERROR", CacheKey: "rls_disabled_in_public_public_notes", Detail: "Table public.notes has RLS off"},
	}))
	must(t, sb.SetLints(ref, sandbox.AdvisorPerformance, nil))
	r.apply(fmt.Sprintf(`version: 1
jobs:
  - name: hourly-advisors
    schedule: "0 * * * *"
    kind: advisors
    projects: [%s]
    notify: [log]
    params: {level: WARN}
`, ref))

	r.at(time.Hour)
	got := r.inbox.take()
	if len(got) != 1 || got[0].Severity != "error" || !strings.Contains(strings.Join(got[0].Lines, "\n"), "public.notes") {
		t.Fatalf("first run: want one error alert naming the finding, got %s", titles(got))
	}

	r.at(2 * time.Hour)
	if got := r.inbox.take(); len(got) != 0 {
		t.Fatalf("second run, nothing new: want no alert, got %s", titles(got))
	}

	must(t, sb.AddLints(ref, sandbox.AdvisorSecurity, sandbox.Lint{Name: "auth_otp_long_expiry", Level: "WARN", CacheKey: "auth_otp_long_expiry", Detail: "OTP expiry over an hour"}))
	must(t, sb.AddLints(ref, sandbox.AdvisorPerformance, sandbox.Lint{Name: "unused_index", Level: "INFO", CacheKey: "unused_index_x", Detail: "below the level"}))
	r.at(3 * time.Hour)
	got = r.inbox.take()
	if len(got) != 1 || got[0].Severity != "warning" || len(got[0].Lines) != 1 || !strings.Contains(got[0].Lines[0], "OTP expiry") {
		t.Fatalf("third run: want only the new WARN finding, got %+v", got)
	}

	must(t, sb.RemoveLint(ref, sandbox.AdvisorSecurity, "rls_disabled_in_public_public_notes"))
	r.at(4 * time.Hour)
	got = r.inbox.take()
	if len(got) != 1 || !strings.Contains(got[0].Title, "resolved") {
		t.Fatalf("fourth run: want the resolved finding, got %s", titles(got))
	}
	if s := states(r.runs("hourly-advisors")); s != "succeeded@01:00 succeeded@02:00 succeeded@03:00 succeeded@04:00" {
		t.Errorf("runs: %s", s)
	}
}

// A backup job alerts when a project's backups turn bad, once however
// long they stay bad, and once when they recover.
func TestBackupAlertsOnceAndRecoversOnce(t *testing.T) {
	r := newRig(t, rigOptions{})
	ref := r.seed.ProjectRef
	sb := r.app.Sandbox
	r.apply(fmt.Sprintf(`version: 1
jobs:
  - name: nightly-backup
    schedule: "0 3 * * *"
    kind: backup
    projects: [%s]
    notify: [log]
    params: {restore_point: false, max_age: 26h}
`, ref))
	day := 24 * time.Hour
	backupAt := func(d time.Duration) {
		r.clock.Set(t0.Add(d))
		if _, err := sb.AddBackup(ref, sandbox.Backup{}); err != nil {
			t.Fatal(err)
		}
	}
	var seen []string
	step := func(d time.Duration) {
		r.at(d)
		for _, a := range r.inbox.take() {
			seen = append(seen, fmt.Sprintf("%s:%s", a.Severity, a.Title))
		}
	}
	backupAt(2 * time.Hour)
	step(3 * time.Hour) // healthy
	backupAt(day + 2*time.Hour)
	if _, err := sb.FailNewestBackup(ref); err != nil {
		t.Fatal(err)
	}
	step(day + 3*time.Hour)   // the newest backup failed
	step(2*day + 3*time.Hour) // still bad, older now
	backupAt(3*day + 2*time.Hour)
	step(3*day + 3*time.Hour) // recovered
	backupAt(4*day + 2*time.Hour)
	step(4*day + 3*time.Hour) // fine

	want := []string{"error:Backups of " + ref + " need attention", "info:Backups of " + ref + " recovered"}
	if strings.Join(seen, "\n") != strings.Join(want, "\n") {
		t.Errorf("alerts:\n%s\nwant:\n%s", strings.Join(seen, "\n"), strings.Join(want, "\n"))
	}
	if got := len(r.runs("nightly-backup")); got != 5 {
		t.Errorf("%d runs, want 5", got)
	}
}

// A backup job that would create a restore point under the shipped
// default policy (writes need a confirmation) fails, saying which rule and
// how to let it through; nobody is asked at 3 a.m.
func TestJobCannotConfirm(t *testing.T) {
	r := newRig(t, rigOptions{policy: "default"})
	ref := r.seed.ProjectRef
	must(t, r.app.Sandbox.SetPITR(ref, true))
	r.apply(fmt.Sprintf(`version: 1
jobs:
  - name: nightly-backup
    schedule: "0 3 * * *"
    kind: backup
    projects: [%s]
    notify: [log]
`, ref))
	r.at(3 * time.Hour)
	runs := r.runs("nightly-backup")
	if len(runs) != 1 || runs[0].State != "failed" {
		t.Fatalf("runs: %s", states(runs))
	}
	for _, want := range []string{"restore_point_create", "wants confirmation", "grant job:nightly-backup"} {
		if !strings.Contains(runs[0].Error, want) {
			t.Errorf("the error does not say %q: %s", want, runs[0].Error)
		}
	}
	if n := r.app.Sandbox.Requests("v1-create-restore-point"); n != 0 {
		t.Errorf("the restore point was created %d times", n)
	}
	got := r.inbox.take()
	if len(got) != 1 || got[0].Title != "Job nightly-backup failed" {
		t.Errorf("want one failure alert, got %s", titles(got))
	}
	// Failing again is not news; working again is.
	r.at(27 * time.Hour)
	if got := r.inbox.take(); len(got) != 0 {
		t.Errorf("a second failure alerted again: %s", titles(got))
	}
	must(t, r.app.Sandbox.SetPITR(ref, false))
	r.clock.Set(t0.Add(50 * time.Hour))
	if _, err := r.app.Sandbox.AddBackup(ref, sandbox.Backup{}); err != nil {
		t.Fatal(err)
	}
	r.at(51 * time.Hour)
	if got := r.inbox.take(); len(got) != 1 || got[0].Title != "Job nightly-backup works again" {
		t.Errorf("want one works-again alert, got %s", titles(got))
	}
}

// A log sweep reads consecutive windows: every matching row is reported
// exactly once, across a scheduler restart and a three-hour outage.
func TestLogSweepWindowsHaveNoGapsNorOverlaps(t *testing.T) {
	r := newRig(t, rigOptions{})
	ref := r.seed.ProjectRef
	sb := r.app.Sandbox
	must(t, sb.ClearLogs(ref))
	const hours = 7
	var rows []sandbox.LogRow
	want := 0
	for i := 0; i < hours*60/7; i++ {
		status := 200
		if i%2 == 0 {
			status = 503
			want++
		}
		rows = append(rows, sandbox.LogRow{
			Timestamp:    t0.Add(time.Duration(i)*7*time.Minute + 13*time.Second),
			EventMessage: fmt.Sprintf("row-%03d", i),
			Fields:       map[string]any{"status_code": status},
		})
	}
	// The run at 00:45 reads up to 00:43 (a 2m lag): a row on that edge
	// belongs to the next window, the row a microsecond before to this one.
	rows = append(rows,
		sandbox.LogRow{Timestamp: t0.Add(43 * time.Minute), EventMessage: "row-edge", Fields: map[string]any{"status_code": 500}},
		sandbox.LogRow{Timestamp: t0.Add(43*time.Minute - time.Microsecond), EventMessage: "row-before-edge", Fields: map[string]any{"status_code": 500}})
	want += 2
	must(t, sb.AppendLogs(ref, rows...))
	r.apply(fmt.Sprintf(`version: 1
jobs:
  - name: api-5xx-sweep
    schedule: "*/15 * * * *"
    kind: log_sweep
    projects: [%s]
    notify: [log]
    missed: skip
    params: {source: edge_logs, where: "status_code >= 500", lag: 2m, window: 15m, start: "%s", samples: 20}
`, ref, t0.Format(time.RFC3339)))

	for m := 15; m <= 120; m += 15 {
		r.at(time.Duration(m) * time.Minute)
	}
	r.sched = r.scheduler(nil, "") // a restart: nothing in memory survives
	for m := 135; m <= 180; m += 15 {
		r.at(time.Duration(m) * time.Minute)
	}
	// Three hours with no scheduler, then on to the end.
	for m := 360; m <= hours*60+15; m += 15 {
		r.at(time.Duration(m) * time.Minute)
	}

	seen := map[string]int{}
	for _, a := range r.inbox.alerts() {
		for _, row := range rows {
			if strings.Contains(a.Untrusted, `"`+row.EventMessage+`"`) {
				seen[row.EventMessage]++
			}
		}
	}
	for _, row := range rows {
		n := seen[row.EventMessage]
		switch {
		case row.Fields["status_code"].(int) < 500 && n > 0:
			t.Errorf("%s (status %v) was reported", row.EventMessage, row.Fields["status_code"])
		case row.Fields["status_code"].(int) >= 500 && n != 1:
			t.Errorf("%s at %s was reported %d times, want once", row.EventMessage, row.Timestamp.Format("15:04:05"), n)
		}
	}
	if len(seen) != want {
		t.Errorf("%d rows reported, want %d", len(seen), want)
	}
	runs := r.runs("api-5xx-sweep")
	skipped := 0
	for _, run := range runs {
		if run.State == "skipped" {
			skipped++
		}
	}
	if skipped != 1 {
		t.Errorf("the outage should show as one skipped run: %s", states(runs))
	}
}

// An action job calls its action for each project and reports the result.
func TestActionJobReports(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.apply(fmt.Sprintf(`version: 1
jobs:
  - name: project-report
    schedule: "@daily"
    kind: action
    projects: [%s, %s]
    notify: [log]
    params: {action: project_get}
`, r.seed.ProjectRefs[0], r.seed.ProjectRefs[1]))
	r.at(24 * time.Hour)
	got := r.inbox.take()
	if len(got) != 2 {
		t.Fatalf("want a report per project, got %s", titles(got))
	}
	for i, a := range got {
		if !strings.Contains(strings.Join(a.Lines, "\n"), r.seed.ProjectRefs[i]) {
			t.Errorf("report %d does not show its project: %+v", i, a)
		}
	}
	if n := r.app.Sandbox.Requests("v1-get-project"); n != 2 {
		t.Errorf("project_get called %d times, want 2", n)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Jobs call as background work under the client's real limits: a job's
// own budget caps it (the calls past it are refused at once, not queued),
// and a person calling meanwhile is not held back.
func TestJobsKeepToTheirBudget(t *testing.T) {
	r := newRig(t, rigOptions{realLimits: true})
	a := r.app
	refs := r.seed.ProjectRefs[:3]
	r.apply(fmt.Sprintf(`version: 1
jobs:
  - name: report
    schedule: "0 * * * *"
    kind: action
    projects: [%s]
    budget: 2/1h
    params: {action: project_get}
`, strings.Join(refs, ", ")))
	start := time.Now()
	r.at(time.Hour)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the run waited %s for its budget instead of stopping", took)
	}
	runs := r.runs("report")
	if len(runs) != 1 || runs[0].State != "failed" || !strings.Contains(runs[0].Error, "quota of 2 requests per 1h0m0s") {
		t.Fatalf("runs: %+v", runs)
	}
	if n := a.Sandbox.Requests("v1-get-project"); n != 2 {
		t.Errorf("%d calls reached the API, want the budget's 2", n)
	}
	use := a.API.Budget().Jobs["job:report"]
	if use.Used != 2 || use.Allowed != 2 {
		t.Errorf("the job's budget: %+v", use)
	}
	// A person is not held by the job's budget.
	if _, err := a.Pipeline.Call(context.Background(), pipeline.Request{
		Action: "project_get", Args: map[string]any{"ref": refs[2]}, Principal: "cli:local", Surface: principal.SurfaceCLI,
	}); err != nil {
		t.Errorf("a person's call: %v", err)
	}
}

// A log sweep catching up after a long outage stops where its budget
// ends, successfully, leaving the rest of the rate budget to people; its
// next run goes on from the cursor.
func TestLogSweepCatchUpStopsAtItsBudget(t *testing.T) {
	r := newRig(t, rigOptions{realLimits: true})
	a := r.app
	ref := r.seed.ProjectRef
	must(t, a.Sandbox.ClearLogs(ref))
	r.apply(fmt.Sprintf(`version: 1
jobs:
  - name: sweep
    schedule: "0 * * * *"
    kind: log_sweep
    projects: [%s]
    budget: 5/1h
    params: {where: "status_code >= 500", window: 1h, start: "%s"}
`, ref, t0.Add(-47*time.Hour).Format(time.RFC3339)))
	start := time.Now()
	r.at(time.Hour)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the sweep waited %s for its budget instead of stopping", took)
	}
	runs := r.runs("sweep")
	if len(runs) != 1 || runs[0].State != "succeeded" || !strings.Contains(runs[0].Summary, "stopped at 2026-11-28T06:00:00Z") {
		t.Fatalf("runs: %+v", runs)
	}
	if n := a.Sandbox.Requests("v1-get-project-logs"); n != 5 {
		t.Errorf("%d windows swept, want the budget's 5", n)
	}
	for i := range 5 {
		if _, err := a.Pipeline.Call(context.Background(), pipeline.Request{
			Action: "logs_query", Args: map[string]any{"ref": ref}, Principal: "slack:user:U1", Surface: principal.SurfaceSlack,
		}); err != nil {
			t.Fatalf("a person's query %d after the sweep: %v", i+1, err)
		}
	}
}

// org:<slug> covers every project of the organization, looked up at each
// run through the pipeline as the job.
func TestOrgProjects(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.apply(fmt.Sprintf(`version: 1
jobs:
  - name: org-report
    schedule: "@daily"
    kind: action
    projects: ["org:%s"]
    notify: [log]
    params: {action: project_get}
`, r.seed.OrgSlug))
	r.at(24 * time.Hour)
	runs := r.runs("org-report")
	if len(runs) != 1 || runs[0].State != "succeeded" {
		t.Fatalf("runs: %+v", runs)
	}
	got := r.inbox.take()
	if len(got) == 0 || len(got) != r.app.Sandbox.Requests("v1-get-project") {
		t.Errorf("%d reports for %d project_get calls", len(got), r.app.Sandbox.Requests("v1-get-project"))
	}
	if n := r.app.Sandbox.Requests("v1-get-all-projects-for-organization"); n != 1 {
		t.Errorf("the organization's projects were listed %d times", n)
	}
}
