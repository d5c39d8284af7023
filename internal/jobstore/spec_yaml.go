package jobstore

import (
	"bytes"
	"errors"
	"io"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/supaops/supaops/internal/yamlfile"
)

// As in internal/policy, the loader walks yaml.Node trees by hand rather than
// decoding into structs: an unknown key anywhere, a wrong type and every
// other problem then carries its line, and all are reported at once.

// maxJobsFileSize refuses files no one could review, before YAML sees them.
const maxJobsFileSize = 1 << 20

// yamlField is a mapping entry: its key and value nodes.
type yamlField = yamlfile.Field

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
