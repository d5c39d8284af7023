package composite

import (
	_ "embed"
	"fmt"
	"strings"
)

//go:embed official.tsv
var officialTSV string

// OfficialTool is one tool of the official Supabase MCP server and the
// supaops actions that do the same.
type OfficialTool struct {
	Group, Name string
	Actions     []string
	Note        string
}

// Official reads official.tsv.
func Official() ([]OfficialTool, error) {
	var out []OfficialTool
	for n, line := range strings.Split(officialTSV, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			return nil, fmt.Errorf("official.tsv line %d: %d columns, want 4", n+1, len(f))
		}
		out = append(out, OfficialTool{Group: f[0], Name: f[1], Actions: strings.Fields(f[2]), Note: f[3]})
	}
	return out, nil
}
