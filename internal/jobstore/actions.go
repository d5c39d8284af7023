package jobstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/supaops/supaops/internal/action"
	"github.com/supaops/supaops/internal/principal"
	"github.com/supaops/supaops/internal/tools"
)

// Toolset is the toolset of the jobs' actions.
const Toolset = "jobs"

// ErrNoStore is returned by the jobs' actions in a process without a store.
var ErrNoStore = errors.New("jobs need the store, and this process has none")

// Actions are the jobs as local actions of the registry: reads for agents
// and people (jobs_list, job_get, job_runs_list) and the changes
// (job_apply, job_remove, job_pause, job_resume, job_trigger), each decided
// by the policy and recorded like any call. st may be nil (a process with
// no store): the actions then exist for the policy and refuse to run.
// knownAction checks the action of kind action jobs.
func Actions(st *Store, knownAction func(string) bool) ([]*tools.Action, error) {
	nameArg := `"name":{"type":"string","pattern":"^[a-z0-9][a-z0-9-]{0,62}$","description":"The job's name."}`
	defs := []struct {
		name, summary string
		risk          action.Risk
		schema        string
		run           func(ctx context.Context, st *Store, args map[string]any) (any, error)
	}{
		{"jobs_list", "List the scheduled jobs: schedule, kind, projects, paused, when each runs next, and its last run.", action.Read,
			`{"type":"object","properties":{"limit":{"type":"integer","minimum":1,"maximum":1000,"description":"At most this many jobs, by name (default 100)."},"after":{"type":"string","maxLength":63,"description":"Only jobs named after this one: the next page."}},"additionalProperties":false}`, list},
		{"job_get", "A scheduled job's spec and its recent runs.", action.Read,
			`{"type":"object","properties":{` + nameArg + `},"required":["name"],"additionalProperties":false}`, get},
		{"job_runs_list", "Recent runs of a job (or of every job): state, times, summary, error.", action.Read,
			`{"type":"object","properties":{` + nameArg + `,"limit":{"type":"integer","minimum":1,"maximum":200}},"additionalProperties":false}`, runs},
		{"job_apply", "Create or update jobs from a jobs file (YAML): declarative and idempotent. With prune, jobs the file does not name are removed.", action.Write,
			`{"type":"object","properties":{"spec":{"type":"string","minLength":1,"maxLength":1048576,"description":"The jobs file, YAML (see examples/jobs.yaml).","examples":["version: 1\njobs: []\n"]},"prune":{"type":"boolean"}},"required":["spec"],"additionalProperties":false}`,
			func(ctx context.Context, st *Store, args map[string]any) (any, error) {
				return apply(ctx, st, args, knownAction)
			}},
		{"job_remove", "Remove a job and what it remembers (cursors, reported lints); its runs stay in the history.", action.Write,
			`{"type":"object","properties":{` + nameArg + `},"required":["name"],"additionalProperties":false}`, remove},
		{"job_pause", "Pause a job: it runs no more until resumed.", action.Write,
			`{"type":"object","properties":{` + nameArg + `},"required":["name"],"additionalProperties":false}`, pause(true)},
		{"job_resume", "Resume a paused job.", action.Write,
			`{"type":"object","properties":{` + nameArg + `},"required":["name"],"additionalProperties":false}`, pause(false)},
		{"job_trigger", "Run a job now, once, besides its schedule.", action.Write,
			`{"type":"object","properties":{` + nameArg + `,"foreground":{"type":"boolean","description":"Taken by the caller, who runs it in the foreground (supaops-mcp jobs run)."}},"required":["name"],"additionalProperties":false}`, trigger},
	}
	out := make([]*tools.Action, 0, len(defs))
	for _, d := range defs {
		run := d.run
		desc := action.Action{Name: d.name, Toolset: Toolset, Risk: d.risk, Summary: d.summary, InputSchema: []byte(d.schema)}
		if d.name == "job_apply" {
			// A jobs file may hold webhook URLs, which carry their secret:
			// the audit log records what changed (names, digests), not the
			// file.
			desc.Secrets = []string{"spec"}
		}
		a, err := tools.NewLocal(desc, func(ctx context.Context, args map[string]any) (any, error) {
			if st == nil {
				return nil, ErrNoStore
			}
			return run(ctx, st, args)
		})
		if err != nil {
			return nil, err
		}
		if d.name == "job_apply" {
			a.WithCheck(func(args map[string]any) []tools.FieldProblem {
				text, _ := args["spec"].(string)
				if _, err := Parse("jobs file", []byte(text), LoadOptions{Actions: knownAction}); err != nil {
					return []tools.FieldProblem{{Field: "spec", Problem: err.Error()}}
				}
				return nil
			})
		}
		out = append(out, a)
	}
	return out, nil
}

// JobView is a job as the reads show it.
type JobView struct {
	Name     string    `json:"name"`
	Kind     string    `json:"kind"`
	Schedule string    `json:"schedule"`
	Timezone string    `json:"timezone,omitempty"`
	Projects []string  `json:"projects,omitempty"`
	Notify   []string  `json:"notify,omitempty"`
	Paused   bool      `json:"paused"`
	Applied  time.Time `json:"applied"`
	// Next is the slot the job runs at next (absent when paused).
	Next    time.Time `json:"next,omitzero"`
	LastRun *Run      `json:"last_run,omitempty"`
}

