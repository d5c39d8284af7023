package jobstore

import (
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
)

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// A fixed time of day runs once a day across daylight saving changes; a
// schedule whose hour is * runs every real hour. robfig/cron alone would
// skip the spring-forward night and run twice in the fall-back one.
func TestScheduleAcrossDST(t *testing.T) {
	tests := []struct {
		name     string
		schedule string
		timezone string
		from     string
		want     []string // the next runs, in UTC
	}{
		{
			"Berlin 02:30 on the night 02:00 jumps to 03:00 runs at the jump",
			"30 2 * * *", "Europe/Berlin", "2024-03-30T01:30:00Z", // 02:30 CET
			[]string{"2024-03-31T01:00:00Z" /* 03:00 CEST */, "2024-04-01T00:30:00Z" /* 02:30 CEST */},
		},
		{
			"Berlin 02:30 on the night 03:00 goes back to 02:00 runs once, at the first 02:30",
			"30 2 * * *", "Europe/Berlin", "2024-10-26T00:30:00Z",
			[]string{"2024-10-27T00:30:00Z" /* 02:30 CEST */, "2024-10-28T01:30:00Z" /* 02:30 CET */},
		},
		{
			"from inside the repeated hour, the day's run is over",
			"30 2 * * *", "Europe/Berlin", "2024-10-27T01:10:00Z", // 02:10 CET, the second pass
			[]string{"2024-10-28T01:30:00Z"},
		},
		{
			"Berlin 03:00 is 23 hours after the day before's on the short night",
			"0 3 * * *", "Europe/Berlin", "2024-03-30T02:00:00Z",
			[]string{"2024-03-31T01:00:00Z", "2024-04-01T01:00:00Z"},
		},
		{
			"CRON_TZ= prefix reads the same",
			"CRON_TZ=Europe/Berlin 30 2 * * *", "", "2024-03-30T01:30:00Z",
			[]string{"2024-03-31T01:00:00Z", "2024-04-01T00:30:00Z"},
		},
		{
			"New York 02:30 on the night 02:00 jumps to 03:00 (west of UTC)",
			"30 2 * * *", "America/New_York", "2024-03-09T07:30:00Z",
			[]string{"2024-03-10T07:00:00Z" /* 03:00 EDT */, "2024-03-11T06:30:00Z" /* 02:30 EDT */},
		},
		{
			"New York 01:30 on the night 02:00 goes back to 01:00 runs once",
			"30 1 * * *", "America/New_York", "2024-11-02T05:30:00Z",
			[]string{"2024-11-03T05:30:00Z" /* 01:30 EDT */, "2024-11-04T06:30:00Z" /* 01:30 EST */},
		},
		{
			"every minute of the skipped hour folds into one run at the jump",
			"* 2 * * *", "Europe/Berlin", "2024-03-31T00:58:00Z", // 01:58 CET
			[]string{"2024-03-31T01:00:00Z" /* 03:00 CEST */, "2024-04-01T00:00:00Z" /* 02:00 CEST */},
		},
		{
			"hour * runs every real hour through the repeated hour",
			"30 * * * *", "Europe/Berlin", "2024-10-26T23:00:00Z",
			[]string{"2024-10-26T23:30:00Z", "2024-10-27T00:30:00Z", "2024-10-27T01:30:00Z", "2024-10-27T02:30:00Z"},
		},
		{
			"hour * runs every real hour over the skipped hour",
			"30 * * * *", "Europe/Berlin", "2024-03-31T00:00:00Z",
			[]string{"2024-03-31T00:30:00Z", "2024-03-31T01:30:00Z", "2024-03-31T02:30:00Z"},
		},
		{
			"UTC has no change",
			"30 2 * * *", "UTC", "2024-03-30T02:30:00Z",
			[]string{"2024-03-31T02:30:00Z", "2024-04-01T02:30:00Z"},
		},
		{
			"no time zone is UTC, not the server's",
			"0 3 * * *", "", "2024-01-01T00:00:00Z",
			[]string{"2024-01-01T03:00:00Z"},
		},
		{
			"@every counts from the last run",
			"@every 90m", "Europe/Berlin", "2024-03-31T00:30:00Z",
			[]string{"2024-03-31T02:00:00Z", "2024-03-31T03:30:00Z"},
		},
		{
			"@daily is midnight in the zone",
			"@daily", "Asia/Tokyo", "2024-01-01T00:00:00Z",
			[]string{"2024-01-01T15:00:00Z", "2024-01-02T15:00:00Z"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sched, err := Spec{Schedule: tt.schedule, Timezone: tt.timezone}.ParsedSchedule()
			if err != nil {
				t.Fatal(err)
			}
			at := mustTime(t, tt.from)
			for i, w := range tt.want {
				next := sched.Next(at)
				if !next.Equal(mustTime(t, w)) {
					t.Fatalf("run %d after %s: got %s, want %s", i+1, at.UTC().Format(time.RFC3339), next.UTC().Format(time.RFC3339), w)
				}
				if next.Location() != at.Location() {
					t.Errorf("Next returned a time in %v, want the argument's %v", next.Location(), at.Location())
				}
				at = next
			}
		})
	}
}

// Over a whole year in Berlin, a daily 02:30 runs exactly once on each day.
func TestScheduleOncePerDayForAYear(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	sched, err := Spec{Schedule: "30 2 * * *", Timezone: "Europe/Berlin"}.ParsedSchedule()
	if err != nil {
		t.Fatal(err)
	}
	days := map[string]int{}
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, loc)
	for at.Year() == 2024 {
		next := sched.Next(at)
		if !next.After(at) {
			t.Fatalf("Next(%v) = %v, not after", at, next)
		}
		at = next
		days[at.In(loc).Format("2006-01-02")]++
	}
	delete(days, "2025-01-01")
	if len(days) != 366 {
		t.Errorf("runs on %d days of 2024, want 366", len(days))
	}
	for d, n := range days {
		if n != 1 {
			t.Errorf("%d runs on %s", n, d)
		}
	}
}

