package jobstore

import (
	"errors"
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // every IANA zone validates the same on a host without /usr/share/zoneinfo

	"github.com/robfig/cron/v3"
)

const cronTZPrefix = "CRON_TZ="

// cronFields names the five fields, for messages.
var cronFields = [5]string{"minute", "hour", "day-of-month", "month", "day-of-week"}

const fiveFields = "write 5 fields: minute hour day-of-month month day-of-week (or @hourly, @daily, @weekly, @monthly, @every 90m)"

// ParsedSchedule returns the job's schedule in its time zone, for the
// scheduler's Next. A fixed time of day in a zone with daylight saving time
// fires once a day across the change (see wallSchedule); a schedule whose
// hour is * fires every real hour.
func (s Spec) ParsedSchedule() (cron.Schedule, error) {
	ps, err := parseSchedule(s.Schedule, s.Timezone, parseOpts{})
	if err != nil {
		return nil, err
	}
	return ps.schedule, nil
}

// Schedules parses the schedules of many stored jobs, as ParsedSchedule
// does, reading each time zone once (10,000 jobs in Europe/Berlin share one
// *time.Location) and not measuring intervals again (that was checked when
// the jobs were applied). It is not safe for concurrent use.
type Schedules struct{ zones map[string]*time.Location }

// NewSchedules returns an empty cache.
func NewSchedules() *Schedules { return &Schedules{zones: map[string]*time.Location{}} }

// Of returns the job's schedule. A schedule that never fires has a Next
// of the zero time.
func (c *Schedules) Of(s Spec) (cron.Schedule, error) {
	ps, err := parseSchedule(s.Schedule, s.Timezone, parseOpts{zones: c.zones, unmeasured: true})
	if err != nil {
		return nil, err
	}
	return ps.schedule, nil
}

// parseOpts tune parseSchedule for stored jobs.
type parseOpts struct {
	zones      map[string]*time.Location // a cache of loaded zones, or nil
	unmeasured bool                      // skip measuring the interval
}

// ShortestInterval is the shortest time between two runs of the schedule:
// the delay of @every, or the smallest gap between the runs of a cron
// expression (over eight years: its pattern repeats), read as wall-clock time.
// Jitter may not exceed it, and it is the default starting deadline.
func (s Spec) ShortestInterval() (time.Duration, error) {
	ps, err := parseSchedule(s.Schedule, s.Timezone, parseOpts{})
	if err != nil {
		return 0, err
	}
	return ps.interval, nil
}

// parsedSchedule is a checked schedule.
type parsedSchedule struct {
	schedule cron.Schedule
	interval time.Duration
}

// splitCronTZ separates "CRON_TZ=Area/City expr"; hasTZ is false when there
// is no such prefix, and expr is then s.
func splitCronTZ(s string) (tz, expr string, hasTZ bool) {
	t := strings.TrimSpace(s)
	rest, ok := strings.CutPrefix(t, cronTZPrefix)
	if !ok {
		return "", t, false
	}
	i := strings.IndexAny(rest, " \t")
	if i < 0 {
		return rest, "", true
	}
	return rest[:i], strings.TrimSpace(rest[i:]), true
}

// parseSchedule checks a schedule and its zone. Messages say what is wrong
// and what is allowed; they do not repeat the schedule.
func parseSchedule(schedule, timezone string, o parseOpts) (parsedSchedule, error) {
	tz, expr, hasTZ := splitCronTZ(schedule)
	switch {
	case hasTZ && timezone != "":
		return parsedSchedule{}, fmt.Errorf("gives a time zone (CRON_TZ=%s) and so does timezone: %s; keep one", tz, timezone)
	case hasTZ && tz == "":
		return parsedSchedule{}, errors.New("CRON_TZ= needs a zone, as in CRON_TZ=Europe/Berlin 0 3 * * *")
	case hasTZ && expr == "":
		return parsedSchedule{}, fmt.Errorf("CRON_TZ=%s needs a schedule after it, as in CRON_TZ=%s 0 3 * * *", tz, tz)
	case hasTZ:
		timezone = tz
	}
	loc, ok := o.zones[timezone]
	if !ok {
		var err error
		if loc, err = loadZone(timezone); err != nil {
			return parsedSchedule{}, err
		}
		if o.zones != nil {
			o.zones[timezone] = loc
		}
	}
	return parseExpr(expr, loc, o)
}

