package mcpserver

import "testing"

func TestSearchRanking(t *testing.T) {
	s, err := listingServer(registry(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		f     searchFilter
		first string
	}{
		{searchFilter{query: "pause project"}, "project_pause"},
		{searchFilter{query: "projects"}, "projects_list"},
		{searchFilter{query: "read only sql"}, "database_query_read_only"},
		{searchFilter{query: "delete an edge function"}, "function_delete"},
		{searchFilter{query: "postgres config", risk: "write"}, "postgres_config_update"},
		{searchFilter{query: "custom domain"}, "custom_hostname_get"},
		{searchFilter{query: "typescript types"}, "typescript_types_generate"},
		{searchFilter{toolset: "billing"}, "addon_apply"},
	}
	for _, tt := range tests {
		got := s.search(tt.f)
		if len(got.found) == 0 || got.found[0].Name != tt.first {
			var names []string
			for _, a := range got.found {
				names = append(names, a.Name)
			}
			t.Errorf("%+v: got %v, want %s first", tt.f, names, tt.first)
		}
	}
	if got := s.search(searchFilter{query: "zzzqqq"}); len(got.found) != 0 {
		t.Errorf("nonsense matched %d actions", len(got.found))
	}
	if got := s.search(searchFilter{query: "list", limit: 500}); len(got.found) > maxSearchLimit {
		t.Errorf("limit not capped: %d", len(got.found))
	}
}
