package jobstore

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// testActions are the registry actions the tests know.
func testOpts() LoadOptions {
	known := map[string]bool{"backup_schedule_get": true, "project_get": true, "advisors_security_list": true}
	return LoadOptions{Actions: func(name string) bool { return known[name] }}
}

// markedLine is the 1-based line holding "# <-", where a test expects its problem.
func markedLine(t *testing.T, src string) int {
	t.Helper()
	for i, line := range strings.Split(src, "\n") {
		if strings.Contains(line, "# <-") {
			return i + 1
		}
	}
	t.Fatalf("no # <- marker in\n%s", src)
	return 0
}

func parseProblems(t *testing.T, src string, opts LoadOptions) []Problem {
	t.Helper()
	specs, err := Parse("jobs.yaml", []byte(src), opts)
	if err == nil {
		t.Fatalf("Parse accepted a bad file (%d jobs):\n%s", len(specs), src)
	}
	var le *LoadError
	if !errors.As(err, &le) {
		t.Fatalf("Parse error is %T (%v), want *LoadError", err, err)
	}
	return le.Problems
}

// job is a valid backup job with the given lines added (or replacing a key
// of the same name); lines are indented as the job's keys.
func job(extra ...string) string {
	base := []string{
		"name: nightly",
		`schedule: "0 3 * * *"`,
		"kind: backup",
		"projects: [abcdefghijklmnopqrst]",
	}
	var out []string
	replaced := map[string]bool{}
	for _, b := range base {
		key, _, _ := strings.Cut(b, ":")
		keep := true
		for _, e := range extra {
			if k, _, _ := strings.Cut(e, ":"); k == key {
				if !replaced[key] {
					out = append(out, e)
				}
				replaced[key], keep = true, false
			}
		}
		if keep {
			out = append(out, b)
		}
	}
	for _, e := range extra {
		if k, _, _ := strings.Cut(e, ":"); !replaced[k] {
			out = append(out, e)
		}
	}
	return "version: 1\njobs:\n  - " + strings.Join(out, "\n    ") + "\n"
}

