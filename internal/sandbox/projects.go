package sandbox

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/supaops/supaops/internal/client"
)

// Project statuses the sandbox moves through.
const (
	statusActive    = "ACTIVE_HEALTHY"
	statusComingUp  = "COMING_UP"
	statusInactive  = "INACTIVE"
	statusPausing   = "PAUSING"
	statusRestoring = "RESTORING"
	statusUpgrading = "UPGRADING"
	statusResizing  = "RESIZING"
	statusRestart   = "RESTARTING"
)

type project struct {
	id             int
	ref            string
	name           string
	orgSlug        string
	region         string
	createdAt      time.Time
	status         timeline
	dbVersion      string
	engine         string
	releaseChannel string
	instanceSize   string

	// branchOf is the parent project ref of a preview branch's project.
	branchOf string

	functions     map[string]*function
	secrets       map[string]secretEntry
	apiKeys       []*apiKey
	legacyKeys    bool
	signingKeys   []*signingKey
	ssoProviders  []map[string]any
	thirdParty    []map[string]any
	backups       []backupEntry
	pitr          bool
	restorePoints map[string]*restorePoint
	// restorePointOutcome is the terminal status of restore points created
	// from now on: AVAILABLE, or FAILED on command.
	restorePointOutcome string
	// lints holds the advisors' lints per kind once a test set them; a kind
	// absent here answers the canned lints.
	lints map[AdvisorKind][]Lint
	// logs holds appended log rows; nil answers canned rows (analytics.go).
	logs        *logStore
	migrations  []*migration
	upgrades    map[string]*upgrade
	lastUpgrade string
	runIDs      []string
}

func newProject(id int, ref, name, orgSlug, region string, created time.Time, status timeline) *project {
	return &project{
		id:             id,
		ref:            ref,
		name:           name,
		orgSlug:        orgSlug,
		region:         region,
		createdAt:      created,
		status:         status,
		dbVersion:      "17.4.1.054",
		engine:         "17",
		releaseChannel: "ga",
		instanceSize:   "micro",
		functions:      make(map[string]*function),
		secrets:        make(map[string]secretEntry),
		legacyKeys:     true,
		restorePoints:  make(map[string]*restorePoint),
		lints:          make(map[AdvisorKind][]Lint),
		upgrades:       make(map[string]*upgrade),
	}
}

func (p *project) host() string { return "db." + p.ref + ".supabase.co" }

func (p *project) withDatabase(st *state, now time.Time) client.V1ProjectWithDatabaseResponse {
	var r client.V1ProjectWithDatabaseResponse
	r.CreatedAt = rfc3339ms(p.createdAt)
	r.Database.Host = p.host()
	r.Database.PostgresEngine = p.engine
	r.Database.ReleaseChannel = p.releaseChannel
	r.Database.Version = p.dbVersion
	r.Id = p.ref
	r.Name = p.name
	r.OrganizationId = st.orgBySlug[p.orgSlug].id
	r.OrganizationSlug = p.orgSlug
	r.Ref = p.ref
	r.Region = p.region
	r.Status = client.V1ProjectWithDatabaseResponseStatus(p.status.at(now))
	return r
}

func (p *project) summary(st *state, now time.Time) client.V1ProjectResponse {
	return client.V1ProjectResponse{
		CreatedAt:        rfc3339ms(p.createdAt),
		Id:               p.ref,
		Name:             p.name,
		OrganizationId:   st.orgBySlug[p.orgSlug].id,
		OrganizationSlug: p.orgSlug,
		Ref:              p.ref,
		Region:           p.region,
		Status:           client.V1ProjectResponseStatus(p.status.at(now)),
	}
}

// requireProject finds the project named by the ref path parameter. The
// caller holds s.mu.
func (s *Sandbox) requireProject(c *call) (*project, error) {
	ref := c.params["ref"]
	p, ok := s.st.projects[ref]
	if !ok {
		return nil, errNotFound("Project not found: %s", ref)
	}
	return p, nil
}

func (s *Sandbox) listProjects(c *call) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []client.V1ProjectWithDatabaseResponse{}
	for _, p := range s.st.sortedProjects(func(p *project) bool { return p.branchOf == "" }) {
		out = append(out, p.withDatabase(s.st, c.now))
	}
	return reply{body: out}, nil
}

func (s *Sandbox) getProject(c *call) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.requireProject(c)
	if err != nil {
		return reply{}, err
	}
	return reply{body: p.withDatabase(s.st, c.now)}, nil
}

