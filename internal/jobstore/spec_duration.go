package jobstore

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// maxDays keeps a count of days well inside time.Duration (about 106,751 days).
const maxDays = 10000

// parseDuration reads a Go duration (90m, 1h30m, 10s) that may start with a
// whole number of days (7d, 1d12h). Negative durations are refused: no
// setting of a job is one.
func parseDuration(s string) (time.Duration, error) {
	const want = "want a duration such as 30s, 10m, 1h30m or 7d"
	if s == "" {
		return 0, errors.New("empty; " + want)
	}
	if strings.HasPrefix(s, "-") {
		return 0, fmt.Errorf("%q is negative; %s", s, want)
	}
	var days time.Duration
	rest := s
	if i := strings.IndexByte(s, 'd'); i >= 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil || n < 0 || strings.HasPrefix(s, "+") {
			return 0, fmt.Errorf("%q: days are a whole number before d, as in 7d or 1d12h; %s", s, want)
		}
		if n > maxDays {
			return 0, fmt.Errorf("%q is more than %d days", s, maxDays)
		}
		days, rest = time.Duration(n)*24*time.Hour, s[i+1:]
		if rest == "" {
			return days, nil
		}
	}
	d, err := time.ParseDuration(rest)
	if err != nil || strings.HasPrefix(rest, "-") || strings.HasPrefix(rest, "+") {
		return 0, fmt.Errorf("%q is not a duration; %s", s, want)
	}
	if d > time.Duration(1<<63-1)-days {
		return 0, fmt.Errorf("%q is too long", s)
	}
	return days + d, nil
}

// formatDuration writes d the short way people write it: 1h30m, 26h, 7d,
// 10m, 30s. parseDuration reads it back.
func formatDuration(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	var b strings.Builder
	if d < 0 {
		b.WriteByte('-')
		d = -d
	}
	if days := d / (24 * time.Hour); days > 0 && d%(24*time.Hour) == 0 {
		return b.String() + strconv.FormatInt(int64(days), 10) + "d"
	}
	for _, u := range []struct {
		unit time.Duration
		name string
	}{{time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if n := d / u.unit; n > 0 {
			b.WriteString(strconv.FormatInt(int64(n), 10) + u.name)
			d -= n * u.unit
		}
	}
	if d > 0 {
		// Sub-second rest: Go's own spelling, which parseDuration reads.
		b.WriteString(d.String())
	}
	return b.String()
}
