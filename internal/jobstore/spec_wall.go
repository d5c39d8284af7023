package jobstore

import (
	"time"

	"github.com/robfig/cron/v3"
)

// wallSchedule fires a cron expression at wall-clock times of a zone, the
// way cron(8) treats a fixed time of day across daylight saving changes:
//   - a time the clock skips (02:30 when 02:00 jumps to 03:00) fires at the
//     jump, instead of not at all as robfig/cron would;
//   - a time the clock passes twice (02:30 when 03:00 goes back to 02:00)
//     fires at its first pass, instead of twice.
//
// A nightly backup so runs once each night, every night.
type wallSchedule struct {
	wall *cron.SpecSchedule // the expression, stepped through wall times written as UTC
	loc  *time.Location
}

// maxWallSteps bounds Next's search. Slots that map to an instant already
// passed (the second pass of a repeated hour, several skipped times folded
// onto one jump) are stepped over; a repeated or skipped stretch is at most
// a few hours of minutes.
const maxWallSteps = 3000

// Next returns the first firing strictly after t, in t's location, or the
// zero time when there is none.
func (w wallSchedule) Next(t time.Time) time.Time {
	lt := t.In(w.loc)
	wall := time.Date(lt.Year(), lt.Month(), lt.Day(), lt.Hour(), lt.Minute(), lt.Second(), lt.Nanosecond(), time.UTC)
	for range maxWallSteps {
		wall = w.wall.Next(wall)
		if wall.IsZero() {
			return time.Time{}
		}
		if at := resolveWall(wall, w.loc); at.After(t) {
			return at.In(t.Location())
		}
	}
	return time.Time{}
}

// resolveWall is the instant a wall time (written as UTC) names in loc: the
// first of two when the clock passes it twice, the moment of the jump when
// the clock skips it. time.Date picks either in those cases, depending on
// the zone's offset, so both are settled here.
func resolveWall(wall time.Time, loc *time.Location) time.Time {
	at := time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), wall.Second(), wall.Nanosecond(), loc)
	local := wallOf(at)
	switch {
	case local.Equal(wall):
		start, _ := at.ZoneBounds()
		if start.IsZero() {
			return at
		}
		_, offBefore := start.Add(-time.Nanosecond).Zone()
		_, offAt := at.Zone()
		if offBefore > offAt {
			// The clock went back at start; the same wall time may have
			// passed once already, before it.
			earlier := at.Add(-time.Duration(offBefore-offAt) * time.Second)
			if earlier.Before(start) && wallOf(earlier).Equal(wall) {
				return earlier
			}
		}
		return at
	case local.Before(wall):
		// at is before the gap, in the old offset: the jump ends its zone.
		if _, end := at.ZoneBounds(); !end.IsZero() {
			return end
		}
	default:
		// at is after the gap, in the new offset: the jump starts its zone.
		if start, _ := at.ZoneBounds(); !start.IsZero() {
			return start
		}
	}
	return at
}

// wallOf is t's wall-clock time in its location, written as UTC.
func wallOf(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}
