package jobs_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/supaops/supaops/internal/jobs"
	"github.com/supaops/supaops/internal/jobstore"
	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/principal"
	"github.com/supaops/supaops/internal/tools"
)

func hourlyJob(ref, extra string) string {
	return fmt.Sprintf(`version: 1
jobs:
  - name: hourly
    schedule: "0 * * * *"
    kind: action
    projects: [%s]
    notify: [log]
    params: {action: project_get}
%s`, ref, extra)
}

// Slots missed while no scheduler ran follow the job's policy: the latest
// runs once if within the starting deadline, older ones are recorded as one
// skipped run, and nothing floods the API on the way back.
func TestMissedSlots(t *testing.T) {
	for _, tc := range []struct {
		name, extra string
		back        time.Duration // when the scheduler is back
		want        string
		calls       int
	}{
		{"on time", "", time.Hour, "succeeded@01:00", 1},
		{"run-once within the deadline", "", 90 * time.Minute, "succeeded@01:00", 1},
		{"run-once, older slots missed", "", 5*time.Hour + 10*time.Minute, "skipped@01:00 succeeded@05:00", 1},
		{"run-once, a longer deadline", "    starting_deadline: 6h\n", 5*time.Hour + 10*time.Minute, "succeeded@05:00", 1},
		{"skip", "    missed: skip\n", 90 * time.Minute, "skipped@01:00", 0},
		{"skip, on time", "    missed: skip\n", time.Hour + 30*time.Second, "succeeded@01:00", 1},
		{"a month away", "", 30 * 24 * time.Hour, "skipped@01:00 succeeded@Dec30-00:00", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, rigOptions{})
			r.apply(hourlyJob(r.seed.ProjectRef, tc.extra))
			r.at(tc.back)
			r.at(tc.back + time.Second) // nothing more is due
			if s := states(r.runs("hourly")); s != tc.want {
				t.Errorf("runs %s, want %s", s, tc.want)
			}
			if n := r.app.Sandbox.Requests("v1-get-project"); n != tc.calls {
				t.Errorf("%d calls, want %d", n, tc.calls)
			}
		})
	}
}

// blocker is a pipeline whose calls wait until released (or cancelled).
type blocker struct {
	release chan struct{}
	calls   atomic.Int32
	action  *tools.Action
}

func newBlocker(t *testing.T) *blocker {
	reg, err := tools.Load()
	must(t, err)
	act, err := reg.Lookup("project_get")
	must(t, err)
	return &blocker{release: make(chan struct{}), action: act}
}

