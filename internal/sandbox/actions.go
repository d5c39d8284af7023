package sandbox

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// runStepNames are the steps of a branch workflow run, in order.
func runStepNames() []string {
	return []string{"clone", "pull", "health", "configure", "migrate", "seed", "deploy"}
}

// actionRun is a branch workflow run (push, merge, reset). Its steps advance
// with time: each takes an equal share of the duration, CREATED before,
// RUNNING during, EXITED after. PATCH .../status overrides a step.
type actionRun struct {
	id         string
	kind       string
	branchID   string
	projectRef string
	createdAt  time.Time
	duration   time.Duration
	overrides  map[string]string
	updatedAt  time.Time
}

func (st *state) newRun(b *branch, kind string, now time.Time, d time.Duration) *actionRun {
	run := &actionRun{
		id: st.newID("run"), kind: kind, branchID: b.id, projectRef: b.projectRef,
		createdAt: now, duration: d, updatedAt: now, overrides: make(map[string]string),
	}
	st.runs[run.id] = run
	if p, ok := st.projects[b.projectRef]; ok {
		p.runIDs = append(p.runIDs, run.id)
	}
	return run
}

func (r *actionRun) stepStatus(i int, now time.Time) string {
	if s, ok := r.overrides[runStepNames()[i]]; ok {
		return s
	}
	n := time.Duration(len(runStepNames()))
	start := r.createdAt.Add(r.duration * time.Duration(i) / n)
	end := r.createdAt.Add(r.duration * time.Duration(i+1) / n)
	switch {
	case now.Before(start):
		return "CREATED"
	case now.Before(end):
		return "RUNNING"
	}
	return "EXITED"
}

type runStep struct {
	CreatedAt string `json:"created_at"`
	Name      string `json:"name"`
	Status    string `json:"status"`
	UpdatedAt string `json:"updated_at"`
}

// actionRunResponse is ActionRunResponse.
type actionRunResponse struct {
	BranchID   string    `json:"branch_id"`
	CheckRunID *float64  `json:"check_run_id"`
	CreatedAt  string    `json:"created_at"`
	GitConfig  any       `json:"git_config"`
	ID         string    `json:"id"`
	RunSteps   []runStep `json:"run_steps"`
	UpdatedAt  string    `json:"updated_at"`
	Workdir    *string   `json:"workdir"`
}

func (r *actionRun) response(now time.Time) actionRunResponse {
	workdir := "/workspace/" + r.projectRef
	out := actionRunResponse{
		BranchID:  r.branchID,
		CreatedAt: rfc3339ms(r.createdAt),
		ID:        r.id,
		UpdatedAt: rfc3339ms(r.updatedAt),
		Workdir:   &workdir,
	}
	names := runStepNames()
	out.RunSteps = make([]runStep, len(names))
	for i, name := range names {
		out.RunSteps[i] = runStep{
			CreatedAt: rfc3339ms(r.createdAt),
			Name:      name,
			Status:    r.stepStatus(i, now),
			UpdatedAt: rfc3339ms(r.createdAt.Add(r.duration * time.Duration(i+1) / time.Duration(len(names)))),
		}
	}
	return out
}

func (s *Sandbox) projectRuns(p *project) []*actionRun {
	out := make([]*actionRun, 0, len(p.runIDs))
	for i := len(p.runIDs) - 1; i >= 0; i-- { // newest first
		if r, ok := s.st.runs[p.runIDs[i]]; ok {
			out = append(out, r)
		}
	}
	return out
}

func (s *Sandbox) listActionRuns(c *call) (reply, error) {
	offset := queryInt(c, "offset", 0)
	limit := queryInt(c, "limit", math.MaxInt32)
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.requireProject(c)
	if err != nil {
		return reply{}, err
	}
	out := []actionRunResponse{}
	for i, r := range s.projectRuns(p) {
		if i >= offset && len(out) < limit {
			out = append(out, r.response(c.now))
		}
	}
	return reply{body: out}, nil
}

func (s *Sandbox) countActionRuns(c *call) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.requireProject(c)
	if err != nil {
		return reply{}, err
	}
	n := len(s.projectRuns(p))
	return reply{header: map[string]string{"X-Total-Count": strconv.Itoa(n)}}, nil
}

func (s *Sandbox) requireRun(c *call) (*actionRun, error) {
	if _, err := s.requireProject(c); err != nil {
		return nil, err
	}
	r, ok := s.st.runs[c.params["run_id"]]
	if !ok || r.projectRef != c.params["ref"] {
		return nil, errNotFound("Action run not found: %s", c.params["run_id"])
	}
	return r, nil
}

func (s *Sandbox) getActionRun(c *call) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.requireRun(c)
	if err != nil {
		return reply{}, err
	}
	return reply{body: r.response(c.now)}, nil
}

func (s *Sandbox) getActionRunLogs(c *call) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.requireRun(c)
	if err != nil {
		return reply{}, err
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "supaops sandbox: simulated %s run %s on %s (nothing was executed)\n", r.kind, r.id, r.projectRef)
	for i, name := range runStepNames() {
		switch r.stepStatus(i, c.now) {
		case "CREATED":
			continue
		case "RUNNING":
			fmt.Fprintf(&sb, "[%s] running...\n", name)
		default:
			fmt.Fprintf(&sb, "[%s] %s: done\n", name, r.stepStatus(i, c.now))
		}
	}
	return reply{raw: []byte(sb.String()), contentType: "text/plain; charset=utf-8"}, nil
}

func (s *Sandbox) updateActionRunStatus(c *call) (reply, error) {
	var body map[string]string
	if err := json.Unmarshal(c.body, &body); err != nil {
		return reply{}, errBadRequest("Invalid request body: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.requireRun(c)
	if err != nil {
		return reply{}, err
	}
	for step, status := range body {
		r.overrides[step] = status
	}
	r.updatedAt = c.now
	return reply{body: map[string]string{"message": "ok"}}, nil
}

// queryInt reads an integer query parameter (validated already), or def.
func queryInt(c *call, name string, def int) int {
	v := c.query.Get(name)
	if v == "" {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return def
	}
	return int(f)
}
