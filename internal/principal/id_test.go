package principal

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  string // a part of the error; "" when in is valid
	}{
		{"mcp:local", "mcp:local", ""},
		{"cli:local", "cli:local", ""},
		{"mcp:token:ci", "mcp:token:ci", ""},
		{"mcp:token:lead-bot.v2_1", "mcp:token:lead-bot.v2_1", ""},
		{"job:nightly-backup", "job:nightly-backup", ""},
		{"slack:user:U0123ABCD", "slack:user:U0123ABCD", ""},
		{"slack:user:W0123ABCD", "slack:user:W0123ABCD", ""},
		{"slack:usergroup:S0LEADS", "slack:usergroup:S0LEADS", ""},
		{"slack:channel:C0OPS", "slack:channel:C0OPS", ""},
		{"slack:channel:G1", "slack:channel:G1", ""},
		{"slack:channel:D1", "slack:channel:D1", ""},
		{"job:" + strings.Repeat("a", 64), "job:" + strings.Repeat("a", 64), ""},

		// Canonicalised.
		{"mcp:local ", "mcp:local", ""},
		{"\t mcp:local\n", "mcp:local", ""},
		{"MCP:local", "mcp:local", ""},
		{"Cli:LOCAL", "cli:local", ""},
		{"slack:user:u1", "slack:user:U1", ""},
		{"SLACK:User:u0abc", "slack:user:U0ABC", ""},
		{"Slack:UserGroup:s1", "slack:usergroup:S1", ""},
		{"slack:channel:c1", "slack:channel:C1", ""},
		{"JOB:Nightly", "job:Nightly", ""}, // names keep their case
		{"Mcp:Token:CI", "mcp:token:CI", ""},
		{"mcp:local\u00a0", "mcp:local", ""}, // a no-break space is still space

		// Refused.
		{"", "", "empty principal"},
		{"   ", "", "empty principal"},
		{"mcp:lo cal", "", "contains whitespace at byte 6"},
		{"mcp:token:c i", "", "contains whitespace"},
		{"slack:user:U1\u00a0U2", "", "contains whitespace"},
		{"mcp:local\x00", "", "control character"},
		{"mcp:token:ci\x7f", "", "control character"},
		{"mcp:token:c\u200bi", "", "non-ASCII"},      // a zero-width space
		{"mcp:token:\u0441i", "", "non-ASCII"},       // Cyrillic es, looks like c
		{"slack:user:U1\xff", "", "not valid UTF-8"}, // a stray byte
		{"mcp:local:x", "", "unknown kind"},
		{"mcp:remote", "", "unknown kind"},
		{"slak:user:U1", "", "unknown kind"},
		{"slack:team:T1", "", "unknown kind"},
		{"email:a@b.c", "", "unknown kind"},
		{"U1", "", "unknown kind"},
		{"*", "", "unknown kind"},
		{"slack:user:*", "", "slack:user id"},
		{"job:", "", `needs a name after "job:"`},
		{"job", "", `needs a name after "job:"`},
		{"slack:user:", "", `needs an id after "slack:user:"`},
		{"job:a/b", "", "job name"},
		{"job:-x", "", "starting with a letter or digit"},
		{"job:" + strings.Repeat("a", 65), "", "job name"},
		{"mcp:token:a:b", "", "mcp:token name"},
		{"slack:user:X1", "", "want U or W followed by"},
		{"slack:user:S1", "", "want U or W"},
		{"slack:usergroup:U1", "", "want S followed by"},
		{"slack:channel:U1", "", "want C, G or D"},
		{"slack:user:U", "", "slack:user id"},
		{"slack:user:U-1", "", "slack:user id"},
		{"slack:user:U_1", "", "slack:user id"},
		{strings.Repeat("x", 10000), "", "bytes long"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse(%q) = %q, %v; want an error with %q", tt.in, got, err, tt.wantErr)
				}
				if got != "" {
					t.Errorf("Parse(%q) returned %q with its error", tt.in, got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Parse(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			// Canonical forms are fixed points.
			if again, err := Parse(got); err != nil || again != got {
				t.Errorf("Parse(%q) = %q, %v; want it unchanged", got, again, err)
			}
		})
	}
}