func (b *blocker) Call(ctx context.Context, req pipeline.Request) (*pipeline.Result, error) {
	b.calls.Add(1)
	select {
	case <-b.release:
		return &pipeline.Result{Action: b.action, Status: 200, Data: map[string]any{"ref": req.Args["ref"]}}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (b *blocker) Poll(context.Context, *pipeline.Result) (pipeline.Progress, error) {
	return pipeline.Progress{Done: true}, nil
}

// tickNoWait ticks without waiting for the runs to end.
func (r *rig) tickNoWait(d time.Duration) {
	r.t.Helper()
	r.clock.Set(t0.Add(d))
	if err := r.sched.Tick(context.Background()); err != nil {
		r.t.Fatal(err)
	}
}

// waitFor polls cond until it holds (runs start in goroutines).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// When a slot comes while the previous run still runs, the job's
// concurrency decides: forbid skips the new slot, replace cancels the old
// run, allow runs both.
func TestConcurrency(t *testing.T) {
	for _, tc := range []struct {
		policy string
		want   string
		calls  int32
	}{
		{"forbid", "succeeded@01:00 skipped@02:00", 1},
		{"replace", "canceled@01:00 succeeded@02:00", 2},
		{"allow", "succeeded@01:00 succeeded@02:00", 2},
	} {
		t.Run(tc.policy, func(t *testing.T) {
			b := newBlocker(t)
			r := newRig(t, rigOptions{caller: b})
			r.apply(hourlyJob(r.seed.ProjectRef, "    concurrency: "+tc.policy+"\n"))
			r.tickNoWait(time.Hour)
			waitFor(t, "the first run's call", func() bool { return b.calls.Load() == 1 })
			r.tickNoWait(2 * time.Hour)
			waitFor(t, "the second slot", func() bool { return len(r.runs("hourly")) == 2 })
			if tc.calls == 2 {
				waitFor(t, "the second run's call", func() bool { return b.calls.Load() == 2 })
			}
			if tc.policy == "replace" {
				waitFor(t, "the first run cancelled", func() bool { return r.runs("hourly")[0].State == jobstore.Canceled })
			}
			close(b.release)
			r.sched.Wait()
			if s := states(r.runs("hourly")); s != tc.want {
				t.Errorf("runs %s, want %s", s, tc.want)
			}
			if n := b.calls.Load(); n != tc.calls {
				t.Errorf("%d calls, want %d", n, tc.calls)
			}
		})
	}
}

// Replace reaches a run in another process too: the claim asks it to
// stop, and its scheduler cancels it at its next heartbeat.
func TestReplaceStopsARunInAnotherProcess(t *testing.T) {
	b := newBlocker(t)
	defer close(b.release)
	r := newRig(t, rigOptions{caller: b, owner: "one"})
	other := r.scheduler(b, "two")
	r.apply(hourlyJob(r.seed.ProjectRef, "    concurrency: replace\n"))
	r.clock.Set(t0.Add(time.Hour))
	must(t, other.Tick(context.Background()))
	waitFor(t, "the first run's call", func() bool { return b.calls.Load() == 1 })
	r.clock.Set(t0.Add(2 * time.Hour))
	other.Beat(context.Background()) // alive: nobody calls its run interrupted
	r.tickNoWait(2 * time.Hour)
	waitFor(t, "the second run's call", func() bool { return b.calls.Load() == 2 })
	other.Beat(context.Background())
	other.Wait()
	runs := r.runs("hourly")
	if runs[0].State != jobstore.Canceled || runs[0].StopAsked != runs[1].Key {
		t.Errorf("the first run: %+v", runs[0])
	}
}

// A scheduler whose heartbeat lapsed (a long pause) learns at its next
// beat that its run was called interrupted and run again elsewhere: it
// stops it, and its late end does not overwrite the new attempt.
func TestLapsedRunStops(t *testing.T) {
	b := newBlocker(t)
	r := newRig(t, rigOptions{caller: b, owner: "one"})
	paused := r.scheduler(b, "paused")
	r.apply(hourlyJob(r.seed.ProjectRef, ""))
	r.clock.Set(t0.Add(time.Hour))
	must(t, paused.Tick(context.Background()))
	waitFor(t, "the first call", func() bool { return b.calls.Load() == 1 })
	r.tickNoWait(time.Hour + 2*time.Minute) // the lease (1m) lapsed: attempt 2 here
	waitFor(t, "attempt 2's call", func() bool { return b.calls.Load() == 2 })
	paused.Beat(context.Background())
	paused.Wait()
	close(b.release)
	r.sched.Wait()
	if s := states(r.runs("hourly")); s != "succeeded@01:00#2" {
		t.Errorf("runs %s", s)
	}
}

// Two schedulers on one store (two processes, or a restart overlapping the
// old one) run each slot once.
func TestTwoSchedulersRunEachSlotOnce(t *testing.T) {
	r := newRig(t, rigOptions{})
	storeFile := r.app.Store.Path()
	r2 := newRig(t, rigOptions{storeFile: storeFile, clock: r.clock})
	r.apply(fmt.Sprintf(`version: 1
jobs:
  - name: every-minute
    schedule: "* * * * *"
    kind: action
    projects: [%s]
    params: {action: project_get}
`, r.seed.ProjectRef))
	const slots = 30
	for m := 1; m <= slots; m++ {
		r.clock.Set(t0.Add(time.Duration(m) * time.Minute))
		var wg sync.WaitGroup
		for _, s := range []*rig{r, r2} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := s.sched.Tick(context.Background()); err != nil {
					t.Error(err)
				}
				s.sched.Wait()
			}()
		}
		wg.Wait()
	}
	runs := r.runs("every-minute")
	seen := map[string]bool{}
	for _, run := range runs {
		if seen[run.Key] || run.State != jobstore.Succeeded {
			t.Errorf("run %s: %s (seen before: %v)", run.Key, run.State, seen[run.Key])
		}
		seen[run.Key] = true
	}
	calls := r.app.Sandbox.Requests("v1-get-project") + r2.app.Sandbox.Requests("v1-get-project")
	if len(runs) != 20 || calls != slots {
		// history keeps the newest 20 runs
		t.Errorf("%d runs kept, %d calls; want 20 kept and %d calls", len(runs), calls, slots)
	}
	if r.app.Sandbox.Requests("v1-get-project") == 0 || r2.app.Sandbox.Requests("v1-get-project") == 0 {
		t.Logf("one scheduler took every slot (allowed, but the race was not exercised)")
	}
}

// A run whose process died (its heartbeat stopped) is marked interrupted
// and, under run-once within the deadline, run again as attempt 2.
func TestInterruptedRunIsRetried(t *testing.T) {
	for _, tc := range []struct {
		extra string
		want  string
		calls int
	}{
		{"", "succeeded@01:00#2", 1},
		{"    missed: skip\n", "interrupted@01:00", 0},
	} {
		t.Run("missed"+strings.TrimSpace(strings.TrimPrefix(tc.extra, "    missed:")), func(t *testing.T) {
			r := newRig(t, rigOptions{})
			r.apply(hourlyJob(r.seed.ProjectRef, tc.extra))
			r.clock.Set(t0.Add(time.Hour))
			// A scheduler claims the slot and dies before it calls anything.
			if _, err := r.app.Jobs.Claim(context.Background(), "hourly", t0.Add(time.Hour), false, "dead", jobstore.ConcurrencyForbid); err != nil {
				t.Fatal(err)
			}
			r.at(time.Hour + 30*time.Second) // the lease (1m) holds: nothing
			if s := states(r.runs("hourly")); s != "running@01:00" {
				t.Fatalf("within the lease: %s", s)
			}
			r.at(time.Hour + 2*time.Minute)
			if s := states(r.runs("hourly")); s != tc.want {
				t.Errorf("runs %s, want %s", s, tc.want)
			}
			if n := r.app.Sandbox.Requests("v1-get-project"); n != tc.calls {
				t.Errorf("%d calls, want %d", n, tc.calls)
			}
		})
	}
}

