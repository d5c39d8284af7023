package jobs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/supaops/supaops/internal/jobstore"
	"github.com/supaops/supaops/internal/outcome"
	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/principal"
	"github.com/supaops/supaops/internal/reqid"
)

// kind runs one job's work for one run.
type kind interface {
	run(ctx context.Context, e *env) error
}

func kindOf(sp jobstore.Spec) (kind, error) {
	switch sp.Kind {
	case jobstore.KindBackup:
		return backupKind{sp.Backup}, nil
	case jobstore.KindAdvisors:
		return advisorsKind{sp.Advisors}, nil
	case jobstore.KindLogSweep:
		return logSweepKind{sp.LogSweep}, nil
	case jobstore.KindAction:
		return actionKind{sp.Action}, nil
	}
	return nil, fmt.Errorf("unknown kind %q", sp.Kind)
}

// env is what a kind works with during one run.
type env struct {
	s    *Scheduler
	spec jobstore.Spec
	run  jobstore.Run
	// alerts counts the alerts queued; ready are those this process took
	// to deliver at the end of the run; final are queued with its end.
	alerts int
	ready  []jobstore.Delivery
	final  []jobstore.Alert
	notes  []string
}

// execute runs a claimed run to its end and records it.
func (s *Scheduler) execute(ctx context.Context, sp jobstore.Spec, run jobstore.Run) jobstore.Run {
	ctx, cancel := context.WithTimeout(ctx, sp.Timeout)
	defer cancel()
	// The run key is the request id of every call the run makes.
	ctx = reqid.With(ctx, run.Key)
	e := &env{s: s, spec: sp, run: run}
	k, err := kindOf(sp)
	if err == nil {
		err = k.run(ctx, e)
	}
	run.Summary += strings.Join(e.notes, " ")
	switch {
	case err == nil:
		run.State = jobstore.Succeeded
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		run.State, run.Error = jobstore.Failed, fmt.Sprintf("timed out after %s: %v", sp.Timeout, err)
	case ctx.Err() != nil:
		run.State, run.Error = jobstore.Canceled, fmt.Sprintf("cancelled: %v", err)
	default:
		run.State, run.Error = jobstore.Failed, err.Error()
	}
	run.Alerts = e.alerts
	done := context.WithoutCancel(ctx)
	// The run's end, its reports and what its health says go in one
	// transaction; then this process delivers what it took.
	ready, ferr := s.opts.Store.Finish(done, run, sp.History, s.taker(), func(t *jobstore.StateTx) error {
		if err := t.Queue(e.final...); err != nil {
			return err
		}
		return e.health(t, run)
	})
	s.logEnd(sp, run, ferr)
	s.observe(sp, run)
	s.deliver(done, append(e.ready, ready...))
	return run
}

// observe tells the Observer how the run ended.
func (s *Scheduler) observe(sp jobstore.Spec, run jobstore.Run) {
	if s.opts.Observer == nil {
		return
	}
	end := s.opts.Now()
	var d time.Duration
	if !run.Started.IsZero() {
		d = end.Sub(run.Started)
	}
	s.opts.Observer.ObserveRun(sp.Name, string(run.State), end, d)
}

// failingKey is the state key of a job's failing streak.
const failingKey = "scheduler/failing"

// failing is what a job remembers of its failures.
type failing struct {
	Since time.Time `json:"since"`
	Runs  int       `json:"runs"`
	Error string    `json:"error"`
}

// health alerts when a job starts failing and when it works again, not at
// every failed run: a job failing every five minutes all night is one
// alert, and one more in the morning when it is fixed.
func (e *env) health(t *jobstore.StateTx, run jobstore.Run) error {
	if run.State != jobstore.Failed && run.State != jobstore.Succeeded {
		return nil
	}
	var prev failing
	was, err := t.Get(failingKey, &prev)
	if err != nil {
		return err
	}
	if run.State == jobstore.Succeeded {
		if !was {
			return nil
		}
		if err := t.Queue(e.targets(jobstore.Alert{
			Key: run.Key + "/works-again", Severity: "info",
			Title: fmt.Sprintf("Job %s works again", e.spec.Name),
			Lines: []string{fmt.Sprintf("after %d failed run(s) since %s; the last error was: %s", prev.Runs, prev.Since.UTC().Format(time.RFC3339), prev.Error)},
		})...); err != nil {
			return err
		}
		return t.Drop(failingKey)
	}
	if !was {
		if err := t.Queue(e.targets(jobstore.Alert{
			Key: run.Key + "/failed", Severity: "error",
			Title: fmt.Sprintf("Job %s failed", e.spec.Name), Lines: []string{run.Error},
		})...); err != nil {
			return err
		}
		prev = failing{Since: e.s.opts.Now().UTC()}
	}
	prev.Runs++
	prev.Error = run.Error
	return t.Put(failingKey, prev)
}

// finish records the end of a run that did not execute (cancelled before
// it started, or a panic).
func (s *Scheduler) finish(ctx context.Context, sp jobstore.Spec, run jobstore.Run) {
	_, err := s.opts.Store.Finish(ctx, run, sp.History, jobstore.Taker{}, nil)
	s.logEnd(sp, run, err)
	s.observe(sp, run)
}

