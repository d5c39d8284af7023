package yamlfile

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestErrorLine(t *testing.T) {
	for _, tc := range []struct {
		src      string
		wantLine int
	}{
		{"a: 1\nb: [1, 2\nc: 3\n", 2}, // the parser counts from 0: moved to the line people see
		{"a: 1\nb: \"unclosed\n", 2},  // the scanner's, already right
		{"a: 1\n\tb: 2\n", 2},         // a tab
		{"a:\n  - x\n - y\n", 3},      // indentation
		{"a: 1\na: 2\n", 0 /* not an error for yaml.v3 nodes */},
	} {
		var n yaml.Node
		err := yaml.Unmarshal([]byte(tc.src), &n)
		if tc.wantLine == 0 {
			if err != nil {
				t.Errorf("%q: %v", tc.src, err)
			}
			continue
		}
		if err == nil {
			t.Fatalf("%q parsed", tc.src)
		}
		line, reason := ErrorLine(err)
		if line != tc.wantLine || reason == "" || strings.HasPrefix(reason, "yaml:") {
			t.Errorf("%q: line %d reason %q (from %v), want line %d", tc.src, line, reason, err, tc.wantLine)
		}
	}
	if line, reason := ErrorLine(errors.New("yaml: something")); line != 0 || reason != "something" {
		t.Errorf("no line: %d %q", line, reason)
	}
}

func TestProblems(t *testing.T) {
	ps := &Problems{File: "f.yaml"}
	if ps.Err() != nil {
		t.Fatal("no problems is no error")
	}
	var n yaml.Node
	if err := yaml.Unmarshal([]byte("a: &x 1\nb: *x\nc: 2\n"), &n); err != nil {
		t.Fatal(err)
	}
	ps.Add(3, "late")
	if ps.NoAliases(&n) {
		t.Error("an anchor passed")
	}
	ps.Add(0, "whole file")
	var le *LoadError
	if err := ps.Err(); !errors.As(err, &le) || ps.Len() != 4 {
		t.Fatalf("%v", err)
	}
	alias := "anchors (&name) and aliases (*name) are not supported; write the value out"
	want := "f.yaml: whole file\nf.yaml:1: " + alias + "\nf.yaml:2: " + alias + "\nf.yaml:3: late"
	if le.Error() != want {
		t.Errorf("got\n%s\nwant\n%s", le.Error(), want)
	}
}

func TestFields(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []string // keys read
		problems  []string // each a part of one problem, in order
	}{
		{"known keys", "version: 1\nrules: []\n", []string{"rules", "version"}, nil},
		{"not a mapping", "- a\n", nil, []string{"1: doc: must be a mapping of keys to values"}},
		{"unknown key, with the closest", "version: 1\nrule: []\n", []string{"version"},
			[]string{`2: doc: unknown key "rule" (did you mean rules?) (known: rules, version)`}},
		{"a key that is not a string", "version: 1\n1: x\ntrue: y\n", []string{"version"},
			[]string{"2: doc: keys must be plain words", "3: doc: keys must be plain words"}},
		{"a key given twice", "version: 1\nversion: 2\n", []string{"version"},
			[]string{`2: doc: key "version" given twice (first at line 1)`}},
		{"a long unknown key is cut", "version: 1\n" + strings.Repeat("x", 200) + ": 1\n", []string{"version"},
			[]string{`2: doc: unknown key "` + strings.Repeat("x", 60) + `"… (known: rules, version)`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var doc yaml.Node
			if err := yaml.Unmarshal([]byte(tc.src), &doc); err != nil {
				t.Fatal(err)
			}
			ps := &Problems{File: "f.yaml"}
			got := ps.Fields(doc.Content[0], "doc", "version", "rules")
			var keys []string
			for k, f := range got {
				if f.Key.Value != k || f.Value == nil {
					t.Errorf("%s: field %+v", k, f)
				}
				keys = append(keys, k)
			}
			slices.Sort(keys)
			if !slices.Equal(keys, tc.want) {
				t.Errorf("keys %q, want %q", keys, tc.want)
			}
			if ps.Len() != len(tc.problems) {
				t.Fatalf("%d problems, want %d: %v", ps.Len(), len(tc.problems), ps.Err())
			}
			if len(tc.problems) == 0 {
				return
			}
			lines := strings.Split(ps.Err().Error(), "\n")
			for i, want := range tc.problems {
				if lines[i] != "f.yaml:"+want {
					t.Errorf("problem %d = %q, want %q", i, lines[i], "f.yaml:"+want)
				}
			}
		})
	}
}
