package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/supaops/supaops/internal/composite"

	"github.com/rs/zerolog"

	"github.com/supaops/supaops/internal/app"
	"github.com/supaops/supaops/internal/client"
	"github.com/supaops/supaops/internal/jobs"
	"github.com/supaops/supaops/internal/jobstore"
	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/principal"
)

const jobsUsage = `supaops-mcp jobs manages the scheduled jobs kept in the store.

  jobs list [--format table|json]          the jobs, when each runs next, its last run
  jobs show NAME                           a job's spec and recent runs
  jobs runs [NAME] [--limit N] [--format table|json]
  jobs check FILE                          check a jobs file (no store needed)
  jobs apply FILE [--prune]                create or update the jobs of FILE ("-": stdin);
                                           --prune removes the jobs FILE does not name
  jobs pause|resume|remove NAME
  jobs run NAME [--now] [--sandbox | --api-url URL] [--rate-limit N] [--queue]
                                           run a job now, here, and wait for its end;
                                           --queue asks the running scheduler instead

Each is an action (jobs_list, job_apply, ...) decided by the policy and
recorded in the audit log; a change asks for confirmation under the default
policy (--confirm TOKEN, or yes at a terminal). The scheduler runs in
supaops-slackbot (or supaops-slackbot --jobs-only). See examples/jobs.yaml.
`

// jobsAction maps a jobs subcommand to its action.
var jobsAction = map[string]string{
	"list": "jobs_list", "show": "job_get", "runs": "job_runs_list", "apply": "job_apply",
	"pause": "job_pause", "resume": "job_resume", "remove": "job_remove", "run": "job_trigger",
}

func runJobs(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, jobsUsage)
		return nil
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("jobs "+sub, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var f stackFlags
	fs.StringVar(&f.policy, "policy", "", "policy file (default: SUPAOPS_POLICY, else the shipped default)")
	fs.StringVar(&f.store, "store", "", "store file (default: SUPAOPS_STORE, else ~/.local/state/supaops/supaops.db)")
	fs.BoolVar(&f.sandbox, "sandbox", false, "run: call the in-process sandbox instead of the real API")
	fs.StringVar(&f.apiURL, "api-url", "", "run: Management API base URL")
	app.RateLimitFlag(fs, &f.rateLimit)
	format := fs.String("format", "table", "list, runs: table or json")
	limit := fs.Int("limit", 20, "runs: at most this many")
	prune := fs.Bool("prune", false, "apply: remove the jobs the file does not name")
	queue := fs.Bool("queue", false, "run: ask the running scheduler to run it, and return")
	now := fs.Bool("now", false, "run: here, now, waiting for its end (the default)")
	confirm := fs.String("confirm", "", "the confirmation or approval token a previous attempt handed out")
	flags, positional := splitArgs(args, map[string]bool{
		"policy": true, "store": true, "api-url": true, "format": true, "limit": true, "confirm": true, "rate-limit": true,
	})
	if err := fs.Parse(flags); err != nil {
		return usagef("jobs %s: %v", sub, err)
	}
	if *format != "table" && *format != "json" {
		return usagef("jobs %s: unknown format %q (table, json)", sub, *format)
	}
	if *now && *queue {
		return usagef("jobs run: --now runs it here, --queue asks the scheduler; choose one")
	}
	if sub == "check" {
		return checkJobsFile(positional, stdin, stdout)
	}
	actionName, ok := jobsAction[sub]
	if !ok {
		return usagef("jobs: unknown subcommand %q (list, show, runs, check, apply, pause, resume, remove, run)", sub)
	}
	callArgs, err := jobsArgs(sub, positional, *limit, *prune, *queue, stdin)
	if err != nil {
		return err
	}
	foreground := sub == "run" && !*queue
	if !foreground && (f.sandbox || f.apiURL != "" || f.rateLimit != (client.Budget{})) {
		return usagef("jobs %s: --sandbox, --api-url and --rate-limit are for jobs run: the other subcommands do not call the API", sub)
	}
	opts := app.Options{API: true, LocalOnly: !foreground}
	a, log, err := open(ctx, f, opts, true, getenv, stderr)
	if err != nil {
		return err
	}
	act, err := a.Registry.Lookup(actionName)
	if err != nil {
		return err
	}
	req := pipeline.Request{Action: actionName, Args: callArgs, Principal: principal.CLILocal, Surface: principal.SurfaceCLI, Confirmation: *confirm}
	res, err := callAndConfirm(ctx, a.Pipeline, act, req, stdin, stdout, stderr)
	if err != nil {
		return err
	}
	if foreground {
		return runInForeground(ctx, a, res, log, stdout, stderr)
	}
	if *format == "table" {
		switch sub {
		case "list":
			return printJobsTable(stdout, res.Data)
		case "runs":
			return printRunsTable(stdout, res.Data)
		}
	}
	return printResult(stdout, res)
}

// jobsArgs builds the action's arguments from the command line.
func jobsArgs(sub string, positional []string, limit int, prune, queue bool, stdin io.Reader) (map[string]any, error) {
	args := map[string]any{}
	wantName := map[string]bool{"show": true, "pause": true, "resume": true, "remove": true, "run": true}[sub]
	switch {
	case sub == "list" && len(positional) > 0:
		return nil, usagef("jobs list: unexpected argument %q", positional[0])
	case sub == "runs" && len(positional) > 1, wantName && len(positional) != 1:
		return nil, usagef("jobs %s: want one job name", sub)
	case sub == "apply" && len(positional) != 1:
		return nil, usagef("jobs apply: want one jobs file (or - for stdin)")
	}
	if wantName || sub == "runs" && len(positional) == 1 {
		args["name"] = positional[0]
	}
	switch sub {
	case "runs":
		if limit < 1 || limit > 200 {
			return nil, usagef("jobs runs --limit %d: want 1 to 200", limit)
		}
		args["limit"] = limit
	case "list":
		args["limit"] = 1000
	case "apply":
		text, err := readJobsFile(positional[0], stdin)
		if err != nil {
			return nil, err
		}
		args["spec"] = string(text)
		if prune {
			args["prune"] = true
		}
	case "run":
		args["foreground"] = !queue
	}
	return args, nil
}

