package jobstore

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/supaops/supaops/internal/suggest"
)

// LoadOptions is what job specs are checked against.
type LoadOptions struct {
	// Actions reports whether name is a registry action, for kind action.
	// When nil, every kind action job is refused: it cannot be checked.
	Actions func(name string) bool
}

// Compiled on first use, not at package init: every binary links this
// package, and few processes check a jobs file.
var (
	jobNameRE    = lazyRegexp(`^[a-z0-9][a-z0-9-]{0,62}$`)
	projectRefRE = lazyRegexp(`^[a-z]{20}$`)
	orgSlugRE    = lazyRegexp(`^[A-Za-z0-9_-]{1,64}$`)
)

func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

// Validate checks a spec built in Go (from Slack, in tests) against every
// rule Parse applies to a file. Run WithDefaults first: Validate checks the
// spec as it is, and a zero timeout or an empty time zone is refused, not
// defaulted. All problems are returned, joined.
func (s Spec) Validate(opts LoadOptions) error {
	what := "job"
	if s.Name != "" {
		what = fmt.Sprintf("job %q", s.Name)
	}
	var errs []error
	s.check(opts, func(field, msg string) {
		errs = append(errs, fmt.Errorf("%s: %s: %s", what, displayField(field), msg))
	})
	return errors.Join(errs...)
}

// displayField drops list indexes from a field path: the message names the
// item itself, and a file's problem points at its line.
func displayField(field string) string {
	for {
		i := strings.IndexByte(field, '[')
		if i < 0 {
			return field
		}
		j := strings.IndexByte(field[i:], ']')
		if j < 0 {
			return field
		}
		field = field[:i] + field[i+j+1:]
	}
}

// check applies every rule to s, reporting each problem by the field it is
// about (name, schedule, projects[2], params.max_age, ...). Parse and
// Validate share it, so a file and a spec built in Go are held to the same
// rules.
func (s Spec) check(opts LoadOptions, add func(field, msg string)) {
	addf := func(field, format string, args ...any) { add(field, fmt.Sprintf(format, args...)) }
	if !jobNameRE().MatchString(s.Name) {
		if s.Name == "" {
			addf("name", "required; the job calls as principal job:<name>")
		} else {
			addf("name", "%s: want 1 to 63 lower-case letters, digits and '-', starting with a letter or digit", suggest.Quote(s.Name, 60))
		}
	}
	interval, scheduleOK := s.checkSchedule(addf)
	if !slices.Contains(Kinds(), s.Kind) {
		if s.Kind == "" {
			addf("kind", "required (%s)", strings.Join(Kinds(), ", "))
		} else {
			addf("kind", "unknown kind %s%s (known: %s)", suggest.Quote(s.Kind, 60), suggest.DidYouMean(s.Kind, Kinds()), strings.Join(Kinds(), ", "))
		}
	}
	s.checkProjects(addf)
	s.checkNotify(addf)
	switch s.Concurrency {
	case ConcurrencyForbid, ConcurrencyReplace, ConcurrencyAllow:
	default:
		addf("concurrency", "unknown value %s (known: forbid, replace, allow; forbid is the default)", suggest.Quote(string(s.Concurrency), 60))
	}
	switch s.Missed {
	case MissedRunOnce:
		// A zero deadline under a broken schedule is the default not yet
		// computed; the schedule is reported.
		if scheduleOK || s.StartingDeadline != 0 {
			checkRange(addf, "starting_deadline", s.StartingDeadline, MinStartingDeadline, MaxStartingDeadline)
		}
	case MissedSkip:
		if s.StartingDeadline != 0 {
			addf("starting_deadline", "applies only with missed: run-once (missed is skip)")
		}
	default:
		addf("missed", "unknown value %s (known: skip, run-once; run-once is the default)", suggest.Quote(string(s.Missed), 60))
	}
	switch {
	case s.Jitter < 0:
		addf("jitter", "must not be negative")
	case scheduleOK && s.Jitter > interval:
		addf("jitter", "%s is longer than the schedule's interval (%s): runs could swap places", formatDuration(s.Jitter), formatDuration(interval))
	}
	checkRange(addf, "timeout", s.Timeout, MinTimeout, MaxTimeout)
	if s.History < 1 || s.History > MaxHistory {
		addf("history", "%d is out of range 1..%d", s.History, MaxHistory)
	}
	if s.Budget != (Budget{}) {
		if err := s.Budget.check(); err != nil {
			addf("budget", "%v", err)
		}
	}
	s.checkParams(opts, addf)
}

