package jobstore

import (
	"fmt"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/supaops/supaops/internal/yamlfile"
)

func jobKeys() []string {
	return []string{
		"name", "schedule", "timezone", "kind", "projects", "notify",
		"concurrency", "missed", "starting_deadline", "jitter", "timeout",
		"history", "paused", "budget", "params",
	}
}

// jobReader reads one job: it records the line of each field, for the
// problems Spec.check finds later, and the fields already refused, so that
// a value of the wrong type is not also reported as missing or out of range.
type jobReader struct {
	ps    *specProblems
	what  string // job "x", or jobs[3] before the name is known
	line  int
	lines map[string]int
	bad   map[string]bool
	given map[string]bool // keys present in the file, params.<key> for params
}

// fail reports a problem with a field found while reading it.
func (r *jobReader) fail(field string, line int, format string, args ...any) {
	r.bad[field] = true
	r.ps.add(line, "%s: %s: %s", r.what, displayField(field), fmt.Sprintf(format, args...))
}

// report is Spec.check's add: it places a problem on its field's line,
// unless reading that field already failed.
func (r *jobReader) report(field, msg string) {
	for f := field; f != ""; f = parentField(f) {
		if r.bad[f] {
			return
		}
	}
	r.ps.add(r.lineOf(field), "%s: %s: %s", r.what, displayField(field), msg)
}

// lineOf is the line of a field, else of the nearest field holding it, else
// of the job.
func (r *jobReader) lineOf(field string) int {
	for f := field; f != ""; f = parentField(f) {
		if l, ok := r.lines[f]; ok {
			return l
		}
	}
	return r.line
}

// parentField strips the last [i] or .key from a field path.
func parentField(f string) string {
	i := strings.LastIndexAny(f, ".[")
	if i < 0 {
		return ""
	}
	return f[:i]
}

// value records a field's line and returns its node, or nil when absent.
func (r *jobReader) value(f map[string]yamlField, key, field string) *yaml.Node {
	v, ok := f[key]
	if !ok {
		return nil
	}
	r.given[field] = true
	r.lines[field] = v.Value.Line
	return v.Value
}

func (r *jobReader) str(f map[string]yamlField, key, field string) string {
	n := r.value(f, key, field)
	if n == nil {
		return ""
	}
	s, err := yamlString(n)
	if err != nil {
		r.fail(field, n.Line, "%v", err)
	}
	return s
}

// budget reads "calls/window"; a bare number (YAML reads 120 as one) is
// told the form, not that it must be a string.
func (r *jobReader) budget(f map[string]yamlField) Budget {
	n := r.value(f, "budget", "budget")
	if n == nil {
		return Budget{}
	}
	if n.Kind != yaml.ScalarNode {
		r.fail("budget", n.Line, "%s", budgetForm)
		return Budget{}
	}
	b, err := ParseBudget(n.Value)
	if err != nil {
		r.fail("budget", n.Line, "%v", err)
	}
	return b
}

func (r *jobReader) duration(f map[string]yamlField, key, field string) time.Duration {
	n := r.value(f, key, field)
	if n == nil {
		return 0
	}
	d, err := yamlDuration(n)
	if err != nil {
		r.fail(field, n.Line, "%v", err)
	}
	return d
}

func (r *jobReader) integer(f map[string]yamlField, key, field string) int {
	n := r.value(f, key, field)
	if n == nil {
		return 0
	}
	i, err := yamlInt(n)
	if err != nil {
		r.fail(field, n.Line, "%v", err)
	}
	return i
}

func (r *jobReader) boolean(f map[string]yamlField, key, field string, def bool) bool {
	n := r.value(f, key, field)
	if n == nil {
		return def
	}
	b, err := yamlBool(n)
	if err != nil {
		r.fail(field, n.Line, "%v", err)
	}
	return b
}

// strings reads a list of strings, recording each item's line under
// field[i], i counting the strings kept.
func (r *jobReader) strings(f map[string]yamlField, key, field string) []string {
	n := r.value(f, key, field)
	if n == nil {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		r.fail(field, n.Line, "must be a list, e.g. [a, b]")
		return nil
	}
	var out []string
	for _, item := range n.Content {
		s, err := yamlString(item)
		if err != nil {
			r.ps.add(item.Line, "%s: %s: each item %v", r.what, displayField(field), err)
			r.bad[field] = true // a required list with a bad item is not "missing"
			continue
		}
		r.lines[fmt.Sprintf("%s[%d]", field, len(out))] = item.Line
		out = append(out, s)
	}
	return out
}

