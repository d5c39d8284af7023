package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
)

// softDeleteGrace is how long a branch deleted with force=false can be
// restored, as in the API.
const softDeleteGrace = time.Hour

type branch struct {
	id         string
	name       string
	projectRef string // the branch's own project (the parent's ref for the default branch)
	parentRef  string
	gitBranch  string
	notifyURL  string
	isDefault  bool
	persistent bool
	withData   bool
	prNumber   int32
	createdAt  time.Time
	updatedAt  time.Time
	status     timeline // CREATING_PROJECT ... FUNCTIONS_DEPLOYED

	deletionScheduledAt *time.Time
	reviewRequestedAt   *time.Time
}

// branchResponse is BranchResponse.
type branchResponse struct {
	CreatedAt            string  `json:"created_at"`
	DeletionScheduledAt  *string `json:"deletion_scheduled_at,omitempty"`
	GitBranch            string  `json:"git_branch,omitempty"`
	ID                   string  `json:"id"`
	IsDefault            bool    `json:"is_default"`
	Name                 string  `json:"name"`
	NotifyURL            string  `json:"notify_url,omitempty"`
	ParentProjectRef     string  `json:"parent_project_ref"`
	Persistent           bool    `json:"persistent"`
	PrNumber             *int32  `json:"pr_number,omitempty"`
	PreviewProjectStatus string  `json:"preview_project_status,omitempty"`
	ProjectRef           string  `json:"project_ref"`
	ReviewRequestedAt    *string `json:"review_requested_at,omitempty"`
	Status               string  `json:"status"`
	UpdatedAt            string  `json:"updated_at"`
	WithData             bool    `json:"with_data"`
}

func (b *branch) response(st *state, now time.Time) branchResponse {
	r := branchResponse{
		CreatedAt:        rfc3339(b.createdAt),
		GitBranch:        b.gitBranch,
		ID:               b.id,
		IsDefault:        b.isDefault,
		Name:             b.name,
		NotifyURL:        b.notifyURL,
		ParentProjectRef: b.parentRef,
		Persistent:       b.persistent,
		ProjectRef:       b.projectRef,
		Status:           b.status.at(now),
		UpdatedAt:        rfc3339(b.updatedAt),
		WithData:         b.withData,
	}
	if b.prNumber != 0 {
		pr := b.prNumber
		r.PrNumber = &pr
	}
	if p, ok := st.projects[b.projectRef]; ok {
		r.PreviewProjectStatus = p.status.at(now)
	}
	if b.deletionScheduledAt != nil {
		v := rfc3339(*b.deletionScheduledAt)
		r.DeletionScheduledAt = &v
	}
	if b.reviewRequestedAt != nil {
		v := rfc3339(*b.reviewRequestedAt)
		r.ReviewRequestedAt = &v
	}
	return r
}

// purgeBranches completes soft deletions whose grace period is over; it is
// called before every branch lookup, so expiry needs no timer.
func (st *state) purgeBranches(now time.Time) {
	for _, b := range st.branches {
		if b.deletionScheduledAt != nil && !now.Before(*b.deletionScheduledAt) {
			st.deleteBranch(b)
		}
	}
}

func (st *state) deleteBranch(b *branch) {
	delete(st.branches, b.id)
	if child, ok := st.projects[b.projectRef]; ok && child.branchOf != "" {
		st.removeProject(child)
	}
}

// findBranch resolves {branch_id_or_ref}: a branch UUID (deprecated) or the
// branch's project ref.
func (s *Sandbox) findBranch(c *call) (*branch, error) {
	s.st.purgeBranches(c.now)
	key := c.params["branch_id_or_ref"]
	if b, ok := s.st.branches[key]; ok {
		return b, nil
	}
	for _, b := range s.st.branches {
		if b.projectRef == key {
			return b, nil
		}
	}
	return nil, errNotFound("Branch not found: %s", key)
}

func (st *state) branchesOf(parentRef string) []*branch {
	var out []*branch
	for _, b := range st.branches {
		if b.parentRef == parentRef {
			out = append(out, b)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].isDefault != out[j].isDefault {
			return out[i].isDefault
		}
		if !out[i].createdAt.Equal(out[j].createdAt) {
			return out[i].createdAt.Before(out[j].createdAt)
		}
		return out[i].name < out[j].name
	})
	return out
}

func (s *Sandbox) listBranches(c *call) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.requireProject(c)
	if err != nil {
		return reply{}, err
	}
	s.st.purgeBranches(c.now)
	out := []branchResponse{}
	for _, b := range s.st.branchesOf(p.ref) {
		out = append(out, b.response(s.st, c.now))
	}
	return reply{body: out}, nil
}

