package jobstore

import (
	"maps"
	"slices"
	"strings"
)

// WithDefaults returns a copy of s with its zero values replaced by the
// defaults Parse would apply to a key left out, and its schedule in
// canonical form (a CRON_TZ= prefix moved into Timezone, single spaces).
// Zero means unset here, so a value whose default is not zero (a lag, a
// number of samples) cannot be set to zero from Go; Validate refuses those
// zeros anyway. A nil parameter struct for the kind gets every default; a
// non-nil one keeps its booleans as they are.
func (s Spec) WithDefaults() Spec {
	out := s.clone()
	out.Schedule, out.Timezone = canonicalSchedule(out.Schedule, out.Timezone)
	fillDefaults(&out, func(string) bool { return true })
	return out
}

// fillDefaults sets each zero field that unset reports as unset (in a file,
// a key left out; from Go, any zero field) to its default. Param fields are
// named params.<key>.
func fillDefaults(s *Spec, unset func(field string) bool) {
	if s.Timezone == "" && unset("timezone") {
		s.Timezone = DefaultTimezone
	}
	if s.Concurrency == "" && unset("concurrency") {
		s.Concurrency = ConcurrencyForbid
	}
	if s.Missed == "" && unset("missed") {
		s.Missed = MissedRunOnce
	}
	if s.Timeout == 0 && unset("timeout") {
		s.Timeout = DefaultTimeout
	}
	if s.History == 0 && unset("history") {
		s.History = DefaultHistory
	}
	if s.StartingDeadline == 0 && s.Missed == MissedRunOnce && unset("starting_deadline") {
		// One interval: the latest missed slot of an evenly spaced schedule
		// is always younger, so it runs. Capped at a day: a weekly check
		// missed days ago waits for its next slot.
		if d, err := s.ShortestInterval(); err == nil {
			s.StartingDeadline = max(min(d, defaultDeadlineCap), MinStartingDeadline)
		}
	}
	switch s.Kind {
	case KindBackup:
		if s.Backup == nil {
			s.Backup = &BackupParams{RestorePoint: true}
		}
		if s.Backup.MaxAge == 0 && unset("params.max_age") {
			s.Backup.MaxAge = DefaultBackupMaxAge
		}
	case KindAdvisors:
		if s.Advisors == nil {
			s.Advisors = &AdvisorsParams{}
		}
		if len(s.Advisors.Types) == 0 && unset("params.types") {
			s.Advisors.Types = AdvisorTypes()
		}
		if s.Advisors.Level == "" && unset("params.level") {
			s.Advisors.Level = DefaultAdvisorLevel
		}
	case KindLogSweep:
		if s.LogSweep == nil {
			s.LogSweep = &LogSweepParams{}
		}
		p := s.LogSweep
		if p.Source == "" && unset("params.source") {
			p.Source = DefaultLogSource
		}
		if p.Lag == 0 && unset("params.lag") {
			p.Lag = DefaultLogLag
		}
		if p.Window == 0 && unset("params.window") {
			p.Window = DefaultLogWindow
		}
		if p.Samples == 0 && unset("params.samples") {
			p.Samples = DefaultLogSamples
		}
	case KindAction:
		if s.Action == nil {
			s.Action = &ActionParams{}
		}
	}
}

// clone copies s deeply enough that changing the copy's slices, maps and
// parameter structs leaves s alone.
func (s Spec) clone() Spec {
	out := s
	out.Projects = slices.Clone(s.Projects)
	out.Notify = slices.Clone(s.Notify)
	if s.Backup != nil {
		b := *s.Backup
		out.Backup = &b
	}
	if s.Advisors != nil {
		a := *s.Advisors
		a.Types = slices.Clone(a.Types)
		out.Advisors = &a
	}
	if s.LogSweep != nil {
		l := *s.LogSweep
		out.LogSweep = &l
	}
	if s.Action != nil {
		a := *s.Action
		a.Args = cloneArgs(a.Args)
		out.Action = &a
	}
	return out
}

func cloneArgs(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := maps.Clone(m)
	for k, v := range out {
		out[k] = cloneValue(v)
	}
	return out
}

func cloneValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return cloneArgs(x)
	case []any:
		c := make([]any, len(x))
		for i := range x {
			c[i] = cloneValue(x[i])
		}
		return c
	}
	return v
}

// canonicalSchedule moves a CRON_TZ= prefix into the time zone when none is
// set, and collapses runs of spaces. When both are set it changes nothing:
// Validate refuses that.
func canonicalSchedule(schedule, timezone string) (string, string) {
	tz, expr, hasTZ := splitCronTZ(schedule)
	if hasTZ && timezone == "" {
		timezone = tz
	} else if hasTZ {
		return strings.TrimSpace(schedule), timezone
	}
	return strings.Join(strings.Fields(expr), " "), timezone
}