// readJob reads and checks one entry of jobs. ok reports that the job has a
// valid name, on nameLine, so its uniqueness can be checked; the spec is
// returned with problems recorded either way.
func readJob(ps *specProblems, n *yaml.Node, index int, opts LoadOptions) (s Spec, nameLine int, ok bool) {
	r := &jobReader{
		ps: ps, what: fmt.Sprintf("jobs[%d]", index), line: n.Line,
		lines: map[string]int{}, bad: map[string]bool{}, given: map[string]bool{},
	}
	if name := yamlfile.PeekName(n, "name"); jobNameRE().MatchString(name) {
		r.what = fmt.Sprintf("job %q", name)
	}
	f := ps.Fields(n, r.what, jobKeys()...)
	if f == nil {
		return Spec{}, 0, false
	}
	s = Spec{Line: n.Line}
	s.Name = r.str(f, "name", "name")
	s.Schedule = r.str(f, "schedule", "schedule")
	s.Timezone = r.str(f, "timezone", "timezone")
	if s.Timezone == "" && r.given["timezone"] && !r.bad["timezone"] {
		r.fail("timezone", r.lines["timezone"], "empty; leave the key out for %s", DefaultTimezone)
	}
	r.canonicalSchedule(&s)
	s.Kind = r.str(f, "kind", "kind")
	s.Projects = r.strings(f, "projects", "projects")
	s.Notify = r.notify(f)
	s.Concurrency = Concurrency(r.str(f, "concurrency", "concurrency"))
	s.Missed = Missed(r.str(f, "missed", "missed"))
	s.StartingDeadline = r.duration(f, "starting_deadline", "starting_deadline")
	s.Jitter = r.duration(f, "jitter", "jitter")
	s.Timeout = r.duration(f, "timeout", "timeout")
	s.History = r.integer(f, "history", "history")
	s.Paused = r.boolean(f, "paused", "paused", false)
	s.Budget = r.budget(f)
	r.params(f, &s)
	if _, has := r.lines["params"]; !has && r.given["kind"] {
		// A required param of a job without params: point at its kind.
		r.lines["params"] = r.lines["kind"]
	}
	fillDefaults(&s, func(field string) bool { return !r.given[field] && !r.bad[field] })
	s.check(opts, r.report)
	return s, r.lines["name"], !r.bad["name"] && jobNameRE().MatchString(s.Name)
}

// canonicalSchedule moves a CRON_TZ= prefix into the time zone and
// collapses spaces, so a schedule has one spelling; problems with the prefix
// point at the schedule.
func (r *jobReader) canonicalSchedule(s *Spec) {
	tz, expr, hasTZ := splitCronTZ(s.Schedule)
	if r.bad["schedule"] {
		return
	}
	if !hasTZ {
		s.Schedule = strings.Join(strings.Fields(expr), " ")
		return
	}
	line := r.lines["schedule"]
	switch _, err := loadZone(tz); {
	case r.given["timezone"]:
		r.fail("schedule", line, "gives a time zone (CRON_TZ=%s) and so does timezone: %s; keep one", tz, s.Timezone)
	case tz == "":
		r.fail("schedule", line, "CRON_TZ= needs a zone, as in CRON_TZ=Europe/Berlin 0 3 * * *")
	case expr == "":
		r.fail("schedule", line, "CRON_TZ=%s needs a schedule after it, as in CRON_TZ=%s 0 3 * * *", tz, tz)
	case err != nil:
		r.fail("schedule", line, "CRON_TZ=%s: %v", tz, err)
	default:
		s.Timezone, s.Schedule = tz, strings.Join(strings.Fields(expr), " ")
		r.given["timezone"] = true
		r.lines["timezone"] = line
	}
}

func (r *jobReader) notify(f map[string]yamlField) []Target {
	var out []Target
	for i, item := range r.strings(f, "notify", "notify") {
		t, err := ParseTarget(item)
		if err != nil {
			r.ps.add(r.lines[fmt.Sprintf("notify[%d]", i)], "%s: notify: %v", r.what, err)
			r.bad["notify"] = true
			continue
		}
		r.lines[fmt.Sprintf("notify[%d]", len(out))] = r.lines[fmt.Sprintf("notify[%d]", i)]
		out = append(out, t)
	}
	return out
}
