package search

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/supaops/supaops/internal/action"
	"github.com/supaops/supaops/internal/tools"
)

func actions(t testing.TB) []*tools.Action {
	t.Helper()
	reg, err := tools.Load()
	if err != nil {
		t.Fatal(err)
	}
	return reg.Actions()
}

func names(found []*tools.Action) []string {
	out := make([]string, 0, len(found))
	for _, a := range found {
		out = append(out, a.Name)
	}
	return out
}

func TestFindRanking(t *testing.T) {
	all := actions(t)
	tests := []struct {
		f     Filter
		first string
		// also must be among the first len(also)+1 results.
		also []string
	}{
		// Ported from internal/mcpserver/search_test.go.
		{Filter{Query: "pause project"}, "project_pause", nil},
		{Filter{Query: "projects"}, "projects_list", nil},
		{Filter{Query: "read only sql"}, "database_query_read_only", nil},
		{Filter{Query: "delete an edge function"}, "function_delete", nil},
		{Filter{Query: "postgres config", Risk: "write"}, "postgres_config_update", nil},
		{Filter{Query: "custom domain"}, "custom_hostname_get", nil},
		{Filter{Query: "typescript types"}, "typescript_types_generate", nil},
		{Filter{Toolset: "billing"}, "addon_apply", nil},

		// Synonyms: "sql" is query and database, both in database_query's name.
		{Filter{Query: "sql"}, "database_query", []string{"database_query_read_only"}},
		{Filter{Query: "run sql"}, "database_query", nil},
		{Filter{Query: "remove branch"}, "branch_delete", nil},
		{Filter{Query: "edge functions"}, "function_get", []string{"functions_list"}},
		{Filter{Query: "pitr"}, "backup_restore_pitr", nil},
		{Filter{Query: "bucket"}, "storage_buckets_list", nil},
		// Plurals and stems.
		{Filter{Query: "project"}, "project_get", nil},
		{Filter{Query: "list projects"}, "projects_list", []string{"organization_projects_list"}},
		{Filter{Query: "branches"}, "branches_list", nil},
		{Filter{Query: "function"}, "function_get", []string{"functions_list"}},
		{Filter{Query: "secrets"}, "secrets_list", nil},
		{Filter{Query: "migrations"}, "migrations_list", nil},
		{Filter{Query: "migration"}, "migration_get", nil},
		// An exact name wins, however it is typed.
		{Filter{Query: "database_query"}, "database_query", nil},
		{Filter{Query: "DATABASE QUERY"}, "database_query", nil},
		{Filter{Query: "  project_delete  "}, "project_delete", nil},
		// Filters narrow before ranking.
		{Filter{Query: "sql", Risk: "read"}, "database_query_read_only", nil},
		{Filter{Query: "project", Risk: "destructive"}, "project_pause", []string{"project_delete"}},
		{Filter{Query: "list", Toolset: "functions"}, "functions_list", nil},
		// Case of toolset and risk is folded: a person types them.
		{Filter{Query: "pause", Toolset: "Projects", Risk: " Destructive"}, "project_pause", nil},
	}
	for _, tt := range tests {
		t.Run(tt.f.Query+"/"+tt.f.Toolset+"/"+tt.f.Risk, func(t *testing.T) {
			got, err := Find(all, tt.f, nil)
			if err != nil {
				t.Fatal(err)
			}
			found := names(got.Found)
			if len(found) == 0 || found[0] != tt.first {
				t.Fatalf("got %v, want %s first", found, tt.first)
			}
			for _, name := range tt.also {
				if i := slices.Index(found, name); i < 0 || i > len(tt.also) {
					t.Errorf("got %v, want %s among the first %d", found, name, len(tt.also)+1)
				}
			}
			if got.Total < len(got.Found) || got.Hidden != 0 {
				t.Errorf("total %d hidden %d for %d found", got.Total, got.Hidden, len(got.Found))
			}
		})
	}
}

func TestFindNothing(t *testing.T) {
	all := actions(t)
	for _, q := range []string{"zzzqqq", "the of a", "!!! ???"} {
		got, err := Find(all, Filter{Query: q}, nil)
		if err != nil {
			t.Fatal(err)
		}
		// Stop words and punctuation leave no words: that lists everything.
		if q != "zzzqqq" {
			if got.Total != len(all) {
				t.Errorf("%q: total %d, want every action (%d)", q, got.Total, len(all))
			}
			continue
		}
		if len(got.Found) != 0 || got.Total != 0 {
			t.Errorf("%q matched %v (total %d)", q, names(got.Found), got.Total)
		}
	}
}

