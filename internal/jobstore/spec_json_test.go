package jobstore

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// richFile sets every key of every kind, with values far from the defaults.
const richFile = `version: 1
jobs:
  - name: backup-all
    schedule: "CRON_TZ=Europe/Berlin 15 3 * * 1-5"
    kind: backup
    projects: [abcdefghijklmnopqrst, "org:acme"]
    notify: ["slack:c0ops", "webhook:https://hooks.example.com/x?token=t", "log"]
    concurrency: replace
    missed: run-once
    starting_deadline: 90m
    jitter: 1m30s
    timeout: 1h
    history: 7
    paused: true
    budget: 120/1h
    params: {restore_point: false, max_age: 2d}
  - name: advisors
    schedule: "@weekly"
    timezone: America/New_York
    kind: advisors
    projects: ["org:acme"]
    concurrency: allow
    missed: skip
    params: {types: [performance], level: INFO}
  - name: sweep
    schedule: "*/10 * * * *"
    kind: log_sweep
    projects: [abcdefghijklmnopqrst]
    notify: []
    params:
      source: postgres_logs
      where: "error_severity = 'ERROR' and event_message like '%;%'"
      lag: 30s
      window: 3h
      start: "2025-01-31T01:00:00+01:00"
      samples: 20
  - name: call
    schedule: "@every 2h"
    kind: action
    params:
      action: project_get
      args:
        ref: abcdefghijklmnopqrst
        n: 0x1F
        big: 123456789012345678901234567890
        f: 1.5
        flag: true
        none: null
        day: 2025-01-31
        list: [1, "two", {three: 3}]
`

func TestJSONRoundTrip(t *testing.T) {
	for name, src := range map[string]string{"rich": richFile, "example": readExample(t)} {
		specs, err := Parse(name, []byte(src), testOpts())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, s := range specs {
			b, err := json.Marshal(s)
			if err != nil {
				t.Fatalf("%s: marshal %q: %v", name, s.Name, err)
			}
			var back Spec
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatalf("%s: unmarshal %q: %v\n%s", name, s.Name, err, b)
			}
			back.Line = s.Line // not encoded
			if !reflect.DeepEqual(back, s) {
				t.Errorf("%s: %q does not round-trip:\n got %#v\nwant %#v\n%s", name, s.Name, back, s, b)
			}
			again, err := json.Marshal(back)
			if err != nil || !bytes.Equal(again, b) {
				t.Errorf("%s: %q: second encoding differs:\n%s\n%s", name, s.Name, again, b)
			}
			if err := back.Validate(testOpts()); err != nil {
				t.Errorf("%s: decoded %q does not validate: %v", name, s.Name, err)
			}
		}
	}
}

// The canonical encoding, as the store keeps it.
func TestJSONCanonical(t *testing.T) {
	specs, err := Parse("rich", []byte(richFile), testOpts())
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(specs[0])
	if err != nil {
		t.Fatal(err)
	}
	want := `{"name":"backup-all","schedule":"15 3 * * 1-5","timezone":"Europe/Berlin","kind":"backup",` +
		`"projects":["abcdefghijklmnopqrst","org:acme"],"notify":["slack:C0OPS","webhook:https://hooks.example.com/x?token=t","log"],` +
		`"concurrency":"replace","missed":"run-once","starting_deadline":"1h30m","jitter":"1m30s","timeout":"1h","history":7,"paused":true,"budget":"120/1h",` +
		`"params":{"restore_point":false,"max_age":"2d"}}`
	if string(b) != want {
		t.Errorf("encoding\n got %s\nwant %s", b, want)
	}
	var sweep Spec
	for _, s := range specs {
		if s.Kind == KindLogSweep {
			sweep = s
		}
	}
	if got := sweep.LogSweep.Start; !got.Equal(time.Date(2025, 1, 31, 0, 0, 0, 0, time.UTC)) || got.Location() != time.UTC {
		t.Errorf("start = %v, want 2025-01-31T00:00:00Z in UTC", got)
	}
	if args := specs[3].Action.Args; args["n"] != json.Number("31") || args["big"] != json.Number("123456789012345678901234567890") || args["day"] != "2025-01-31" {
		t.Errorf("args = %#v", args)
	}
}

