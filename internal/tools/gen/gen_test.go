package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/supaops/supaops/internal/client"
)

func TestParseEntry(t *testing.T) {
	tests := []struct {
		line    string
		wantErr string
	}{
		{"v1-get-project\tproject_get\tprojects\tread\t\t\t", ""},
		{"v1-get-project\tproject_get\tprojects\tread\tdb_pass,external_*_secret\t\t", ""},
		{"v1-get-project\tProjectGet\tprojects\tread\t\t\t", "not snake_case"},
		{"v1-get-project\tget\tprojects\tread\t\t\t", "not snake_case"},
		{"v1-get-project\tproject_get\tProjects\tread\t\t\t", "toolset"},
		{"v1-get-project\tproject_get\tprojects\tscary\t\t\t", "unknown risk"},
		{"v1-get-project\tproject_get\tprojects\tread\t[bad\t\t", "secret pattern"},
		{"v1-get-project\tproject_get\tprojects", "7 tab-separated columns"},
	}
	for _, tt := range tests {
		_, err := parseEntry(tt.line)
		if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("%q: error %v, want %q", tt.line, err, tt.wantErr)
		}
	}
}

func TestParsePoll(t *testing.T) {
	p, err := parsePoll("restore_point_get name=out.name ref=in.ref status=AVAILABLE !FAILED|REMOVED")
	if err != nil {
		t.Fatal(err)
	}
	if p.Action != "restore_point_get" || p.Args["name"] != "out.name" || p.Args["ref"] != "in.ref" ||
		p.Field != "status" || strings.Join(p.Done, ",") != "AVAILABLE" || strings.Join(p.Failed, ",") != "FAILED,REMOVED" {
		t.Errorf("%+v", p)
	}
	for _, bad := range []string{"x a=1 b=2", "x !FAILED", "x ???"} {
		if _, err := parsePoll(bad); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
	if p, err := parsePoll(""); p != nil || err != nil {
		t.Errorf("empty poll: %v %v", p, err)
	}
}

// TestBuildRefusesBadCatalogues mutates the real catalogue and checks each
// mistake is caught with the line it is on.
func TestBuildRefusesBadCatalogues(t *testing.T) {
	doc, err := client.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	original, err := os.ReadFile("../catalogue.tsv")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		edit    func(string) string
		wantErr string
	}{
		{"as committed", func(s string) string { return s }, ""},
		{"duplicate name", func(s string) string {
			return strings.Replace(s, "v1-get-project\tproject_get\t", "v1-get-project\tprojects_list\t", 1)
		}, "name projects_list already used"},
		{"missing operation", func(s string) string { return dropLine(s, "v1-get-profile\t") }, "v1-get-profile (GET /v1/profile) has no row"},
		{"unknown operation", func(s string) string { return s + "v1-made-up\tmade_up\tprojects\tread\t\t\t\n" }, "v1-made-up is not in the spec"},
		{"secret that matches nothing", func(s string) string {
			return strings.Replace(s, "branch_get\tbranching\tread\tdb_pass,jwt_secret", "branch_get\tbranching\tread\tdb_password", 1)
		}, `secret pattern "db_password" matches no field`},
		{"poll of a missing action", func(s string) string {
			return strings.Replace(s, "project_get status=INACTIVE", "project_fetch status=INACTIVE", 1)
		}, "poll action project_fetch does not exist"},
		{"poll value not in the enum", func(s string) string {
			return strings.Replace(s, "project_get status=INACTIVE", "project_get status=ASLEEP", 1)
		}, "poll value ASLEEP is not a value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "catalogue.tsv")
			if err := os.WriteFile(file, []byte(tt.edit(string(original))), 0o600); err != nil {
				t.Fatal(err)
			}
			entries, err := readCatalogue(file)
			if err == nil {
				_, err = build(doc, entries)
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// TestGeneratedFilesAreCurrent runs the generator into a scratch folder and
// compares with what is committed, as make check-generated does.
func TestGeneratedFilesAreCurrent(t *testing.T) {
	dir := t.TempDir()
	jsonOut, goOut := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.go")
	if err := run([]string{"-catalogue", "../catalogue.tsv", "-json", jsonOut, "-go", goOut}); err != nil {
		t.Fatal(err)
	}
	for got, committed := range map[string]string{jsonOut: "../actions.gen.json", goOut: "../bindings.gen.go"} {
		a, _ := os.ReadFile(got)
		b, _ := os.ReadFile(committed)
		if !bytes.Equal(a, b) {
			t.Errorf("%s is stale: run make generate", committed)
		}
	}
}

func dropLine(s, prefix string) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if !strings.HasPrefix(line, prefix) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}
