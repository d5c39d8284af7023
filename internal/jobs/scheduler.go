// Package jobs runs scheduled jobs — backups, advisor checks, log sweeps,
// any action on a schedule — as a surface of the core: every call a job
// makes goes through the pipeline as principal job:<name>, so the policy
// governs jobs and the audit log records them. Schedules are cron
// expressions (github.com/robfig/cron/v3 parses them and says when the next
// slot is); the runs, cursors and alerts live in the store
// (internal/jobstore), so that a slot runs once whatever restarts or other
// schedulers on the store do, and no window of a log sweep is lost or seen
// twice.
//
// The scheduler is its own loop over robfig's schedules rather than
// robfig's Cron runner: slots are claimed in the store (Cron keeps them in
// memory), missed slots follow each job's policy, and tests drive it with a
// fake clock.
package jobs

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/rs/zerolog"

	"github.com/supaops/supaops/internal/jobstore"
	"github.com/supaops/supaops/internal/pipeline"
)

// Defaults for Options.
const (
	DefaultTick  = time.Second
	DefaultLease = 2 * time.Minute
	// onTime is how late a slot may be taken and still count as on time
	// rather than missed.
	onTime = time.Minute
	// maxSlotsWalked bounds the slots looked at for one job in one tick
	// (a starting deadline of a week over a one-minute schedule is 10,080).
	maxSlotsWalked = 20_000
)

// Caller is the pipeline, as jobs use it.
type Caller interface {
	Call(ctx context.Context, req pipeline.Request) (*pipeline.Result, error)
	Poll(ctx context.Context, res *pipeline.Result) (pipeline.Progress, error)
}

// Notifier delivers alerts to one kind of target (slack, webhook, log).
type Notifier interface {
	Notify(ctx context.Context, a jobstore.Alert) error
}

// Options configure a Scheduler.
type Options struct {
	Store    *jobstore.Store
	Pipeline Caller
	// Notifiers deliver alerts by target kind: "slack", "webhook", "log".
	// An alert for a kind with no notifier waits in the outbox for a
	// process that has one.
	Notifiers map[string]Notifier
	// Owner names this scheduler in the runs it claims; "" makes one up.
	Owner string
	// Tick is how often Run looks at the clock; Lease how long a run's
	// heartbeat is trusted before another scheduler calls it interrupted.
	Tick, Lease time.Duration
	// Now and Sleep are the clock (tests drive a fake one).
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// Background marks a job's calls as background work for the rate
	// limiter, so interactive callers go first, within the job's own
	// budget; nil leaves them as they are.
	Background func(ctx context.Context, sp jobstore.Spec) context.Context
	// Observer is told of runs and sweeps (metrics); nil means no one is.
	Observer Observer
	Logger   zerolog.Logger
}

// Observer is told how runs end and how far log sweeps lag. Job names are
// the operator's own, few and stable: fit for metric labels. It must be
// quick and must not block.
type Observer interface {
	// ObserveRun is a run that ended in state (a jobstore.RunState) at
	// end, after d.
	ObserveRun(job, state string, end time.Time, d time.Duration)
	// ObserveSweepLag is how far behind now the sweep's cursor is after a
	// run: the largest over the job's projects.
	ObserveSweepLag(job string, lag time.Duration)
}

// Scheduler runs the jobs of a store. It is safe for concurrent use.
type Scheduler struct {
	opts Options
	log  zerolog.Logger

	mu      sync.Mutex
	running map[string]*activeRun // run key -> the run in this process
	wg      sync.WaitGroup
	stopped bool

	tickMu sync.Mutex // one Tick at a time; guards what follows
	loaded bool
	rev    uint64
	table  map[string]*entry
}

type activeRun struct {
	run    jobstore.Run
	cancel context.CancelFunc
}

// entry is a job as the scheduler tracks it between ticks.
type entry struct {
	job   jobstore.Job
	sched cron.Schedule
	// next is the earliest slot not yet handled.
	next time.Time
}