func (s *Scheduler) logEnd(sp jobstore.Spec, run jobstore.Run, err error) {
	if err != nil {
		s.log.Error().Err(err).Str("run", run.Key).Msg("recording the run's end failed")
	}
	s.log.Info().Str("job", sp.Name).Str("run", run.Key).Str("state", string(run.State)).Int("attempt", run.Attempt).
		Str("error", run.Error).Msg("run finished")
}

// taker takes, for this process to deliver at once, the alerts of targets
// it has a notifier for.
func (s *Scheduler) taker() jobstore.Taker {
	return jobstore.Taker{Lease: deliveryLease, Can: s.canDeliver}
}

// targets makes an alert for every target of the job. Keys are built from
// the run key, which a retried run keeps, so the same finding is queued
// once.
func (e *env) targets(a jobstore.Alert) []jobstore.Alert {
	a.Job, a.Run = e.spec.Name, e.run.Key
	out := make([]jobstore.Alert, 0, len(e.spec.Notify))
	for _, t := range e.spec.Notify {
		a.Target = t.String()
		out = append(out, a)
	}
	return out
}

// commit commits what a kind learned and the alerts it leads to in one
// transaction: a crash loses neither, nor queues an alert twice.
func (e *env) commit(ctx context.Context, fn func(*jobstore.StateTx) error) error {
	ready, n, err := e.s.opts.Store.Commit(ctx, e.spec.Name, e.s.taker(), fn)
	e.ready = append(e.ready, ready...)
	e.alerts += n
	return err
}

// report queues an alert with the run's end.
func (e *env) report(a jobstore.Alert) { e.final = append(e.final, e.targets(a)...) }

func (e *env) note(format string, args ...any) {
	e.notes = append(e.notes, fmt.Sprintf(format, args...))
}

// call runs an action through the pipeline as the job. A decision that
// wants a person (confirm, approve) fails the call: nobody is asked at
// 3 a.m.; operators grant jobs in the policy.
func (e *env) call(ctx context.Context, action string, args map[string]any) (*pipeline.Result, error) {
	if e.s.opts.Background != nil {
		ctx = e.s.opts.Background(ctx, e.spec)
	}
	req := pipeline.Request{Action: action, Args: args, Principal: e.spec.Principal(), Surface: principal.SurfaceJob}
	res, err := e.s.opts.Pipeline.Call(ctx, req)
	if err == nil {
		return res, nil
	}
	o := outcome.Of(res, err)
	switch o.Kind {
	case outcome.NeedsConfirmation, outcome.NeedsApproval:
		return nil, fmt.Errorf("%s: rule %s wants %s, and a job cannot ask anyone: grant %s this action in the policy (an allow rule)",
			action, o.Decision.Rule, strings.TrimPrefix(string(o.Kind), "needs_"), e.spec.Principal())
	case outcome.Denied:
		return nil, fmt.Errorf("%s: denied by rule %s: %s", action, o.Decision.Rule, o.Decision.Reason)
	}
	return nil, fmt.Errorf("%s: %w", action, err)
}

// projects resolves the job's projects at this run: refs as they are, and
// every project of an organization (org:<slug>), listed through the
// pipeline like any call.
func (e *env) projects(ctx context.Context) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, p := range e.spec.Projects {
		slug, isOrg := strings.CutPrefix(p, "org:")
		if !isOrg {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
			continue
		}
		refs, err := e.orgProjects(ctx, slug)
		if err != nil {
			return nil, fmt.Errorf("listing the projects of %s: %w", p, err)
		}
		for _, ref := range refs {
			if !seen[ref] {
				seen[ref] = true
				out = append(out, ref)
			}
		}
	}
	return out, nil
}

// Pages of an organization's projects.
const (
	orgPage     = 100 // the API's largest page
	maxOrgPages = 50  // 5,000 projects: past that a job names them
)

// orgProjects lists every project of an organization, page by page, oldest
// first (a stable order while pages are read).
func (e *env) orgProjects(ctx context.Context, slug string) ([]string, error) {
	var out []string
	for page := range maxOrgPages {
		res, err := e.call(ctx, "organization_projects_list", map[string]any{
			"slug": slug, "limit": orgPage, "offset": page * orgPage, "sort": "created_asc",
		})
		if err != nil {
			return nil, err
		}
		refs := refsIn(res.Data)
		out = append(out, refs...)
		if len(refs) < orgPage {
			return out, nil
		}
	}
	return nil, fmt.Errorf("organization %s has over %d projects: name them in the job's projects", slug, maxOrgPages*orgPage)
}

// refsIn reads the refs of organization_projects_list's answer: a list, or
// an object with a list of projects.
func refsIn(data any) []string {
	var list []any
	switch v := data.(type) {
	case []any:
		list = v
	case map[string]any:
		list, _ = v["projects"].([]any)
	}
	var out []string
	for _, item := range list {
		if m, ok := item.(map[string]any); ok {
			if ref, ok := m["ref"].(string); ok {
				out = append(out, ref)
			}
		}
	}
	return out
}

// forEachProject runs fn for every project, going on after a failure, and
// returns the failures together.
func (e *env) forEachProject(ctx context.Context, fn func(ref string) error) error {
	refs, err := e.projects(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, ref := range refs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(ref); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", ref, err))
		}
	}
	return errors.Join(errs...)
}
