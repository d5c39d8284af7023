package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/supaops/supaops/internal/composite"
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

// Every read composite answers from the command line on the sandbox.
func TestEveryReadCompositeFromTheCLI(t *testing.T) {
	env := map[string]string{"SUPAOPS_STORE": filepath.Join(t.TempDir(), "s.db")}
	calls := map[string][]string{
		"tables_list":           {"ref=sandboxprodxxxxxxxxx"},
		"extensions_list":       {"ref=sandboxprodxxxxxxxxx"},
		"cost_preview":          {"kind=branch", "ref=sandboxprodxxxxxxxxx"},
		"project_url_get":       {"ref=sandboxprodxxxxxxxxx"},
		"publishable_keys_list": {"ref=sandboxprodxxxxxxxxx"},
		"rls_check":             {"ref=sandboxprodxxxxxxxxx"},
		"database_health":       {"ref=sandboxprodxxxxxxxxx"},
		"security_overview":     {"ref=sandboxprodxxxxxxxxx"},
	}
	for _, d := range composite.Defs() {
		if d.Name == "branch_rebase" {
			continue // a write: TestCompositesFromTheCLI confirms it
		}
		args, ok := calls[d.Name]
		if !ok {
			t.Errorf("no CLI case for composite %s", d.Name)
			continue
		}
		t.Run(d.Name, func(t *testing.T) {
			out, _, err := runCmd(t, env, append(append([]string{"call", d.Name}, args...), "--sandbox")...)
			if err != nil || strings.TrimSpace(out) == "" {
				t.Fatalf("%v\n%s", err, out)
			}
		})
	}
}
