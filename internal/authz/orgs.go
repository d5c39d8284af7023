package authz

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/tools"
)

// ProjectOrgs resolves a project's organization by reading the project from
// the API (project_get), caching the answer: a project does not move between
// organizations often, and each lookup spends rate-limit budget. The lookup
// bypasses policy and audit: it reads one field the caller's call names anyway.
type ProjectOrgs struct {
	api        pipeline.Doer
	projectGet *tools.Action
	ttl        time.Duration
	now        func() time.Time

	mu    sync.Mutex
	cache map[string]cachedOrg
}

type cachedOrg struct {
	slug string
	at   time.Time
}

// NewProjectOrgs returns a resolver over the API; ttl 0 means 10 minutes.
func NewProjectOrgs(reg *tools.Registry, api pipeline.Doer, ttl time.Duration) (*ProjectOrgs, error) {
	a, err := reg.Lookup("project_get")
	if err != nil {
		return nil, err
	}
	if ttl == 0 {
		ttl = 10 * time.Minute
	}
	return &ProjectOrgs{api: api, projectGet: a, ttl: ttl, now: time.Now, cache: map[string]cachedOrg{}}, nil
}

// Organization implements OrgResolver.
func (o *ProjectOrgs) Organization(ctx context.Context, ref string) (string, error) {
	o.mu.Lock()
	c, ok := o.cache[ref]
	o.mu.Unlock()
	if ok && o.now().Sub(c.at) < o.ttl {
		return c.slug, nil
	}
	args := map[string]any{"ref": ref}
	if err := o.projectGet.Validate(args); err != nil {
		return "", err
	}
	req, err := o.projectGet.NewRequest(ctx, o.api.BaseURL(), args)
	if err != nil {
		return "", err
	}
	resp, err := o.api.Do(req)
	if err != nil {
		return "", fmt.Errorf("reading project %s for its organization: %w", ref, err)
	}
	var project struct {
		OrganizationSlug string `json:"organization_slug"`
	}
	if err := json.Unmarshal(resp.Body, &project); err != nil || project.OrganizationSlug == "" {
		return "", fmt.Errorf("project %s: no organization_slug in the answer", ref)
	}
	o.mu.Lock()
	o.cache[ref] = cachedOrg{slug: project.OrganizationSlug, at: o.now()}
	o.mu.Unlock()
	return project.OrganizationSlug, nil
}
