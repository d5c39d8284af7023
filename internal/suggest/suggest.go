// Package suggest finds the names closest to a mistyped one, for "did you
// mean" hints in errors.
package suggest

import (
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Closest returns up to n candidates nearest to name: those containing it,
// contained in it or made of the same words first, then by edit distance,
// leaving out the far-fetched.
func Closest(name string, candidates []string, n int) []string {
	type scored struct {
		name  string
		score int
	}
	name = strings.ToLower(strings.TrimSpace(name))
	var list []scored
	for _, c := range candidates {
		d := EditDistance(name, c)
		if name != "" && (strings.Contains(c, name) || strings.Contains(name, c)) {
			d = 0
		}
		// Words in either order: "pause_project" finds project_pause.
		if sameWords(name, c) {
			d = 0
		}
		if d <= max(2, len(name)/3) {
			list = append(list, scored{c, d})
		}
	}
	sort.SliceStable(list, func(i, j int) bool {
		if list[i].score != list[j].score {
			return list[i].score < list[j].score
		}
		return list[i].name < list[j].name
	})
	out := make([]string, 0, n)
	for i := 0; i < len(list) && i < n; i++ {
		out = append(out, list[i].name)
	}
	return out
}

func sameWords(a, b string) bool {
	wa, wb := strings.FieldsFunc(a, isSeparator), strings.FieldsFunc(b, isSeparator)
	if len(wa) == 0 || len(wa) != len(wb) {
		return false
	}
	sort.Strings(wa)
	sort.Strings(wb)
	for i := range wa {
		if wa[i] != wb[i] {
			return false
		}
	}
	return true
}

func isSeparator(r rune) bool { return r == '_' || r == '-' || r == ' ' || r == '.' }

// EditDistance is the Levenshtein distance between a and b.
func EditDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Quote quotes a mistyped value for an error message, cut to limit bytes
// (on a character boundary) so a long value does not drown the message.
func Quote(s string, limit int) string {
	if len(s) <= limit {
		return strconv.Quote(s)
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "…"
}

// maxHintLen bounds the names DidYouMean looks at: finding the closest
// costs time by length, and nobody mistypes a name that long.
const maxHintLen = 128

// DidYouMean is " (did you mean X?)" for the candidate closest to a
// mistyped name, or "" when none is close (or name is too long to be a
// typo), to append to an error message.
func DidYouMean(name string, candidates []string) string {
	if len(name) > maxHintLen {
		return ""
	}
	best := Closest(name, candidates, 1)
	if len(best) == 0 || best[0] == name {
		return ""
	}
	return " (did you mean " + best[0] + "?)"
}
