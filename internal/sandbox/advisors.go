package sandbox

// lint is one item of V1ProjectAdvisorsResponse.lints.
type lint struct {
	CacheKey    string         `json:"cache_key"`
	Categories  []string       `json:"categories"`
	Description string         `json:"description"`
	Detail      string         `json:"detail"`
	Facing      string         `json:"facing"`
	Level       string         `json:"level"`
	Metadata    map[string]any `json:"metadata,omitempty"`
	Name        string         `json:"name"`
	Remediation string         `json:"remediation"`
	Title       string         `json:"title"`
}

func performanceLints() []lint {
	return []lint{
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

func securityLints() []lint {
	return []lint{
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

func (s *Sandbox) performanceAdvisors(c *call) (reply, error) {
	return s.advisors(c, performanceLints())
}

// securityAdvisors answers security lints; lint_type=sql keeps only the
// database ones, as the API's filter does.
func (s *Sandbox) securityAdvisors(c *call) (reply, error) {
	lints := securityLints()
	if c.query.Get("lint_type") == "sql" {
		kept := lints[:0]
		for _, l := range lints {
			if l.Metadata["type"] != "auth" {
				kept = append(kept, l)
			}
		}
		lints = kept
	}
	return s.advisors(c, lints)
}

func (s *Sandbox) advisors(c *call, lints []lint) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.requireProject(c); err != nil {
		return reply{}, err
	}
	return reply{body: map[string]any{"lints": lints}}, nil
}