func (s *Sandbox) createProject(c *call) (reply, error) {
	var body client.V1CreateProjectBody
	if err := json.Unmarshal(c.body, &body); err != nil {
		return reply{}, errBadRequest("Invalid request body: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	org, ok := s.st.orgBySlug[body.OrganizationSlug]
	if !ok {
		return reply{}, errNotFound("Organization not found: %s", body.OrganizationSlug)
	}
	for _, p := range s.st.projects {
		if p.orgSlug == org.slug && p.name == body.Name && p.branchOf == "" {
			return reply{}, errConflict("A project named %q already exists in organization %s", body.Name, org.slug)
		}
	}
	region := "us-east-1"
	if body.Region != nil {
		region = string(*body.Region)
	}
	if rs := body.RegionSelection; rs != nil {
		if specific, err := rs.AsV1CreateProjectBodyRegionSelection0(); err == nil && specific.Type == "specific" {
			region = string(specific.Code)
		}
	}
	s.st.nextProjectID++
	p := newProject(s.st.nextProjectID, s.st.newRef("sbx"), body.Name, org.slug, region, c.now,
		transition(c.now, s.delay, statusComingUp, statusActive))
	if body.DesiredInstanceSize != nil {
		p.instanceSize = string(*body.DesiredInstanceSize)
	}
	seedProjectKeys(s.st, p)
	s.st.projects[p.ref] = p
	return reply{status: http.StatusCreated, body: p.summary(s.st, c.now)}, nil
}

func (s *Sandbox) updateProject(c *call) (reply, error) {
	var body client.V1UpdateProjectBody
	if err := json.Unmarshal(c.body, &body); err != nil {
		return reply{}, errBadRequest("Invalid request body: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.requireProject(c)
	if err != nil {
		return reply{}, err
	}
	p.name = body.Name
	return reply{body: client.V1ProjectRefResponse{Id: p.id, Name: p.name, Ref: p.ref}}, nil
}

func (s *Sandbox) deleteProject(c *call) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.requireProject(c)
	if err != nil {
		return reply{}, err
	}
	s.st.removeProject(p)
	return reply{body: client.V1ProjectRefResponse{Id: p.id, Name: p.name, Ref: p.ref}}, nil
}

// removeProject forgets a project, its preview branches and its documents.
func (st *state) removeProject(p *project) {
	delete(st.projects, p.ref)
	prefix := "/v1/projects/" + p.ref + "/"
	for k := range st.docs {
		if strings.HasPrefix(k, prefix) {
			delete(st.docs, k)
		}
	}
	for id, b := range st.branches {
		if b.parentRef == p.ref || b.projectRef == p.ref {
			delete(st.branches, id)
			if child, ok := st.projects[b.projectRef]; ok && child.branchOf == p.ref {
				st.removeProject(child)
			}
		}
	}
}

// orgProjectsPage is OrganizationProjectsResponse.
type orgProjectsPage struct {
	Pagination struct {
		Count  int `json:"count"`
		Limit  int `json:"limit"`
		Offset int `json:"offset"`
	} `json:"pagination"`
	Projects []orgProject `json:"projects"`
}

type orgProject struct {
	CloudProvider string        `json:"cloud_provider"`
	Databases     []orgDatabase `json:"databases"`
	InsertedAt    string        `json:"inserted_at"`
	IsBranch      bool          `json:"is_branch"`
	Name          string        `json:"name"`
	Ref           string        `json:"ref"`
	Region        string        `json:"region"`
	Status        string        `json:"status"`
}

type orgDatabase struct {
	CloudProvider    string `json:"cloud_provider"`
	DiskType         string `json:"disk_type"`
	DiskVolumeSizeGb int    `json:"disk_volume_size_gb"`
	Identifier       string `json:"identifier"`
	InfraComputeSize string `json:"infra_compute_size"`
	Region           string `json:"region"`
	Status           string `json:"status"`
	Type             string `json:"type"`
}

// databaseStatus maps a project status onto the narrower database enum.
func databaseStatus(projectStatus string) string {
	switch projectStatus {
	case statusActive, statusComingUp, statusRestoring, statusResizing, statusRestart, "ACTIVE_UNHEALTHY", "GOING_DOWN", "INIT_FAILED", "REMOVED":
		return projectStatus
	case statusPausing:
		return "GOING_DOWN"
	case statusUpgrading:
		return statusRestart
	}
	return "UNKNOWN"
}

func (s *Sandbox) listOrgProjects(c *call) (reply, error) {
	offset, _ := strconv.Atoi(c.query.Get("offset"))
	limit := 100
	if v := c.query.Get("limit"); v != "" {
		limit, _ = strconv.Atoi(v)
	}
	search := strings.ToLower(c.query.Get("search"))
	statuses := map[string]bool{}
	for _, st := range strings.Split(c.query.Get("statuses"), ",") {
		if st = strings.TrimSpace(st); st != "" {
			statuses[st] = true
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	org, ok := s.st.orgBySlug[c.params["slug"]]
	if !ok {
		return reply{}, errNotFound("Organization not found: %s", c.params["slug"])
	}
	matched := s.st.sortedProjects(func(p *project) bool {
		if p.orgSlug != org.slug {
			return false
		}
		if search != "" && !strings.Contains(strings.ToLower(p.name), search) && !strings.Contains(p.ref, search) {
			return false
		}
		return len(statuses) == 0 || statuses[p.status.at(c.now)]
	})
	switch c.query.Get("sort") {
	case "name_desc":
		sort.SliceStable(matched, func(i, j int) bool { return matched[i].name > matched[j].name })
	case "created_asc":
		// sortedProjects is already oldest first.
	case "created_desc":
		sort.SliceStable(matched, func(i, j int) bool { return matched[i].createdAt.After(matched[j].createdAt) })
	default: // name_asc
		sort.SliceStable(matched, func(i, j int) bool { return matched[i].name < matched[j].name })
	}
	page := orgProjectsPage{Projects: []orgProject{}}
	page.Pagination.Count = len(matched)
	page.Pagination.Limit = limit
	page.Pagination.Offset = offset
	for i := offset; i < len(matched) && i < offset+limit; i++ {
		p := matched[i]
		status := p.status.at(c.now)
		page.Projects = append(page.Projects, orgProject{
			CloudProvider: "AWS",
			Databases: []orgDatabase{{
				CloudProvider: "AWS", DiskType: "gp3", DiskVolumeSizeGb: 8, Identifier: p.ref,
				InfraComputeSize: p.instanceSize, Region: p.region, Status: databaseStatus(status), Type: "PRIMARY",
			}},
			InsertedAt: rfc3339ms(p.createdAt),
			IsBranch:   p.branchOf != "",
			Name:       p.name,
			Ref:        p.ref,
			Region:     p.region,
			Status:     status,
		})
	}
	return reply{body: page}, nil
}

// serviceHealth is V1ServiceHealthResponse.
type serviceHealth struct {
	Healthy bool           `json:"healthy"`
	Info    map[string]any `json:"info,omitempty"`
	Name    string         `json:"name"`
	Status  string         `json:"status"`
	Error   string         `json:"error,omitempty"`
}

func (s *Sandbox) projectHealth(c *call) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.requireProject(c)
	if err != nil {
		return reply{}, err
	}
	status := p.status.at(c.now)
	out := []serviceHealth{}
	for _, name := range c.query["services"] {
		h := serviceHealth{Name: name}
		switch status {
		case statusActive:
			h.Healthy, h.Status = true, statusActive
		case statusComingUp, statusRestoring, statusRestart, statusUpgrading, statusResizing:
			h.Status = statusComingUp
		default:
			h.Status, h.Error = "UNHEALTHY", "project is "+status
		}
		switch name {
		case "auth":
			h.Info = map[string]any{"name": "GoTrue", "version": "v2.170.0", "description": "GoTrue is a user registration and authentication API (supaops sandbox)"}
		case "realtime":
			h.Info = map[string]any{"connected_cluster": 1, "db_connected": h.Healthy, "healthy": h.Healthy, "replication_connected": h.Healthy}
		case "rest":
			h.Info = map[string]any{"db_schema": "public,storage,graphql_public"}
		}
		out = append(out, h)
	}
	return reply{body: out}, nil
}

func (s *Sandbox) pauseProject(c *call) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.requireProject(c)
	if err != nil {
		return reply{}, err
	}
	if cur := p.status.at(c.now); cur != statusActive {
		return reply{}, errBadRequest("Project %s cannot be paused: its status is %s; only ACTIVE_HEALTHY projects can be paused", p.ref, cur)
	}
	p.status = transition(c.now, s.delay, statusPausing, statusInactive)
	return reply{}, nil
}

func (s *Sandbox) restoreProject(c *call) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.requireProject(c)
	if err != nil {
		return reply{}, err
	}
	if cur := p.status.at(c.now); cur != statusInactive {
		return reply{}, errBadRequest("Project %s cannot be restored: its status is %s; only INACTIVE (paused) projects can be restored", p.ref, cur)
	}
	p.status = transition(c.now, s.delay, statusRestoring, statusActive)
	return reply{}, nil
}

func (s *Sandbox) cancelRestore(c *call) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.requireProject(c)
	if err != nil {
		return reply{}, err
	}
	if cur := p.status.at(c.now); cur != statusRestoring {
		return reply{}, errBadRequest("Project %s has no restoration to cancel: its status is %s", p.ref, cur)
	}
	p.status = steady(statusInactive)
	return reply{}, nil
}

// startBusy moves an active project through a temporary status (resize,
// restart, physical restore) and back to ACTIVE_HEALTHY.
func (s *Sandbox) startBusy(c *call, busy string) (*project, error) {
	p, err := s.requireProject(c)
	if err != nil {
		return nil, err
	}
	if cur := p.status.at(c.now); cur != statusActive {
		return nil, errBadRequest("Project %s is %s; wait until it is ACTIVE_HEALTHY", p.ref, cur)
	}
	p.status = transition(c.now, s.delay, busy, statusActive)
	return p, nil
}
