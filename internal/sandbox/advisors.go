package sandbox

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// AdvisorKind names one of the two advisors a project has.
type AdvisorKind string

// The advisors of the Management API.
const (
	AdvisorSecurity    AdvisorKind = "security"    // GET /v1/projects/{ref}/advisors/security
	AdvisorPerformance AdvisorKind = "performance" // GET /v1/projects/{ref}/advisors/performance
)

func (k AdvisorKind) valid() error {
	if k != AdvisorSecurity && k != AdvisorPerformance {
		return fmt.Errorf("unknown advisor %q (want security or performance)", string(k))
	}
	return nil
}

// category is the lint category matching the advisor.
func (k AdvisorKind) category() string { return strings.ToUpper(string(k)) }

// Lint is one item of V1ProjectAdvisorsResponse.lints, as the API answers
// it. CacheKey is a lint's identity: the same finding keeps it across calls,
// which is what a job fingerprints.
type Lint struct {
	Name        string         `json:"name"`  // one of the spec's lint names, e.g. rls_disabled_in_public
	Title       string         `json:"title"` // "" = Name
	Level       string         `json:"level"` // ERROR, WARN or INFO
	Facing      string         `json:"facing"`
	Categories  []string       `json:"categories"` // empty = the advisor's (SECURITY or PERFORMANCE)
	Description string         `json:"description"`
	Detail      string         `json:"detail"`
	Remediation string         `json:"remediation"`
	Metadata    map[string]any `json:"metadata,omitempty"` // schema, name, entity, type, fkey_name, fkey_columns
	CacheKey    string         `json:"cache_key"`          // "" = name_schema_name from Name and Metadata
}

func (l Lint) clone() Lint {
	l.Categories = slices.Clone(l.Categories)
	if l.Metadata != nil {
		l.Metadata = cloneJSON(l.Metadata).(map[string]any)
	}
	return l
}

func performanceLints() []Lint {
	return []Lint{
		{
			CacheKey: "unindexed_foreign_keys_public_orders_orders_profile_id_fkey", Categories: []string{"PERFORMANCE"},
			Description: "Identifies foreign key constraints without a covering index, which can impact database performance.",
			Detail:      "Table `public.orders` has a foreign key `orders_profile_id_fkey` without a covering index. This can lead to suboptimal query performance.",
			Facing:      "EXTERNAL", Level: "INFO", Name: "unindexed_foreign_keys", Title: "Unindexed foreign keys",
			Remediation: "https://supabase.com/docs/guides/database/database-linter?lint=0001_unindexed_foreign_keys",
			Metadata:    map[string]any{"name": "orders", "type": "table", "schema": "public", "fkey_name": "orders_profile_id_fkey", "fkey_columns": []int{2}},
		},
		{
			CacheKey: "auth_rls_initplan_public_todos_owner_can_read", Categories: []string{"PERFORMANCE"},
			Description: "Detects if calls to `auth.<function>()` in RLS policies are being unnecessarily re-evaluated for each row",
			Detail:      "Table `public.todos` has a row level security policy `owner can read` that re-evaluates auth.uid() for each row. Wrap it in `(select auth.uid())`.",
			Facing:      "EXTERNAL", Level: "WARN", Name: "auth_rls_initplan", Title: "Auth RLS Initialization Plan",
			Remediation: "https://supabase.com/docs/guides/database/database-linter?lint=0003_auth_rls_initplan",
			Metadata:    map[string]any{"name": "todos", "type": "table", "schema": "public"},
		},
		{
			CacheKey: "unused_index_public_todos_todos_title_idx", Categories: []string{"PERFORMANCE"},
			Description: "Detects if an index has never been used and may be a candidate for removal.",
			Detail:      "Index `todos_title_idx` on table `public.todos` has not been used",
			Facing:      "EXTERNAL", Level: "INFO", Name: "unused_index", Title: "Unused Index",
			Remediation: "https://supabase.com/docs/guides/database/database-linter?lint=0005_unused_index",
			Metadata:    map[string]any{"name": "todos", "type": "table", "schema": "public"},
		},
	}
}

