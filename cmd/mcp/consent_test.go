package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/supaops/supaops/internal/store"
)

var confirmToken = regexp.MustCompile(`--confirm (\S+)`)

func tokenIn(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		t.Fatal("want an error carrying a token")
	}
	m := confirmToken.FindStringSubmatch(err.Error())
	if m == nil {
		t.Fatalf("no --confirm token in %q", err)
	}
	return m[1]
}

func TestConfirmFlow(t *testing.T) {
	env := map[string]string{"SUPAOPS_STORE": filepath.Join(t.TempDir(), "s.db")}
	// project_update is a write: the default policy wants it confirmed.
	call := []string{"call", "project_update", "ref=sandboxprodxxxxxxxxx", "name=renamed", "--sandbox"}
	_, _, err := runCmd(t, env, call...)
	token := tokenIn(t, err)

	// Changed arguments, or another project, cannot use the token.
	for _, other := range [][]string{
		{"call", "project_update", "ref=sandboxprodxxxxxxxxx", "name=other", "--sandbox"},
		{"call", "project_update", "ref=sandboxstagingxxxxxx", "name=renamed", "--sandbox"},
	} {
		_, _, err = runCmd(t, env, append(other, "--confirm", token)...)
		if err == nil || !strings.Contains(err.Error(), "refused") {
			t.Fatalf("%v: a token for another call must be refused, got %v", other, err)
		}
	}
	out, _, err := runCmd(t, env, append(call, "--confirm", token)...)
	if err != nil {
		t.Fatalf("confirmed call: %v", err)
	}
	if !strings.Contains(out, "renamed") {
		t.Errorf("output %q", out)
	}
	// A confirmation is good once.
	_, _, err = runCmd(t, env, append(call, "--confirm", token)...)
	if err == nil || !strings.Contains(err.Error(), "already used") {
		t.Fatalf("a replayed token must be refused as used, got %v", err)
	}

	out, _, err = runCmd(t, env, "audit", "--action", "project_update", "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"effect": "confirm"`, `"effect": "allow"`, "confirmed by the caller"} {
		if !strings.Contains(out, want) {
			t.Errorf("audit lacks %s:\n%s", want, out)
		}
	}
}

const approvalPolicy = `version: 1
defaults: {read: allow, write: confirm, destructive: deny}
rules:
  - name: pausing-needs-a-lead
    effect: approve
    actions: [project_pause]
    approvals: 1
    approvers: ["slack:user:ULEAD", "cli:local"]
`

