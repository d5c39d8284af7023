package tools

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/tools.md from the registry")

const toolsDoc = "../../docs/tools.md"

// TestToolsDocIsCurrent keeps docs/tools.md generated from the registry: it
// fails when the file is stale; `go test ./internal/tools -run TestToolsDoc -update`
// (or `make generate`) rewrites it.
func TestToolsDocIsCurrent(t *testing.T) {
	want := renderToolsDoc(loadRegistry(t))
	if *update {
		if err := os.WriteFile(toolsDoc, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(toolsDoc)
	if err != nil {
		t.Fatalf("%v (run make generate)", err)
	}
	if string(got) != want {
		t.Errorf("%s is stale: run `make generate` and commit it", toolsDoc)
	}
}

func renderToolsDoc(reg *Registry) string {
	var b strings.Builder
	b.WriteString("# Actions\n\n")
	b.WriteString("<!-- Generated from the registry by `make generate` (internal/tools/docs_test.go). Do not edit. -->\n\n")
	fmt.Fprintf(&b, "Every Management API operation is one action: %d in all. `supaops-mcp actions` lists them; ", len(reg.Actions()))
	b.WriteString("`supaops-mcp actions --format json` adds each input schema. Risk: **read** changes nothing; ")
	b.WriteString("**write** can be undone by another action; **destructive** deletes or overwrites what cannot be restored, ")
	b.WriteString("interrupts service or changes credentials. Scopes are the OAuth scope and, after it, the fine-grained token permissions ")
	b.WriteString("(alternatives separated by `|`).\n\n")
	for _, ts := range reg.Toolsets() {
		fmt.Fprintf(&b, "## %s\n\n", ts)
		b.WriteString("| action | risk | method and path | scopes | summary |\n| --- | --- | --- | --- | --- |\n")
		for _, a := range reg.Actions() {
			if a.Toolset != ts {
				continue
			}
			var scopes []string
			if a.Scope != "" {
				scopes = append(scopes, "`"+a.Scope+"`")
			}
			var alts []string
			for _, alt := range a.Permissions {
				alts = append(alts, strings.Join(alt, " + "))
			}
			if len(alts) > 0 {
				scopes = append(scopes, strings.Join(alts, " \\| "))
			}
			summary := a.Summary
			var notes []string
			if len(a.Secrets) > 0 {
				notes = append(notes, "redacts "+strings.Join(a.Secrets, ", "))
			}
			if a.Poll != nil {
				notes = append(notes, "poll with "+a.Poll.Action)
			}
			if a.Deprecated {
				notes = append(notes, "deprecated")
			}
			if a.Beta {
				notes = append(notes, "beta")
			}
			if a.Internal {
				notes = append(notes, "internal")
			}
			if len(notes) > 0 {
				summary += " (" + strings.Join(notes, "; ") + ")"
			}
			fmt.Fprintf(&b, "| `%s` | %s | `%s %s` | %s | %s |\n", a.Name, a.Risk, a.Method, a.Path,
				strings.Join(scopes, "; "), strings.ReplaceAll(summary, "|", "\\|"))
		}
		b.WriteString("\n")
	}
	return b.String()
}