func securityLints() []Lint {
	return []Lint{
		{
			CacheKey: "rls_disabled_in_public_public_orders", Categories: []string{"SECURITY"},
			Description: "Detects cases where row level security (RLS) has not been enabled on tables in schemas exposed to PostgREST",
			Detail:      "Table `public.orders` is public, but RLS has not been enabled.",
			Facing:      "EXTERNAL", Level: "ERROR", Name: "rls_disabled_in_public", Title: "RLS Disabled in Public",
			Remediation: "https://supabase.com/docs/guides/database/database-linter?lint=0013_rls_disabled_in_public",
			Metadata:    map[string]any{"name": "orders", "type": "table", "schema": "public"},
		},
		{
			CacheKey: "function_search_path_mutable_public_handle_new_user", Categories: []string{"SECURITY"},
			Description: "Detects functions where the search_path parameter is not set.",
			Detail:      "Function `public.handle_new_user` has a role mutable search_path",
			Facing:      "EXTERNAL", Level: "WARN", Name: "function_search_path_mutable", Title: "Function Search Path Mutable",
			Remediation: "https://supabase.com/docs/guides/database/database-linter?lint=0011_function_search_path_mutable",
			Metadata:    map[string]any{"name": "handle_new_user", "type": "function", "schema": "public"},
		},
		{
			CacheKey: "auth_leaked_password_protection", Categories: []string{"SECURITY"},
			Description: "Leaked password protection is currently disabled.",
			Detail:      "Supabase Auth prevents the use of compromised passwords by checking against HaveIBeenPwned.org. Enable this feature to enhance security.",
			Facing:      "EXTERNAL", Level: "WARN", Name: "auth_leaked_password_protection", Title: "Leaked Password Protection Disabled",
			Remediation: "https://supabase.com/docs/guides/auth/password-security#password-strength-and-leaked-password-protection",
			Metadata:    map[string]any{"entity": "Auth", "type": "auth"},
		},
	}
}

// cannedLints are what a project's advisor answers until a test sets them.
func cannedLints(kind AdvisorKind) []Lint {
	if kind == AdvisorPerformance {
		return performanceLints()
	}
	return securityLints()
}

// lintItemSchema is the spec's schema of one lint, which lints a test sets
// are checked against so every answer stays valid.
func lintItemSchema(api *apiSpec) (*openapi3.Schema, error) {
	op := api.byID["v1-get-security-advisors"]
	if op == nil || op.schema == nil {
		return nil, fmt.Errorf("the spec has no v1-get-security-advisors response")
	}
	lints := op.schema.Properties["lints"]
	if lints == nil || lints.Value == nil || lints.Value.Items == nil || lints.Value.Items.Value == nil {
		return nil, fmt.Errorf("the v1-get-security-advisors response has no lints items")
	}
	return lints.Value.Items.Value, nil
}

// normalizeLint fills a lint's defaults and checks it against the spec, so
// a mistake in a test's lint is an error here rather than an invalid answer.
func (s *Sandbox) normalizeLint(kind AdvisorKind, l Lint) (Lint, error) {
	if l.Title == "" {
		l.Title = l.Name
	}
	if l.Facing == "" {
		l.Facing = "EXTERNAL"
	}
	if len(l.Categories) == 0 {
		l.Categories = []string{kind.category()}
	}
	if l.CacheKey == "" {
		parts := []string{l.Name}
		for _, k := range []string{"schema", "name"} {
			if v, ok := l.Metadata[k].(string); ok && v != "" {
				parts = append(parts, v)
			}
		}
		l.CacheKey = strings.Join(parts, "_")
	}
	// A JSON round trip deep-copies Metadata (so the caller's map is not
	// shared with the state) and gives the schema check JSON values.
	b, err := json.Marshal(l)
	if err != nil {
		return Lint{}, fmt.Errorf("lint %q: %w", l.CacheKey, err)
	}
	var generic any
	if err := json.Unmarshal(b, &generic); err != nil {
		return Lint{}, fmt.Errorf("lint %q: %w", l.CacheKey, err)
	}
	if err := s.lintSchema.VisitJSON(generic, openapi3.MultiErrors()); err != nil {
		return Lint{}, fmt.Errorf("lint %q does not match the API's lint schema: %w", l.CacheKey, err)
	}
	var out Lint
	if err := json.Unmarshal(b, &out); err != nil {
		return Lint{}, fmt.Errorf("lint %q: %w", l.CacheKey, err)
	}
	return out, nil
}

