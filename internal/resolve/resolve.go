// Package resolve works out what a call is about before the policy decides
// on it: the project a branch belongs to (branches are projects of their
// own, with their own refs), the organization of a project, the slug of an
// organization named by id. Without it a rule on `projects: [REF]` or
// `org:X` would not see a call on one of REF's branches.
//
// It reads the API directly (projects_list, branches_list,
// organizations_list), outside policy and audit: what it reads only names
// what the caller's own call names, and it is never shown to the caller.
// Answers are cached, and a miss refreshes at most once per MinRefresh, so a
// busy server spends little rate-limit budget on it.
package resolve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/tools"
)

// Defaults for Options.
const (
	DefaultTTL        = 5 * time.Minute
	DefaultBranchTTL  = time.Minute
	DefaultMinRefresh = 10 * time.Second
)

// ErrUnknown is returned when a ref, branch or organization is not among
// those the access token can see.
var ErrUnknown = errors.New("not among what the access token can see")

// Options tune a Resolver.
type Options struct {
	// Needed says whether a call's target must be resolved: when no rule
	// looks at projects or organizations and no scope is set, resolving
	// would only spend rate-limit budget. Nil means always.
	Needed func(call *pipeline.Call) bool
	// TTL is how long the project and organization lists are trusted;
	// BranchTTL the same for one project's branches. MinRefresh bounds how
	// often a miss may refresh a list.
	TTL, BranchTTL, MinRefresh time.Duration
	Now                        func() time.Time
}

// Resolver implements pipeline.Resolver over the API. It is safe for
// concurrent use.
type Resolver struct {
	api        pipeline.Doer
	listProj   *tools.Action
	listBranch *tools.Action
	listOrgs   *tools.Action
	opts       Options
	flights    singleflight.Group

	mu       sync.Mutex
	projects listing[map[string]string]            // ref -> organization slug
	orgs     listing[map[string]string]            // id -> slug
	branches map[string]listing[map[string]string] // parent ref -> branch id or ref -> parent ref
}

// listing is one cached API answer.
type listing[T any] struct {
	value T
	at    time.Time // when it was fetched; zero: never
}

// New returns a resolver calling api through the registry's list actions.
func New(reg *tools.Registry, api pipeline.Doer, opts Options) (*Resolver, error) {
	r := &Resolver{api: api, opts: opts, branches: map[string]listing[map[string]string]{}}
	for name, dst := range map[string]**tools.Action{"projects_list": &r.listProj, "branches_list": &r.listBranch, "organizations_list": &r.listOrgs} {
		a, err := reg.Lookup(name)
		if err != nil {
			return nil, fmt.Errorf("resolve: %w", err)
		}
		*dst = a
	}
	if r.opts.TTL <= 0 {
		r.opts.TTL = DefaultTTL
	}
	if r.opts.BranchTTL <= 0 {
		r.opts.BranchTTL = DefaultBranchTTL
	}
	if r.opts.MinRefresh <= 0 {
		r.opts.MinRefresh = DefaultMinRefresh
	}
	if r.opts.Now == nil {
		r.opts.Now = time.Now
	}
	return r, nil
}

// Resolve implements pipeline.Resolver: it sets call.Project to the project
// the call is about (a branch's parent), call.Branch to the branch when the
// call is about one, and call.Organization.
func (r *Resolver) Resolve(ctx context.Context, call *pipeline.Call) error {
	if r.opts.Needed != nil && !r.opts.Needed(call) {
		return nil
	}
	hints := []string{call.Scope.Project}
	switch {
	case call.Branch != "":
		parent, err := r.parentOfBranch(ctx, call.Branch, hints)
		if err != nil {
			return fmt.Errorf("finding the project of branch %s: %w", call.Branch, err)
		}
		call.Project = parent
	case call.Project != "":
		parent, err := r.parentOfRef(ctx, call.Project, hints)
		if err != nil {
			return fmt.Errorf("finding project %s: %w", call.Project, err)
		}
		if parent != call.Project {
			call.Branch, call.Project = call.Project, parent
		}
	}
	if call.Organization == "" && call.OrganizationID != "" {
		slug, err := r.orgSlug(ctx, call.OrganizationID)
		if err != nil {
			return fmt.Errorf("finding organization %s: %w", call.OrganizationID, err)
		}
		call.Organization = slug
	}
	if call.Organization == "" && call.Project != "" {
		slug, err := r.orgOf(ctx, call.Project)
		if err != nil {
			return fmt.Errorf("finding the organization of project %s: %w", call.Project, err)
		}
		call.Organization = slug
	}
	return nil
}

