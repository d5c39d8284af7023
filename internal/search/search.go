// Package search ranks the registry's actions for a query in plain words, for
// every surface that lets someone look for an action (MCP search_actions,
// Slack /supa search). The ranking knows the registry's vocabulary: a few
// synonyms ("sql" finds database_query), plurals ("projects" finds
// project_*), and where a word matches (the name counts most, then the
// toolset, the summary, the description).
package search

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode"

	"github.com/supaops/supaops/internal/action"
	"github.com/supaops/supaops/internal/suggest"
	"github.com/supaops/supaops/internal/tools"
)

// Limits.
const (
	// DefaultLimit is how many actions a search returns when Filter.Limit is 0.
	DefaultLimit = 10
	// MaxLimit is the largest Filter.Limit.
	MaxLimit = 50
	// MaxQueryBytes bounds a query: each word is compared with every action,
	// so a pasted page of text must not cost seconds of CPU. Real queries are
	// a few words.
	MaxQueryBytes = 256
)

// Filter is what to look for. Every field is optional; the zero Filter lists
// every action, DefaultLimit at a time.
type Filter struct {
	// Query is a few words, e.g. "pause project".
	Query string
	// Toolset keeps only actions of this toolset.
	Toolset string
	// Risk keeps only actions of this risk: read, write or destructive.
	Risk string
	// Limit is how many actions to return: 0 for DefaultLimit, at most MaxLimit.
	Limit int
}

// Result is what a search found.
type Result struct {
	// Found are the best matches, best first, at most Filter.Limit of them.
	Found []*tools.Action
	// Total counts the visible matches, including those past the limit.
	Total int
	// Hidden counts the matches the visibility predicate hid (a read-only
	// server, a pinned project), so a surface can say why they are missing.
	Hidden int
}

// Validate checks f against the actions it would search: an unknown toolset
// or risk is refused with the valid values, a limit out of range with its
// bounds, an oversized query with the bound.
func (f Filter) Validate(actions []*tools.Action) error {
	f = f.normalized()
	if len(f.Query) > MaxQueryBytes {
		return fmt.Errorf("query is %d bytes long: at most %d; use a few words", len(f.Query), MaxQueryBytes)
	}
	if f.Toolset != "" {
		valid := toolsets(actions)
		if !slices.Contains(valid, f.Toolset) {
			hint := ""
			if near := suggest.Closest(f.Toolset, valid, 1); len(near) == 1 {
				hint = fmt.Sprintf(" (did you mean %s?)", near[0])
			}
			return fmt.Errorf("unknown toolset %q%s: valid are %s", f.Toolset, hint, strings.Join(valid, ", "))
		}
	}
	if f.Risk != "" {
		if _, err := action.ParseRisk(f.Risk); err != nil {
			return err
		}
	}
	if f.Limit < 0 || f.Limit > MaxLimit {
		return fmt.Errorf("limit must be an integer from 1 to %d", MaxLimit)
	}
	return nil
}

// Find ranks the actions matching f. visible says which actions the caller
// may see (nil: all); matches it hides are counted in Result.Hidden, not
// returned. The actions are not changed. An invalid filter (see Validate) is
// an error.
func Find(actions []*tools.Action, f Filter, visible func(*tools.Action) bool) (Result, error) {
	if err := f.Validate(actions); err != nil {
		return Result{}, err
	}
	f = f.normalized()
	words := queryWords(f.Query)
	type scored struct {
		a              *tools.Action
		matched, score int
	}
	var list []scored
	var out Result
	for _, a := range actions {
		if (f.Toolset != "" && a.Toolset != f.Toolset) || (f.Risk != "" && string(a.Risk) != f.Risk) {
			continue
		}
		matched, score := rank(a, f.Query, words)
		if len(words) > 0 && matched == 0 {
			continue
		}
		if visible != nil && !visible(a) {
			out.Hidden++
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
	out.Total = len(list)
	limit := f.Limit
	if limit == 0 {
		limit = DefaultLimit
	}
	for i := 0; i < len(list) && i < limit; i++ {
		out.Found = append(out.Found, list[i].a)
	}
	return out, nil
}

// normalized folds the case of toolset and risk, which a person may type
// either way ("Database"); the registry's are lower case.
func (f Filter) normalized() Filter {
	f.Toolset = strings.ToLower(strings.TrimSpace(f.Toolset))
	f.Risk = strings.ToLower(strings.TrimSpace(f.Risk))
	return f
}

// toolsets lists the actions' toolsets, sorted.
func toolsets(actions []*tools.Action) []string {
	var out []string
	for _, a := range actions {
		if !slices.Contains(out, a.Toolset) {
			out = append(out, a.Toolset)
		}
	}
	sort.Strings(out)
	return out
}

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
		// A synonym counts half as much as the word itself. An action matching
		// several synonyms of one word ("sql": query and database) is the
		// better match, so they add up, but never to more than the word
		// itself in the name would score.
		syn := 0
		for _, s := range synonyms(stem(w)) {
			syn += wordScore(s, nameWords, a.Toolset, summary, description) / 2
		}
		best = max(best, min(syn, nameScore-1))
		if best > 0 {
			matched++
			score += best
		}
	}
	return matched, score
}

// nameScore is what a word scores when it is a word of the action's name.
const nameScore = 6

func wordScore(w string, name []string, toolset string, summary []string, description string) int {
	sw := stem(w)
	for _, n := range name {
		if stem(n) == sw {
			return nameScore
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
