package authz

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/supaops/supaops/internal/action"
	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/tools"
)

// ReadOnly refuses every call that is not a read, before the policy is asked:
// a server started read-only stays read-only whatever the policy allows.
type ReadOnly struct{ Next pipeline.Authorizer }

// Authorize implements pipeline.Authorizer.
func (r ReadOnly) Authorize(ctx context.Context, call pipeline.Call) (pipeline.Decision, error) {
	if call.Action.Risk != action.Read {
		return pipeline.Decision{
			Effect: pipeline.Deny, Rule: "server:read-only",
			Reason: fmt.Sprintf("this server runs read-only; %s is a %s action", call.Action.Name, call.Action.Risk),
		}, nil
	}
	return r.Next.Authorize(ctx, call)
}

// BranchResolver tells whether a branch (its id or its own project ref)
// belongs to a project.
type BranchResolver interface {
	BelongsTo(ctx context.Context, branchIDOrRef, projectRef string) (bool, error)
}

// ProjectScope confines calls to one project and its branches: actions that
// are not about a project are refused, and so are other refs and branches of
// other projects.
type ProjectScope struct {
	Ref      string
	Branches BranchResolver
	Next     pipeline.Authorizer
}

// Authorize implements pipeline.Authorizer.
func (s ProjectScope) Authorize(ctx context.Context, call pipeline.Call) (pipeline.Decision, error) {
	deny := func(format string, args ...any) (pipeline.Decision, error) {
		return pipeline.Decision{Effect: pipeline.Deny, Rule: "server:project-scope", Reason: fmt.Sprintf(format, args...)}, nil
	}
	if !InProjectScope(call.Action) {
		return deny("this server is scoped to project %s, and %s is not about one project", s.Ref, call.Action.Name)
	}
	if call.Project != "" && call.Project != s.Ref {
		ok, err := s.Branches.BelongsTo(ctx, call.Project, s.Ref)
		if err != nil {
			return pipeline.Decision{}, fmt.Errorf("checking project %s against the scope: %w", call.Project, err)
		}
		if !ok {
			return deny("this server is scoped to project %s; %s is another project", s.Ref, call.Project)
		}
	}
	if call.Branch != "" {
		ok, err := s.Branches.BelongsTo(ctx, call.Branch, s.Ref)
		if err != nil {
			return pipeline.Decision{}, fmt.Errorf("checking branch %s against the scope: %w", call.Branch, err)
		}
		if !ok {
			return deny("this server is scoped to project %s; branch %s does not belong to it", s.Ref, call.Branch)
		}
	}
	return s.Next.Authorize(ctx, call)
}

// InProjectScope reports whether an action is about one project: it takes the
// project ref or a branch.
func InProjectScope(a *tools.Action) bool {
	_, hasRef := a.Param("ref")
	_, hasBranch := a.Param("branch_id_or_ref")
	return hasRef || hasBranch
}

// ProjectBranches resolves branches by listing the project's branches through
// the API (branches_list), cached briefly.
type ProjectBranches struct {
	api          pipeline.Doer
	branchesList *tools.Action
	ttl          time.Duration

	mu    sync.Mutex
	cache map[string]cachedBranches
}

type cachedBranches struct {
	ids map[string]bool // branch ids and the branches' own project refs
	at  time.Time
}

// NewProjectBranches returns a resolver over the API; ttl 0 means one minute.
func NewProjectBranches(reg *tools.Registry, api pipeline.Doer, ttl time.Duration) (*ProjectBranches, error) {
	a, err := reg.Lookup("branches_list")
	if err != nil {
		return nil, err
	}
	if ttl == 0 {
		ttl = time.Minute
	}
	return &ProjectBranches{api: api, branchesList: a, ttl: ttl, cache: map[string]cachedBranches{}}, nil
}

// BelongsTo implements BranchResolver.
func (b *ProjectBranches) BelongsTo(ctx context.Context, branch, projectRef string) (bool, error) {
	b.mu.Lock()
	c, ok := b.cache[projectRef]
	b.mu.Unlock()
	if !ok || time.Since(c.at) >= b.ttl {
		ids, err := b.list(ctx, projectRef)
		if err != nil {
			return false, err
		}
		c = cachedBranches{ids: ids, at: time.Now()}
		b.mu.Lock()
		b.cache[projectRef] = c
		b.mu.Unlock()
	}
	return c.ids[branch], nil
}

func (b *ProjectBranches) list(ctx context.Context, projectRef string) (map[string]bool, error) {
	args := map[string]any{"ref": projectRef}
	req, err := b.branchesList.NewRequest(ctx, b.api.BaseURL(), args)
	if err != nil {
		return nil, err
	}
	resp, err := b.api.Do(req)
	if err != nil {
		return nil, fmt.Errorf("listing the branches of %s: %w", projectRef, err)
	}
	var branches []struct {
		ID               string `json:"id"`
		ProjectRef       string `json:"project_ref"`
		ParentProjectRef string `json:"parent_project_ref"`
	}
	if err := json.Unmarshal(resp.Body, &branches); err != nil {
		return nil, fmt.Errorf("reading the branches of %s: %w", projectRef, err)
	}
	ids := map[string]bool{}
	for _, br := range branches {
		if br.ParentProjectRef != "" && br.ParentProjectRef != projectRef {
			continue
		}
		ids[br.ID] = true
		ids[br.ProjectRef] = true
	}
	return ids, nil
}
