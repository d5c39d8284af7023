package jobstore

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Budget is a job's own cap on API calls: at most Calls per Per, written
// "120/1h".
type Budget struct {
	Calls int
	Per   time.Duration
}

// Limits of a budget.
const (
	MaxBudgetCalls  = 10_000
	MinBudgetWindow = time.Minute
	MaxBudgetWindow = 24 * time.Hour
)

const budgetForm = `want calls/window, as in 120/1h (at most 120 API calls an hour)`

// ParseBudget reads "N/DURATION".
func ParseBudget(s string) (Budget, error) {
	n, per, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Budget{}, fmt.Errorf("%q: %s", s, budgetForm)
	}
	calls, err := strconv.Atoi(strings.TrimSpace(n))
	if err != nil {
		return Budget{}, fmt.Errorf("%q: the number of calls is not a whole number; %s", s, budgetForm)
	}
	d, err := parseDuration(strings.TrimSpace(per))
	if err != nil {
		return Budget{}, fmt.Errorf("%q: the window: %w; %s", s, err, budgetForm)
	}
	b := Budget{Calls: calls, Per: d}
	return b, b.check()
}

func (b Budget) check() error {
	switch {
	case b.Calls < 1 || b.Calls > MaxBudgetCalls:
		return fmt.Errorf("%d calls is out of range 1..%d", b.Calls, MaxBudgetCalls)
	case b.Per < MinBudgetWindow || b.Per > MaxBudgetWindow:
		return fmt.Errorf("a window of %s is out of range %s..%s", formatDuration(b.Per), formatDuration(MinBudgetWindow), formatDuration(MaxBudgetWindow))
	case b.Per%time.Second != 0:
		return errors.New("the window must be whole seconds")
	}
	return nil
}

// String writes the budget as ParseBudget reads it; "" for none.
func (b Budget) String() string {
	if b == (Budget{}) {
		return ""
	}
	return fmt.Sprintf("%d/%s", b.Calls, formatDuration(b.Per))
}
