package jobstore

import (
	"fmt"
	"unicode/utf8"

	"github.com/supaops/supaops/internal/suggest"
)

// quoteShort quotes s for a message, cut to a readable length.
func quoteShort(s string) string {
	const limit = 60
	if len(s) <= limit {
		return fmt.Sprintf("%q", s)
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%q…", s[:cut])
}

// didYouMean is " (did you mean x?)" for the closest candidate, or "".
func didYouMean(name string, candidates []string) string {
	if len(name) > 128 {
		return "" // finding the closest costs time by length; nobody mistypes that much
	}
	best := suggest.Closest(name, candidates, 1)
	if len(best) == 0 || best[0] == name {
		return ""
	}
	return fmt.Sprintf(" (did you mean %s?)", best[0])
}