type createBranchBody struct {
	BranchName          string            `json:"branch_name"`
	DesiredInstanceSize string            `json:"desired_instance_size"`
	GitBranch           string            `json:"git_branch"`
	IsDefault           bool              `json:"is_default"`
	NotifyURL           string            `json:"notify_url"`
	Persistent          bool              `json:"persistent"`
	Region              string            `json:"region"`
	Secrets             map[string]string `json:"secrets"`
	WithData            bool              `json:"with_data"`
}

func (s *Sandbox) createBranch(c *call) (reply, error) {
	var body createBranchBody
	if err := json.Unmarshal(c.body, &body); err != nil {
		return reply{}, errBadRequest("Invalid request body: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	parent, err := s.requireProject(c)
	if err != nil {
		return reply{}, err
	}
	if parent.branchOf != "" {
		return reply{}, errBadRequest("Project %s is itself a branch; create branches on its parent %s", parent.ref, parent.branchOf)
	}
	s.st.purgeBranches(c.now)
	existing := s.st.branchesOf(parent.ref)
	for _, b := range existing {
		if b.name == body.BranchName {
			return reply{}, errConflict("Branch %q already exists on project %s", body.BranchName, parent.ref)
		}
	}
	// Creating the first branch enables branching: the project becomes the
	// default branch.
	if len(existing) == 0 {
		main := &branch{
			id: s.st.newID("branch"), name: "main", projectRef: parent.ref, parentRef: parent.ref, gitBranch: "main",
			isDefault: true, persistent: true, createdAt: c.now, updatedAt: c.now, status: steady("FUNCTIONS_DEPLOYED"),
		}
		s.st.branches[main.id] = main
	}
	region := parent.region
	if body.Region != "" {
		region = body.Region
	}
	s.st.nextProjectID++
	child := newProject(s.st.nextProjectID, s.st.newRef("branch"), body.BranchName, parent.orgSlug, region, c.now,
		transition(c.now, s.delay, statusComingUp, statusActive))
	child.branchOf = parent.ref
	if body.DesiredInstanceSize != "" {
		child.instanceSize = body.DesiredInstanceSize
	}
	for k, v := range body.Secrets {
		child.secrets[k] = secretEntry{value: v, updatedAt: c.now}
	}
	seedProjectKeys(s.st, child)
	s.st.projects[child.ref] = child
	b := &branch{
		id: s.st.newID("branch"), name: body.BranchName, projectRef: child.ref, parentRef: parent.ref,
		gitBranch: body.GitBranch, notifyURL: body.NotifyURL, persistent: body.Persistent, withData: body.WithData,
		createdAt: c.now, updatedAt: c.now,
		status: steps(c.now, s.delay, "CREATING_PROJECT", "RUNNING_MIGRATIONS", "MIGRATIONS_PASSED", "FUNCTIONS_DEPLOYED"),
	}
	s.st.branches[b.id] = b
	return reply{status: http.StatusCreated, body: b.response(s.st, c.now)}, nil
}

func (s *Sandbox) getBranchByName(c *call) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.requireProject(c)
	if err != nil {
		return reply{}, err
	}
	s.st.purgeBranches(c.now)
	for _, b := range s.st.branchesOf(p.ref) {
		if b.name == c.params["name"] {
			return reply{body: b.response(s.st, c.now)}, nil
		}
	}
	return reply{}, errNotFound("Branch %q not found on project %s", c.params["name"], p.ref)
}

// branchDetail is BranchDetailResponse; db_pass and jwt_secret are secrets.
type branchDetail struct {
	DbHost          string `json:"db_host"`
	DbPass          string `json:"db_pass"`
	DbPort          int    `json:"db_port"`
	DbUser          string `json:"db_user"`
	JwtSecret       string `json:"jwt_secret"`
	PostgresEngine  string `json:"postgres_engine"`
	PostgresVersion string `json:"postgres_version"`
	Ref             string `json:"ref"`
	ReleaseChannel  string `json:"release_channel"`
	Status          string `json:"status"`
}

func (s *Sandbox) getBranchConfig(c *call) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.findBranch(c)
	if err != nil {
		return reply{}, err
	}
	p := s.st.projects[b.projectRef]
	if p == nil {
		return reply{}, errNotFound("Branch project not found: %s", b.projectRef)
	}
	dbPass, _ := secretValueFor("db_pass")
	return reply{body: branchDetail{
		DbHost:          p.host(),
		DbPass:          dbPass,
		DbPort:          5432,
		DbUser:          "postgres",
		JwtSecret:       "sandbox-jwt-secret-" + fakeHex("branch/"+b.id, 16),
		PostgresEngine:  p.engine,
		PostgresVersion: p.dbVersion,
		Ref:             p.ref,
		ReleaseChannel:  p.releaseChannel,
		Status:          p.status.at(c.now),
	}}, nil
}