func TestApprovalFlow(t *testing.T) {
	dir := t.TempDir()
	policyFile := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(policyFile, []byte(approvalPolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"SUPAOPS_STORE": filepath.Join(dir, "s.db"), "SUPAOPS_POLICY": policyFile}
	const ref = "ref=sandboxprodxxxxxxxxx"
	_, _, requestErr := runCmd(t, env, "call", "project_pause", ref, "--sandbox")
	token := tokenIn(t, requestErr)
	if !strings.Contains(requestErr.Error(), "needs approval") {
		t.Fatalf("want an approval request, got %v", requestErr)
	}
	out, _, err := runCmd(t, env, "approvals", "list", "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	id := regexp.MustCompile(`"id": "([^"]+)"`).FindStringSubmatch(out)
	if id == nil {
		t.Fatalf("no pending approval listed:\n%s", out)
	}

	// Not yet approved: the call is still held.
	if _, _, err := runCmd(t, env, "call", "project_pause", ref, "--sandbox", "--confirm", token); err == nil || !strings.Contains(err.Error(), "still waiting") {
		t.Fatalf("an unapproved request must hold the call, got %v", err)
	}
	// The request names a command an approver can run as it is.
	if !strings.Contains(requestErr.Error(), "approvals approve "+id[1]+" --as") {
		t.Errorf("the approval message lacks a working command: %v", requestErr)
	}
	tests := []struct {
		as   string
		want string
	}{
		{"cli:local", "own request"},
		{"cli:local ", "own request"}, // another spelling of the same identity
		{" CLI:LOCAL", "own request"},
		{"slack:user:USOMEONE", "not an approver"},
	}
	for _, tt := range tests {
		if _, _, err := runCmd(t, env, "approvals", "approve", id[1], "--as", tt.as); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("approve --as %s: want %q, got %v", tt.as, tt.want, err)
		}
	}
	if out, _, err := runCmd(t, env, "approvals", "approve", id[1], "--as", "slack:user:ULEAD"); err != nil || !strings.Contains(out, "approved") {
		t.Fatalf("approve: %q %v", out, err)
	}
	if _, _, err := runCmd(t, env, "call", "project_pause", ref, "--sandbox", "--confirm", token); err != nil {
		t.Fatalf("approved call: %v", err)
	}
	if _, _, err := runCmd(t, env, "call", "project_pause", ref, "--sandbox", "--confirm", token); err == nil {
		t.Fatal("an approval is good once")
	}
}

func TestPolicyCommands(t *testing.T) {
	out, _, err := runCmd(t, nil, "policy", "explain", "--principal", "mcp:local", "--action", "database_query", "ref=abcdefghijklmnopqrst", "query=drop table users")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"deny", "no-drop-or-truncate"} {
		if !strings.Contains(out, want) {
			t.Errorf("explain lacks %q:\n%s", want, out)
		}
	}
	out, _, err = runCmd(t, nil, "policy", "explain", "--principal", "mcp:local", "--action", "project_get", "--format", "json")
	if err != nil || !strings.Contains(out, `"effect": "allow"`) {
		t.Errorf("%s %v", out, err)
	}

	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("version: 1\nrules:\n  - name: x\n    effect: allow\n    actions: [project_gte]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, err = runCmd(t, nil, "policy", "check", "../../policies/default.yaml", "../../policies/readonly.yaml", "../../policies/examples/team.yaml", bad)
	if err == nil || !strings.Contains(err.Error(), "1 of 4") {
		t.Fatalf("want one refused file, got %v", err)
	}
	if !strings.Contains(out, "bad.yaml:5") || !strings.Contains(out, "default.yaml: ok") {
		t.Errorf("check output:\n%s", out)
	}
}

func TestAuditVerifyFindsAnEditedEntry(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	env := map[string]string{"SUPAOPS_STORE": path}
	for range 3 {
		if _, _, err := runCmd(t, env, "call", "projects_list", "--sandbox"); err != nil {
			t.Fatal(err)
		}
	}
	if out, _, err := runCmd(t, env, "audit", "verify"); err != nil || !strings.Contains(out, "intact") {
		t.Fatalf("fresh log: %q %v", out, err)
	}
	// Someone edits the second entry in place.
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(store.BucketAudit))
		c := b.Cursor()
		c.First()
		k, v := c.Next()
		if k == nil {
			return errors.New("no second entry")
		}
		edited := strings.Replace(string(v), "projects_list", "project_delete", 1)
		if edited == string(v) {
			return errors.New("entry does not name its action")
		}
		return b.Put(k, []byte(edited))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := runCmd(t, env, "audit", "verify")
	if err == nil || !strings.Contains(out, "entry 2") {
		t.Fatalf("an edited entry must be found: %q %v", out, err)
	}
}

func TestOrganizationRulesResolveTheProject(t *testing.T) {
	dir := t.TempDir()
	policyFile := filepath.Join(dir, "policy.yaml")
	src := "version: 1\ndefaults: {read: allow, write: allow, destructive: deny}\nrules:\n  - name: sandbox-org-frozen\n    effect: deny\n    actions: [\"risk:write\"]\n    projects: [\"org:sandbox-org\"]\n"
	if err := os.WriteFile(policyFile, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"SUPAOPS_STORE": filepath.Join(dir, "s.db"), "SUPAOPS_POLICY": policyFile}
	_, _, err := runCmd(t, env, "call", "project_update", "ref=sandboxprodxxxxxxxxx", "name=x", "--sandbox")
	if err == nil || !strings.Contains(err.Error(), "sandbox-org-frozen") {
		t.Fatalf("the project's organization must be resolved for org: rules, got %v", err)
	}
}

// Not at a terminal (stdin is /dev/null, a character device), nothing is
// asked: the call is refused with the command that goes on.
func TestNoQuestionWithoutATerminal(t *testing.T) {
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	out, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	var stderr bytes.Buffer
	env := map[string]string{"SUPAOPS_STORE": filepath.Join(t.TempDir(), "s.db")}
	err = run(context.Background(), []string{"call", "project_update", "ref=sandboxprodxxxxxxxxx", "name=x", "--sandbox"},
		func(k string) string { return env[k] }, devNull, out, &stderr)
	if err == nil || !strings.Contains(err.Error(), "--confirm") {
		t.Fatalf("want the command that goes on, got %v", err)
	}
	if strings.Contains(stderr.String(), "Go ahead?") {
		t.Errorf("asked a question with no terminal: %s", stderr.String())
	}
}
