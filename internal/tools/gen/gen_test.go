package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/supaops/supaops/internal/action"
	"github.com/supaops/supaops/internal/client"
)

func TestParseEntry(t *testing.T) {
	tests := []struct {
		line    string
		wantErr string
	}{
		{"v1-get-project\tproject_get\tprojects\tread\t\t\t\t\t\t", ""},
		{"v1-get-project\tproject_get\tprojects\tread\tdb_pass,external_*_secret\t\t\t\t\t", ""},
		{"v1-get-project\tproject_get\tprojects\tread\t\t\tquery\tyes\tpage it\t", ""},
		{"v1-get-project\tProjectGet\tprojects\tread\t\t\t\t\t\t", "not snake_case"},
		{"v1-get-project\tget\tprojects\tread\t\t\t\t\t\t", "not snake_case"},
		{"v1-get-project\tproject_get\tProjects\tread\t\t\t\t\t\t", "toolset"},
		{"v1-get-project\tproject_get\tprojects\tscary\t\t\t\t\t\t", "unknown risk"},
		{"v1-get-project\tproject_get\tprojects\tread\t[bad\t\t\t\t\t", "secret pattern"},
		{"v1-get-project\tproject_get\tprojects\tread\t\t\t\tmaybe\t\t", "untrusted \"maybe\""},
		{"v1-get-project\tproject_get\tprojects", "10 tab-separated columns"},
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
		{"unknown operation", func(s string) string { return s + "v1-made-up\tmade_up\tprojects\tread\t\t\t\t\t\t\n" }, "v1-made-up is not in the spec"},
		{"secret that matches nothing", func(s string) string {
			return strings.Replace(s, "branch_get\tbranching\tread\tdb_pass,jwt_secret", "branch_get\tbranching\tread\tdb_password", 1)
		}, `secret pattern "db_password" matches no field`},
		{"poll of a missing action", func(s string) string {
			return strings.Replace(s, "project_get status=INACTIVE", "project_fetch status=INACTIVE", 1)
		}, "poll action project_fetch does not exist"},
		{"sql argument that does not exist", func(s string) string {
			return strings.Replace(s, "database_query_read_only\tdatabase\tread\t\t\tquery", "database_query_read_only\tdatabase\tread\t\t\tsql", 1)
		}, `sql argument "sql" is not an argument`},
		{"sql argument that is not text", func(s string) string {
			return strings.Replace(s, "database_query\tdatabase\tdestructive\t\t\tquery", "database_query\tdatabase\tdestructive\t\t\tquery,read_only", 1)
		}, `sql argument "read_only" is not a string`},
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

// TestTargetOf checks which arguments name a project, branch or
// organization: a {slug} names an organization only under /v1/organizations.
func TestTargetOf(t *testing.T) {
	param := func(name string, in action.Location) action.Param { return action.Param{Name: name, In: in} }
	tests := []struct {
		path   string
		params []action.Param
		want   *action.Target
	}{
		{"/v1/projects/{ref}", []action.Param{param("ref", action.InPath)}, &action.Target{Project: "ref"}},
		{"/v1/branches/{branch_id_or_ref}", []action.Param{param("branch_id_or_ref", action.InPath)}, &action.Target{Branch: "branch_id_or_ref"}},
		{"/v1/snippets", []action.Param{param("project_ref", action.InQuery)}, &action.Target{Project: "project_ref"}},
		{"/v1/organizations/{slug}/members", []action.Param{param("slug", action.InPath)}, &action.Target{Organization: "slug"}},
		{"/v1/projects/{ref}/functions", []action.Param{param("ref", action.InPath), param("slug", action.InQuery)}, &action.Target{Project: "ref"}},
		{"/v1/projects", []action.Param{param("organization_slug", action.InBodyField), param("organization_id", action.InBodyField)},
			&action.Target{Organization: "organization_slug", OrganizationID: "organization_id"}},
		{"/v1/projects", nil, nil},
	}
	for _, tt := range tests {
		got := targetOf(tt.path, tt.params)
		if (got == nil) != (tt.want == nil) || got != nil && *got != *tt.want {
			t.Errorf("targetOf(%s) = %+v, want %+v", tt.path, got, tt.want)
		}
	}
}

// TestGeneratedFilesAreCurrent runs the generator into a scratch folder and
// compares with what is committed, as make check-generated does.
func TestGeneratedFilesAreCurrent(t *testing.T) {
	dir := t.TempDir()
	jsonOut, dataOut, goOut := filepath.Join(dir, "a.json"), filepath.Join(dir, "a.go"), filepath.Join(dir, "b.go")
	if err := run([]string{"-catalogue", "../catalogue.tsv", "-json", jsonOut, "-data", dataOut, "-go", goOut}); err != nil {
		t.Fatal(err)
	}
	for got, committed := range map[string]string{jsonOut: "../actions.gen.json", dataOut: "../actions.gen.go", goOut: "../bindings.gen.go"} {
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