// The attack that motivated Parse: "mcp:local " passed a self-approval check
// as a second identity. Every spelling of one identity must come out the same.
func TestParseOneSpellingPerIdentity(t *testing.T) {
	groups := [][]string{
		{"mcp:local", "mcp:local ", " mcp:local", "MCP:local", "mcp:LOCAL", "Mcp:Local\n", "\tmcp:local\r\n"},
		{"cli:local", "CLI:local", "cli:local\t"},
		{"slack:user:U1", "slack:user:u1", "SLACK:USER:U1", "Slack:User:u1 ", " slack:user:U1"},
		{"slack:usergroup:S0LEADS", "slack:usergroup:s0leads", "SLACK:USERGROUP:S0Leads"},
		{"slack:channel:C0OPS", "slack:channel:c0ops"},
		{"mcp:token:ci", "MCP:TOKEN:ci", "mcp:token:ci "},
		{"job:nightly", "Job:nightly", " job:nightly"},
	}
	for _, g := range groups {
		for _, s := range g {
			got, err := Parse(s)
			if err != nil || got != g[0] {
				t.Errorf("Parse(%q) = %q, %v; want %q", s, got, err, g[0])
			}
			if !Same(s, g[0]) {
				t.Errorf("Same(%q, %q) = false", s, g[0])
			}
		}
	}
	// Distinct identities stay distinct.
	for _, pair := range [][2]string{
		{"mcp:local", "cli:local"},
		{"slack:user:U1", "slack:user:U2"},
		{"slack:user:U1", "slack:usergroup:S1"},
		{"mcp:token:ci", "mcp:token:CI"}, // a token name is case-sensitive
		{"mcp:local", "mcp:local x"},     // invalid is never the same as anything
		{"mcp:loca1", "mcp:loca1"},
	} {
		if Same(pair[0], pair[1]) {
			t.Errorf("Same(%q, %q) = true", pair[0], pair[1])
		}
	}
}

func TestParseUnknownKindIsMarked(t *testing.T) {
	_, err := Parse("slak:user:U1")
	if !errors.Is(err, ErrUnknownKind) {
		t.Errorf("err = %v, want ErrUnknownKind", err)
	}
	if err == nil || !strings.Contains(err.Error(), Help()) {
		t.Errorf("err = %v, want the allowed forms", err)
	}
	if _, err := Parse("job:a/b"); errors.Is(err, ErrUnknownKind) {
		t.Errorf("a bad name is not an unknown kind: %v", err)
	}
}

func TestConstructors(t *testing.T) {
	tests := []struct {
		name    string
		build   func(string) (string, error)
		in      string
		want    string
		wantErr string
	}{
		{"token", MCPToken, "ci", "mcp:token:ci", ""},
		{"token keeps case", MCPToken, "CI", "mcp:token:CI", ""},
		{"token empty", MCPToken, "", "", "mcp:token name \"\": want 1 to 64 letters"},
		{"token space", MCPToken, " ci", "", "mcp:token name"},
		{"token colon", MCPToken, "a:b", "", "mcp:token name"},
		{"user", SlackUser, "U0123ABCD", "slack:user:U0123ABCD", ""},
		{"user upper-cased", SlackUser, "u0123abcd", "slack:user:U0123ABCD", ""},
		{"enterprise user", SlackUser, "W1", "slack:user:W1", ""},
		{"user wrong letter", SlackUser, "B1", "", "want U or W"},
		{"user trailing space", SlackUser, "U1 ", "", "slack:user id"},
		{"usergroup", SlackUsergroup, "S1", "slack:usergroup:S1", ""},
		{"usergroup wrong letter", SlackUsergroup, "U1", "", "want S followed by"},
		{"channel", SlackChannel, "C1", "slack:channel:C1", ""},
		{"private channel", SlackChannel, "G1", "slack:channel:G1", ""},
		{"direct message", SlackChannel, "D1", "slack:channel:D1", ""},
		{"channel wrong letter", SlackChannel, "X1", "", "want C, G or D"},
		{"job", Job, "nightly-backup", "job:nightly-backup", ""},
		{"job slash", Job, "a/b", "", "job name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.build(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %q, %v; want an error with %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
			// What a constructor builds, Parse keeps.
			if p, err := Parse(got); err != nil || p != got {
				t.Errorf("Parse(%q) = %q, %v", got, p, err)
			}
		})
	}
}

