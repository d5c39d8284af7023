// Package yamlfile is what the policy and the jobs files share in how they
// are read and refused: every problem collected with its file and line,
// one "file:line: reason" per line in the error; anchors and aliases
// refused (files are reviewed by people, and an alias can multiply a small
// file into a huge tree); yaml.v3's errors placed on the right line.
package yamlfile

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/supaops/supaops/internal/suggest"
)

// Problem is one reason a file was refused.
type Problem struct {
	File string `json:"file"`
	// Line is 1-based; 0 means the file as a whole (a YAML error without a
	// place).
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

func (p Problem) String() string {
	if p.Line <= 0 {
		return fmt.Sprintf("%s: %s", p.File, p.Reason)
	}
	return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Reason)
}

// LoadError lists every problem found in a file, sorted by line; its
// message is one "file:line: reason" per line.
type LoadError struct {
	Problems []Problem `json:"problems"`
}

func (e *LoadError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Problems collects problems while a file is read.
type Problems struct {
	File string
	list []Problem
}

// Add records a problem on line.
func (ps *Problems) Add(line int, format string, args ...any) {
	ps.list = append(ps.list, Problem{File: ps.File, Line: line, Reason: fmt.Sprintf(format, args...)})
}

// Len is how many problems were found.
func (ps *Problems) Len() int { return len(ps.list) }

// Err returns the problems as a *LoadError sorted by line, or nil.
func (ps *Problems) Err() error {
	if len(ps.list) == 0 {
		return nil
	}
	sort.SliceStable(ps.list, func(i, j int) bool { return ps.list[i].Line < ps.list[j].Line })
	return &LoadError{Problems: ps.list}
}

// NoAliases refuses anchors and aliases anywhere under n.
func (ps *Problems) NoAliases(n *yaml.Node) bool {
	ok := true
	var walk func(*yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.AliasNode || n.Anchor != "" {
			ps.Add(n.Line, "anchors (&name) and aliases (*name) are not supported; write the value out")
			ok = false
			return
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(n)
	return ok
}

// ErrorLine splits "yaml: line 3: reason" into its line and reason.
// yaml.v3 numbers lines from 0 in parser errors and from 1 in scanner
// errors; the parser's messages are few and distinct, so they are
// recognised and moved to the line people see.
func ErrorLine(err error) (int, string) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	rest, ok := strings.CutPrefix(msg, "line ")
	if !ok {
		return 0, msg
	}
	num, reason, ok := strings.Cut(rest, ": ")
	n, convErr := strconv.Atoi(num)
	if !ok || convErr != nil {
		return 0, msg
	}
	for _, prefix := range []string{
		"did not find expected ',' or", "did not find expected '-' indicator",
		"did not find expected <", "did not find expected key", "did not find expected node content",
		"found duplicate %", "found incompatible YAML document", "found undefined tag handle",
	} {
		if strings.HasPrefix(reason, prefix) {
			n++
			break
		}
	}
	return n, reason
}

// PeekName finds the value of a mapping's key (a rule's or a job's name)
// before the mapping is checked, for messages; "" when there is none.
func PeekName(n *yaml.Node, key string) string {
	if n.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key && n.Content[i+1].Kind == yaml.ScalarNode {
			return n.Content[i+1].Value
		}
	}
	return ""
}

// Field is a mapping entry: its key and value nodes.
type Field struct {
	Key, Value *yaml.Node
}

// Fields reads a mapping, reporting keys that are not plain strings,
// duplicate keys and keys not in known (naming the known ones, and the
// closest). what names the mapping in messages ("rule \"x\"", "defaults").
func (ps *Problems) Fields(n *yaml.Node, what string, known ...string) map[string]Field {
	if n.Kind != yaml.MappingNode {
		ps.Add(n.Line, "%s: must be a mapping of keys to values", what)
		return nil
	}
	out := map[string]Field{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" {
			ps.Add(k.Line, "%s: keys must be plain words", what)
			continue
		}
		if !slices.Contains(known, k.Value) {
			sorted := slices.Sorted(slices.Values(known))
			ps.Add(k.Line, "%s: unknown key %s%s (known: %s)", what, suggest.Quote(k.Value, 60), suggest.DidYouMean(k.Value, sorted), strings.Join(sorted, ", "))
			continue
		}
		if prev, dup := out[k.Value]; dup {
			ps.Add(k.Line, "%s: key %q given twice (first at line %d)", what, k.Value, prev.Key.Line)
			continue
		}
		out[k.Value] = Field{Key: k, Value: v}
	}
	return out
}
