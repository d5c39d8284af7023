package jobstore

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"
)

// Parse never panics; it either refuses with located problems or returns
// specs that Validate accepts, that encode and decode to themselves, and
// whose schedules move forward.
func FuzzParse(f *testing.F) {
	f.Add([]byte(richFile))
	for _, seed := range []string{
		"", "version: 1\njobs: []\n", job(), job(`schedule: "CRON_TZ=Europe/Berlin 30 2 * * *"`),
		job(`schedule: "TZ=UTC"`), job(`schedule: "CRON_TZ="`), job(`schedule: "@every 1d"`),
		job("kind: log_sweep", "params: {where: \"a = '(' and b > 1\"}"),
		job("kind: action", "projects: []", "params: {action: project_get, args: {ref: abcdefghijklmnopqrst, x: [1, {a: null}]}}"),
		"version: 1\njobs:\n  - &a {name: x}\n  - *a\n", "version: 1\n---\n", "[", "{{{", "\x00", "- - - -",
	} {
		f.Add([]byte(seed))
	}
	opts := testOpts()
	f.Fuzz(func(t *testing.T, data []byte) {
		specs, err := Parse("fuzz.yaml", data, opts)
		if err != nil {
			var le *LoadError
			if !errors.As(err, &le) || len(le.Problems) == 0 {
				t.Fatalf("error %v is not a *LoadError with problems", err)
			}
			for _, p := range le.Problems {
				if p.File != "fuzz.yaml" || p.Reason == "" || p.Line < 0 {
					t.Fatalf("bad problem %+v", p)
				}
			}
			return
		}
		for _, s := range specs {
			if err := s.Validate(opts); err != nil {
				t.Fatalf("Parse accepted %q but Validate refuses it: %v", s.Name, err)
			}
			b, err := json.Marshal(s)
			if err != nil {
				t.Fatalf("marshal %q: %v", s.Name, err)
			}
			var back Spec
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatalf("unmarshal %s: %v", b, err)
			}
			back.Line = s.Line
			if !reflect.DeepEqual(back, s) {
				t.Fatalf("%q does not round-trip through %s", s.Name, b)
			}
			sched, err := s.ParsedSchedule()
			if err != nil {
				t.Fatalf("%q: %v", s.Name, err)
			}
			at := time.Date(2024, 10, 27, 0, 0, 0, 0, time.UTC)
			if next := sched.Next(at); !next.After(at) {
				t.Fatalf("%q: Next(%v) = %v", s.Name, at, next)
			}
		}
	})
}

// Any schedule and zone: no panic, and a schedule that parses moves forward.
func FuzzSchedule(f *testing.F) {
	for _, seed := range [][2]string{
		{"0 3 * * *", "Europe/Berlin"}, {"CRON_TZ=America/New_York 30 1 * * *", ""}, {"TZ=UTC", ""},
		{"CRON_TZ=", ""}, {"@every 1d1h", ""}, {"* 2 * * *", "Australia/Lord_Howe"}, {"0 0 29 2 *", "Asia/Kathmandu"},
		{"*/7 */5 1-31/3 JAN-DEC/2 MON-FRI", "America/Sao_Paulo"}, {"0 0 1 1 ?", "Local"}, {"@every -1m", ""},
	} {
		f.Add(seed[0], seed[1], int64(1729987200))
	}
	f.Fuzz(func(t *testing.T, schedule, zone string, unix int64) {
		sched, err := Spec{Schedule: schedule, Timezone: zone}.ParsedSchedule()
		if err != nil {
			return
		}
		at := time.Unix(unix%(1<<34), 0).UTC()
		next := sched.Next(at)
		if !next.IsZero() && !next.After(at) {
			t.Fatalf("Next(%v) = %v for %q in %q", at, next, schedule, zone)
		}
	})
}