// New checks the options.
func New(opts Options) (*Scheduler, error) {
	if opts.Store == nil || opts.Pipeline == nil {
		return nil, errors.New("jobs: a store and a pipeline are required")
	}
	if opts.Tick <= 0 {
		opts.Tick = DefaultTick
	}
	if opts.Lease <= 0 {
		opts.Lease = DefaultLease
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Sleep == nil {
		opts.Sleep = sleep
	}
	if opts.Owner == "" {
		opts.Owner = "scheduler-" + rand.Text()[:10]
	}
	return &Scheduler{opts: opts, log: opts.Logger, running: map[string]*activeRun{}, table: map[string]*entry{}}, nil
}

// Owner is the name this scheduler claims runs under.
func (s *Scheduler) Owner() string { return s.opts.Owner }

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Run schedules until ctx ends, then stops taking slots and waits for the
// runs in flight up to grace; runs still going then are cancelled and
// recorded as such.
func (s *Scheduler) Run(ctx context.Context, grace time.Duration) error {
	t := time.NewTicker(s.opts.Tick)
	defer t.Stop()
	beat := time.NewTicker(max(s.opts.Lease/4, time.Second))
	defer beat.Stop()
	for {
		if err := s.Tick(ctx); err != nil {
			s.log.Warn().Err(err).Msg("scheduler tick")
		}
		select {
		case <-ctx.Done():
			return s.Stop(grace)
		case <-t.C:
		case <-beat.C:
			s.Beat(context.WithoutCancel(ctx))
		}
	}
}

// Stop takes no more slots and waits up to grace for runs in flight.
func (s *Scheduler) Stop(grace time.Duration) error {
	s.mu.Lock()
	s.stopped = true
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-done:
		return nil
	case <-timer.C:
	}
	s.mu.Lock()
	for _, a := range s.running {
		a.cancel()
	}
	s.mu.Unlock()
	<-done
	return fmt.Errorf("jobs: runs still going after %s were cancelled", grace)
}

// Wait waits for the runs this scheduler started (tests).
func (s *Scheduler) Wait() { s.wg.Wait() }

// Beat tells the store the runs of this process are alive, and cancels
// those a replacing run (concurrency: replace) asked to stop.
func (s *Scheduler) Beat(ctx context.Context) {
	s.mu.Lock()
	keys := make([]string, 0, len(s.running))
	for k := range s.running {
		keys = append(keys, k)
	}
	s.mu.Unlock()
	stop, err := s.opts.Store.Beat(ctx, s.opts.Owner, keys)
	if err != nil {
		s.log.Warn().Err(err).Msg("refreshing the runs' heartbeats failed")
	}
	s.mu.Lock()
	for _, k := range stop {
		if a, ok := s.running[k]; ok {
			a.cancel()
		}
	}
	s.mu.Unlock()
}

