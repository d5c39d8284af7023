package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const jobsFile = `version: 1
jobs:
  - name: hourly-advisors
    schedule: "0 * * * *"
    kind: advisors
    projects: [sandboxprodxxxxxxxxx]
    notify: [log]
  - name: hooked
    schedule: "@daily"
    kind: advisors
    projects: [sandboxprodxxxxxxxxx]
    notify: ["webhook:https://hooks.example.com/services/T0/B0/secretsecret"]
    paused: true
`

// The jobs commands manage jobs through the pipeline: a change needs a
// confirmation under the default policy, the token lets it through, and a
// run in the foreground calls the (sandbox) API as the job.
func TestJobsCommands(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"SUPAOPS_STORE": filepath.Join(dir, "s.db"), "SUPAOPS_LOG_LEVEL": "error"}
	file := filepath.Join(dir, "jobs.yaml")
	if err := os.WriteFile(file, []byte(jobsFile), 0o600); err != nil {
		t.Fatal(err)
	}

	out, _, err := runCmd(t, env, "jobs", "check", file)
	if err != nil || !strings.Contains(out, "2 job(s), all valid") {
		t.Fatalf("check: %q %v", out, err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("version: 1\njobs:\n  - name: x\n    schedule: \"61 * * * *\"\n    kind: advisors\n    projects: [sandboxprodxxxxxxxxx]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCmd(t, env, "jobs", "check", bad); err == nil || !strings.Contains(err.Error(), "bad.yaml:4") {
		t.Errorf("check of a bad file: %v", err)
	}

	token := regexp.MustCompile(`--confirm (\S+)`)
	_, _, err = runCmd(t, env, "jobs", "apply", file)
	m := token.FindStringSubmatch(errText(err))
	if m == nil {
		t.Fatalf("apply without confirmation: %v", err)
	}
	if strings.Contains(errText(err), "secretsecret") {
		t.Errorf("the confirmation shows the webhook's secret: %v", err)
	}
	if out, _, err = runCmd(t, env, "jobs", "apply", file, "--confirm", m[1]); err != nil || !strings.Contains(out, `"what": "created"`) {
		t.Fatalf("apply: %s %v", out, err)
	}
	out, _, err = runCmd(t, env, "jobs", "list")
	if err != nil || !strings.Contains(out, "hourly-advisors") || !strings.Contains(out, "advisors") {
		t.Fatalf("list: %s %v", out, err)
	}
	if strings.Contains(out, "secretsecret") {
		t.Errorf("list shows the webhook's secret: %s", out)
	}
	if _, _, err := runCmd(t, env, "jobs", "list", "--sandbox"); err == nil {
		t.Error("jobs list took --sandbox, which it does not use")
	}

	_, _, err = runCmd(t, env, "jobs", "run", "hourly-advisors", "--sandbox")
	m = token.FindStringSubmatch(errText(err))
	if m == nil {
		t.Fatalf("run without confirmation: %v", err)
	}
	out, stderr, err := runCmd(t, env, "jobs", "run", "hourly-advisors", "--sandbox", "--confirm", m[1])
	if err != nil || !strings.Contains(out, `"state": "succeeded"`) {
		t.Fatalf("run: %s %s %v", out, stderr, err)
	}
	out, _, err = runCmd(t, env, "jobs", "runs", "hourly-advisors")
	if err != nil || !strings.Contains(out, "succeeded") || !strings.Contains(out, "hourly-advisors@manual-") {
		t.Fatalf("runs: %s %v", out, err)
	}

	for _, args := range [][]string{
		{"jobs", "frobnicate"},
		{"jobs", "show"},
		{"jobs", "runs", "--limit", "0"},
		{"jobs", "list", "--format", "yaml"},
		{"jobs", "apply", filepath.Join(dir, "missing.yaml")},
	} {
		if _, _, err := runCmd(t, env, args...); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
