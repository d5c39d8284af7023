package sandbox

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// advisorKeys reads an advisor through the API, checks the answer against
// the spec and returns its lints' cache keys in order.
func advisorKeys(t *testing.T, s *Sandbox, tc *testClient, ref string, kind AdvisorKind, query url.Values) ([]string, map[string]Lint) {
	t.Helper()
	req := request{method: http.MethodGet, path: "/v1/projects/" + ref + "/advisors/" + string(kind), query: query}
	r := tc.send(req)
	mustStatus(t, r, http.StatusOK, "advisors "+string(kind))
	mustConform(t, s, tc, "v1-get-"+string(kind)+"-advisors", req, r)
	var body struct{ Lints []Lint }
	r.json(t, &body)
	keys := []string{}
	byKey := map[string]Lint{}
	for _, l := range body.Lints {
		keys = append(keys, l.CacheKey)
		byKey[l.CacheKey] = l
	}
	return keys, byKey
}

var (
	cannedSecurity    = []string{"rls_disabled_in_public_public_orders", "function_search_path_mutable_public_handle_new_user", "auth_leaked_password_protection"}
	cannedPerformance = []string{"unindexed_foreign_keys_public_orders_orders_profile_id_fkey", "auth_rls_initplan_public_todos_owner_can_read", "unused_index_public_todos_todos_title_idx"}
)

// Lints a test adds, updates, removes and replaces show up in what the
// advisors answer, per project and kind, with stable cache keys.
func TestLintsChange(t *testing.T) {
	t.Parallel()
	s := newTestSandbox(t, Options{})
	tc := newTestClient(t, s)
	seed := s.Seed()
	prod, staging := seed.ProjectRef, seed.ProjectRefs[1]
	exposed := Lint{
		Name: "auth_users_exposed", Level: "ERROR", Title: "Exposed Auth Users",
		Description: "Detects if auth.users is exposed to anon or authenticated roles",
		Detail:      "View `public.user_view` may expose `auth.users` data",
		Remediation: "https://supabase.com/docs/guides/database/database-linter?lint=0002_auth_users_exposed",
		Metadata:    map[string]any{"schema": "public", "name": "user_view", "type": "view"},
	}
	const exposedKey = "auth_users_exposed_public_user_view"

	steps := []struct {
		name   string
		change func() error
		ref    string
		kind   AdvisorKind
		query  url.Values
		want   []string
		check  func(t *testing.T, byKey map[string]Lint)
	}{
		{name: "canned security lints at first", ref: prod, kind: AdvisorSecurity, want: cannedSecurity},
		{name: "canned performance lints at first", ref: prod, kind: AdvisorPerformance, want: cannedPerformance},
		{
			name:   "an added lint appears after the others, with a cache key from name and metadata",
			change: func() error { return s.AddLints(prod, AdvisorSecurity, exposed) },
			ref:    prod, kind: AdvisorSecurity, want: append(slices.Clone(cannedSecurity), exposedKey),
			check: func(t *testing.T, byKey map[string]Lint) {
				l := byKey[exposedKey]
				if l.Level != "ERROR" || l.Title != "Exposed Auth Users" || l.Facing != "EXTERNAL" ||
					!slices.Equal(l.Categories, []string{"SECURITY"}) || l.Metadata["name"] != "user_view" || l.Detail != exposed.Detail {
					t.Errorf("added lint answered as %+v", l)
				}
			},
		},
		{name: "the same cache key on the next call", ref: prod, kind: AdvisorSecurity, want: append(slices.Clone(cannedSecurity), exposedKey)},
		{name: "the other advisor is unchanged", ref: prod, kind: AdvisorPerformance, want: cannedPerformance},
		{name: "another project is unchanged", ref: staging, kind: AdvisorSecurity, want: cannedSecurity},
		{
			name: "adding the same cache key updates the finding in place",
			change: func() error {
				l := exposed
				l.Level = "WARN"
				return s.AddLints(prod, AdvisorSecurity, l)
			},
			ref: prod, kind: AdvisorSecurity, want: append(slices.Clone(cannedSecurity), exposedKey),
			check: func(t *testing.T, byKey map[string]Lint) {
				if byKey[exposedKey].Level != "WARN" {
					t.Errorf("updated lint: level %s, want WARN", byKey[exposedKey].Level)
				}
			},
		},
		{name: "lint_type=sql keeps the database lints only", ref: prod, kind: AdvisorSecurity, query: url.Values{"lint_type": {"sql"}},
			want: []string{cannedSecurity[0], cannedSecurity[1], exposedKey}},
		{
			name:   "a removed lint is resolved",
			change: func() error { return s.RemoveLint(prod, AdvisorSecurity, cannedSecurity[0]) },
			ref:    prod, kind: AdvisorSecurity, want: []string{cannedSecurity[1], cannedSecurity[2], exposedKey},
		},
		{
			name: "set replaces every lint of the kind",
			change: func() error {
				return s.SetLints(prod, AdvisorPerformance, []Lint{{Name: "no_primary_key", Level: "INFO", CacheKey: "no_primary_key_public_events",
					Metadata: map[string]any{"schema": "public", "name": "events", "type": "table"}}})
			},
			ref: prod, kind: AdvisorPerformance, want: []string{"no_primary_key_public_events"},
			check: func(t *testing.T, byKey map[string]Lint) {
				if l := byKey["no_primary_key_public_events"]; !slices.Equal(l.Categories, []string{"PERFORMANCE"}) || l.Title != "no_primary_key" {
					t.Errorf("defaults of a set lint: %+v", l)
				}
			},
		},
		{
			name:   "set to nothing: a clean advisor",
			change: func() error { return s.SetLints(staging, AdvisorSecurity, nil) },
			ref:    staging, kind: AdvisorSecurity, want: []string{},
		},
	}
	for _, st := range steps {
		if st.change != nil {
			if err := st.change(); err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
		}
		got, byKey := advisorKeys(t, s, tc, st.ref, st.kind, st.query)
		if !slices.Equal(got, st.want) {
			t.Fatalf("%s: lints %v, want %v", st.name, got, st.want)
		}
		if st.check != nil {
			st.check(t, byKey)
		}
	}

	// What Lints returns is a copy: changing it changes nothing.
	lints, err := s.Lints(prod, AdvisorSecurity)
	if err != nil {
		t.Fatal(err)
	}
	lints[2].Metadata["name"] = "changed"
	if _, byKey := advisorKeys(t, s, tc, prod, AdvisorSecurity, nil); byKey[exposedKey].Metadata["name"] != "user_view" {
		t.Errorf("changing Lints' result changed the sandbox: %+v", byKey[exposedKey])
	}
}