// Tick does what is due now: runs whose process died are handled, manual
// runs asked for are started, each job's due slot is claimed and run, and
// alerts waiting in the outbox are delivered. When the store cannot be
// read, nothing runs.
func (s *Scheduler) Tick(ctx context.Context) error {
	s.tickMu.Lock()
	defer s.tickMu.Unlock()
	s.mu.Lock()
	stopped := s.stopped
	s.mu.Unlock()
	if stopped {
		return nil
	}
	snap, err := s.opts.Store.Snapshot(ctx, s.rev, !s.loaded)
	if err != nil {
		return err
	}
	if snap.Changed {
		start := time.Now()
		first := !s.loaded
		s.reload(snap)
		if first {
			s.log.Info().Int("jobs", len(s.table)).Dur("took", time.Since(start)).Msg("jobs loaded")
		}
	}
	now := s.opts.Now()
	var errs []error
	if s.stale(snap.Active, now) {
		if err := s.recover(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if err := s.requested(ctx, snap.Active); err != nil {
		errs = append(errs, err)
	}
	for name, e := range s.table {
		if e.job.Spec.Paused || e.next.After(now) {
			continue
		}
		if err := s.schedule(ctx, e, now); err != nil {
			errs = append(errs, fmt.Errorf("job %s: %w", name, err))
		}
	}
	if snap.Outbox {
		s.Deliver(ctx)
	}
	return errors.Join(errs...)
}

// reload rebuilds the table from the store: each job's next slot follows
// the latest one claimed, or the time it was applied (slots before that
// were never asked for).
func (s *Scheduler) reload(snap jobstore.Snapshot) {
	table := make(map[string]*entry, len(snap.Jobs))
	schedules := jobstore.NewSchedules()
	for _, j := range snap.Jobs {
		sched, err := schedules.Of(j.Spec)
		if err != nil {
			// Stored specs were checked when applied; a newer supaops may be
			// stricter. The job waits, loudly, rather than guessing.
			s.log.Error().Err(err).Str("job", j.Spec.Name).Msg("the job's schedule no longer parses; it does not run")
			continue
		}
		from := j.Applied
		if last := snap.Last[j.Spec.Name]; last.After(from) {
			from = last
		}
		next := sched.Next(from)
		if next.IsZero() {
			s.log.Error().Str("job", j.Spec.Name).Msg("the job's schedule never fires again; it does not run")
			continue
		}
		table[j.Spec.Name] = &entry{job: j, sched: sched, next: next}
	}
	s.table, s.rev, s.loaded = table, snap.Rev, true
}

// schedule handles a job whose next slot has come. The latest slot due
// runs (if on time, or late within the starting deadline under run-once);
// slots older than that are missed and recorded as one skipped run, so a
// scheduler back after a long outage does not flood the API.
func (s *Scheduler) schedule(ctx context.Context, e *entry, now time.Time) error {
	sp := e.job.Spec
	horizon := onTime
	if sp.Missed == jobstore.MissedRunOnce {
		horizon = max(sp.StartingDeadline, onTime)
	}
	cutoff := now.Add(-horizon)
	first := e.next
	if first.Before(cutoff) {
		// Slots before the cutoff are missed whatever the policy.
		through := cutoff
		why := fmt.Sprintf("missed: no scheduler ran from %s to %s (missed: %s, starting deadline %s)",
			first.UTC().Format(time.RFC3339), cutoff.UTC().Format(time.RFC3339), sp.Missed, sp.StartingDeadline)
		if _, err := s.opts.Store.SkipMissed(ctx, sp.Name, first, through, s.opts.Owner, why, sp.History); err != nil && !errors.Is(err, jobstore.ErrClaimed) {
			return err
		}
		s.log.Warn().Str("job", sp.Name).Time("from", first).Time("to", cutoff).Msg("slots missed while no scheduler ran")
		first = e.sched.Next(through)
		e.next = first
		if first.After(now) {
			return nil
		}
	}
	due, earlier := first, 0
	for t, n := e.sched.Next(first), 0; !t.After(now) && n < maxSlotsWalked; t, n = e.sched.Next(t), n+1 {
		due = t
		earlier++
	}
	late := now.Sub(due)
	if late > onTime && sp.Missed == jobstore.MissedSkip {
		why := fmt.Sprintf("missed: the slot was %s late (missed: skip)", late.Round(time.Second))
		if _, err := s.opts.Store.SkipMissed(ctx, sp.Name, first, due, s.opts.Owner, why, sp.History); err != nil && !errors.Is(err, jobstore.ErrClaimed) {
			return err
		}
		e.next = e.sched.Next(due)
		return nil
	}
	run, err := s.opts.Store.Claim(ctx, sp.Name, due, false, s.opts.Owner, sp.Concurrency)
	switch {
	case errors.Is(err, jobstore.ErrClaimed):
		e.next = e.sched.Next(due) // a restart of this scheduler or another one has it
		return nil
	case err != nil:
		return err // the store did not answer: nothing runs, the slot is tried again
	}
	e.next = e.sched.Next(due)
	if run.State == jobstore.Skipped {
		s.log.Info().Str("job", sp.Name).Str("run", run.Key).Str("why", run.Error).Msg("run skipped")
		return nil
	}
	if earlier > 0 {
		run.Summary = fmt.Sprintf("%d earlier slots were missed while no scheduler ran; only this one runs. ", earlier)
	}
	if sp.Concurrency == jobstore.ConcurrencyReplace {
		s.cancelRunsOf(sp.Name, run.Key)
	}
	s.start(ctx, sp, run)
	return nil
}

// stale reports a run whose heartbeat stopped and that is not this
// process's.
func (s *Scheduler) stale(active []jobstore.Run, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range active {
		if _, mine := s.running[r.Key]; r.State == jobstore.Running && !mine && now.Sub(r.Heartbeat) >= s.opts.Lease {
			return true
		}
	}
	return false
}

// recover marks runs whose process died as interrupted and, when the job's
// missed policy is run-once and the slot is within its starting deadline,
// runs the slot again as its next attempt.
func (s *Scheduler) recover(ctx context.Context) error {
	s.mu.Lock()
	mine := make(map[string]bool, len(s.running))
	for k := range s.running {
		mine[k] = true
	}
	s.mu.Unlock()
	lost, err := s.opts.Store.Interrupt(ctx, s.opts.Lease, mine)
	if err != nil {
		return err
	}
	for _, r := range lost {
		s.log.Warn().Str("job", r.Job).Str("run", r.Key).Str("owner", r.Owner).Msg("run interrupted: its process stopped")
		e, ok := s.table[r.Job]
		if !ok {
			continue
		}
		sp := e.job.Spec
		if sp.Paused || sp.Missed != jobstore.MissedRunOnce || s.opts.Now().Sub(r.Scheduled) > sp.StartingDeadline {
			continue
		}
		again, err := s.opts.Store.Retry(ctx, r.Key, s.opts.Owner)
		if err != nil {
			continue // another scheduler took it
		}
		again.Summary = fmt.Sprintf("attempt %d: the previous one was interrupted. ", again.Attempt)
		s.start(ctx, sp, again)
	}
	return nil
}

// requested starts the manual runs asked for (job_trigger).
func (s *Scheduler) requested(ctx context.Context, active []jobstore.Run) error {
	for _, r := range active {
		if r.State != jobstore.Requested {
			continue
		}
		e, ok := s.table[r.Job]
		if !ok {
			continue // removed since, or not yet seen: the next reload has it
		}
		run, err := s.opts.Store.Claim(ctx, r.Job, r.Scheduled, true, s.opts.Owner, e.job.Spec.Concurrency)
		if err != nil {
			continue // another scheduler took it
		}
		if run.State == jobstore.Skipped {
			continue
		}
		s.start(ctx, e.job.Spec, run)
	}
	return nil
}

// start runs a claimed run in the background.
func (s *Scheduler) start(ctx context.Context, sp jobstore.Spec, run jobstore.Run) {
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.mu.Lock()
	s.running[run.Key] = &activeRun{run: run, cancel: cancel}
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		defer cancel()
		defer s.forget(run.Key)
		defer func() {
			// A kind that panics fails its run; the scheduler goes on
			// (robfig's own runner would not recover it either).
			if p := recover(); p != nil {
				run.State, run.Error = jobstore.Failed, fmt.Sprintf("internal error: %v", p)
				s.log.Error().Str("run", run.Key).Interface("panic", p).Msg("a job panicked")
				s.finish(context.WithoutCancel(rctx), sp, run)
			}
		}()
		if sp.Jitter > 0 {
			if err := s.opts.Sleep(rctx, jitter(sp.Jitter)); err != nil {
				run.State, run.Error = jobstore.Canceled, "cancelled before it started"
				s.finish(context.WithoutCancel(rctx), sp, run)
				return
			}
		}
		s.execute(rctx, sp, run)
	}()
}

func (s *Scheduler) forget(key string) {
	s.mu.Lock()
	delete(s.running, key)
	s.mu.Unlock()
}

// RunClaimed runs a run already claimed (a foreground run: supaops-mcp jobs
// run) to its end, keeping its heartbeat, and returns how it ended.
func (s *Scheduler) RunClaimed(ctx context.Context, sp jobstore.Spec, run jobstore.Run) jobstore.Run {
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.mu.Lock()
	s.running[run.Key] = &activeRun{run: run, cancel: cancel}
	s.mu.Unlock()
	defer s.forget(run.Key)
	done := make(chan struct{})
	defer close(done)
	go func() {
		t := time.NewTicker(max(s.opts.Lease/4, time.Second))
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				s.Beat(context.WithoutCancel(ctx))
			}
		}
	}()
	return s.execute(rctx, sp, run)
}

// cancelRunsOf cancels this process's runs of job other than keep; those
// in other processes were asked to stop by the claim.
func (s *Scheduler) cancelRunsOf(job, keep string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, a := range s.running {
		if a.run.Job == job && k != keep {
			a.cancel()
		}
	}
}

// jitter picks a delay in [0, d).
func jitter(d time.Duration) time.Duration {
	n, err := rand.Int(rand.Reader, big.NewInt(int64(d)))
	if err != nil {
		return 0
	}
	return time.Duration(n.Int64())
}
