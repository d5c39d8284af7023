package composite_test

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/supaops/supaops/internal/composite"
	"github.com/supaops/supaops/internal/tools"
)

var update = flag.Bool("update", false, "rewrite docs/tools.md from the registry")

const toolsDoc = "../../docs/tools.md"

// TestToolsDocIsCurrent keeps docs/tools.md generated from the registry
// (the API's actions and the composites) and official.tsv: it fails when
// the file is stale; `go test ./internal/composite -run TestToolsDoc -update`
// (or `make generate`) rewrites it.
func TestToolsDocIsCurrent(t *testing.T) {
	reg, err := composite.Load()
	if err != nil {
		t.Fatal(err)
	}
	official, err := composite.Official()
	if err != nil {
		t.Fatal(err)
	}
	want := renderToolsDoc(reg, official)
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

func renderToolsDoc(reg *tools.Registry, official []composite.OfficialTool) string {
	var b strings.Builder
	b.WriteString("# Actions\n\n")
	b.WriteString("<!-- Generated from the registry by `make generate` (internal/composite/docs_test.go). Do not edit. -->\n\n")
	var api, composites []*tools.Action
	for _, a := range reg.Actions() {
		if a.Composite() {
			composites = append(composites, a)
		} else {
			api = append(api, a)
		}
	}
	fmt.Fprintf(&b, "Every Management API operation is one action: %d in all, and %d composite actions are made of them (below). `supaops-mcp actions` lists them; ", len(api), len(composites))
	b.WriteString("`supaops-mcp actions --format json` adds each input schema. Risk: **read** changes nothing; ")
	b.WriteString("**write** can be undone by another action; **destructive** deletes or overwrites what cannot be restored, ")
	b.WriteString("interrupts service or changes credentials. Scopes are the OAuth scope and, after it, the fine-grained token permissions ")
	b.WriteString("(alternatives separated by `|`).\n\n")
	for _, ts := range reg.Toolsets() {
		fmt.Fprintf(&b, "## %s\n\n", ts)
		b.WriteString("| action | risk | method and path | scopes | summary |\n| --- | --- | --- | --- | --- |\n")
		for _, a := range api {
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
	renderComposites(&b, composites)
	renderOfficial(&b, official)
	return b.String()
}

func renderComposites(b *strings.Builder, list []*tools.Action) {
	b.WriteString("## Composite actions\n\n")
	b.WriteString("Actions made of other actions (internal/composite). Each inner call goes through the pipeline as a call of its own, ")
	b.WriteString("by the same caller on the same surface and in the same scope: validated, decided by the policy and recorded in the audit log ")
	b.WriteString("(its record's `via` names the composite). A composite's risk is the highest of its calls'; it redacts what they redact. ")
	b.WriteString("SQL they send is fixed in the code and runs through `database_query_read_only`.\n\n")
	b.WriteString("| action | toolset | risk | calls | summary |\n| --- | --- | --- | --- | --- |\n")
	for _, a := range list {
		fmt.Fprintf(b, "| `%s` | %s | %s | %s | %s |\n", a.Name, a.Toolset, a.Risk, "`"+strings.Join(a.Calls(), "`, `")+"`",
			strings.ReplaceAll(a.Summary, "|", "\\|"))
	}
	b.WriteString("\n")
}

func renderOfficial(b *strings.Builder, list []composite.OfficialTool) {
	b.WriteString("## The official Supabase MCP server's tools\n\n")
	fmt.Fprintf(b, "Each of the %d tools of the official server (supabase-community/supabase-mcp, now supabase/mcp) and the supaops action that does the same ", len(list))
	b.WriteString("(internal/composite/official.tsv, checked by TestOfficialToolsAreMapped).\n\n")
	b.WriteString("| group | official tool | supaops | note |\n| --- | --- | --- | --- |\n")
	for _, o := range list {
		fmt.Fprintf(b, "| %s | `%s` | %s | %s |\n", o.Group, o.Name, "`"+strings.Join(o.Actions, "`, `")+"`", strings.ReplaceAll(o.Note, "|", "\\|"))
	}
}