// parentOfRef tells whether ref is a project of its own (its own parent) or
// a branch's project (whose parent is returned).
func (r *Resolver) parentOfRef(ctx context.Context, ref string, hints []string) (string, error) {
	if parent, ok := r.knownBranch(ref); ok && parent != ref {
		return parent, nil
	}
	projects, err := r.projectList(ctx, ref)
	if err != nil {
		return "", err
	}
	if _, ok := projects[ref]; ok {
		return ref, nil
	}
	// Not a listed project: a preview branch's own project, or unknown.
	return r.parentOfBranch(ctx, ref, hints)
}

// parentOfBranch finds the project a branch (id or own ref) belongs to by
// listing branches, the hinted projects first.
func (r *Resolver) parentOfBranch(ctx context.Context, branch string, hints []string) (string, error) {
	if parent, ok := r.knownBranch(branch); ok {
		return parent, nil
	}
	projects, err := r.projectList(ctx, "")
	if err != nil {
		return "", err
	}
	var failures []error
	for _, p := range scanOrder(projects, hints) {
		index, err := r.branchList(ctx, p, branch)
		if err != nil {
			failures = append(failures, err)
			continue
		}
		if parent, ok := index[branch]; ok {
			return parent, nil
		}
	}
	if len(failures) > 0 {
		return "", fmt.Errorf("%s is no branch of the projects whose branches could be listed, and listing failed for others: %w", branch, errors.Join(failures...))
	}
	return "", fmt.Errorf("%s is neither a project nor a branch of one: %w", branch, ErrUnknown)
}

// scanOrder lists projects to search for a branch: hints first, then the
// rest in a stable order.
func scanOrder(projects map[string]string, hints []string) []string {
	var order []string
	for _, h := range hints {
		if _, ok := projects[h]; ok && !slices.Contains(order, h) {
			order = append(order, h)
		}
	}
	var rest []string
	for p := range projects {
		if !slices.Contains(order, p) {
			rest = append(rest, p)
		}
	}
	slices.Sort(rest)
	return append(order, rest...)
}

func (r *Resolver) knownBranch(key string) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.opts.Now()
	for _, l := range r.branches {
		if now.Sub(l.at) >= r.opts.BranchTTL {
			continue
		}
		if parent, ok := l.value[key]; ok {
			return parent, true
		}
	}
	return "", false
}

func (r *Resolver) orgOf(ctx context.Context, ref string) (string, error) {
	projects, err := r.projectList(ctx, ref)
	if err != nil {
		return "", err
	}
	slug, ok := projects[ref]
	switch {
	case !ok:
		return "", fmt.Errorf("project %s: %w", ref, ErrUnknown)
	case slug == "":
		return "", fmt.Errorf("project %s: the API names no organization for it", ref)
	}
	return slug, nil
}

func (r *Resolver) orgSlug(ctx context.Context, id string) (string, error) {
	orgs, err := r.cached(ctx, "orgs", &r.orgs, r.opts.TTL, id, r.fetchOrgs)
	if err != nil {
		return "", err
	}
	slug, ok := orgs[id]
	if !ok {
		return "", fmt.Errorf("organization %s: %w", id, ErrUnknown)
	}
	return slug, nil
}

func (r *Resolver) projectList(ctx context.Context, want string) (map[string]string, error) {
	return r.cached(ctx, "projects", &r.projects, r.opts.TTL, want, r.fetchProjects)
}