// maxJobsFile matches job_apply's limit on its spec.
const maxJobsFile = 1 << 20

func readJobsFile(path string, stdin io.Reader) ([]byte, error) {
	var r io.Reader
	if path == "-" {
		r = stdin
	} else {
		f, err := os.Open(path) //nolint:gosec // the operator's own file
		if err != nil {
			return nil, fmt.Errorf("reading the jobs file: %w", err)
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, maxJobsFile+1))
	if err != nil {
		return nil, fmt.Errorf("reading the jobs file %s: %w", path, err)
	}
	if len(data) > maxJobsFile {
		return nil, fmt.Errorf("the jobs file %s is over 1 MiB", path)
	}
	return data, nil
}

// checkJobsFile checks a jobs file as job_apply would, without a store.
func checkJobsFile(positional []string, stdin io.Reader, stdout io.Writer) error {
	if len(positional) != 1 {
		return usagef("jobs check: want one jobs file (or - for stdin)")
	}
	data, err := readJobsFile(positional[0], stdin)
	if err != nil {
		return err
	}
	reg, err := composite.Load()
	if err != nil {
		return err
	}
	name := positional[0]
	if name == "-" {
		name = "stdin"
	}
	specs, err := jobstore.Parse(name, data, jobstore.LoadOptions{Actions: func(a string) bool { _, ok := reg.Find(a); return ok }})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d job(s), all valid\n", name, len(specs))
	return nil
}

// runInForeground runs the run job_trigger claimed for this process, with
// a scheduler of its own (the job's calls go through the pipeline as
// job:<name>), and reports how it ended.
func runInForeground(ctx context.Context, a *app.App, res *pipeline.Result, log zerolog.Logger, stdout, stderr io.Writer) error {
	run, err := decodeRun(res.Data)
	if err != nil {
		return err
	}
	job, err := a.Jobs.Get(ctx, run.Job)
	if err != nil {
		return err
	}
	notifiers := map[string]jobs.Notifier{
		jobstore.TargetLog:     jobs.LogNotifier{Log: log},
		jobstore.TargetWebhook: jobs.WebhookNotifier{},
	}
	s, err := jobs.ForApp(a, jobs.Options{Owner: run.Owner, Notifiers: notifiers, Logger: log})
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "running %s (%s) here…\n", run.Job, run.Key)
	end := s.RunClaimed(ctx, job.Spec, run)
	s.Deliver(context.WithoutCancel(ctx))
	if err := printResult(stdout, &pipeline.Result{Data: end}); err != nil {
		return err
	}
	if end.State != jobstore.Succeeded {
		return fmt.Errorf("run %s %s: %s", end.Key, end.State, end.Error)
	}
	return nil
}

func decodeRun(data any) (jobstore.Run, error) {
	var run jobstore.Run
	b, err := json.Marshal(data)
	if err == nil {
		err = json.Unmarshal(b, &run)
	}
	if err != nil {
		return run, fmt.Errorf("reading job_trigger's answer: %w", err)
	}
	if run.Key == "" {
		return run, errors.New("job_trigger answered something that is not a run")
	}
	return run, nil
}

func printJobsTable(w io.Writer, data any) error {
	var list struct {
		Jobs  []jobstore.JobView `json:"jobs"`
		Total int                `json:"total"`
	}
	if err := remarshal(data, &list); err != nil {
		return err
	}
	if len(list.Jobs) == 0 {
		_, err := fmt.Fprintln(w, "no jobs (apply a jobs file: supaops-mcp jobs apply FILE; see examples/jobs.yaml)")
		return err
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKIND\tSCHEDULE\tNEXT\tLAST RUN")
	for _, j := range list.Jobs {
		next := "paused"
		if !j.Paused {
			next = when(j.Next)
		}
		last := "-"
		if j.LastRun != nil {
			last = fmt.Sprintf("%s %s", j.LastRun.State, when(j.LastRun.Scheduled))
		}
		sched := j.Schedule
		if j.Timezone != "" && j.Timezone != "UTC" {
			sched += " (" + j.Timezone + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", j.Name, j.Kind, sched, next, last)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if list.Total > len(list.Jobs) {
		fmt.Fprintf(w, "(%d of %d jobs: see --format json and jobs_list's after)\n", len(list.Jobs), list.Total)
	}
	return nil
}

func printRunsTable(w io.Writer, data any) error {
	var runs []jobstore.Run
	if err := remarshal(data, &runs); err != nil {
		return err
	}
	if len(runs) == 0 {
		_, err := fmt.Fprintln(w, "no runs yet")
		return err
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tSTATE\tATTEMPT\tTOOK\tWHAT")
	for _, r := range runs {
		took := "-"
		if !r.Finished.IsZero() && !r.Started.IsZero() {
			took = r.Finished.Sub(r.Started).Round(time.Millisecond).String()
		}
		what := r.Summary
		if r.Error != "" {
			what = r.Error
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", r.Key, r.State, r.Attempt, took, oneLine(what, 100))
	}
	return tw.Flush()
}

func remarshal(in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04Z")
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
