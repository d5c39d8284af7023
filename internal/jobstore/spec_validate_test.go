package jobstore

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// goSpec is a spec as the Slack surface would build it.
func goSpec() Spec {
	return Spec{
		Name:     "nightly",
		Schedule: "CRON_TZ=Europe/Berlin  0 3 * * *",
		Kind:     KindBackup,
		Projects: []string{"abcdefghijklmnopqrst"},
		Notify:   []Target{{Kind: TargetSlack, Value: "C0OPS"}},
	}
}

// WithDefaults gives a spec built in Go what Parse gives the same job in a file.
func TestWithDefaultsMatchesParse(t *testing.T) {
	built := goSpec().WithDefaults()
	if err := built.Validate(testOpts()); err != nil {
		t.Fatal(err)
	}
	specs, err := Parse("t.yaml", []byte(job(`schedule: "CRON_TZ=Europe/Berlin 0 3 * * *"`, `notify: ["slack:C0OPS"]`)), testOpts())
	if err != nil {
		t.Fatal(err)
	}
	parsed := specs[0]
	parsed.Line = 0
	a, _ := json.Marshal(built)
	b, _ := json.Marshal(parsed)
	if string(a) != string(b) {
		t.Errorf("WithDefaults:\n%s\nParse:\n%s", a, b)
	}
	if built.Schedule != "0 3 * * *" || built.Timezone != "Europe/Berlin" || built.StartingDeadline != 24*time.Hour || !built.Backup.RestorePoint {
		t.Errorf("WithDefaults = %+v", built)
	}
}

// WithDefaults copies: the original's slices and params are left alone.
func TestWithDefaultsCopies(t *testing.T) {
	orig := goSpec()
	orig.Kind = KindAction
	orig.Action = &ActionParams{Action: "project_get", Args: map[string]any{"o": map[string]any{"a": "b"}}}
	got := orig.WithDefaults()
	got.Projects[0] = "changed"
	got.Action.Args["o"].(map[string]any)["a"] = "changed"
	if orig.Projects[0] != "abcdefghijklmnopqrst" || orig.Action.Args["o"].(map[string]any)["a"] != "b" {
		t.Error("WithDefaults shares state with its receiver")
	}
}

func TestValidateRefuses(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Spec)
		want   string
	}{
		{"zero timeout, not defaulted", func(s *Spec) { s.Timeout = 0 }, `job "nightly": timeout: 0s is out of range 10s..1d`},
		{"empty time zone", func(s *Spec) { s.Timezone = "" }, "timezone: empty; WithDefaults sets UTC"},
		{"CRON_TZ and timezone", func(s *Spec) { s.Schedule = "CRON_TZ=UTC 0 3 * * *" }, "keep one"},
		{"bad name", func(s *Spec) { s.Name = "a b" }, `job "a b": name: "a b": want 1 to 63`},
		{"no name", func(s *Spec) { s.Name = "" }, "job: name: required"},
		{"bad schedule", func(s *Spec) { s.Schedule = "0 0 3 * * *" }, "schedule: 6 fields: seconds are not supported"},
		{"unknown kind", func(s *Spec) { s.Kind = "restore" }, `kind: unknown kind "restore"`},
		{"another kind's params", func(s *Spec) { s.Advisors = &AdvisorsParams{} }, "params: advisors parameters on a job of kind backup"},
		{"no params", func(s *Spec) { s.Backup = nil }, "params: none for kind backup; WithDefaults fills them"},
		{"bad target", func(s *Spec) { s.Notify = []Target{{Kind: TargetWebhook, Value: "http://x.example.com"}} }, "notify: \"webhook:http://x.example.com\": http is refused"},
		{"target not canonical", func(s *Spec) { s.Notify = []Target{{Kind: TargetSlack, Value: "c0ops"}} }, `notify: "slack:c0ops": write it as "slack:C0OPS"`},
		{"log target with a value", func(s *Spec) { s.Notify = []Target{{Kind: TargetLog, Value: "x"}} }, `notify: "log:x": log takes nothing after it`},
		{"unknown concurrency", func(s *Spec) { s.Concurrency = "" }, `concurrency: unknown value ""`},
		{"deadline with skip", func(s *Spec) { s.Missed = MissedSkip }, "starting_deadline: applies only with missed: run-once"},
		{"negative jitter", func(s *Spec) { s.Jitter = -time.Second }, "jitter: must not be negative"},
		{"jitter over a day", func(s *Spec) { s.Jitter = 25 * time.Hour }, "jitter: 25h is longer than the schedule's interval (1d)"},
		{"history", func(s *Spec) { s.History = -1 }, "history: -1 is out of range 1..1000"},
		{"duplicate org", func(s *Spec) { s.Projects = []string{"org:acme", "org:acme"} }, `projects: "org:acme" given twice`},
		{"action args of a Go type", func(s *Spec) {
			s.Kind, s.Backup = KindAction, nil
			s.Action = &ActionParams{Action: "project_get", Args: map[string]any{"ref": "abcdefghijklmnopqrst", "n": 3}}
			s.Projects = nil
		}, "params.args.n: a int; args hold strings, booleans, null, json.Number"},
		{"action args with a bad number", func(s *Spec) {
			s.Kind, s.Backup = KindAction, nil
			s.Action = &ActionParams{Action: "project_get", Args: map[string]any{"n": json.Number("NaN")}}
		}, `params.args.n: "NaN" is not a JSON number`},
		{"advisors level", func(s *Spec) {
			s.Kind, s.Backup, s.Advisors = KindAdvisors, nil, &AdvisorsParams{Types: AdvisorTypes()}
		}, `params.level: unknown level ""`},
		{"log sweep zero samples", func(s *Spec) {
			s.Kind, s.Backup = KindLogSweep, nil
			s.LogSweep = &LogSweepParams{Source: "edge_logs", Where: "x > 1", Lag: time.Minute, Window: time.Hour}
		}, "params.samples: 0 is out of range 1..20"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := goSpec().WithDefaults()
			tt.change(&s)
			err := s.Validate(testOpts())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate = %v, want %q", err, tt.want)
			}
		})
	}
}

// Validate reports every problem, not just the first.
func TestValidateReportsAll(t *testing.T) {
	s := goSpec().WithDefaults()
	s.Timeout, s.History, s.Projects = 0, 0, nil
	err := s.Validate(testOpts())
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{"timeout:", "history:", "projects: required"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q missing from:\n%v", want, err)
		}
	}
}

func TestPrincipal(t *testing.T) {
	if got := goSpec().Principal(); got != "job:nightly" {
		t.Errorf("Principal = %q", got)
	}
}