func (r *Resolver) branchList(ctx context.Context, parent, want string) (map[string]string, error) {
	r.mu.Lock()
	l := r.branches[parent]
	r.mu.Unlock()
	fetch := func(ctx context.Context) (map[string]string, error) { return r.fetchBranches(ctx, parent) }
	index, err := r.cached(ctx, "branches/"+parent, &l, r.opts.BranchTTL, want, fetch)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	if l.at.After(r.branches[parent].at) {
		r.branches[parent] = l
	}
	r.mu.Unlock()
	return index, nil
}

// cached returns l's value, fetching it when it is older than ttl, or when
// want is not in it and it is older than MinRefresh (something new may have
// appeared). Concurrent fetches of one key are shared.
func (r *Resolver) cached(ctx context.Context, key string, l *listing[map[string]string], ttl time.Duration, want string,
	fetch func(context.Context) (map[string]string, error)) (map[string]string, error) {
	r.mu.Lock()
	value, at := l.value, l.at
	r.mu.Unlock()
	age := r.opts.Now().Sub(at)
	_, has := value[want]
	if !at.IsZero() && age < ttl && (want == "" || has || age < r.opts.MinRefresh) {
		return value, nil
	}
	v, err, _ := r.flights.Do(key, func() (any, error) {
		// Not the caller's cancellation: others may be waiting on this fetch.
		return fetch(context.WithoutCancel(ctx))
	})
	if err != nil {
		return nil, err
	}
	fresh := v.(map[string]string)
	r.mu.Lock()
	l.value, l.at = fresh, r.opts.Now()
	r.mu.Unlock()
	return fresh, nil
}

func (r *Resolver) fetchProjects(ctx context.Context) (map[string]string, error) {
	var list []struct {
		Ref              string `json:"ref"`
		OrganizationSlug string `json:"organization_slug"`
	}
	if err := r.get(ctx, r.listProj, nil, &list); err != nil {
		return nil, err
	}
	out := make(map[string]string, len(list))
	for _, p := range list {
		out[p.Ref] = p.OrganizationSlug
	}
	return out, nil
}

// fetchBranches indexes a project's branches by id and by their own project
// ref, to the parent's ref.
func (r *Resolver) fetchBranches(ctx context.Context, parent string) (map[string]string, error) {
	var list []struct {
		ID               string `json:"id"`
		ProjectRef       string `json:"project_ref"`
		ParentProjectRef string `json:"parent_project_ref"`
	}
	if err := r.get(ctx, r.listBranch, map[string]any{"ref": parent}, &list); err != nil {
		return nil, err
	}
	out := make(map[string]string, 2*len(list))
	for _, b := range list {
		p := b.ParentProjectRef
		if p == "" {
			p = parent
		}
		if b.ID != "" {
			out[b.ID] = p
		}
		if b.ProjectRef != "" {
			out[b.ProjectRef] = p
		}
	}
	return out, nil
}

func (r *Resolver) fetchOrgs(ctx context.Context) (map[string]string, error) {
	var list []struct {
		ID   string `json:"id"`
		Slug string `json:"slug"`
	}
	if err := r.get(ctx, r.listOrgs, nil, &list); err != nil {
		return nil, err
	}
	out := make(map[string]string, 2*len(list))
	for _, o := range list {
		out[o.ID] = o.Slug
		out[o.Slug] = o.Slug
	}
	return out, nil
}

func (r *Resolver) get(ctx context.Context, a *tools.Action, args map[string]any, into any) error {
	if args == nil {
		args = map[string]any{}
	}
	req, err := a.NewRequest(ctx, r.api.BaseURL(), args)
	if err != nil {
		return err
	}
	resp, err := r.api.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", a.Name, err)
	}
	if err := json.Unmarshal(resp.Body, into); err != nil {
		return fmt.Errorf("%s: reading the answer: %w", a.Name, err)
	}
	return nil
}