func TestShortestInterval(t *testing.T) {
	tests := []struct {
		schedule string
		want     time.Duration
	}{
		{"*/15 * * * *", 15 * time.Minute},
		{"* * * * *", time.Minute},
		{"0 * * * *", time.Hour},
		{"@hourly", time.Hour},
		{"0 8,20 * * *", 12 * time.Hour},
		{"0 22,2 * * *", 4 * time.Hour}, // across midnight
		{"0 3 * * *", 24 * time.Hour},
		{"0 9 * * 1-5", 24 * time.Hour},
		{"0 8 * * 1", 7 * 24 * time.Hour},
		{"0 0 1 * *", 28 * 24 * time.Hour},  // February of a common year
		{"0 0 29 * *", 29 * 24 * time.Hour}, // 29 February of a leap year to 29 March
		{"0 0 31 * *", 31 * 24 * time.Hour}, // July to August
		{"0 0 29 2 *", 1461 * 24 * time.Hour},
		{"@every 90m", 90 * time.Minute},
		{"@every 2d", 48 * time.Hour},
	}
	for _, tt := range tests {
		got, err := Spec{Schedule: tt.schedule, Timezone: "UTC"}.ShortestInterval()
		if err != nil || got != tt.want {
			t.Errorf("ShortestInterval(%q) = %v, %v; want %v", tt.schedule, got, err, tt.want)
		}
	}
}

// The default starting deadline is one interval, capped at a day.
func TestDefaultStartingDeadline(t *testing.T) {
	tests := []struct {
		schedule string
		want     time.Duration
	}{
		{"*/15 * * * *", 15 * time.Minute},
		{"0 */6 * * *", 6 * time.Hour},
		{"0 3 * * *", 24 * time.Hour},
		{"0 8 * * 1", 24 * time.Hour},
	}
	for _, tt := range tests {
		specs, err := Parse("t.yaml", []byte(job(`schedule: "`+tt.schedule+`"`)), testOpts())
		if err != nil {
			t.Fatal(err)
		}
		if got := specs[0].StartingDeadline; got != tt.want {
			t.Errorf("%q: starting deadline %v, want %v", tt.schedule, got, tt.want)
		}
	}
}

func TestParsedScheduleRefuses(t *testing.T) {
	tests := []struct{ schedule, timezone, want string }{
		{"CRON_TZ=Europe/Berlin 0 3 * * *", "Europe/Berlin", "keep one"},
		{"CRON_TZ=", "", "CRON_TZ= needs a zone"},
		{"CRON_TZ=Europe/Berlin", "", "needs a schedule after it"},
		{"0 3 * * *", "Nowhere/City", "unknown time zone"},
		{"0 0 3 * * *", "", "seconds are not supported"},
		{"TZ=UTC", "", "TZ= is not supported"}, // robfig/cron panics on this one
		{"@every 59s", "", "shorter than 1m"},
	}
	for _, tt := range tests {
		_, err := Spec{Schedule: tt.schedule, Timezone: tt.timezone}.ParsedSchedule()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParsedSchedule(%q, %q) = %v, want %q", tt.schedule, tt.timezone, err, tt.want)
		}
	}
}

// shortestGap's day arithmetic agrees with stepping robfig/cron's own Next.
func TestShortestGapMatchesNext(t *testing.T) {
	for _, expr := range []string{
		"*/7 */5 * * *", "0 0 13 * 5", "30 23 1,15 * 1", "0 12 31 * *", "15 3 * 2 0,6",
		"0 0 1-7 * 1", "5,55 10,11 * * 1-5", "@weekly", "@monthly", "0 0 29 2,3 *", "59 23 28-31 * *",
	} {
		ps, err := parseSchedule(expr, "", parseOpts{})
		if err != nil {
			t.Fatal(err)
		}
		spec := ps.schedule.(*cron.SpecSchedule)
		brute := time.Duration(0)
		prev := spec.Next(gapSampleStart.Add(-time.Second))
		for prev.Before(gapSampleStart.AddDate(gapSampleDays/365, 0, 0)) {
			next := spec.Next(prev)
			if g := next.Sub(prev); brute == 0 || g < brute {
				brute = g
			}
			prev = next
		}
		if ps.interval != brute {
			t.Errorf("%q: shortestGap %v, stepping Next %v", expr, ps.interval, brute)
		}
	}
}

// Schedules (the scheduler's cache) gives the same slots as
// ParsedSchedule, and shares a zone between jobs.
func TestSchedulesMatchParsedSchedule(t *testing.T) {
	c := NewSchedules()
	for _, tc := range []struct{ schedule, zone string }{
		{"0 3 * * *", "Europe/Berlin"}, {"30 2 * * *", "Europe/Berlin"}, {"0 * * * *", "America/New_York"},
		{"*/15 * * * *", "UTC"}, {"@every 90m", "UTC"}, {"0 6 1 * *", "America/New_York"}, {"@weekly", "Asia/Tokyo"},
	} {
		sp := Spec{Schedule: tc.schedule, Timezone: tc.zone}
		want, err := sp.ParsedSchedule()
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Of(sp)
		if err != nil {
			t.Fatal(err)
		}
		a, b := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		for range 500 {
			a, b = want.Next(a), got.Next(b)
			if !a.Equal(b) {
				t.Fatalf("%s in %s: %s vs %s", tc.schedule, tc.zone, a, b)
			}
		}
	}
	if len(c.zones) != 4 {
		t.Errorf("%d zones cached, want 4", len(c.zones))
	}
}