func TestKindAndSurface(t *testing.T) {
	tests := []struct{ id, kind, surface string }{
		{"mcp:local", KindMCPLocal, SurfaceMCP},
		{"mcp:token:ci", KindMCPToken, SurfaceMCP},
		{"cli:local", KindCLILocal, SurfaceCLI},
		{"slack:user:u1", KindSlackUser, SurfaceSlack},
		{"slack:usergroup:S1", KindSlackUsergroup, SurfaceSlack},
		{"slack:channel:C1", KindSlackChannel, SurfaceSlack},
		{"job:x", KindJob, SurfaceJob},
		{"MCP:local ", KindMCPLocal, SurfaceMCP},
		{"slack:team:T1", "", ""},
		{"", "", ""},
	}
	for _, tt := range tests {
		if got := Kind(tt.id); got != tt.kind {
			t.Errorf("Kind(%q) = %q, want %q", tt.id, got, tt.kind)
		}
		if got := Surface(tt.id); got != tt.surface {
			t.Errorf("Surface(%q) = %q, want %q", tt.id, got, tt.surface)
		}
	}
}

func TestFormsAndHelp(t *testing.T) {
	const want = "mcp:local, mcp:token:<name>, slack:user:<id>, slack:usergroup:<id>, slack:channel:<id>, job:<name>, cli:local"
	if got := Help(); got != want {
		t.Errorf("Help() = %q, want %q", got, want)
	}
	// Callers may change what Forms returns without changing the next answer.
	f := Forms()
	f[0].Kind = "x"
	if Forms()[0].Kind != KindMCPLocal {
		t.Error("Forms shares its slice")
	}
	for _, f := range Forms() {
		if (f.Leading != "") != (f.Surface == SurfaceSlack) {
			t.Errorf("%s: only Slack kinds take ids with leading letters", f)
		}
	}
}

func TestNew(t *testing.T) {
	p, err := New(" slack:user:u1", "slack:usergroup:s1", "SLACK:USERGROUP:S1", "slack:user:U1", "slack:channel:C1 ")
	if err != nil {
		t.Fatal(err)
	}
	if p.ID != "slack:user:U1" || strings.Join(p.Identities, ",") != "slack:usergroup:S1,slack:channel:C1" {
		t.Errorf("got %+v", p)
	}
	if _, err := New("mcp:local", "slack:team:T1"); err == nil {
		t.Error("a bad identity is refused")
	}
	if _, err := New("mcp:local "); err != nil {
		t.Errorf("New trims like Parse: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"mcp:local", "slack:user:u1", " MCP:LOCAL ", "job:a", "slack:channel:c0OPS", "\x00", "mcp:token:é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Parse(s)
		if err != nil {
			return
		}
		// A canonical form is a fixed point, has a kind, and is plain ASCII.
		if again, err := Parse(got); err != nil || again != got {
			t.Fatalf("Parse(%q) = %q, then %q, %v", s, got, again, err)
		}
		if Kind(got) == "" || Surface(got) == "" {
			t.Fatalf("%q has no kind or surface", got)
		}
		for i := 0; i < len(got); i++ {
			if got[i] <= ' ' || got[i] >= 0x7f {
				t.Fatalf("%q has byte %#x", got, got[i])
			}
		}
	})
}
