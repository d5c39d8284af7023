package textargs

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/supaops/supaops/internal/tools"
)

const ref = "abcdefghijklmnopqrst"

func registry(t testing.TB) *tools.Registry {
	t.Helper()
	reg, err := tools.Load()
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// problem is one FieldProblem a test expects: its field, and a part of its text.
type problem struct{ field, text string }

func TestParse(t *testing.T) {
	reg := registry(t)
	n := func(s string) json.Number { return json.Number(s) }
	tests := []struct {
		name     string
		action   string
		pairs    []string
		json     string
		want     map[string]any
		problems []problem
	}{
		// As tools.ParseArgs did.
		{"strings", "project_get", []string{"ref=" + ref}, "", map[string]any{"ref": ref}, nil},
		{"integer", "organization_projects_list", []string{"slug=acme", "limit=5"}, "", map[string]any{"slug": "acme", "limit": n("5")}, nil},
		{"boolean", "api_keys_list", []string{"ref=" + ref, "reveal=true"}, "", map[string]any{"ref": ref, "reveal": true}, nil},
		{"comma list", "project_health_get", []string{"services=auth, db"}, "", map[string]any{"services": []any{"auth", "db"}}, nil},
		{"JSON list", "project_health_get", []string{`services=["rest"]`}, "", map[string]any{"services": []any{"rest"}}, nil},
		{"JSON object merged, pairs win", "project_get", []string{"ref=bbbbbbbbbbbbbbbbbbbb"}, `{"ref":"aaaaaaaaaaaaaaaaaaaa"}`, map[string]any{"ref": "bbbbbbbbbbbbbbbbbbbb"}, nil},
		{"unknown keys are kept for Validate", "project_get", []string{"ref=" + ref, "refx=1"}, `{"extra": 2}`, map[string]any{"ref": ref, "refx": "1", "extra": n("2")}, nil},

		// Exact numbers.
		{"2^63-1", "organization_projects_list", []string{"limit=9223372036854775807"}, "", map[string]any{"limit": n("9223372036854775807")}, nil},
		{"20 digits", "organization_projects_list", []string{"limit=12345678901234567890"}, "", map[string]any{"limit": n("12345678901234567890")}, nil},
		{"20 digits in --json", "organization_projects_list", nil, `{"limit": 12345678901234567890, "offset": 9007199254740993}`, map[string]any{"limit": n("12345678901234567890"), "offset": n("9007199254740993")}, nil},
		{"exact numbers in a JSON array", "database_query", []string{"parameters=[12345678901234567890, 9007199254740993, 0.1]"}, "", map[string]any{"parameters": []any{n("12345678901234567890"), n("9007199254740993"), n("0.1")}}, nil},
		{"exact numbers in a JSON object", "branch_create", []string{`secrets={"A": "b", "N": 9007199254740993}`}, "", map[string]any{"secrets": map[string]any{"A": "b", "N": n("9007199254740993")}}, nil},
		{"integer spellings", "organization_projects_list", []string{"limit=+007", "offset=-0"}, "", map[string]any{"limit": n("7"), "offset": n("0")}, nil},
		{"number", "action_runs_list", []string{"limit=10.50"}, "", map[string]any{"limit": n("10.50")}, nil},
		{"number exponent", "action_runs_list", []string{"limit=1e400"}, "", map[string]any{"limit": n("1e400")}, nil},
		{"not an integer", "organization_projects_list", []string{"limit=1.5", "offset=1e3"}, "", nil, []problem{
			{"limit", `want an integer (a whole number such as 42), got "1.5"`},
			{"offset", `want an integer (a whole number such as 42), got "1e3"`},
		}},
		{"not an integer in --json", "organization_projects_list", nil, `{"limit": 5.0}`, nil, []problem{{"limit", "want an integer (a whole number such as 42), got 5.0"}}},
		{"not an integer inside an object", "storage_config_update", []string{`features={"icebergCatalog": {"enabled": true, "maxCatalogs": 1.5, "maxNamespaces": 1, "maxTables": 1}}`}, "", nil,
			[]problem{{"features.icebergCatalog.maxCatalogs", "got 1.5"}}},
		{"bad integer", "organization_projects_list", []string{"limit=five"}, "", nil, []problem{{"limit", `want an integer, got "five"`}}},
		{"empty integer", "organization_projects_list", []string{"limit="}, "", nil, []problem{{"limit", "want an integer, got an empty value"}}},
		{"bad number", "action_runs_list", []string{"limit=.5"}, "", nil, []problem{{"limit", `want a number such as 1.5 or -2, got ".5"`}}},

		// Booleans, null, empty values.
		{"boolean words", "api_keys_list", []string{"reveal=Yes"}, "", map[string]any{"reveal": true}, nil},
		{"boolean false", "api_keys_list", []string{"reveal=FALSE"}, "", map[string]any{"reveal": false}, nil},
		{"bad boolean", "api_keys_list", []string{"reveal=maybe"}, "", nil, []problem{{"reveal", `want true or false, got "maybe"`}}},
		{"null for a nullable integer", "auth_config_update", []string{"api_max_request_duration=null", "disable_signup=null"}, "", map[string]any{"api_max_request_duration": nil, "disable_signup": nil}, nil},
		{"null is text for a string", "auth_config_update", []string{"site_url=null"}, "", map[string]any{"site_url": "null"}, nil},
		{"null refused where not nullable", "auth_config_update", []string{"mailer_otp_exp=null"}, "", nil, []problem{{"mailer_otp_exp", "want an integer"}}},
		{"empty string", "project_get", []string{"ref="}, "", map[string]any{"ref": ""}, nil},
		{"empty list", "project_health_get", []string{"services="}, "", map[string]any{"services": []any{}}, nil},

		// Objects, arrays of objects, no single type.
		{"object", "branch_create", []string{`secrets={"A":"b"}`}, "", map[string]any{"secrets": map[string]any{"A": "b"}}, nil},
		{"bad object", "branch_create", []string{"secrets=A=b"}, "", nil, []problem{{"secrets", `want a JSON object such as {"key": "value"}`}}},
		{"text after JSON", "project_health_get", []string{`services=["rest"] x`}, "", nil, []problem{{"services", "unexpected text after the JSON value"}}},
		{"array of objects needs JSON", "function_deploy", []string{"file=a,b"}, "", nil, []problem{{"file", "want a JSON array, e.g. [{...}]"}}},
		{"array of objects", "function_deploy", []string{`file=[{"name": "a.ts", "content": "x, y"}]`}, "", map[string]any{"file": []any{map[string]any{"name": "a.ts", "content": "x, y"}}}, nil},
		{"oneOf as text", "branch_delete", []string{"branch_id_or_ref=" + ref}, "", map[string]any{"branch_id_or_ref": ref}, nil},
		{"oneOf as JSON", "disk_update", []string{`attributes={"type": "gp3", "iops": 3000}`}, "", map[string]any{"attributes": map[string]any{"type": "gp3", "iops": n("3000")}}, nil},

		// The shape of the words.
		{"no value", "project_get", []string{"ref"}, "", nil, []problem{{"ref", "no value: write ref="}}},
		{"no value for a flag", "api_keys_list", []string{"reveal"}, "", nil, []problem{{"reveal", "no value: write reveal=true"}}},
		{"no value for a list of objects", "function_deploy", []string{"file"}, "", nil, []problem{{"file", "no value: write file='[...]'"}}},
		{"not key=value", "project_get", []string{"hello"}, "", nil, []problem{{"", `argument "hello" is not key=value: write NAME=VALUE, e.g. ref=`}}},
		{"no name", "project_get", []string{"=x"}, "", nil, []problem{{"", "an argument starts with '=': give its name, write NAME=VALUE, e.g. ref="}}},
		{"no arguments to give", "organizations_list", []string{"x"}, "", nil, []problem{{"", "organizations_list takes no arguments"}}},
		{"given twice", "project_get", []string{"ref=" + ref, "ref=" + ref}, "", nil, []problem{{"ref", "given twice: give it once"}}},
		{"given twice, unknown", "project_get", []string{"x=1", "x=2"}, "", nil, []problem{{"x", "given twice"}}},
		{"given twice in --json", "project_get", nil, `{"ref": "a", "ref": "b"}`, nil, []problem{{"ref", "given twice in --json"}}},
		{"bad --json", "project_get", nil, `{"ref":`, nil, []problem{{"", "--json must be a JSON object: ref: unexpected end of JSON"}}},
		{"--json not an object", "project_get", nil, `["ref"]`, nil, []problem{{"", "--json must be a JSON object: got an array"}}},
		{"text after --json", "project_get", nil, `{} {}`, nil, []problem{{"", "unexpected text after the object"}}},

		// Every problem at once.
		{"all problems together", "organization_projects_list", []string{"limit=five", "offset=1.5", "slug", "slug=a", "slug=b"}, `{"x": 1, "x": 2}`, nil, []problem{
			{"x", "given twice in --json"},
			{"limit", "want an integer"},
			{"offset", "want an integer"},
			{"slug", "no value: write slug="},
			{"slug", "given twice"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := reg.Lookup(tt.action)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Parse(a, tt.pairs, tt.json)
			if tt.problems != nil {
				var ie *tools.InputError
				if !errors.As(err, &ie) {
					t.Fatalf("got %v, %v; want a *tools.InputError", got, err)
				}
				if ie.Action != tt.action || got != nil {
					t.Errorf("error for %q with args %v", ie.Action, got)
				}
				if len(ie.Problems) != len(tt.problems) {
					t.Errorf("got %d problems, want %d: %v", len(ie.Problems), len(tt.problems), err)
				}
				for i, want := range tt.problems {
					if i >= len(ie.Problems) {
						break
					}
					p := ie.Problems[i]
					if p.Field != want.field || !strings.Contains(p.Problem, want.text) {
						t.Errorf("problem %d = %+v, want field %q with %q", i, p, want.field, want.text)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

// Numbers reach the request as written: through Normalize and Validate, as
// the pipeline takes them.
func TestParseNumbersSurviveNormalize(t *testing.T) {
	reg := registry(t)
	a, err := reg.Lookup("database_query")
	if err != nil {
		t.Fatal(err)
	}
	const big = "[9223372036854775807, 12345678901234567890, 9007199254740993]"
	args, err := Parse(a, []string{"ref=" + ref, "query=select $1", "parameters=" + big}, "")
	if err != nil {
		t.Fatal(err)
	}
	norm, err := tools.Normalize(args)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Validate(norm); err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(norm["parameters"])
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != strings.ReplaceAll(big, " ", "") {
		t.Errorf("parameters became %s, want %s", data, big)
	}
}

// What Parse keeps of an unknown key, Validate refuses with the valid list.
func TestParseLeavesUnknownKeysToValidate(t *testing.T) {
	a, err := registry(t).Lookup("project_get")
	if err != nil {
		t.Fatal(err)
	}
	args, err := Parse(a, []string{"ref=" + ref, "rf=x"}, "")
	if err != nil {
		t.Fatal(err)
	}
	norm, err := tools.Normalize(args)
	if err != nil {
		t.Fatal(err)
	}
	var ie *tools.InputError
	if err := a.Validate(norm); !errors.As(err, &ie) || len(ie.Valid) == 0 || ie.Problems[0].Field != "rf" {
		t.Errorf("Validate: %v", err)
	}
}

// A Slack command line, typographic quotes and all.
func TestSplitThenParse(t *testing.T) {
	a, err := registry(t).Lookup("database_query")
	if err != nil {
		t.Fatal(err)
	}
	words, err := Split("ref=" + ref + " query=\u201cselect * from t where name = \u2019it\u2019s\u2019\u201d read_only=true")
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(a, words, "")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"ref": ref, "query": "select * from t where name = \u2019it\u2019s\u2019", "read_only": true}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v, want %#v", got, want)
	}
}

// coerce on schemas the registry does not happen to have today.
func TestCoerce(t *testing.T) {
	n := func(s string) json.Number { return json.Number(s) }
	ints := map[string]any{"type": "array", "items": map[string]any{"type": "integer"}}
	bools := map[string]any{"type": "array", "items": map[string]any{"type": "boolean"}}
	nullableNumber := map[string]any{"type": []any{"null", "number"}}
	tests := []struct {
		name    string
		schema  map[string]any
		raw     string
		want    any
		wantErr string
	}{
		{"comma integers", ints, "1, 2,9223372036854775807", []any{n("1"), n("2"), n("9223372036854775807")}, ""},
		{"comma integer refused", ints, "1,x", nil, `item 2: want an integer, got "x"`},
		{"comma booleans", bools, "true,no", []any{true, false}, ""},
		{"nullable number null", nullableNumber, "null", nil, ""},
		{"nullable number", nullableNumber, "-1.5e-3", n("-1.5e-3"), ""},
		{"empty comma item", ints, "1,,2", nil, "item 2: want an integer, got an empty value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := coerce(tt.schema, tt.raw)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, %v; want an error with %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %#v, %v; want %#v", got, err, tt.want)
			}
		})
	}
}

func TestCanonicalNumber(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" when refused
	}{
		{"0", "0"}, {"42", "42"}, {"-42", "-42"}, {"+42", "42"}, {"007", "7"}, {"-00", "-0"},
		{"1.50", "1.50"}, {"1e10", "1e10"}, {"1E+10", "1E+10"}, {"2.5e-3", "2.5e-3"},
		{"12345678901234567890", "12345678901234567890"},
		{"", ""}, {"-", ""}, {"+", ""}, {".5", ""}, {"5.", ""}, {"1e", ""}, {"1e+", ""}, {"0x10", ""},
		{"1_000", ""}, {"Inf", ""}, {"NaN", ""}, {"1 2", ""}, {"--1", ""}, {"١٢", ""},
	}
	for _, tt := range tests {
		got, ok := canonicalNumber(tt.in)
		if ok != (tt.want != "") || string(got) != tt.want {
			t.Errorf("canonicalNumber(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
		// What it accepts is valid JSON with the same text.
		if ok {
			var v json.Number
			if err := json.Unmarshal([]byte(got), &v); err != nil || v != got {
				t.Errorf("%q is not a JSON number: %v", got, err)
			}
		}
	}
}

// Parse never panics, and what it accepts for an integer field from text is
// an integer, written as one. (A --json value of another type, a string say,
// is left for Validate; a non-integer number there is refused.)
func FuzzParse(f *testing.F) {
	reg := registry(f)
	var actions []*tools.Action
	for _, name := range []string{"auth_config_update", "database_query", "storage_config_update", "function_deploy"} {
		a, err := reg.Lookup(name)
		if err != nil {
			f.Fatal(err)
		}
		actions = append(actions, a)
	}
	f.Add(uint8(0), "mailer_otp_exp=5 disable_signup=null site_url=x", `{"jwt_exp": 1.5}`)
	f.Add(uint8(1), "parameters=[1,2.5,\"x\"] query=“select 1”", "")
	f.Add(uint8(2), `features={"icebergCatalog":{"maxTables":1e3}}`, `{"a":1,"a":2}`)
	f.Add(uint8(3), "file=[{}] x =y ref", "[")
	f.Fuzz(func(t *testing.T, which uint8, line, jsonObject string) {
		a := actions[int(which)%len(actions)]
		words, err := Split(line)
		if err != nil {
			return
		}
		args, err := Parse(a, words, jsonObject)
		if err != nil {
			var ie *tools.InputError
			if !errors.As(err, &ie) || len(ie.Problems) == 0 {
				t.Fatalf("Parse(%q, %q): %v is not an InputError with problems", words, jsonObject, err)
			}
			return
		}
		for key, v := range args {
			schema, ok := a.Property(key)
			if !ok {
				continue
			}
			if typ, _ := tools.SchemaType(schema); typ == "integer" && v != nil {
				n, isNumber := v.(json.Number)
				if (isNumber && !isIntegerText(n)) || (!isNumber && jsonObject == "") {
					t.Fatalf("%s = %#v for an integer field", key, v)
				}
			}
		}
	})
}