type updateBranchBody struct {
	BranchName    *string `json:"branch_name"`
	GitBranch     *string `json:"git_branch"`
	NotifyURL     *string `json:"notify_url"`
	Persistent    *bool   `json:"persistent"`
	RequestReview *bool   `json:"request_review"`
	ResetOnPush   *bool   `json:"reset_on_push"`
	Status        *string `json:"status"`
}

func (s *Sandbox) updateBranch(c *call) (reply, error) {
	var body updateBranchBody
	if err := json.Unmarshal(c.body, &body); err != nil {
		return reply{}, errBadRequest("Invalid request body: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.findBranch(c)
	if err != nil {
		return reply{}, err
	}
	if body.BranchName != nil && *body.BranchName != b.name {
		for _, other := range s.st.branchesOf(b.parentRef) {
			if other.name == *body.BranchName {
				return reply{}, errConflict("Branch %q already exists on project %s", *body.BranchName, b.parentRef)
			}
		}
		b.name = *body.BranchName
	}
	if body.GitBranch != nil {
		b.gitBranch = *body.GitBranch
	}
	if body.NotifyURL != nil {
		b.notifyURL = *body.NotifyURL
	}
	if body.Persistent != nil {
		b.persistent = *body.Persistent
	}
	if body.RequestReview != nil {
		if *body.RequestReview {
			t := c.now
			b.reviewRequestedAt = &t
		} else {
			b.reviewRequestedAt = nil
		}
	}
	if body.Status != nil {
		b.status = steady(*body.Status)
	}
	b.updatedAt = c.now
	return reply{body: b.response(s.st, c.now)}, nil
}

func (s *Sandbox) deleteBranchHandler(c *call) (reply, error) {
	force := c.query.Get("force") != "false" // the spec's default is true
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.findBranch(c)
	if err != nil {
		return reply{}, err
	}
	if b.isDefault {
		return reply{}, errBadRequest("Cannot delete the default branch %q; disable branching on project %s instead", b.name, b.parentRef)
	}
	if force {
		s.st.deleteBranch(b)
	} else {
		at := c.now.Add(softDeleteGrace)
		b.deletionScheduledAt = &at
		b.updatedAt = c.now
	}
	return reply{body: map[string]string{"message": "ok"}}, nil
}

func (s *Sandbox) restoreBranch(c *call) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.findBranch(c)
	if err != nil {
		return reply{}, err
	}
	if b.deletionScheduledAt == nil {
		return reply{}, errBadRequest("Branch %q is not scheduled for deletion", b.name)
	}
	b.deletionScheduledAt = nil
	b.updatedAt = c.now
	return reply{body: map[string]string{"message": "Branch restoration initiated"}}, nil
}

// branchAction runs push, merge or reset: each starts an action run on the
// branch's project that the caller polls.
func (s *Sandbox) branchAction(kind string) handlerFunc {
	return func(c *call) (reply, error) {
		var body struct {
			MigrationVersion string `json:"migration_version"`
		}
		if len(c.body) > 0 {
			if err := json.Unmarshal(c.body, &body); err != nil {
				return reply{}, errBadRequest("Invalid request body: %v", err)
			}
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		b, err := s.findBranch(c)
		if err != nil {
			return reply{}, err
		}
		if kind == "merge" && b.isDefault {
			return reply{}, errBadRequest("Cannot merge the default branch %q into itself", b.name)
		}
		if b.deletionScheduledAt != nil {
			return reply{}, errBadRequest("Branch %q is scheduled for deletion; restore it first", b.name)
		}
		run := s.st.newRun(b, kind, c.now, s.delay)
		b.updatedAt = c.now
		return reply{status: http.StatusCreated, body: map[string]string{"workflow_run_id": run.id, "message": "ok"}}, nil
	}
}

func (s *Sandbox) diffBranch(c *call) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.findBranch(c)
	if err != nil {
		return reply{}, err
	}
	schemas := c.query.Get("included_schemas")
	if schemas == "" {
		schemas = "public"
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "-- supaops sandbox: canned diff of branch %q (%s) against %s; no database was compared\n", b.name, b.projectRef, b.parentRef)
	for _, schema := range strings.Split(schemas, ",") {
		schema = strings.TrimSpace(schema)
		fmt.Fprintf(&sb, "create table if not exists \"%s\".\"sandbox_%s\" (id bigint generated by default as identity primary key, created_at timestamptz not null default now());\n",
			schema, strings.ReplaceAll(b.name, "-", "_"))
	}
	return reply{raw: []byte(sb.String()), contentType: "text/plain; charset=utf-8"}, nil
}

func (s *Sandbox) disableBranching(c *call) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.requireProject(c)
	if err != nil {
		return reply{}, err
	}
	for _, b := range s.st.branchesOf(p.ref) {
		s.st.deleteBranch(b)
	}
	return reply{}, nil
}