// Lints the API could not answer are refused when set, naming the problem,
// and the advisor keeps what it had.
func TestLintsRefused(t *testing.T) {
	t.Parallel()
	s := newTestSandbox(t, Options{})
	tc := newTestClient(t, s)
	ref := s.Seed().ProjectRef
	ok := Lint{Name: "unused_index", Level: "INFO", CacheKey: "k"}
	tests := []struct {
		name     string
		call     func() error
		want     string
		notFound bool
	}{
		{name: "level outside the enum", call: func() error { l := ok; l.Level = "CRITICAL"; return s.AddLints(ref, AdvisorPerformance, l) }, want: "level"},
		{name: "name outside the enum", call: func() error { l := ok; l.Name = "made_up"; return s.AddLints(ref, AdvisorPerformance, l) }, want: "name"},
		{name: "no level", call: func() error { l := ok; l.Level = ""; return s.SetLints(ref, AdvisorPerformance, []Lint{l}) }, want: "level"},
		{name: "metadata type outside the enum", call: func() error {
			l := ok
			l.Metadata = map[string]any{"type": "index"}
			return s.AddLints(ref, AdvisorPerformance, l)
		}, want: "type"},
		{name: "duplicate cache key", call: func() error { return s.SetLints(ref, AdvisorPerformance, []Lint{ok, ok}) }, want: `cache_key "k"`},
		{name: "unknown advisor", call: func() error { return s.AddLints(ref, "speed", ok) }, want: "security or performance"},
		{name: "remove an unknown cache key", call: func() error { return s.RemoveLint(ref, AdvisorSecurity, "nope") }, want: `"nope"`, notFound: true},
		{name: "unknown project", call: func() error { return s.AddLints("abcdefghijklmnopqrst", AdvisorSecurity, ok) }, want: "abcdefghijklmnopqrst", notFound: true},
	}
	for _, tt := range tests {
		err := tt.call()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one mentioning %s", tt.name, err, tt.want)
			continue
		}
		if got := errors.Is(err, ErrNotFound); got != tt.notFound {
			t.Errorf("%s: errors.Is(ErrNotFound) = %v, want %v", tt.name, got, tt.notFound)
		}
	}
	if got, _ := advisorKeys(t, s, tc, ref, AdvisorPerformance, nil); !slices.Equal(got, cannedPerformance) {
		t.Errorf("after refused changes: %v, want the canned lints", got)
	}
}
