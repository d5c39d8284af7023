package jobstore

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/supaops/supaops/internal/suggest"
	"github.com/supaops/supaops/internal/yamlfile"
)

// As in internal/policy, the loader walks yaml.Node trees by hand rather than
// decoding into structs: an unknown key anywhere, a wrong type and every
// other problem then carries its line, and all are reported at once.

// maxJobsFileSize refuses files no one could review, before YAML sees them.
const maxJobsFileSize = 1 << 20

// yamlField is a mapping entry: its key and value nodes.
type yamlField struct {
	key, value *yaml.Node
}

// fields reads a mapping, reporting duplicate keys and keys not in known
// (with the known ones). what names the mapping in messages.
func (ps *specProblems) fields(n *yaml.Node, what string, known ...string) map[string]yamlField {
	if n.Kind != yaml.MappingNode {
		ps.add(n.Line, "%s: must be a mapping of keys to values", what)
		return nil
	}
	out := map[string]yamlField{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" {
			ps.add(k.Line, "%s: keys must be plain words", what)
			continue
		}
		if !slices.Contains(known, k.Value) {
			sorted := slices.Sorted(slices.Values(known))
			ps.add(k.Line, "%s: unknown key %s%s (known: %s)", what, suggest.Quote(k.Value, 60), didYouMean(k.Value, sorted), strings.Join(sorted, ", "))
			continue
		}
		if prev, dup := out[k.Value]; dup {
			ps.add(k.Line, "%s: key %q given twice (first at line %d)", what, k.Value, prev.key.Line)
			continue
		}
		out[k.Value] = yamlField{key: k, value: v}
	}
	return out
}

// yamlString reads a string scalar. Other scalars (numbers, booleans, null)
// are refused rather than converted, so "kind: yes" cannot mean something odd.
func yamlString(n *yaml.Node) (string, error) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		return "", errors.New("must be a string")
	}
	return n.Value, nil
}

func yamlInt(n *yaml.Node) (int, error) {
	var i int
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&i) != nil {
		return 0, errors.New("must be a whole number")
	}
	return i, nil
}

func yamlBool(n *yaml.Node) (bool, error) {
	var b bool
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
		return false, errors.New("must be true or false")
	}
	return b, nil
}

// yamlDuration reads a duration string; a bare 0 is zero too.
func yamlDuration(n *yaml.Node) (time.Duration, error) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!int" && n.Value == "0" {
		return 0, nil
	}
	s, err := yamlString(n)
	if err != nil {
		return 0, errors.New("must be a duration such as 30s, 10m, 1h30m or 7d")
	}
	return parseDuration(s)
}

// document parses data and returns its top-level node, or nil with the
// problems recorded.
func (ps *specProblems) document(data []byte) *yaml.Node {
	if len(data) > maxJobsFileSize {
		ps.add(0, "file is %d bytes; the limit is %d", len(data), maxJobsFileSize)
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			ps.add(1, "empty file: want at least version: 1 and jobs:")
		} else {
			line, reason := yamlfile.ErrorLine(err)
			ps.add(line, "invalid YAML: %s", reason)
		}
		return nil
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		ps.add(next.Line, "a jobs file holds one YAML document; remove the second (---)")
	case !errors.Is(err, io.EOF):
		line, reason := yamlfile.ErrorLine(err)
		ps.add(line, "invalid YAML: %s", reason)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		ps.add(1, "empty file: want at least version: 1 and jobs:")
		return nil
	}
	root := doc.Content[0]
	if !ps.NoAliases(root) {
		return nil
	}
	return root
}
