package mcpserver

import (
	"sort"
	"strings"
	"unicode"

	"github.com/supaops/supaops/internal/tools"
)

// Search limits.
const (
	defaultSearchLimit = 10
	maxSearchLimit     = 50
)

// synonyms widen a query word to the words the registry uses.
func synonyms(word string) []string {
	switch word {
	case "sql":
		return []string{"query", "database"}
	case "remove":
		return []string{"delete"}
	case "delete":
		return []string{"remove"}
	case "key":
		return []string{"api", "signing"}
	case "edge":
		return []string{"function"}
	case "bucket":
		return []string{"storage"}
	case "setting":
		return []string{"config"}
	case "env":
		return []string{"secret"}
	case "member":
		return []string{"organization"}
	case "domain":
		return []string{"hostname", "vanity"}
	case "user":
		return []string{"auth", "profile"}
	case "replica":
		return []string{"read"}
	case "type":
		return []string{"typescript"}
	case "pitr":
		return []string{"backup", "restore"}
	}
	return nil
}

// stopWord reports words that carry no meaning in a search for an action.
func stopWord(w string) bool {
	switch w {
	case "a", "an", "the", "of", "for", "to", "my", "in", "on", "and", "with":
		return true
	}
	return false
}

type searchFilter struct {
	query, toolset, risk string
	limit                int
}

// searchOutcome is what a search found among the visible actions, and how
// many matches were hidden by the server's mode.
type searchOutcome struct {
	found  []*tools.Action
	total  int
	hidden int
}

// search ranks actions by how many query words they match, then by where:
// the name counts most, then the toolset, the summary, the description.
func (s *Server) search(f searchFilter) searchOutcome {
	words := queryWords(f.query)
	type scored struct {
		a              *tools.Action
		matched, score int
	}
	var list []scored
	var out searchOutcome
	for _, a := range s.reg.Actions() {
		if (f.toolset != "" && a.Toolset != f.toolset) || (f.risk != "" && string(a.Risk) != f.risk) {
			continue
		}
		matched, score := rank(a, f.query, words)
		if len(words) > 0 && matched == 0 {
			continue
		}
		if !s.profile.visible(a) {
			out.hidden++
			continue
		}
		list = append(list, scored{a, matched, score})
	}
	sort.SliceStable(list, func(i, j int) bool {
		if list[i].matched != list[j].matched {
			return list[i].matched > list[j].matched
		}
		if list[i].score != list[j].score {
			return list[i].score > list[j].score
		}
		// On a tie the shorter name is the more general action.
		if len(list[i].a.Name) != len(list[j].a.Name) {
			return len(list[i].a.Name) < len(list[j].a.Name)
		}
		return list[i].a.Name < list[j].a.Name
	})
	out.total = len(list)
	limit := f.limit
	if limit <= 0 {
		limit = defaultSearchLimit
	}
	for i := 0; i < len(list) && i < min(limit, maxSearchLimit); i++ {
		out.found = append(out.found, list[i].a)
	}
	return out
}

func queryWords(q string) []string {
	var words []string
	for _, w := range strings.FieldsFunc(strings.ToLower(q), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if !stopWord(w) {
			words = append(words, w)
		}
	}
	return words
}

// rank counts the query words an action matches and scores where.
func rank(a *tools.Action, query string, words []string) (matched, score int) {
	q := strings.ToLower(strings.TrimSpace(query))
	if q == a.Name {
		score += 100
	} else if q != "" && strings.Contains(a.Name, strings.ReplaceAll(q, " ", "_")) {
		score += 20
	}
	nameWords := strings.Split(a.Name, "_")
	summary := queryWords(a.Summary)
	description := strings.ToLower(a.Description)
	for _, w := range words {
		best := wordScore(w, nameWords, a.Toolset, summary, description)
		for _, syn := range synonyms(stem(w)) {
			// A synonym counts, but less than the word itself.
			best = max(best, wordScore(syn, nameWords, a.Toolset, summary, description)/2)
		}
		if best > 0 {
			matched++
			score += best
		}
	}
	return matched, score
}

func wordScore(w string, name []string, toolset string, summary []string, description string) int {
	sw := stem(w)
	for _, n := range name {
		if stem(n) == sw {
			return 6
		}
	}
	for _, n := range name {
		if len(sw) >= 3 && strings.HasPrefix(n, sw) {
			return 4
		}
	}
	if stem(toolset) == sw || (len(sw) >= 3 && strings.HasPrefix(toolset, sw)) {
		return 3
	}
	for _, s := range summary {
		if stem(s) == sw {
			return 2
		}
	}
	if len(sw) >= 3 && strings.Contains(description, sw) {
		return 1
	}
	return 0
}

// stem folds plurals, so "project" finds projects_list.
func stem(w string) string {
	if len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") {
		return w[:len(w)-1]
	}
	return w
}