// loadZone reads an IANA zone; empty means UTC. "Local" is refused: it
// would mean whatever machine the server runs on.
func loadZone(name string) (*time.Location, error) {
	switch {
	case name == "":
		return time.UTC, nil
	case name == "Local":
		return nil, errors.New(`time zone "Local" depends on the server; name an IANA zone such as Europe/Berlin, or UTC`)
	case len(name) > 64:
		return nil, errors.New("time zone name is longer than 64 characters; want an IANA zone such as Europe/Berlin")
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q: want an IANA zone such as Europe/Berlin, America/New_York or UTC", name)
	}
	return loc, nil
}

func parseExpr(expr string, loc *time.Location, o parseOpts) (parsedSchedule, error) {
	if expr == "" {
		return parsedSchedule{}, errors.New("empty; " + fiveFields)
	}
	if strings.HasPrefix(expr, "TZ=") {
		return parsedSchedule{}, errors.New("TZ= is not supported; write CRON_TZ=Area/City, or use the timezone key")
	}
	if strings.HasPrefix(expr, "@") {
		return parseDescriptor(expr, loc, o)
	}
	fields := strings.Fields(expr)
	switch n := len(fields); {
	case n == 6:
		return parsedSchedule{}, errors.New("6 fields: seconds are not supported; " + fiveFields)
	case n == 7:
		return parsedSchedule{}, errors.New("7 fields: seconds and years are not supported; " + fiveFields)
	case n != 5:
		return parsedSchedule{}, fmt.Errorf("%d fields; %s", n, fiveFields)
	}
	if strings.Contains(fields[0], "=") {
		return parsedSchedule{}, fmt.Errorf("unknown prefix %q; a time zone is written CRON_TZ=Area/City", fields[0])
	}
	// Each field alone first, so the message can say which one is wrong.
	options := [5]cron.ParseOption{cron.Minute, cron.Hour, cron.Dom, cron.Month, cron.Dow}
	for i, f := range fields {
		if _, err := cron.NewParser(options[i]).Parse(f); err != nil {
			return parsedSchedule{}, fmt.Errorf("%s field %q: %s", cronFields[i], f, fieldReason(i, f, err))
		}
	}
	sched, err := cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow).Parse(expr)
	if err != nil {
		return parsedSchedule{}, err // each field parsed alone, so this is not expected
	}
	return finishSpec(sched.(*cron.SpecSchedule), loc, fields[1] == "*" || fields[1] == "?", o)
}

// fieldReason words robfig/cron's complaint about one field.
func fieldReason(i int, f string, err error) string {
	msg := err.Error()
	switch {
	case strings.HasPrefix(msg, "failed to parse int from"):
		return "not a number, a range (1-5), a step (*/15) or a name (MON, JAN)"
	case i == 4 && strings.Contains(msg, "above maximum (6)"):
		return msg + "; Sunday is 0"
	}
	return msg
}

// parseDescriptor reads @hourly ... @yearly and @every <duration>.
func parseDescriptor(expr string, loc *time.Location, o parseOpts) (parsedSchedule, error) {
	if d, ok := strings.CutPrefix(expr, "@every"); ok && (d == "" || d[0] == ' ' || d[0] == '\t') {
		return parseEvery(strings.TrimSpace(d))
	}
	switch expr {
	case "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly":
		sched, err := cron.ParseStandard(expr)
		if err != nil {
			return parsedSchedule{}, err // a known descriptor: not expected
		}
		return finishSpec(sched.(*cron.SpecSchedule), loc, expr == "@hourly", o)
	case "@reboot":
		return parsedSchedule{}, errors.New("@reboot is not supported: a job runs on a schedule")
	}
	return parsedSchedule{}, fmt.Errorf("unknown descriptor %q; known: @hourly, @daily (@midnight), @weekly, @monthly, @yearly (@annually), @every <duration>", expr)
}

// parseEvery reads the duration of @every. Runs follow each other at that
// delay from when the scheduler starts, whatever the time zone.
func parseEvery(s string) (parsedSchedule, error) {
	if s == "" {
		return parsedSchedule{}, errors.New("@every needs a duration, as in @every 90m")
	}
	d, err := parseDuration(s)
	switch {
	case err != nil:
		return parsedSchedule{}, fmt.Errorf("@every %s: %w", s, err)
	case d < MinEvery:
		return parsedSchedule{}, fmt.Errorf("@every %s is shorter than %s: jobs call a rate-limited API", s, formatDuration(MinEvery))
	case d%time.Second != 0:
		return parsedSchedule{}, fmt.Errorf("@every %s: use whole seconds", s)
	}
	return parsedSchedule{schedule: cron.Every(d), interval: d}, nil
}

