package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/supaops/supaops/internal/sandbox"
)

// A process killed after its request reached the API leaves the call's
// intent in the audit log, and audit verify says its effect is unknown.
func TestKilledCallLeavesItsIntent(t *testing.T) {
	sb, err := sandbox.New(sandbox.Options{Budget: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	sb.InjectFault(sandbox.Fault{Kind: sandbox.Latency, Operation: "v1-update-a-project", Delay: time.Minute})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = sb.Serve(t.Context(), ln) }()

	dir := t.TempDir()
	store, policyFile := filepath.Join(dir, "s.db"), filepath.Join(dir, "p.yaml")
	if err := os.WriteFile(policyFile, []byte("version: 1\ndefaults: {read: allow, write: allow, destructive: deny}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ref := sb.Seed().ProjectRef
	cmd := exec.Command(binary(t), "call", "project_update", "ref="+ref, "name=renamed", "--api-url", "http://"+ln.Addr().String())
	cmd.Env = append(os.Environ(), "SUPAOPS_STORE="+store, "SUPAOPS_POLICY="+policyFile, "SUPABASE_ACCESS_TOKEN=sbp_crash_test_token")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for sb.Requests("v1-update-a-project") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the call never reached the API")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	out, _, err := runCmd(t, map[string]string{"SUPAOPS_STORE": store}, "audit", "verify")
	if err != nil {
		t.Fatalf("the chain must be intact: %v\n%s", err, out)
	}
	for _, want := range []string{"1 call(s) were recorded as sent but have no outcome", "project_update", ref, "unknown"} {
		if !strings.Contains(out, want) {
			t.Errorf("audit verify lacks %q:\n%s", want, out)
		}
	}
}
