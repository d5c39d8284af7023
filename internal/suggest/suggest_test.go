package suggest

import (
	"slices"
	"strings"
	"testing"
)

func TestClosest(t *testing.T) {
	names := []string{"project_get", "project_pause", "projects_list", "database_query", "branch_get"}
	tests := []struct {
		name string
		want string // "" means no suggestion
	}{
		{"project_gte", "project_get"},
		{"pause_project", "project_pause"},
		{"projects", "projects_list"},
		{"database_querry", "database_query"},
		{"zzzz_qqqq_xxxx", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Closest(tt.name, names, 3)
			if tt.want == "" {
				if len(got) != 0 {
					t.Errorf("got %v, want nothing", got)
				}
				return
			}
			if !slices.Contains(got, tt.want) {
				t.Errorf("got %v, want it to include %s", got, tt.want)
			}
		})
	}
}

func TestEditDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"abc", "abc", 0}, {"abc", "abd", 1}, {"kitten", "sitting", 3}, {"", "ab", 2}} {
		if got := EditDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("EditDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestQuote(t *testing.T) {
	for _, tc := range []struct {
		in    string
		limit int
		want  string
	}{
		{"abc", 5, `"abc"`},
		{"abcdefgh", 5, `"abcde"…`},
		{"aé", 2, `"a"…`}, // é is two bytes: not cut in half
		{"a\nb", 5, `"a\nb"`},
	} {
		if got := Quote(tc.in, tc.limit); got != tc.want {
			t.Errorf("Quote(%q, %d) = %s, want %s", tc.in, tc.limit, got, tc.want)
		}
	}
}

func TestDidYouMean(t *testing.T) {
	candidates := []string{"project_delete", "project_get", "rules"}
	for _, tc := range []struct{ name, want string }{
		{"projct_delete", " (did you mean project_delete?)"},
		{"rule", " (did you mean rules?)"},
		{"rules", ""}, // not a typo
		{"zzzzzzzz", ""},
		{strings.Repeat("project_delete", 10), ""}, // too long to be a typo: not even looked at
	} {
		if got := DidYouMean(tc.name, candidates); got != tc.want {
			t.Errorf("DidYouMean(%.20q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}