func TestUnmarshalJSONRefuses(t *testing.T) {
	good := `{"name":"a","schedule":"@daily","timezone":"UTC","kind":"backup","projects":["abcdefghijklmnopqrst"],"concurrency":"forbid","missed":"run-once","starting_deadline":"1d","jitter":"0s","timeout":"10m","history":20,"paused":false,"params":{"restore_point":true,"max_age":"26h"}}`
	var s Spec
	if err := json.Unmarshal([]byte(good), &s); err != nil {
		t.Fatalf("good spec: %v", err)
	}
	if err := s.Validate(testOpts()); err != nil {
		t.Fatalf("good spec: %v", err)
	}
	for name, bad := range map[string]string{
		"unknown field":       strings.Replace(good, `"paused":false`, `"paused":false,"colour":"blue"`, 1),
		"unknown param":       strings.Replace(good, `"max_age":"26h"`, `"max_age":"26h","x":1`, 1),
		"bad duration":        strings.Replace(good, `"timeout":"10m"`, `"timeout":"ten"`, 1),
		"bad target":          strings.Replace(good, `"paused":false`, `"paused":false,"notify":["webhook:http://x.example.com"]`, 1),
		"params of no kind":   strings.Replace(good, `"kind":"backup"`, `"kind":"nope"`, 1),
		"trailing data":       good + `{}`,
		"another kind's keys": strings.Replace(good, `"kind":"backup"`, `"kind":"advisors"`, 1),
	} {
		if err := json.Unmarshal([]byte(bad), &s); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestDigest(t *testing.T) {
	parse := func(src string) Spec {
		t.Helper()
		specs, err := Parse("t.yaml", []byte(src), testOpts())
		if err != nil {
			t.Fatal(err)
		}
		return specs[0]
	}
	digest := func(s Spec) string {
		t.Helper()
		d, err := s.Digest()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	base := digest(parse(job("timezone: Europe/Berlin")))
	same := map[string]string{
		"CRON_TZ= instead of timezone": job(`schedule: "CRON_TZ=Europe/Berlin 0 3 * * *"`),
		"defaults written out": job("timezone: Europe/Berlin", "concurrency: forbid", "missed: run-once", "timeout: 10m",
			"history: 20", "paused: false", "starting_deadline: 24h", "jitter: 0s", "params: {restore_point: true, max_age: 26h}"),
		"other spacing and comments": "# jobs\nversion: 1\n\njobs:\n- name: nightly\n  kind: backup\n  schedule: '0  3 * *   *'  # nightly\n  timezone: Europe/Berlin\n  projects:\n  - abcdefghijklmnopqrst\n",
		"moved down the file":        "version: 1\njobs:\n  - {name: other, schedule: '@daily', kind: backup, projects: [abcdefghijklmnopqrst]}\n" + strings.TrimPrefix(job("timezone: Europe/Berlin"), "version: 1\njobs:\n"),
	}
	for name, src := range same {
		specs, err := Parse("t.yaml", []byte(src), testOpts())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := digest(specs[len(specs)-1]); got != base {
			t.Errorf("%s: digest changed", name)
		}
	}
	for name, src := range map[string]string{
		"paused":       job("timezone: Europe/Berlin", "paused: true"),
		"schedule":     job("timezone: Europe/Berlin", `schedule: "0 4 * * *"`),
		"time zone":    job("timezone: Europe/Paris"),
		"param":        job("timezone: Europe/Berlin", "params: {max_age: 25h}"),
		"notify":       job("timezone: Europe/Berlin", "notify: [log]"),
		"project list": job("timezone: Europe/Berlin", "projects: [abcdefghijklmnopqrst, bcdefghijklmnopqrstu]"),
		"budget":       job("timezone: Europe/Berlin", "budget: 10/1m"),
	} {
		if digest(parse(src)) == base {
			t.Errorf("%s: digest unchanged", name)
		}
	}
	if d := base; len(d) != 64 {
		t.Errorf("digest %q is not hex SHA-256", d)
	}
}