type addFunc func(field, format string, args ...any)

func checkRange(addf addFunc, field string, d, lo, hi time.Duration) {
	if d < lo || d > hi {
		addf(field, "%s is out of range %s..%s", formatDuration(d), formatDuration(lo), formatDuration(hi))
	}
}

// checkSchedule checks the schedule and time zone, and returns the interval.
func (s Spec) checkSchedule(addf addFunc) (time.Duration, bool) {
	if s.Timezone == "" {
		addf("timezone", "empty; WithDefaults sets %s, or the zone of a CRON_TZ= prefix", DefaultTimezone)
	} else if _, err := loadZone(s.Timezone); err != nil {
		addf("timezone", "%v", err)
	}
	tz, expr, hasTZ := splitCronTZ(s.Schedule)
	switch {
	case strings.TrimSpace(s.Schedule) == "":
		addf("schedule", "required; %s", fiveFields)
		return 0, false
	case hasTZ && s.Timezone != "":
		addf("schedule", "gives a time zone (CRON_TZ=%s) and so does timezone: %s; keep one", tz, s.Timezone)
		return 0, false
	case hasTZ:
		return 0, false // reported as an empty timezone: WithDefaults moves the prefix
	}
	ps, err := parseExpr(expr, time.UTC, parseOpts{}) // the zone moves runs, not the interval
	if err != nil {
		addf("schedule", "%v", err)
		return 0, false
	}
	return ps.interval, true
}

func (s Spec) checkProjects(addf addFunc) {
	argRef, hasArgRef := s.actionRef()
	if len(s.Projects) == 0 {
		switch {
		case s.Kind == KindAction && hasArgRef:
		case s.Kind == KindAction:
			addf("projects", "required: list project refs or org:<slug>, or name the project in params.args.ref")
		case slices.Contains(Kinds(), s.Kind):
			addf("projects", "required: list project refs (20 lower-case letters) or org:<slug> (every project of an organization)")
		}
	} else if hasArgRef {
		addf("params.args.ref", "the project is named twice, in projects and in args.ref (%v); keep one", argRef)
	}
	seen := map[string]bool{}
	for i, p := range s.Projects {
		field := fmt.Sprintf("projects[%d]", i)
		if err := checkProject(p); err != nil {
			addf(field, "%v", err)
			continue
		}
		if seen[p] {
			addf(field, "%q given twice", p)
		}
		seen[p] = true
	}
}

// actionRef is the project a kind action job's args name, if any.
func (s Spec) actionRef() (any, bool) {
	if s.Kind != KindAction || s.Action == nil {
		return nil, false
	}
	v, ok := s.Action.Args["ref"]
	return v, ok
}

// checkProject checks one projects entry: a ref or org:<slug>.
func checkProject(p string) error {
	if slug, ok := strings.CutPrefix(p, OrgPrefix); ok {
		if !orgSlugRE().MatchString(slug) {
			return fmt.Errorf("%s: an organization slug is 1 to 64 letters, digits, '_' and '-', as in org:acme", suggest.Quote(p, 60))
		}
		return nil
	}
	switch {
	case projectRefRE().MatchString(p):
		return nil
	case strings.ContainsAny(p, "*?["):
		return fmt.Errorf("%s: globs are not supported here; list project refs, or org:<slug> for every project of an organization", suggest.Quote(p, 60))
	case strings.Contains(p, ":"):
		return fmt.Errorf("unknown selector %s: want a project ref or org:<slug>", suggest.Quote(p, 60))
	}
	return fmt.Errorf("%s is not a project ref: a ref is 20 lower-case letters (Project Settings, or the dashboard URL)", suggest.Quote(p, 60))
}

func (s Spec) checkNotify(addf addFunc) {
	seen := map[Target]bool{}
	for i, t := range s.Notify {
		field := fmt.Sprintf("notify[%d]", i)
		raw := t.Kind + ":" + t.Value // not String(), which drops a log target's value
		if t.Kind == TargetLog && t.Value == "" {
			raw = TargetLog
		}
		canon, err := ParseTarget(raw)
		switch {
		case err != nil:
			addf(field, "%v", err)
		case canon != t:
			addf(field, "%q: write it as %q", raw, canon.String())
		case seen[t]:
			addf(field, "%q given twice", t.String())
		}
		seen[t] = true
	}
}

