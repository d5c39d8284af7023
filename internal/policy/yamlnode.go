package policy

import (
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The loader walks yaml.Node trees by hand rather than decoding into structs:
// that way an unknown key anywhere, a wrong type, and every other problem
// carries its line, and all problems are reported at once.

// field is a mapping entry: its key and value nodes.
type field struct {
	key, value *yaml.Node
}

// fields reads a mapping, reporting duplicate keys and keys not in known.
// what names the mapping in messages ("rule \"x\"", "defaults").
func (ps *problems) fields(n *yaml.Node, what string, known ...string) map[string]field {
	if n.Kind != yaml.MappingNode {
		ps.add(n.Line, "%s: must be a mapping of keys to values", what)
		return nil
	}
	out := map[string]field{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			ps.add(k.Line, "%s: keys must be plain words", what)
			continue
		}
		if !contains(known, k.Value) {
			sorted := append([]string(nil), known...)
			sort.Strings(sorted)
			ps.add(k.Line, "%s: unknown key %q%s (known: %s)", what, k.Value, didYouMean(k.Value, sorted), strings.Join(sorted, ", "))
			continue
		}
		if prev, dup := out[k.Value]; dup {
			ps.add(k.Line, "%s: key %q given twice (first at line %d)", what, k.Value, prev.key.Line)
			continue
		}
		out[k.Value] = field{key: k, value: v}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// str reads a string scalar. Other scalars (numbers, booleans, null) are
// refused rather than converted, so "effect: yes" cannot mean something odd.
func (ps *problems) str(n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		ps.add(n.Line, "%s: must be a string", what)
		return "", false
	}
	return n.Value, true
}

func (ps *problems) integer(n *yaml.Node, what string) (int, bool) {
	var i int
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&i) != nil {
		ps.add(n.Line, "%s: must be a whole number", what)
		return 0, false
	}
	return i, true
}

// strings reads a non-empty list of strings, with each item's line.
func (ps *problems) strings(n *yaml.Node, what string) []located {
	if n.Kind != yaml.SequenceNode {
		ps.add(n.Line, "%s: must be a list, e.g. [a, b]", what)
		return nil
	}
	if len(n.Content) == 0 {
		ps.add(n.Line, "%s: an empty list matches nothing; leave the key out to match anything", what)
		return nil
	}
	out := make([]located, 0, len(n.Content))
	for _, item := range n.Content {
		if s, ok := ps.str(item, what+" item"); ok {
			out = append(out, located{s, item.Line})
		}
	}
	return out
}

// located is a string and the line it is on.
type located struct {
	value string
	line  int
}
