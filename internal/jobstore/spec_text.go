package jobstore

import (
	"fmt"

	"github.com/supaops/supaops/internal/suggest"
)

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