// checkParams checks that exactly the kind's parameters are set, and them.
func (s Spec) checkParams(opts LoadOptions, addf addFunc) {
	set := map[string]bool{
		KindBackup: s.Backup != nil, KindAdvisors: s.Advisors != nil,
		KindLogSweep: s.LogSweep != nil, KindAction: s.Action != nil,
	}
	for _, k := range Kinds() {
		if set[k] && k != s.Kind && slices.Contains(Kinds(), s.Kind) {
			addf("params", "%s parameters on a job of kind %s", k, s.Kind)
		}
	}
	if !slices.Contains(Kinds(), s.Kind) {
		return
	}
	if !set[s.Kind] {
		addf("params", "none for kind %s; WithDefaults fills them", s.Kind)
		return
	}
	switch s.Kind {
	case KindBackup:
		checkRange(addf, "params.max_age", s.Backup.MaxAge, MinBackupMaxAge, MaxBackupMaxAge)
	case KindAdvisors:
		s.Advisors.check(addf)
	case KindLogSweep:
		s.LogSweep.check(addf)
	case KindAction:
		s.Action.check(opts, addf)
	}
}

func (p *AdvisorsParams) check(addf addFunc) {
	if len(p.Types) == 0 {
		addf("params.types", "empty; list security, performance or both (both is the default)")
	}
	seen := map[string]bool{}
	for i, t := range p.Types {
		field := fmt.Sprintf("params.types[%d]", i)
		switch {
		case !slices.Contains(AdvisorTypes(), t):
			addf(field, "unknown advisor %s%s (known: %s)", suggest.Quote(t, 60), suggest.DidYouMean(t, AdvisorTypes()), strings.Join(AdvisorTypes(), ", "))
		case seen[t]:
			addf(field, "%q given twice", t)
		}
		seen[t] = true
	}
	if !slices.Contains(AdvisorLevels(), p.Level) {
		hint := suggest.DidYouMean(p.Level, AdvisorLevels())
		if up := strings.ToUpper(p.Level); slices.Contains(AdvisorLevels(), up) {
			hint = fmt.Sprintf(" (did you mean %s?)", up)
		}
		addf("params.level", "unknown level %s%s (known: %s; alerts are at this level or above)",
			suggest.Quote(p.Level, 60), hint, strings.Join(AdvisorLevels(), ", "))
	}
}

func (p *LogSweepParams) check(addf addFunc) {
	if !slices.Contains(LogSources(), p.Source) {
		addf("params.source", "unknown log source %s%s (known: %s)", suggest.Quote(p.Source, 60), suggest.DidYouMean(p.Source, LogSources()), strings.Join(LogSources(), ", "))
	}
	if strings.TrimSpace(p.Where) == "" {
		addf("params.where", "required: the SQL condition a log row must meet to be reported, e.g. status_code >= 500")
	} else if err := checkWhere(p.Where); err != nil {
		addf("params.where", "%v", err)
	}
	checkRange(addf, "params.lag", p.Lag, time.Second, MaxLogLag)
	checkRange(addf, "params.window", p.Window, time.Minute, MaxLogWindow)
	if p.Window%time.Minute != 0 {
		addf("params.window", "%s: use whole minutes; the logs endpoint rounds its range to the minute", formatDuration(p.Window))
	}
	if p.Samples < 1 || p.Samples > MaxLogSamples {
		addf("params.samples", "%d is out of range 1..%d", p.Samples, MaxLogSamples)
	}
}

func (p *ActionParams) check(opts LoadOptions, addf addFunc) {
	switch {
	case p.Action == "":
		addf("params.action", "required: the registry action the job calls")
	case opts.Actions == nil:
		addf("params.action", "no action registry to check %s against", suggest.Quote(p.Action, 60))
	case !opts.Actions(p.Action):
		addf("params.action", "unknown action %s (list them with `supaops-mcp actions`)", suggest.Quote(p.Action, 60))
	}
	for _, k := range slices.Sorted(maps.Keys(p.Args)) {
		if err := checkArgValue(p.Args[k], 0); err != nil {
			addf("params.args."+k, "%v", err)
		}
	}
	if ref, ok := p.Args["ref"]; ok {
		if s, isStr := ref.(string); !isStr || !projectRefRE().MatchString(s) {
			addf("params.args.ref", "%v is not a project ref: a ref is 20 lower-case letters (org: selectors go in projects)", ref)
		}
	}
}
