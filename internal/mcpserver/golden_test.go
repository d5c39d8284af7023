package mcpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/supaops/supaops/internal/scope"
)

var update = flag.Bool("update", false, "rewrite the golden tools/list snapshots in testdata/")

// toolsListBudget is the most the default tools/list may cost a model's
// context, in bytes of JSON (the official Supabase server spends ~21 KB).
const toolsListBudget = 12000

// profiles are the snapshotted and measured configurations.
var profiles = []struct {
	name   string
	opts   Options
	golden bool
}{
	{"default", Options{}, true},
	{"read-only", Options{Scope: scope.Scope{ReadOnly: true}}, true},
	{"all", Options{Toolsets: []string{ToolsetAll}}, true},
	{"project-scope", Options{Scope: scope.Scope{Project: "sandboxprodxxxxxxxxx"}}, false},
	{"read-only+project-scope", Options{Scope: scope.Scope{ReadOnly: true, Project: "sandboxprodxxxxxxxxx"}}, false},
}

func TestToolsListGolden(t *testing.T) {
	reg := registry(t)
	for _, p := range profiles {
		if !p.golden {
			continue
		}
		t.Run(p.name, func(t *testing.T) {
			s, err := listingServer(reg, p.opts)
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.ToolsListJSON(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, got, "", "  "); err != nil {
				t.Fatal(err)
			}
			pretty.WriteByte('\n')
			path := filepath.Join("testdata", "tools_"+p.name+".json")
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/mcpserver -update to write it)", err)
			}
			if !bytes.Equal(pretty.Bytes(), want) {
				t.Errorf("tools/list of %s changed; review the diff, then run go test ./internal/mcpserver -update", p.name)
			}
		})
	}
}

func TestToolsListBudget(t *testing.T) {
	reg := registry(t)
	for _, p := range profiles {
		n, err := ToolsListBytes(context.Background(), reg, p.opts)
		if err != nil {
			t.Fatal(err)
		}
		s, err := listingServer(reg, p.opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("tools/list %-24s %3d tools %7d bytes", p.name, len(s.ToolNames()), n)
		if p.name == "default" && n > toolsListBudget {
			t.Errorf("the default tools/list is %d bytes, over the %d budget: trim the core or its schemas", n, toolsListBudget)
		}
	}
}