// A failed delivery is tried again after a backoff, from the store, and a
// delivered alert is never delivered again; two schedulers deliver it once.
func TestAlertDelivery(t *testing.T) {
	r := newRig(t, rigOptions{})
	r2 := r.scheduler(nil, "other")
	r.inbox.failNext = 2
	r.apply(hourlyJob(r.seed.ProjectRef, ""))
	r.at(time.Hour) // the run's report: attempt 1 fails
	steps := []struct {
		at       time.Duration
		attempts int
	}{
		{time.Hour + 10*time.Second, 1},  // backing off (30 s)
		{time.Hour + 31*time.Second, 2},  // attempt 2 fails; next in 60 s
		{time.Hour + 61*time.Second, 2},  // backing off
		{time.Hour + 92*time.Second, 3},  // delivered
		{time.Hour + 200*time.Second, 3}, // never again
	}
	for _, st := range steps {
		r.clock.Set(t0.Add(st.at))
		var wg sync.WaitGroup
		for _, s := range []interface{ Tick(context.Context) error }{r.sched, r2} {
			wg.Add(1)
			go func() { defer wg.Done(); _ = s.Tick(context.Background()) }()
		}
		wg.Wait()
		r.inbox.mu.Lock()
		attempts := r.inbox.attempts
		r.inbox.mu.Unlock()
		if attempts != st.attempts {
			t.Fatalf("at +%s: %d attempts, want %d", st.at-time.Hour, attempts, st.attempts)
		}
	}
	if got := r.inbox.alerts(); len(got) != 1 {
		t.Errorf("%d deliveries, want 1", len(got))
	}
	pending, err := r.app.Jobs.Pending(context.Background())
	if err != nil || len(pending) != 0 {
		t.Errorf("outbox: %v %v", pending, err)
	}
	// The same alert queued again (a retried run) is not sent again.
	a := r.inbox.alerts()[0]
	if n, err := r.app.Jobs.Enqueue(context.Background(), a); n != 0 || err != nil {
		t.Errorf("queued again: %d %v", n, err)
	}
}

// Alerts for a target this process cannot reach wait for one that can.
func TestAlertsWaitForTheirNotifier(t *testing.T) {
	r := newRig(t, rigOptions{})
	ctx := context.Background()
	if _, err := r.app.Jobs.Enqueue(ctx, jobstore.Alert{Key: "k", Job: "j", Title: "hello", Target: "slack:C0OPS"}); err != nil {
		t.Fatal(err)
	}
	r.schedulerWith(nil, "", map[string]jobs.Notifier{"log": r.inbox}).Deliver(ctx)
	if len(r.inbox.alerts()) != 0 {
		t.Fatal("delivered without a Slack notifier")
	}
	r.sched.Deliver(ctx)
	if got := r.inbox.alerts(); len(got) != 1 || got[0].Target != "slack:C0OPS" {
		t.Errorf("got %+v", got)
	}
}

// A run asked for through the pipeline (job_trigger, from any surface) is
// taken by the scheduler at its next tick, as the job.
func TestTriggeredRun(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.apply(hourlyJob(r.seed.ProjectRef, ""))
	r.clock.Set(t0.Add(10 * time.Minute))
	res, err := r.app.Pipeline.Call(context.Background(), pipeline.Request{
		Action: "job_trigger", Args: map[string]any{"name": "hourly"}, Principal: "cli:local", Surface: principal.SurfaceCLI,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Data.(map[string]any)["state"] != "requested" {
		t.Fatalf("trigger answered %+v", res.Data)
	}
	r.at(10*time.Minute + time.Second)
	runs := r.runs("hourly")
	if len(runs) != 1 || !runs[0].Manual || runs[0].State != jobstore.Succeeded || runs[0].RequestedBy != "cli:local" {
		t.Fatalf("runs: %+v", runs)
	}
	// A manual run does not move the schedule: 01:00 still runs.
	r.at(time.Hour)
	if n := len(r.runs("hourly")); n != 2 {
		t.Errorf("%d runs, want the manual one and 01:00", n)
	}
}

// When the store cannot be read, the scheduler calls nothing.
func TestUnreadableStoreRunsNothing(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.apply(hourlyJob(r.seed.ProjectRef, ""))
	r.at(30 * time.Minute)
	path := r.app.Store.Path()
	if err := os.WriteFile(path, []byte(strings.Repeat("not a store ", 1000)), 0o600); err != nil {
		t.Fatal(err)
	}
	r.clock.Set(t0.Add(time.Hour))
	if err := r.sched.Tick(context.Background()); err == nil {
		t.Error("a tick on a broken store reported no error")
	}
	r.sched.Wait()
	if n := r.app.Sandbox.Requests("v1-get-project"); n != 0 {
		t.Errorf("%d calls with no store to record them", n)
	}
}
