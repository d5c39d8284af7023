package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// The CLI lists and calls composites like any action; branch_rebase is
// confirmed once, its push covered by that confirmation.
func TestCompositesFromTheCLI(t *testing.T) {
	env := map[string]string{"SUPAOPS_STORE": filepath.Join(t.TempDir(), "s.db")}
	out, _, err := runCmd(t, env, "actions", "--toolset", "database")
	if err != nil || !strings.Contains(out, "tables_list") || !strings.Contains(out, "rls_check") {
		t.Fatalf("actions: %v\n%s", err, out)
	}
	out, _, err = runCmd(t, env, "call", "database_health", "ref=sandboxprodxxxxxxxxx", "top=1", "--sandbox")
	if err != nil || !strings.Contains(out, "max_connections") || !strings.Contains(out, "slowest_statements") {
		t.Fatalf("database_health: %v\n%s", err, out)
	}
	call := []string{"call", "branch_rebase", "branch_id_or_ref=sandboxfeatureloginx", "--sandbox"}
	_, _, err = runCmd(t, env, call...)
	token := tokenIn(t, err)
	if _, _, err := runCmd(t, env, append(call, "--confirm", token)...); err != nil {
		t.Fatalf("confirmed branch_rebase: %v", err)
	}
}
