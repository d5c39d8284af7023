package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/supaops/supaops/internal/app"
	"github.com/supaops/supaops/internal/app/apptest"
	"github.com/supaops/supaops/internal/jobs"
	"github.com/supaops/supaops/internal/jobstore"
	"github.com/supaops/supaops/internal/sandbox"
)

const allowAll = "version: 1\ndefaults: {read: allow, write: allow, destructive: deny}\n"

// t0 is where every test's clock starts: a Monday at midnight UTC.
var t0 = time.Date(2026, time.November, 30, 0, 0, 0, 0, time.UTC)

// clock is a fake clock shared by the store, the sandbox and the scheduler.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// inbox is a notifier that keeps what it is given and fails on demand.
type inbox struct {
	mu       sync.Mutex
	got      []jobstore.Alert
	attempts int
	failNext int
}

func (i *inbox) Notify(_ context.Context, a jobstore.Alert) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.attempts++
	if i.failNext > 0 {
		i.failNext--
		return errors.New("the target is down")
	}
	i.got = append(i.got, a)
	return nil
}

func (i *inbox) alerts() []jobstore.Alert {
	i.mu.Lock()
	defer i.mu.Unlock()
	return append([]jobstore.Alert(nil), i.got...)
}

// take returns the alerts received since the last take.
func (i *inbox) take() []jobstore.Alert {
	i.mu.Lock()
	defer i.mu.Unlock()
	out := i.got
	i.got = nil
	return out
}

// rig is the whole stack on a fake clock, with a scheduler over it.
type rig struct {
	t     testing.TB
	clock *clock
	app   *app.App
	sched *jobs.Scheduler
	inbox *inbox
	seed  sandbox.SeedInfo
}

type rigOptions struct {
	policy    string // "" = allow reads and writes
	storeFile string
	clock     *clock
	caller    jobs.Caller // nil = the stack's pipeline
	owner     string
	// realLimits keeps the client's documented rate limits.
	realLimits bool
}

func newRig(t testing.TB, o rigOptions) *rig {
	t.Helper()
	if o.policy == "" {
		o.policy = allowAll
	}
	if o.policy == "default" {
		o.policy = ""
	}
	if o.clock == nil {
		o.clock = &clock{t: t0}
	}
	a := apptest.New(t, apptest.Options{Policy: o.policy, Now: o.clock.Now, SandboxOnNow: true, StoreFile: o.storeFile, RealLimits: o.realLimits})
	r := &rig{t: t, clock: o.clock, app: a, inbox: &inbox{}, seed: a.Sandbox.Seed()}
	r.sched = r.scheduler(o.caller, o.owner)
	return r
}

// scheduler builds a scheduler over the rig's store: a second one is a
// restart, or another process.
func (r *rig) scheduler(caller jobs.Caller, owner string) *jobs.Scheduler {
	r.t.Helper()
	return r.schedulerWith(caller, owner, map[string]jobs.Notifier{"log": r.inbox, "webhook": r.inbox, "slack": r.inbox})
}

func (r *rig) schedulerWith(caller jobs.Caller, owner string, notifiers map[string]jobs.Notifier) *jobs.Scheduler {
	r.t.Helper()
	opts := jobs.Options{
		Notifiers: notifiers,
		Owner:     owner, Lease: time.Minute, Now: r.clock.Now,
		Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() },
	}
	var s *jobs.Scheduler
	var err error
	if caller != nil {
		opts.Store, opts.Pipeline = r.app.Jobs, caller
		s, err = jobs.New(opts)
	} else {
		s, err = jobs.ForApp(r.app, opts)
	}
	if err != nil {
		r.t.Fatal(err)
	}
	return s
}

// apply stores a jobs file, checked as job_apply checks it.
func (r *rig) apply(yaml string) {
	r.t.Helper()
	specs, err := jobstore.Parse("test.yaml", []byte(yaml), jobstore.LoadOptions{Actions: func(name string) bool {
		_, ok := r.app.Registry.Find(name)
		return ok
	}})
	if err != nil {
		r.t.Fatal(err)
	}
	if _, err := r.app.Jobs.Apply(context.Background(), specs, "test", false); err != nil {
		r.t.Fatal(err)
	}
}

// at moves the clock to t0+d and lets the scheduler tick and finish its
// runs.
func (r *rig) at(d time.Duration) {
	r.t.Helper()
	r.clock.Set(t0.Add(d))
	r.tick(r.sched)
}

func (r *rig) tick(s *jobs.Scheduler) {
	r.t.Helper()
	if err := s.Tick(context.Background()); err != nil {
		r.t.Fatalf("tick at %s: %v", r.clock.Now().Format(time.RFC3339), err)
	}
	s.Wait()
}

// runs lists a job's runs, oldest first.
func (r *rig) runs(job string) []jobstore.Run {
	r.t.Helper()
	list, err := r.app.Jobs.Runs(context.Background(), job, 0)
	if err != nil {
		r.t.Fatal(err)
	}
	for i, j := 0, len(list)-1; i < j; i, j = i+1, j-1 {
		list[i], list[j] = list[j], list[i]
	}
	return list
}

// states writes runs as "state@HH:MM" for compact assertions.
func states(runs []jobstore.Run) string {
	var parts []string
	for _, r := range runs {
		s := fmt.Sprintf("%s@%s", r.State, r.Scheduled.UTC().Format("15:04"))
		if r.Scheduled.Sub(t0) >= 24*time.Hour {
			s = fmt.Sprintf("%s@%s", r.State, r.Scheduled.UTC().Format("Jan2-15:04"))
		}
		if r.Attempt > 1 {
			s += fmt.Sprintf("#%d", r.Attempt)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

func titles(alerts []jobstore.Alert) string {
	var parts []string
	for _, a := range alerts {
		parts = append(parts, a.Title)
	}
	return strings.Join(parts, " | ")
}
