package policy

import (
	"go.yaml.in/yaml/v3"

	"github.com/supaops/supaops/internal/yamlfile"
)

// The loader walks yaml.Node trees by hand rather than decoding into structs:
// that way an unknown key anywhere, a wrong type, and every other problem
// carries its line, and all problems are reported at once.

// field is a mapping entry: its key and value nodes.
type field = yamlfile.Field

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
