package main

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/supaops/supaops/internal/app"
	"github.com/supaops/supaops/internal/jobstore"
	"github.com/supaops/supaops/internal/sandbox"
	"github.com/supaops/supaops/internal/slackbot/slackfake"
)

// A scheduler killed with SIGKILL in the middle of a run loses nothing: the
// next one (here a new process on the same store) sees the run's heartbeat
// stop, records it as interrupted, and runs the slot again as attempt 2;
// the audit log shows the call the dead process had begun.
func TestKilledSchedulerRunIsRetried(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	const token = "sbp_binarytest"
	sb, err := sandbox.New(sandbox.Options{Token: token})
	if err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer(sb)
	defer api.Close()
	defer api.CloseClientConnections()
	ref := sb.Seed().ProjectRef
	// The first project_get takes long enough to kill its process mid-call.
	sb.InjectFault(sandbox.Fault{Kind: sandbox.Latency, Operation: "v1-get-project", Count: 1, Delay: 15 * time.Second})

	ctx := context.Background()
	storeFile, local := storeWithJobs(t, `version: 1
jobs:
  - name: report
    schedule: "@daily"
    kind: action
    projects: [`+ref+`]
    params: {action: project_get}
`)
	if _, err := local.Jobs.Request(ctx, "report", "test", ""); err != nil {
		t.Fatal(err)
	}

	startJobsOnly := func() *exec.Cmd {
		cmd := exec.Command(binary(t), "--jobs-only", "--api-url", api.URL, "--jobs-lease", "5s")
		cmd.Env = append(os.Environ(), "SUPAOPS_STORE="+storeFile, "SUPABASE_ACCESS_TOKEN="+token, "SUPAOPS_LOG_LEVEL=error")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	runs := func() []jobstore.Run {
		list, err := local.Jobs.Runs(ctx, "report", 0)
		if err != nil {
			t.Fatal(err)
		}
		return list
	}
	waitFor := func(what string, limit time.Duration, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(limit)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s; runs: %+v", what, runs())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	first := startJobsOnly()
	waitFor("the first process to call the API", 20*time.Second, func() bool { return sb.Requests("v1-get-project") == 1 })
	if r := runs(); len(r) != 1 || r[0].State != jobstore.Running {
		t.Fatalf("runs: %+v", r)
	}
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()

	second := startJobsOnly()
	defer func() {
		_ = second.Process.Signal(os.Interrupt)
		_ = second.Wait()
	}()
	waitFor("the run to be retried and succeed", 30*time.Second, func() bool {
		r := runs()
		return len(r) == 1 && r[0].State == jobstore.Succeeded
	})
	r := runs()[0]
	if r.Attempt != 2 || !strings.Contains(r.Summary, "interrupted") {
		t.Errorf("the run: attempt %d, summary %q", r.Attempt, r.Summary)
	}
	if n := sb.Requests("v1-get-project"); n != 2 {
		t.Errorf("project_get called %d times, want 2 (the killed attempt, the retry)", n)
	}
	report, err := local.Audit.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(report.Unfinished) != 1 {
		t.Errorf("the audit log should show the killed call as unfinished: %+v", report)
	}
}

// The bot runs the scheduler too: a job's alert for a Slack channel is
// posted there, with its buttons.
func TestBotPostsJobAlerts(t *testing.T) {
	fake := slackfake.New(t)
	ctx := context.Background()
	storeFile, local := storeWithJobs(t, `version: 1
jobs:
  - name: report
    schedule: "@daily"
    kind: action
    projects: [sandboxprodxxxxxxxxx]
    notify: ["slack:C0OPS"]
    params: {action: project_get}
`)
	if _, err := local.Jobs.Request(ctx, "report", "test", ""); err != nil {
		t.Fatal(err)
	}
	start(t, fake, []string{"SLACK_APP_TOKEN=xapp-binary", "SUPAOPS_STORE=" + storeFile})
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := fake.Wait(wctx, func() bool { return len(fake.CallsTo("chat.postMessage")) > 0 }); err != nil {
		t.Fatalf("no alert posted: %v", err)
	}
	post := fake.CallsTo("chat.postMessage")[0]
	if post.Param("channel") != "C0OPS" || !strings.Contains(post.Param("blocks"), "supaops_job_run") {
		t.Errorf("the alert: channel %s blocks %s", post.Param("channel"), post.Param("blocks"))
	}
	// The delivery is recorded just after the post.
	deadline := time.Now().Add(10 * time.Second)
	for {
		pending, err := local.Jobs.Pending(ctx)
		if err == nil && len(pending) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the outbox still holds %d alert(s) (%v)", len(pending), err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := len(fake.CallsTo("chat.postMessage")); n != 1 {
		t.Errorf("%d posts, want 1", n)
	}
}

// storeWithJobs makes a store holding the jobs of files, and a local-only
// stack on it to look at them.
func storeWithJobs(tb testing.TB, files ...string) (string, *app.App) {
	tb.Helper()
	storeFile := filepath.Join(tb.TempDir(), "s.db")
	ctx := context.Background()
	local, err := app.Open(ctx, app.Options{StoreFile: storeFile, API: true, LocalOnly: true})
	if err != nil {
		tb.Fatal(err)
	}
	for _, file := range files {
		specs, err := jobstore.Parse("jobs.yaml", []byte(file), jobstore.LoadOptions{Actions: func(string) bool { return true }})
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := local.Jobs.Apply(ctx, specs, "test", false); err != nil {
			tb.Fatal(err)
		}
	}
	return storeFile, local
}
