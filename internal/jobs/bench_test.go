package jobs_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/supaops/supaops/internal/interleave"
	"github.com/supaops/supaops/internal/jobs"
	"github.com/supaops/supaops/internal/jobstore"
	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/principal"
)

// manyJobs writes jobs files (a file holds at most 1,000 jobs) of n jobs
// over a spread of schedules and kinds, none due in the first hour.
func manyJobs(n int, ref string) []string {
	var files []string
	var b strings.Builder
	schedules := []string{"0 3 * * *", "30 4 * * 1-5", "0 8 * * 1", "15 2 1 * *", "0 */6 * * *", "45 23 * * 0"}
	for i := range n {
		if i%1000 == 0 {
			if b.Len() > 0 {
				files = append(files, b.String())
			}
			b.Reset()
			b.WriteString("version: 1\njobs:\n")
		}
		fmt.Fprintf(&b, "  - name: job-%05d\n    schedule: %q\n    timezone: Europe/Berlin\n    projects: [%s]\n    notify: [log]\n", i, schedules[i%len(schedules)], ref)
		switch i % 3 {
		case 0:
			b.WriteString("    kind: advisors\n")
		case 1:
			b.WriteString("    kind: backup\n")
		default:
			b.WriteString("    kind: log_sweep\n    params: {where: \"status_code >= 500\"}\n")
		}
	}
	return append(files, b.String())
}

// BenchmarkScheduler10000Jobs measures a scheduler over 10,000 jobs: the
// first tick (reading and parsing every job) and a tick with nothing due
// (what it costs every second), with the heap the table holds.
func BenchmarkScheduler10000Jobs(b *testing.B) {
	r := newRig(b, rigOptions{})
	for _, file := range manyJobs(10_000, r.seed.ProjectRef) {
		r.apply(file)
	}
	r.clock.Set(t0.Add(time.Second))
	ctx := context.Background()
	newScheduler := func() *jobs.Scheduler {
		s, err := jobs.ForApp(r.app, jobs.Options{Now: r.clock.Now, Notifiers: map[string]jobs.Notifier{"log": r.inbox}})
		if err != nil {
			b.Fatal(err)
		}
		return s
	}
	b.Run("first-tick", func(b *testing.B) {
		var before, after runtime.MemStats
		for b.Loop() {
			s := newScheduler()
			runtime.GC()
			runtime.ReadMemStats(&before)
			if err := s.Tick(ctx); err != nil {
				b.Fatal(err)
			}
			runtime.GC()
			runtime.ReadMemStats(&after)
			runtime.KeepAlive(s)
		}
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "table-MiB")
	})
	b.Run("idle-tick", func(b *testing.B) {
		s := newScheduler()
		if err := s.Tick(ctx); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if err := s.Tick(ctx); err != nil {
				b.Fatal(err)
			}
		}
		if runs, _ := r.app.Jobs.Runs(ctx, "", 1); len(runs) != 0 {
			b.Fatalf("a job ran: %+v", runs)
		}
	})
}

// BenchmarkRunOverhead compares one run of an action job calling
// project_get (the run claimed, the call through the pipeline as the job,
// the run's end recorded with its report queued, the report delivered and
// recorded) with the same call made directly through the pipeline,
// alternating call by call.
func BenchmarkRunOverhead(b *testing.B) {
	r := newRig(b, rigOptions{})
	r.apply(hourlyJob(r.seed.ProjectRef, ""))
	ctx := context.Background()
	s, err := jobs.ForApp(r.app, jobs.Options{Notifiers: map[string]jobs.Notifier{"log": r.inbox}, Owner: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	j, err := r.app.Jobs.Get(ctx, "hourly")
	if err != nil {
		b.Fatal(err)
	}
	tick := time.Duration(0)
	runJob := func() {
		// Each run is its own manual slot: the clock moves a microsecond.
		tick += time.Microsecond
		r.clock.Set(t0.Add(tick))
		run, err := r.app.Jobs.Request(ctx, "hourly", "bench", "bench")
		if err != nil {
			b.Fatal(err)
		}
		if end := s.RunClaimed(ctx, j.Spec, run); end.State != jobstore.Succeeded {
			b.Fatalf("run %s: %s", end.State, end.Error)
		}
	}
	req := pipeline.Request{Action: "project_get", Args: map[string]any{"ref": r.seed.ProjectRef}, Principal: "job:hourly", Surface: principal.SurfaceJob}
	call := func() {
		if _, err := r.app.Pipeline.Call(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
	interleave.Compare(b, "job-run", runJob, "pipeline-call", call)
}
