package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// runCmd runs the program with args and a fixed environment. Unless env names
// one, each test gets its own store.
func runCmd(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	getenv := func(k string) string {
		if k == "SUPAOPS_STORE" && env[k] == "" {
			return testStore(t)
		}
		return env[k]
	}
	err = run(context.Background(), args, getenv, strings.NewReader(""), &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestActionsTSVListsEveryEndpointOnce(t *testing.T) {
	out, _, err := runCmd(t, nil, "actions", "--format", "tsv")
	if err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(strings.NewReader(out))
	r.Comma = '\t'
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rows[0], " "); got != "method path name toolset risk" {
		t.Fatalf("header %q", got)
	}
	listed := map[string]int{}
	for _, row := range rows[1:] {
		listed[row[0]+" "+row[1]]++
	}

	f, err := os.Open("../../api/endpoints.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	er := csv.NewReader(f)
	er.Comma = '\t'
	er.LazyQuotes = true
	endpoints, err := er.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range endpoints[1:] {
		if n := listed[e[0]+" "+e[1]]; n != 1 {
			t.Errorf("%s %s listed %d times, want once", e[0], e[1], n)
		}
	}
	if len(rows)-1 != len(endpoints)-1 || len(rows)-1 != 164 {
		t.Errorf("%d actions listed, %d endpoints; want 164 each", len(rows)-1, len(endpoints)-1)
	}
}

func TestActionsFilters(t *testing.T) {
	out, _, err := runCmd(t, nil, "actions", "--format", "json", "--toolset", "branching", "--risk", "destructive")
	if err != nil {
		t.Fatal(err)
	}
	var list []actionJSON
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) == 0 {
		t.Fatal("no destructive branching actions")
	}
	for _, a := range list {
		if a.Toolset != "branching" || a.Risk != "destructive" || len(a.InputSchema) == 0 {
			t.Errorf("%+v does not match the filters or lacks its schema", a)
		}
	}
}

func TestCommandErrors(t *testing.T) {
	tests := []struct {
		name      string
		env       map[string]string
		args      []string
		wantUsage bool
		want      []string
	}{
		{"serving needs a token", map[string]string{}, nil, false, []string{"SUPABASE_ACCESS_TOKEN"}},
		{"bad project ref", nil, []string{"--sandbox", "--project-ref", "Short"}, true, []string{"20 lowercase letters"}},
		{"unknown toolset to serve", nil, []string{"--sandbox", "--toolsets", "projects,nope"}, true, []string{"nope"}},
		{"tokens without http", nil, []string{"--sandbox", "--tokens-file", "/tmp/x"}, true, []string{"only apply with --http"}},
		{"http off loopback without tokens", nil, []string{"--sandbox", "--http", "0.0.0.0:8080"}, true, []string{"tokens"}},
		{"unknown serve flag", nil, []string{"--sandbox", "--read-write"}, true, []string{"read-write"}},
		{"unknown command", nil, []string{"serve-all"}, true, []string{"unknown command"}},
		{"bad format", nil, []string{"actions", "--format", "xml"}, true, []string{"table, tsv, json"}},
		{"unknown toolset", nil, []string{"actions", "--toolset", "nope"}, true, []string{"branching"}},
		{"bad risk", nil, []string{"actions", "--risk", "scary"}, true, []string{"read, write, destructive"}},
		{"call without action", nil, []string{"call"}, true, []string{"which action"}},
		{"unknown action", nil, []string{"call", "pause_project", "--sandbox"}, false, []string{"project_pause"}},
		{"bad argument", nil, []string{"call", "project_get", "ref=short", "--sandbox"}, false, []string{"ref", "20 characters"}},
		{"unknown argument", nil, []string{"call", "project_get", "ref=abcdefghijklmnopqrst", "project=x", "--sandbox"}, false, []string{"valid arguments: ref"}},
		{"missing token", map[string]string{}, []string{"call", "projects_list"}, false, []string{"SUPABASE_ACCESS_TOKEN", "supabase.com/dashboard/account/tokens", "--sandbox"}},
		{"sandbox and api-url", nil, []string{"call", "projects_list", "--sandbox", "--api-url", "http://x"}, true, []string{"exclude"}},
		{"write needs confirmation by default", nil, []string{"call", "project_update", "ref=abcdefghijklmnopqrst", "name=x", "--sandbox"}, false, []string{"needs confirmation", "--confirm"}},
		{"destructive denied by default", nil, []string{"call", "project_delete", "ref=abcdefghijklmnopqrst", "--sandbox"}, false, []string{"denied", "default:destructive"}},
		{"bad policy file", map[string]string{"SUPAOPS_POLICY": "/nonexistent/policy.yaml"}, []string{"call", "projects_list", "--sandbox"}, false, []string{"policy.yaml"}},
		{"bad log level", map[string]string{"SUPAOPS_LOG_LEVEL": "loud"}, []string{"call", "projects_list", "--sandbox"}, true, []string{"SUPAOPS_LOG_LEVEL"}},
		{"bogus approval status", nil, []string{"approvals", "list", "--status", "bogus"}, true, []string{"bogus", "pending, approved, denied, used or expired"}},
		{"bogus principal to explain", nil, []string{"policy", "explain", "--principal", "bogus", "--action", "project_get"}, true, []string{"bogus", "mcp:local", "slack:user:<id>"}},
		{"approver with a bad identity", nil, []string{"approvals", "approve", "x", "--as", "slack:user:U1 extra"}, true, []string{"--as"}},
		{"negative sandbox budget", nil, []string{"sandbox", "--budget", "-1"}, true, []string{"--budget -1"}},
		{"a rate limit of 0 to serve", nil, []string{"--sandbox", "--rate-limit", "0"}, true, []string{"-rate-limit", "whole number of requests per minute from 1 to 1000000"}},
		{"a rate limit that is not a number", nil, []string{"call", "projects_list", "--sandbox", "--rate-limit", "lots"}, true, []string{"-rate-limit", "whole number of requests per minute"}},
		{"a bad rate limit for jobs run", nil, []string{"jobs", "run", "nightly", "--sandbox", "--rate-limit", "2.5"}, true, []string{"-rate-limit", "whole number of requests per minute"}},
		{"a rate limit for jobs that call no API", nil, []string{"jobs", "list", "--rate-limit", "10"}, true, []string{"--rate-limit", "jobs run"}},
		{"a bad SUPAOPS_RATE_LIMIT", map[string]string{"SUPAOPS_RATE_LIMIT": "-5"}, []string{"call", "projects_list", "--sandbox"}, false, []string{`SUPAOPS_RATE_LIMIT="-5"`, "whole number of requests per minute from 1 to 1000000"}},
		{"a huge action name costs nothing", nil, []string{"call", strings.Repeat("x", 900_000), "--sandbox"}, false, []string{"unknown action"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := runCmd(t, tt.env, tt.args...)
			if err == nil {
				t.Fatal("want an error")
			}
			if len(err.Error()) > 4096 {
				t.Errorf("the error is %d bytes long", len(err.Error()))
			}
			var usage *usageError
			if errors.As(err, &usage) != tt.wantUsage {
				t.Errorf("usage error = %v, want %v (%v)", !tt.wantUsage, tt.wantUsage, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestCallOnTheSandbox(t *testing.T) {
	out, _, err := runCmd(t, nil, "call", "projects_list", "--sandbox")
	if err != nil {
		t.Fatal(err)
	}
	var projects []map[string]any
	if err := json.Unmarshal([]byte(out), &projects); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	if len(projects) == 0 || projects[0]["ref"] == nil {
		t.Errorf("projects %v", projects)
	}
	ref := projects[0]["ref"].(string)

	// Flags may come after the arguments, and secrets never reach the output.
	out, _, err = runCmd(t, nil, "call", "postgrest_config_get", "ref="+ref, "--sandbox")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `"jwt_secret": "[REDACTED]"`) {
		t.Errorf("jwt_secret not redacted:\n%s", out)
	}
	out, _, err = runCmd(t, nil, "call", "database_query_read_only", "ref="+ref, "query=select 1", "--sandbox")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "sandbox") {
		t.Errorf("sandbox query results must say they come from the sandbox:\n%s", out)
	}
}

// testStore is a store file of the test's own.
func testStore(t *testing.T) string {
	t.Helper()
	if v, ok := stores.Load(t.Name()); ok {
		return v.(string)
	}
	path := filepath.Join(t.TempDir(), "supaops.db")
	stores.Store(t.Name(), path)
	return path
}

var stores sync.Map

func TestSplitArgs(t *testing.T) {
	flags, pos := splitArgs([]string{"project_get", "ref=x", "--sandbox", "--json", `{"a":1}`, "--", "--literal"}, map[string]bool{"json": true})
	if strings.Join(flags, " ") != `--sandbox --json {"a":1}` || strings.Join(pos, " ") != "project_get ref=x --literal" {
		t.Errorf("flags %q positional %q", flags, pos)
	}
}

func TestVersion(t *testing.T) {
	out, _, err := runCmd(t, nil, "version")
	if err != nil || !strings.HasPrefix(out, "supaops-mcp ") {
		t.Errorf("%q %v", out, err)
	}
}

// --rate-limit wins over SUPAOPS_RATE_LIMIT, which is then not even read,
// and may come after the action's arguments.
func TestRateLimitFlagWinsOverTheEnvironment(t *testing.T) {
	env := map[string]string{"SUPAOPS_RATE_LIMIT": "lots"}
	if _, _, err := runCmd(t, env, "call", "projects_list", "--sandbox"); err == nil || !strings.Contains(err.Error(), "SUPAOPS_RATE_LIMIT") {
		t.Fatalf("without the flag: err = %v, want SUPAOPS_RATE_LIMIT refused", err)
	}
	if _, _, err := runCmd(t, env, "call", "projects_list", "--sandbox", "--rate-limit", "10"); err != nil {
		t.Fatalf("with --rate-limit 10: %v", err)
	}
}