// currentLints is the project's lints of kind; the caller holds s.mu and
// must not modify the result.
func (p *project) currentLints(kind AdvisorKind) []Lint {
	if l, ok := p.lints[kind]; ok {
		return l
	}
	return cannedLints(kind)
}

// Lints returns the lints a project's advisor answers: the canned ones
// until SetLints, AddLints or RemoveLint changed them.
func (s *Sandbox) Lints(ref string, kind AdvisorKind) ([]Lint, error) {
	if err := kind.valid(); err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.projectByRef(ref)
	if err != nil {
		return nil, err
	}
	cur := p.currentLints(kind)
	out := make([]Lint, len(cur))
	for i, l := range cur {
		out[i] = l.clone()
	}
	return out, nil
}

// SetLints replaces a project's lints of one advisor (nil or empty: the
// advisor finds nothing). Each lint is checked against the spec and its
// defaults filled (see Lint); cache keys must be unique.
func (s *Sandbox) SetLints(ref string, kind AdvisorKind, lints []Lint) error {
	if err := kind.valid(); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	set := make([]Lint, 0, len(lints))
	seen := make(map[string]bool, len(lints))
	for _, l := range lints {
		n, err := s.normalizeLint(kind, l)
		if err != nil {
			return fmt.Errorf("sandbox: %w", err)
		}
		if seen[n.CacheKey] {
			return fmt.Errorf("sandbox: two lints have cache_key %q; a cache_key identifies one finding", n.CacheKey)
		}
		seen[n.CacheKey] = true
		set = append(set, n)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.projectByRef(ref)
	if err != nil {
		return err
	}
	p.lints[kind] = set
	return nil
}

// AddLints adds lints to a project's advisor, after the current ones (the
// canned ones if none were set). A lint whose cache_key is already there
// replaces it in place: the same finding, updated.
func (s *Sandbox) AddLints(ref string, kind AdvisorKind, lints ...Lint) error {
	if err := kind.valid(); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	add := make([]Lint, 0, len(lints))
	for _, l := range lints {
		n, err := s.normalizeLint(kind, l)
		if err != nil {
			return fmt.Errorf("sandbox: %w", err)
		}
		add = append(add, n)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.projectByRef(ref)
	if err != nil {
		return err
	}
	// A fresh slice: replies encoded after the lock is released may still
	// hold the old one.
	next := slices.Clone(p.currentLints(kind))
	for _, l := range add {
		if i := slices.IndexFunc(next, func(x Lint) bool { return x.CacheKey == l.CacheKey }); i >= 0 {
			next[i] = l
		} else {
			next = append(next, l)
		}
	}
	p.lints[kind] = next
	return nil
}

// RemoveLint resolves the lint with cacheKey: the advisor stops reporting
// it. A cache key the advisor does not report is an error wrapping
// ErrNotFound, so a typo in a test does not pass silently.
func (s *Sandbox) RemoveLint(ref string, kind AdvisorKind, cacheKey string) error {
	if err := kind.valid(); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.projectByRef(ref)
	if err != nil {
		return err
	}
	cur := p.currentLints(kind)
	i := slices.IndexFunc(cur, func(x Lint) bool { return x.CacheKey == cacheKey })
	if i < 0 {
		return fmt.Errorf("sandbox: project %s: no %s lint has cache_key %q: %w", ref, kind, cacheKey, ErrNotFound)
	}
	p.lints[kind] = slices.Delete(slices.Clone(cur), i, i+1)
	return nil
}

func (s *Sandbox) performanceAdvisors(c *call) (reply, error) {
	return s.advisors(c, AdvisorPerformance)
}

func (s *Sandbox) securityAdvisors(c *call) (reply, error) {
	return s.advisors(c, AdvisorSecurity)
}

// advisors answers a project's lints of kind; lint_type=sql keeps only the
// database ones, as the API's filter does.
func (s *Sandbox) advisors(c *call, kind AdvisorKind) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.requireProject(c)
	if err != nil {
		return reply{}, err
	}
	// Lints in the state are never modified in place, so the reply may
	// share them after the lock is released; the slice is fresh.
	lints := make([]Lint, 0, len(p.currentLints(kind)))
	for _, l := range p.currentLints(kind) {
		if c.query.Get("lint_type") == "sql" && l.Metadata["type"] == "auth" {
			continue
		}
		lints = append(lints, l)
	}
	return reply{body: map[string]any{"lints": lints}}, nil
}
