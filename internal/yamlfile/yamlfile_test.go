package yamlfile

import (
	"errors"
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
