package tools

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/supaops/supaops/internal/action"
)

// endpointRow is one row of api/endpoints.tsv, the team's list of operations.
type endpointRow struct {
	method, path, operationID, risk, riskNote string
}

func readEndpoints(t *testing.T) []endpointRow {
	t.Helper()
	f, err := os.Open("../../api/endpoints.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comma = '\t'
	r.LazyQuotes = true
	records, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, name := range records[0] {
		col[name] = i
	}
	var rows []endpointRow
	for _, rec := range records[1:] {
		rows = append(rows, endpointRow{
			method: rec[col["method"]], path: rec[col["path"]], operationID: rec[col["operation_id"]],
			risk: rec[col["risk"]], riskNote: rec[col["risk_note"]],
		})
	}
	return rows
}

func loadRegistry(t testing.TB) *Registry {
	t.Helper()
	reg, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func TestRegistryHasOneActionPerEndpoint(t *testing.T) {
	reg := loadRegistry(t)
	rows := readEndpoints(t)
	if len(rows) != 164 {
		t.Fatalf("endpoints.tsv has %d rows, want 164", len(rows))
	}
	byEndpoint := map[string][]*Action{}
	for _, a := range reg.Actions() {
		key := a.Method + " " + a.Path
		byEndpoint[key] = append(byEndpoint[key], a)
	}
	for _, row := range rows {
		got := byEndpoint[row.method+" "+row.path]
		if len(got) != 1 {
			t.Errorf("%s %s: %d actions, want exactly 1", row.method, row.path, len(got))
		}
	}
	if n := len(reg.Actions()); n != len(rows) {
		t.Errorf("registry has %d actions, endpoints.tsv %d", n, len(rows))
	}
}

var actionName = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)+$`)

func TestActionsAreWellFormed(t *testing.T) {
	reg := loadRegistry(t)
	rows := map[string]endpointRow{}
	for _, row := range readEndpoints(t) {
		rows[row.method+" "+row.path] = row
	}
	names := map[string]bool{}
	for _, a := range reg.Actions() {
		t.Run(a.Name, func(t *testing.T) {
			if !actionName.MatchString(a.Name) {
				t.Errorf("name %q is not snake_case <resource>_<verb>", a.Name)
			}
			if names[a.Name] {
				t.Errorf("duplicate name")
			}
			names[a.Name] = true
			if _, err := action.ParseRisk(string(a.Risk)); err != nil {
				t.Error(err)
			}
			if a.Summary == "" || a.Toolset == "" {
				t.Errorf("summary %q, toolset %q: both are needed", a.Summary, a.Toolset)
			}
			// A risk that differs from the team's first judgement must say why.
			if row := rows[a.Method+" "+a.Path]; row.risk != string(a.Risk) && !strings.HasPrefix(a.Note, "tsv: "+row.risk) {
				t.Errorf("risk %s differs from endpoints.tsv (%s) without a note starting %q", a.Risk, row.risk, "tsv: "+row.risk)
			}
			if a.Method == http.MethodGet && a.Risk != action.Read && a.Name != "oauth_authorize_project_claim" {
				t.Errorf("GET classed %s", a.Risk)
			}
			if a.Method == http.MethodDelete && a.Risk == action.Read {
				t.Errorf("DELETE classed read")
			}
			if a.Poll != nil {
				if _, err := reg.Lookup(a.Poll.Action); err != nil {
					t.Errorf("poll: %v", err)
				}
			}
		})
	}
}

func TestInputSchemas(t *testing.T) {
	reg := loadRegistry(t)
	for _, a := range reg.Actions() {
		t.Run(a.Name, func(t *testing.T) {
			var schema map[string]any
			if err := json.Unmarshal(a.InputSchema, &schema); err != nil {
				t.Fatal(err)
			}
			if schema["type"] != "object" || schema["additionalProperties"] != false {
				t.Errorf("top level must be a closed object: %v", schema)
			}
			for _, combinator := range []string{"oneOf", "anyOf", "allOf", "not", "$ref"} {
				if _, ok := schema[combinator]; ok {
					t.Errorf("top-level %s: some model providers reject it", combinator)
				}
			}
			if _, err := a.compile(); err != nil {
				t.Errorf("schema does not compile: %v", err)
			}
			required := map[string]bool{}
			list, _ := schema["required"].([]any)
			for _, r := range list {
				required[r.(string)] = true
			}
			for _, p := range a.Params {
				if p.In == action.InPath && !required[p.Name] {
					t.Errorf("path parameter %s is not required", p.Name)
				}
				if p.Name == "ref" && p.In == action.InPath {
					ref, _ := a.Property("ref")
					if ref["pattern"] != "^[a-z]+$" || ref["minLength"] != float64(20) || ref["maxLength"] != float64(20) {
						t.Errorf("ref must be 20 lowercase letters: %v", ref)
					}
				}
			}
		})
	}
}

func TestLookupSuggestsClosestNames(t *testing.T) {
	reg := loadRegistry(t)
	tests := []struct {
		name string
		want string
	}{
		{"project_gte", "project_get"},
		{"pause_project", "project_pause"},
		{"projects_get", "project_get"},
		{"list_projects", "projects_list"},
		{"database_querry", "database_query"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := reg.Lookup(tt.name)
			var unknown *UnknownActionError
			if !errors.As(err, &unknown) {
				t.Fatalf("want *UnknownActionError, got %v", err)
			}
			if !contains(unknown.Suggestions, tt.want) {
				t.Errorf("suggestions %v do not include %s", unknown.Suggestions, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("message %q does not name %s", err, tt.want)
			}
		})
	}
	if _, err := reg.Lookup("zzzz_qqqq_xxxx"); err == nil || strings.Contains(err.Error(), "did you mean") {
		t.Errorf("a far-fetched name should get no suggestion: %v", err)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestGoDataIsTheJSON checks that what Load reads (actions.gen.go) says
// exactly what actions.gen.json says, schemas byte for byte once compacted.
func TestGoDataIsTheJSON(t *testing.T) {
	data, err := os.ReadFile("actions.gen.json")
	if err != nil {
		t.Fatal(err)
	}
	var want []action.Action
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	compact := func(raw json.RawMessage) json.RawMessage {
		if raw == nil {
			return nil
		}
		var b bytes.Buffer
		if err := json.Compact(&b, raw); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	got := generatedActions[:]
	if len(got) != len(want) {
		t.Fatalf("%d actions as Go data, %d in the JSON", len(got), len(want))
	}
	for i := range want {
		want[i].InputSchema, want[i].OutputSchema = compact(want[i].InputSchema), compact(want[i].OutputSchema)
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("action %d (%s): Go data\n%+v\nJSON\n%+v", i, want[i].Name, got[i], want[i])
		}
	}
}