// NextSlot is when a job runs next, from the latest slot claimed (zero if
// none), or zero when paused or unreadable. schedules caches time zones
// across calls.
func NextSlot(schedules *Schedules, j Job, last time.Time) time.Time {
	sched, err := schedules.Of(j.Spec)
	if err != nil || j.Spec.Paused {
		return time.Time{}
	}
	from := j.Applied
	if last.After(from) {
		from = last
	}
	return sched.Next(from)
}

func list(ctx context.Context, st *Store, args map[string]any) (any, error) {
	limit := 100
	if n, ok := tools.IntValue(args["limit"]); ok {
		limit = n
	}
	after, _ := args["after"].(string)
	snap, err := st.Snapshot(ctx, 0, true)
	if err != nil {
		return nil, err
	}
	out := make([]JobView, 0, min(limit, len(snap.Jobs)))
	schedules := NewSchedules()
	more := false
	for _, j := range snap.Jobs {
		if j.Spec.Name <= after {
			continue
		}
		if len(out) == limit {
			more = true
			break
		}
		v := JobView{Name: j.Spec.Name, Kind: j.Spec.Kind, Schedule: j.Spec.Schedule, Timezone: j.Spec.Timezone,
			Projects: j.Spec.Projects, Paused: j.Spec.Paused, Applied: j.Applied, Next: NextSlot(schedules, j, snap.Last[j.Spec.Name])}
		for _, t := range j.Spec.Notify {
			v.Notify = append(v.Notify, t.Shown())
		}
		if last, err := st.Runs(ctx, j.Spec.Name, 1); err == nil && len(last) == 1 {
			v.LastRun = &last[0]
		}
		out = append(out, v)
	}
	res := map[string]any{"jobs": out, "total": len(snap.Jobs)}
	if more {
		res["next_after"] = out[len(out)-1].Name
	}
	return res, nil
}

func get(ctx context.Context, st *Store, args map[string]any) (any, error) {
	name, _ := args["name"].(string)
	j, err := st.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	recent, err := st.Runs(ctx, name, 10)
	if err != nil {
		return nil, err
	}
	last, err := st.LastScheduled(ctx, name)
	if err != nil {
		return nil, err
	}
	next := NextSlot(NewSchedules(), j, last)
	j.Spec = j.Spec.Masked()
	out := map[string]any{"job": j, "runs": recent}
	if !next.IsZero() {
		out["next"] = next
	}
	return out, nil
}

func runs(ctx context.Context, st *Store, args map[string]any) (any, error) {
	name, _ := args["name"].(string)
	limit := 20
	if n, ok := tools.IntValue(args["limit"]); ok {
		limit = n
	}
	return st.Runs(ctx, name, limit)
}

func apply(ctx context.Context, st *Store, args map[string]any, knownAction func(string) bool) (any, error) {
	text, _ := args["spec"].(string)
	pruneOthers, _ := args["prune"].(bool)
	specs, err := Parse("jobs file", []byte(text), LoadOptions{Actions: knownAction})
	if err != nil {
		return nil, err
	}
	changes, err := st.Apply(ctx, specs, caller(ctx), pruneOthers)
	if err != nil {
		return nil, err
	}
	return map[string]any{"changes": changes, "jobs": len(specs)}, nil
}

func remove(ctx context.Context, st *Store, args map[string]any) (any, error) {
	name, _ := args["name"].(string)
	if err := st.Remove(ctx, name); err != nil {
		return nil, err
	}
	return map[string]any{"removed": name}, nil
}

func pause(paused bool) func(ctx context.Context, st *Store, args map[string]any) (any, error) {
	return func(ctx context.Context, st *Store, args map[string]any) (any, error) {
		name, _ := args["name"].(string)
		j, err := st.SetPaused(ctx, name, paused, caller(ctx))
		if err != nil {
			return nil, err
		}
		return map[string]any{"name": name, "paused": j.Spec.Paused}, nil
	}
}

func trigger(ctx context.Context, st *Store, args map[string]any) (any, error) {
	name, _ := args["name"].(string)
	owner := ""
	if fg, _ := args["foreground"].(bool); fg {
		// The caller runs it in its own process: only a command line can
		// (a run taken by nobody would wait for its lease to lapse).
		if !strings.HasPrefix(caller(ctx), "cli:") {
			return nil, errors.New("foreground: a run in the caller's process is for supaops-mcp jobs run; leave it out to have the scheduler run the job")
		}
		owner = fmt.Sprintf("foreground:%s:%d", caller(ctx), os.Getpid())
	}
	return st.Request(ctx, name, caller(ctx), owner)
}

// caller is who called the action, as the pipeline put it in the context.
func caller(ctx context.Context) string {
	if p, ok := principal.From(ctx); ok {
		return p.ID
	}
	return ""
}