// finishSpec places a cron schedule in its zone and measures it. robfig/cron
// reads a schedule without CRON_TZ in time.Local; here it is always loc.
func finishSpec(spec *cron.SpecSchedule, loc *time.Location, everyHour bool, o parseOpts) (parsedSchedule, error) {
	spec.Location = time.UTC
	ps := parsedSchedule{schedule: spec}
	if !o.unmeasured {
		interval, ok := shortestGap(spec)
		if !ok {
			return parsedSchedule{}, errors.New("never fires: no date matches (e.g. 30 February)")
		}
		ps.interval = interval
	}
	if loc == time.UTC {
		return ps, nil
	}
	if everyHour {
		// Every hour means every real hour: robfig/cron steps through
		// instants, so none is skipped or doubled at a change.
		zoned := *spec
		zoned.Location = loc
		ps.schedule = &zoned
		return ps, nil
	}
	ps.schedule = wallSchedule{wall: spec, loc: loc}
	return ps, nil
}

// gapSampleStart is where schedules are measured: a fixed date, so a file
// checks the same every day; the start of a leap year.
var gapSampleStart = time.Date(2024, time.January, 1, 0, 0, 0, 0, time.UTC)

// gapSampleDays covers two leap days (2024, 2028): every length of month,
// every weekday of every date, and 29 February's four-year gap.
const gapSampleDays = 8*365 + 2

// cronStarBit is how robfig/cron marks a field written * or ? (spec.go's
// starBit): it decides whether day-of-month and day-of-week must both match
// or either may.
const cronStarBit = 1 << 63

// shortestGap is the smallest gap between consecutive runs of a UTC spec,
// and false if it never fires. The runs of a day are the same every day it
// fires, so the gap is the smaller of the gaps within a day and the gaps
// from the last run of one firing day to the first of the next; the firing
// days are found over gapSampleDays. This costs microseconds, where
// stepping Next over the same years would cost milliseconds per job.
func shortestGap(spec *cron.SpecSchedule) (time.Duration, bool) {
	var times []int // minutes after midnight; a 5-field spec fires at second 0
	for h := range 24 {
		for m := range 60 {
			if spec.Hour&(1<<h) != 0 && spec.Minute&(1<<m) != 0 {
				times = append(times, h*60+m)
			}
		}
	}
	if len(times) == 0 {
		return 0, false
	}
	shortest := 0
	for i := 1; i < len(times); i++ {
		if g := times[i] - times[i-1]; shortest == 0 || g < shortest {
			shortest = g
		}
	}
	first, last := times[0], times[len(times)-1]
	prev := -1
	// The calendar is walked by hand: time.AddDate per day made this the
	// bulk of loading 10,000 jobs.
	year, month, day, weekday := gapSampleStart.Year(), gapSampleStart.Month(), gapSampleStart.Day(), gapSampleStart.Weekday()
	for i := range gapSampleDays {
		if i > 0 {
			weekday = (weekday + 1) % 7
			if day++; day > daysIn(month, year) {
				day = 1
				if month++; month > time.December {
					month, year = time.January, year+1
				}
			}
		}
		if !dayMatches(spec, month, day, weekday) {
			continue
		}
		if prev >= 0 {
			if g := (i-prev)*24*60 - last + first; shortest == 0 || g < shortest {
				shortest = g
			}
		}
		prev = i
	}
	if prev < 0 || shortest == 0 {
		return 0, false // no day matches, or a single run in eight years
	}
	return time.Duration(shortest) * time.Minute, true
}

// dayMatches is robfig/cron's rule for a day: its month, and its day of
// month and day of week; when neither of those is *, either one is enough.
func dayMatches(s *cron.SpecSchedule, month time.Month, day int, weekday time.Weekday) bool {
	if s.Month&(1<<uint(month)) == 0 {
		return false
	}
	dom := s.Dom&(1<<uint(day)) != 0
	dow := s.Dow&(1<<uint(weekday)) != 0
	if s.Dom&cronStarBit != 0 || s.Dow&cronStarBit != 0 {
		return dom && dow
	}
	return dom || dow
}

// daysIn is the length of a month of the Gregorian calendar.
func daysIn(m time.Month, year int) int {
	switch m {
	case time.February:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}
