package policy

import (
	"strings"
	"testing"

	"github.com/supaops/supaops/internal/principal"
)

func TestCompilePrincipal(t *testing.T) {
	tests := []struct {
		pattern string
		wantErr string // "" when the pattern compiles
	}{
		{"*", ""},
		{"mcp:local", ""},
		{"cli:local", ""},
		{"mcp:token:ci", ""},
		{"slack:user:U0CTO", ""},
		{"slack:usergroup:S0LEADS", ""},
		{"slack:channel:C0OPS", ""},
		{"job:nightly-backup", ""},
		// Globs compile as before, whatever could match them.
		{"slack:*", ""},
		{"slack:user:*", ""},
		{"slack:user:U?", ""},
		{"slack:user:U[0-4]", ""},
		{"mcp:*", ""},
		{"mcp:token:lead-*", ""},
		{"job:*", ""},
		{"s*", ""},
		{"slak:*", "unknown kind"},
		{"MCP:*", "unknown kind"},

		// A literal the canonical form would change matches nobody: refused,
		// naming the spelling to write.
		{"slack:user:u0cto", `is not in canonical form: write "slack:user:U0CTO"`},
		{"slack:usergroup:s0leads", `write "slack:usergroup:S0LEADS"`},
		{"MCP:local", `write "mcp:local"`},
		{"mcp:local ", `write "mcp:local"`},
		{"Job:nightly", `write "job:nightly"`},
		// A literal no caller can be is refused with what is allowed.
		{"slack:user:X1", "want U or W followed by"},
		{"slack:channel:U1", "want C, G or D"},
		{"job:a/b", "job name"},
		{"mcp:lo cal", "contains whitespace"},
		{"slak:user:U1", `principal "slak:user:U1" has an unknown kind: want mcp:local, mcp:token:<name>`},
		{"job:", `needs a name or id after "job:"`},
		{"slack:user:", `needs a name or id after "slack:user:"`},
		{"", "empty principal"},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			_, err := compilePrincipal(tt.pattern)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("compilePrincipal(%q): %v", tt.pattern, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("compilePrincipal(%q) = %v, want an error with %q", tt.pattern, err, tt.wantErr)
			}
		})
	}
}

// The policy knows exactly the kinds the principal package does.
func TestCompilePrincipalFollowsThePrincipalForms(t *testing.T) {
	for _, f := range principal.Forms() {
		pattern := f.Kind
		if f.Named() {
			pattern = f.Prefix() + "*"
		}
		if _, err := compilePrincipal(pattern); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	_, err := compilePrincipal("nope")
	if err == nil || !strings.Contains(err.Error(), principal.Help()+", or * for anyone") {
		t.Errorf("the error lists the principal package's forms: %v", err)
	}
}

// Through the loader: the problem names the line and the canonical spelling,
// for principals and approvers alike.
func TestLoadRefusesANonCanonicalPrincipal(t *testing.T) {
	src := header + "rules:\n\t- name: r\n\t\teffect: approve\n\t\tprincipals: [\"slack:user:u1\"]\n\t\tapprovers: [\"SLACK:usergroup:S1\"]\n"
	_, err := Parse("test.yaml", yamlDoc(src), testOpts())
	if err == nil {
		t.Fatal("loaded")
	}
	for _, want := range []string{
		`test.yaml:9: rule "r": principals: principal "slack:user:u1" is not in canonical form: write "slack:user:U1"`,
		`test.yaml:10: rule "r": approvers: principal "SLACK:usergroup:S1" is not in canonical form: write "slack:usergroup:S1"`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