func TestFindLimitAndTotal(t *testing.T) {
	all := actions(t)
	got, err := Find(all, Filter{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Found) != DefaultLimit || got.Total != len(all) {
		t.Errorf("zero filter: %d found of %d, want %d of %d", len(got.Found), got.Total, DefaultLimit, len(all))
	}
	got, err = Find(all, Filter{Query: "list", Limit: MaxLimit}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Found) != min(MaxLimit, got.Total) || got.Total <= DefaultLimit {
		t.Errorf("limit %d: %d found of %d", MaxLimit, len(got.Found), got.Total)
	}
	got, err = Find(all, Filter{Query: "list", Limit: 1}, nil)
	if err != nil || len(got.Found) != 1 {
		t.Errorf("limit 1: %v %v", names(got.Found), err)
	}
}

func TestFindVisibility(t *testing.T) {
	all := actions(t)
	readOnly := func(a *tools.Action) bool { return a.Risk == action.Read }
	got, err := Find(all, Filter{Query: "project", Limit: MaxLimit}, readOnly)
	if err != nil {
		t.Fatal(err)
	}
	everything, _ := Find(all, Filter{Query: "project", Limit: MaxLimit}, nil)
	if got.Hidden == 0 || got.Total+got.Hidden != everything.Total {
		t.Errorf("hidden %d + total %d, want %d", got.Hidden, got.Total, everything.Total)
	}
	for _, a := range got.Found {
		if a.Risk != action.Read {
			t.Errorf("%s is hidden but was found", a.Name)
		}
	}
	// Only matches count as hidden: a filter that excludes an action first
	// does not report it.
	got, _ = Find(all, Filter{Query: "project", Risk: "read"}, readOnly)
	if got.Hidden != 0 {
		t.Errorf("hidden %d for read actions under a read-only predicate", got.Hidden)
	}
}

func TestFindDoesNotChangeItsInput(t *testing.T) {
	all := actions(t)
	before := names(all)
	if _, err := Find(all, Filter{Query: "sql", Limit: MaxLimit}, nil); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(before, names(all)) {
		t.Error("Find reordered the actions it was given")
	}
}

func TestFilterValidate(t *testing.T) {
	all := actions(t)
	tests := []struct {
		name string
		f    Filter
		want string // a part of the error; "" for none
	}{
		{"zero", Filter{}, ""},
		{"every field", Filter{Query: "x", Toolset: "database", Risk: "read", Limit: MaxLimit}, ""},
		{"unknown toolset", Filter{Toolset: "databse"}, `unknown toolset "databse" (did you mean database?): valid are account, advisors,`},
		{"unknown toolset, nothing close", Filter{Toolset: "zzzzzzzz"}, `unknown toolset "zzzzzzzz": valid are account,`},
		{"unknown risk", Filter{Risk: "dangerous"}, `unknown risk "dangerous": allowed are read, write, destructive`},
		{"negative limit", Filter{Limit: -1}, "limit must be an integer from 1 to 50"},
		{"limit too large", Filter{Limit: 500}, "limit must be an integer from 1 to 50"},
		{"query at the bound", Filter{Query: strings.Repeat("a", MaxQueryBytes)}, ""},
		{"query past the bound", Filter{Query: strings.Repeat("a", MaxQueryBytes+1)}, "query is 257 bytes long: at most 256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.f.Validate(all)
			_, findErr := Find(all, tt.f, nil)
			if (err == nil) != (findErr == nil) {
				t.Fatalf("Validate: %v, Find: %v", err, findErr)
			}
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error with %q", err, tt.want)
			}
		})
	}
}

// A huge query is refused before any work; the largest allowed one, of the
// costliest words (each a prefix of many names, each with synonyms), is cheap.
func TestFindBoundsTheCostOfAQuery(t *testing.T) {
	all := actions(t)
	start := time.Now()
	if _, err := Find(all, Filter{Query: strings.Repeat("project ", 1<<20)}, nil); err == nil {
		t.Fatal("an 8 MB query was accepted")
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("refusing a huge query took %v", d)
	}

	var q strings.Builder
	for words := []string{"sql", "key", "pro", "dat", "use", "pitr", "edge"}; q.Len() < MaxQueryBytes-5; {
		q.WriteString(words[q.Len()%len(words)] + " ")
	}
	start = time.Now()
	if _, err := Find(all, Filter{Query: q.String(), Limit: MaxLimit}, nil); err != nil {
		t.Fatal(err)
	}
	// Milliseconds in practice; the bound is loose for -race and slow machines.
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("a %d-byte query took %v", q.Len(), d)
	}
}

func BenchmarkFindLongestQuery(b *testing.B) {
	all := actions(b)
	q := strings.Repeat("sql key pro ", MaxQueryBytes/12)
	for b.Loop() {
		if _, err := Find(all, Filter{Query: q}, nil); err != nil {
			b.Fatal(err)
		}
	}
}