func TestParseRefuses(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string // a part of the reason on the marked line
	}{
		// The file.
		{"unknown top-level key", "version: 1\njobs: []\njob: []  # <-\n", `unknown key "job" (did you mean jobs?) (known: jobs, version)`},
		{"missing version", "jobs: []  # <-\n", "version: required"},
		{"unsupported version", "version: 2  # <-\njobs: []\n", "version: 2 is not supported"},
		{"missing jobs", "version: 1  # <-\n", "jobs: required"},
		{"jobs not a list", "version: 1\njobs: {a: 1}  # <-\n", "jobs: must be a list"},
		{"job not a mapping", "version: 1\njobs:\n  - nightly  # <-\n", "jobs[0]: must be a mapping"},
		{"invalid YAML", "version: 1\njobs:\n  - name: [a  # <-\n", "invalid YAML"},
		{"two documents", "version: 1\njobs: []\n---  # <-\nversion: 1\n", "one YAML document"},
		{"anchors", "version: 1\njobs:\n  - &j {name: a}  # <-\n", "anchors (&name) and aliases"},

		// Keys.
		{"unknown job key", job("schedul: x  # <-"), `job "nightly": unknown key "schedul" (did you mean schedule?) (known: budget, concurrency, history, jitter, kind, missed, name, notify, params, paused, projects, schedule, starting_deadline, timeout, timezone)`},
		{"duplicate job key", job("kind: backup", "timeout: 1m", "timeout: 2m  # <-"), `key "timeout" given twice`},
		{"unknown backup param", job("params:", "  max_agee: 1h  # <-"), `params (kind backup): unknown key "max_agee" (did you mean max_age?) (known: max_age, restore_point)`},
		{"unknown advisors param", job("kind: advisors", "params:", "  typ: [security]  # <-"), `params (kind advisors): unknown key "typ" (did you mean types?) (known: level, types)`},
		{"unknown log_sweep param", job("kind: log_sweep", "params:", "  where: x > 1", "  table: edge_logs  # <-"), `params (kind log_sweep): unknown key "table" (known: lag, samples, source, start, where, window)`},
		{"unknown action param", job("kind: action", "params:", "  action: project_get", "  arguments: {}  # <-"), `params (kind action): unknown key "arguments" (known: action, args)`},
		{"params not a mapping", job("params: [1]  # <-"), "params (kind backup): must be a mapping"},

		// Names.
		{"missing name", "version: 1\njobs:\n  - schedule: '0 3 * * *'  # <-\n    kind: backup\n    projects: [abcdefghijklmnopqrst]\n", "jobs[0]: name: required"},
		{"upper-case name", job("name: Nightly_Backup  # <-"), `name: "Nightly_Backup": want 1 to 63 lower-case letters, digits and '-'`},
		{"name starting with -", job("name: -x  # <-"), "starting with a letter or digit"},
		{"name too long", job("name: " + strings.Repeat("a", 64) + "  # <-"), "want 1 to 63"},
		{"name not a string", job("name: 12  # <-"), "name: must be a string"},
		{"duplicate name", "version: 1\njobs:\n  - name: a\n    schedule: '@daily'\n    kind: backup\n    projects: [abcdefghijklmnopqrst]\n" +
			"  - name: a  # <-\n    schedule: '@daily'\n    kind: backup\n    projects: [abcdefghijklmnopqrst]\n", `job "a": name already used by the job at line 3`},

		// Schedules.
		{"missing schedule", "version: 1\njobs:\n  - name: a  # <-\n    kind: backup\n    projects: [abcdefghijklmnopqrst]\n", "schedule: required"},
		{"seconds", job(`schedule: "0 0 3 * * *"  # <-`), "6 fields: seconds are not supported; write 5 fields: minute hour day-of-month month day-of-week"},
		{"seconds and years", job(`schedule: "0 0 3 * * * 2025"  # <-`), "7 fields: seconds and years are not supported"},
		{"too few fields", job(`schedule: "0 3 * *"  # <-`), "4 fields; write 5 fields"},
		{"minute out of range", job(`schedule: "60 3 * * *"  # <-`), `minute field "60": end of range (60) above maximum (59)`},
		{"hour out of range", job(`schedule: "0 24 * * *"  # <-`), `hour field "24": end of range (24) above maximum (23)`},
		{"day-of-week 7", job(`schedule: "0 3 * * 7"  # <-`), `day-of-week field "7": end of range (7) above maximum (6): 7; Sunday is 0`},
		{"word in a field", job(`schedule: "0 three * * *"  # <-`), `hour field "three": not a number, a range (1-5), a step (*/15) or a name`},
		{"zero step", job(`schedule: "*/0 * * * *"  # <-`), `minute field "*/0": step of range should be a positive number`},
		{"never fires", job(`schedule: "0 0 30 2 *"  # <-`), "never fires"},
		{"every too short", job(`schedule: "@every 30s"  # <-`), "@every 30s is shorter than 1m: jobs call a rate-limited API"},
		{"every not whole seconds", job(`schedule: "@every 61500ms"  # <-`), "use whole seconds"},
		{"every without duration", job(`schedule: "@every"  # <-`), "@every needs a duration"},
		{"every bad duration", job(`schedule: "@every soon"  # <-`), `@every soon: "soon" is not a duration`},
		{"reboot", job(`schedule: "@reboot"  # <-`), "@reboot is not supported"},
		{"unknown descriptor", job(`schedule: "@fortnightly"  # <-`), `unknown descriptor "@fortnightly"`},
		{"TZ= prefix", job(`schedule: "TZ=UTC 0 3 * * *"  # <-`), "TZ= is not supported; write CRON_TZ=Area/City"},
		{"schedule not a string", job("schedule: 5  # <-"), "schedule: must be a string"},

		// Time zones.
		{"unknown time zone", job("timezone: Mars/Olympus_Mons  # <-"), `timezone: unknown time zone "Mars/Olympus_Mons": want an IANA zone`},
		{"Local time zone", job("timezone: Local  # <-"), `time zone "Local" depends on the server`},
		{"empty time zone", job(`timezone: ""  # <-`), "timezone: empty; leave the key out for UTC"},
		{"unknown CRON_TZ zone", job(`schedule: "CRON_TZ=Mars/Olympus 0 3 * * *"  # <-`), `schedule: CRON_TZ=Mars/Olympus: unknown time zone`},
		{"CRON_TZ without schedule", job(`schedule: "CRON_TZ=Europe/Berlin"  # <-`), "schedule: CRON_TZ=Europe/Berlin needs a schedule after it"},
		{"CRON_TZ and timezone", job(`schedule: "CRON_TZ=Europe/Berlin 0 3 * * *"  # <-`, "timezone: Europe/Berlin"), "gives a time zone (CRON_TZ=Europe/Berlin) and so does timezone: Europe/Berlin; keep one"},

		// Kinds.
		{"unknown kind", job("kind: backups  # <-"), `kind: unknown kind "backups" (did you mean backup?) (known: backup, advisors, log_sweep, action)`},
		{"missing kind", "version: 1\njobs:\n  - name: a  # <-\n    schedule: '@daily'\n    projects: [abcdefghijklmnopqrst]\n", "kind: required (backup, advisors, log_sweep, action)"},

		// Projects.
		{"missing projects", "version: 1\njobs:\n  - name: a  # <-\n    schedule: '@daily'\n    kind: backup\n", "projects: required: list project refs (20 lower-case letters) or org:<slug>"},
		{"empty projects", job("projects: []  # <-"), "projects: required"},
		{"upper-case ref", job("projects: [ABCDEFGHIJKLMNOPQRST]  # <-"), `"ABCDEFGHIJKLMNOPQRST" is not a project ref: a ref is 20 lower-case letters`},
		{"short ref", job("projects:", "  - abcdefghijklmnopqrst", "  - abc  # <-"), `"abc" is not a project ref`},
		{"empty org", job(`projects: ["org:"]  # <-`), `"org:": an organization slug is 1 to 64 letters`},
		{"org with a space", job(`projects: ["org:ac me"]  # <-`), "an organization slug is"},
		{"glob", job(`projects: ["abc*"]  # <-`), "globs are not supported here"},
		{"unknown selector", job(`projects: ["branch:abc"]  # <-`), `unknown selector "branch:abc": want a project ref or org:<slug>`},
		{"duplicate project", job("projects:", "  - abcdefghijklmnopqrst", "  - abcdefghijklmnopqrst  # <-"), `"abcdefghijklmnopqrst" given twice`},
		{"projects not a list", job("projects: abcdefghijklmnopqrst  # <-"), "projects: must be a list"},
		{"project not a string", job("projects:", "  - abcdefghijklmnopqrst", "  - 12  # <-"), "projects: each item must be a string"},
		{"action without a project", job("kind: action", "projects: []  # <-", "params:", "  action: project_get"), "projects: required: list project refs or org:<slug>, or name the project in params.args.ref"},
		{"action naming the project twice", job("kind: action", "params:", "  action: project_get", "  args:", "    ref: bcdefghijklmnopqrstu  # <-"), "the project is named twice, in projects and in args.ref"},

		// Notify.
		{"http webhook", job(`notify: ["webhook:http://hooks.example.com/x"]  # <-`), "http is refused: results would cross the network in clear; use https"},
		{"webhook without host", job(`notify: ["webhook:https:///x"]  # <-`), "the URL has no host"},
		{"webhook with credentials", job(`notify: ["webhook:https://u:p@hooks.example.com/x"]  # <-`), "user:password@"},
		{"bare URL", job(`notify: ["https://hooks.example.com/x"]  # <-`), "write a URL as webhook:https://hooks.example.com/x"},
		{"slack channel name", job(`notify: ["slack:#ops"]  # <-`), "use the channel's id"},
		{"slack user id", job(`notify: ["slack:U0123"]  # <-`), "a Slack channel id is C (public) or G (private)"},
		{"slack DM id", job(`notify: ["slack:D0123"]  # <-`), "a Slack channel id is C (public) or G (private)"},
		{"unknown target", job(`notify: ["email:ops@example.com"]  # <-`), `unknown target "email:ops@example.com"; want slack:<channel id>, webhook:https://<host>/<path> or log`},
		{"log with a value", job(`notify: ["log:x"]  # <-`), "log takes nothing after it"},
		{"duplicate target", job("notify:", `  - slack:C0OPS`, `  - slack:c0ops  # <-`), `"slack:C0OPS" given twice`},
		{"notify not a list", job("notify: log  # <-"), "notify: must be a list"},

		// Run settings.
		{"unknown concurrency", job("concurrency: skip  # <-"), `concurrency: unknown value "skip" (known: forbid, replace, allow`},
		{"unknown missed", job("missed: all  # <-"), `missed: unknown value "all" (known: skip, run-once`},
		{"deadline with skip", job("missed: skip", "starting_deadline: 1h  # <-"), "starting_deadline: applies only with missed: run-once"},
		{"deadline too short", job("starting_deadline: 10s  # <-"), "starting_deadline: 10s is out of range 1m..7d"},
		{"deadline too long", job("starting_deadline: 8d  # <-"), "starting_deadline: 8d is out of range 1m..7d"},
		{"jitter over the interval", job(`schedule: "*/5 * * * *"`, "jitter: 10m  # <-"), "jitter: 10m is longer than the schedule's interval (5m)"},
		{"jitter over an @every", job(`schedule: "@every 2m"`, "jitter: 3m  # <-"), "jitter: 3m is longer than the schedule's interval (2m)"},
		{"jitter not a duration", job("jitter: soon  # <-"), `jitter: "soon" is not a duration`},
		{"negative jitter", job("jitter: -1s  # <-"), `jitter: "-1s" is negative`},
		{"timeout too long", job("timeout: 25h  # <-"), "timeout: 25h is out of range 10s..1d"},
		{"timeout zero", job("timeout: 0  # <-"), "timeout: 0s is out of range 10s..1d"},
		{"timeout a number", job("timeout: 600  # <-"), "timeout: must be a duration such as 30s"},
		{"history zero", job("history: 0  # <-"), "history: 0 is out of range 1..1000"},
		{"history too many", job("history: 1001  # <-"), "history: 1001 is out of range 1..1000"},
		{"history a word", job("history: twenty  # <-"), "history: must be a whole number"},
		{"budget without a window", job("budget: 120  # <-"), "budget: \"120\": want calls/window"},
		{"budget of no calls", job("budget: 0/1h  # <-"), "budget: 0 calls is out of range 1..10000"},
		{"budget window too short", job("budget: 10/30s  # <-"), "budget: a window of 30s is out of range 1m..1d"},
		{"budget a word", job("budget: lots/1h  # <-"), "not a whole number"},
		{"paused yes", job("paused: yes  # <-"), "paused: must be true or false"},

		// backup params.
		{"max_age too short", job("params:", "  max_age: 30m  # <-"), "params.max_age: 30m is out of range 1h..31d"},
		{"restore_point not a bool", job("params:", `  restore_point: "true"  # <-`), "params.restore_point: must be true or false"},

		// advisors params.
		{"unknown advisor", job("kind: advisors", "params:", "  types: [securty]  # <-"), `params.types: unknown advisor "securty" (did you mean security?) (known: security, performance)`},
		{"duplicate advisor", job("kind: advisors", "params:", "  types:", "    - security", "    - security  # <-"), `params.types: "security" given twice`},
		{"no advisors", job("kind: advisors", "params:", "  types: []  # <-"), "params.types: empty"},
		{"lower-case level", job("kind: advisors", "params:", "  level: warn  # <-"), `params.level: unknown level "warn" (did you mean WARN?) (known: ERROR, WARN, INFO`},

		// log_sweep params.
		{"missing where", job("kind: log_sweep  # <-"), "params.where: required"},
		{"unknown source", job("kind: log_sweep", "params:", "  source: edge_log  # <-", "  where: status_code >= 500"), `params.source: unknown log source "edge_log" (did you mean edge_logs?)`},
		{"where with ;", job("kind: log_sweep", "params:", "  where: 'status_code >= 500; drop table x'  # <-"), "params.where: one condition, not statements"},
		{"where with a comment", job("kind: log_sweep", "params:", "  where: 'status_code >= 500 -- all'  # <-"), "comments are not allowed"},
		{"where with a clause", job("kind: log_sweep", "params:", "  where: 'true order by timestamp'  # <-"), "ORDER is not allowed outside parentheses"},
		{"where unbalanced", job("kind: log_sweep", "params:", "  where: '(status_code >= 500'  # <-"), "1 unclosed ("},
		{"where unterminated", job("kind: log_sweep", "params:", `  where: "path = 'x"  # <-`), "unterminated ' quote"},
		{"lag too long", job("kind: log_sweep", "params:", "  where: x > 1", "  lag: 2h  # <-"), "params.lag: 2h is out of range 1s..1h"},
		{"window too long", job("kind: log_sweep", "params:", "  where: x > 1", "  window: 25h  # <-"), "params.window: 25h is out of range 1m..1d"},
		{"window not whole minutes", job("kind: log_sweep", "params:", "  where: x > 1", "  window: 90s  # <-"), "params.window: 1m30s: use whole minutes"},
		{"bad start", job("kind: log_sweep", "params:", "  where: x > 1", "  start: yesterday  # <-"), `params.start: "yesterday": want now or an RFC 3339 time`},
		{"too many samples", job("kind: log_sweep", "params:", "  where: x > 1", "  samples: 21  # <-"), "params.samples: 21 is out of range 1..20"},

		// action params.
		{"unknown action", job("kind: action", "params:", "  action: project_delete_everything  # <-"), `params.action: unknown action "project_delete_everything"`},
		{"missing action", job("kind: action  # <-"), "params.action: required"},
		{"args not a mapping", job("kind: action", "params:", "  action: project_get", "  args: [1]  # <-"), "params.args: must be a mapping"},
		{"bad args ref", job("kind: action", "projects: []", "params:", "  action: project_get", "  args:", "    ref: org:acme  # <-"), "params.args.ref: org:acme is not a project ref"},
		{"args infinity", job("kind: action", "params:", "  action: project_get", "  args:", "    n: .inf  # <-"), `params.args.n: ".inf" is not a number JSON can carry`},
		{"args binary", job("kind: action", "params:", "  action: project_get", "  args:", "    n: !!binary aGk=  # <-"), "is not a JSON value"},
		{"args nested duplicate", job("kind: action", "params:", "  action: project_get", "  args:", "    o:", "      a: 1", "      a: 2  # <-"), `params.args.o: key "a" given twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line := markedLine(t, tt.src)
			problems := parseProblems(t, tt.src, testOpts())
			for _, p := range problems {
				if p.Line == line && strings.Contains(p.Reason, tt.want) && p.File == "jobs.yaml" {
					return
				}
			}
			t.Errorf("no problem on line %d containing %q; got:\n%s", line, tt.want, (&LoadError{Problems: problems}).Error())
		})
	}
}

// A value of the wrong type is reported once, not again as missing or out of range.
func TestParseReportsEachProblemOnce(t *testing.T) {
	for _, src := range []string{
		job("timeout: 600"), job("history: twenty"), job("name: 12"), job("projects: abc"),
		job("schedule: 5"), job(`notify: ["x"]`), job("params: [1]"), job(`timezone: ""`),
		job("kind: log_sweep", "params:", "  where: 1"),
		job(`schedule: "0 0 3 * * *"`, "jitter: 1h"),
	} {
		problems := parseProblems(t, src, testOpts())
		if len(problems) != 1 {
			t.Errorf("%d problems, want 1, in\n%s\n%s", len(problems), src, (&LoadError{Problems: problems}).Error())
		}
	}
}

// Every problem in the file is reported, each on its line, sorted.
func TestParseReportsEveryProblem(t *testing.T) {
	src := `version: 1
jobs:
  - name: a
    schedule: "0 0 3 * * *"
    kind: backup
    projects: [abc]
    timeout: 48h
  - name: b
    schedule: "@daily"
    kind: advisor
    projects: [abcdefghijklmnopqrst]
    notify: ["webhook:http://x.example.com"]
  - name: a
    schedule: "@daily"
    kind: backup
    projects: [abcdefghijklmnopqrst]
    colour: blue
`
	problems := parseProblems(t, src, testOpts())
	var got []string
	for _, p := range problems {
		got = append(got, fmt.Sprintf("%d %s", p.Line, p.Reason))
	}
	want := []string{
		`4 job "a": schedule: 6 fields`,
		`6 job "a": projects: "abc" is not a project ref`,
		`7 job "a": timeout: 2d is out of range`,
		`10 job "b": kind: unknown kind "advisor"`,
		`12 job "b": notify: "webhook:http://x.example.com": http is refused`,
		`13 job "a": name already used by the job at line 3`,
		`17 job "a": unknown key "colour"`,
	}
	if len(got) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("problem %d = %q, want prefix %q", i, got[i], want[i])
		}
	}
	// The error text is file:line: reason, one a line.
	_, err := Parse("jobs.yaml", []byte(src), testOpts())
	if first := strings.SplitN(err.Error(), "\n", 2)[0]; !strings.HasPrefix(first, "jobs.yaml:4: job \"a\": schedule: 6 fields") {
		t.Errorf("first line of the error = %q", first)
	}
}

// Without an action registry, a kind action job cannot be checked, so it is refused.
func TestParseActionWithoutRegistry(t *testing.T) {
	src := job("kind: action", "params:", "  action: project_get  # <-")
	line := markedLine(t, src)
	problems := parseProblems(t, src, LoadOptions{})
	if len(problems) != 1 || problems[0].Line != line || !strings.Contains(problems[0].Reason, "no action registry") {
		t.Fatalf("problems = %v", problems)
	}
	if _, err := Parse("jobs.yaml", []byte(src), testOpts()); err != nil {
		t.Fatalf("with the registry: %v", err)
	}
}
