package jobstore

import (
	"fmt"
	"os"

	"go.yaml.in/yaml/v3"

	"github.com/supaops/supaops/internal/yamlfile"
)

// maxJobs bounds a file: each job calls a rate-limited API.
const maxJobs = 1000

// ParseFile reads and checks a jobs file.
func ParseFile(path string, opts LoadOptions) ([]Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading jobs file: %w", err)
	}
	return Parse(path, data, opts)
}

// Parse reads and checks a jobs file; name is used in problems
// (name:line: reason). A file with problems is refused whole, with a
// *LoadError listing all of them. The specs come in file order, with every
// default filled in and their Line set.
func Parse(name string, data []byte, opts LoadOptions) ([]Spec, error) {
	ps := &specProblems{yamlfile.Problems{File: name}}
	root := ps.document(data)
	if root == nil {
		return nil, ps.err()
	}
	specs := readJobsFile(ps, root, opts)
	if err := ps.err(); err != nil {
		return nil, err
	}
	return specs, nil
}

func readJobsFile(ps *specProblems, root *yaml.Node, opts LoadOptions) []Spec {
	f := ps.Fields(root, "jobs file", "version", "jobs")
	if f == nil {
		return nil
	}
	if v, ok := f["version"]; !ok {
		ps.add(root.Line, "version: required; add version: 1")
	} else if n, err := yamlInt(v.Value); err != nil {
		ps.add(v.Value.Line, "version: %v", err)
	} else if n != 1 {
		ps.add(v.Value.Line, "version: %d is not supported; this build reads version 1", n)
	}
	v, ok := f["jobs"]
	if !ok {
		ps.add(root.Line, "jobs: required; a list of jobs (jobs: [] for none)")
		return nil
	}
	if v.Value.Kind != yaml.SequenceNode {
		ps.add(v.Value.Line, "jobs: must be a list of jobs (jobs: [] for none)")
		return nil
	}
	if len(v.Value.Content) > maxJobs {
		ps.add(v.Value.Line, "jobs: %d jobs; the limit is %d", len(v.Value.Content), maxJobs)
		return nil
	}
	var specs []Spec
	seen := map[string]int{}
	for i, item := range v.Value.Content {
		s, nameLine, ok := readJob(ps, item, i, opts)
		if !ok {
			continue
		}
		if first, dup := seen[s.Name]; dup {
			ps.add(nameLine, "job %q: name already used by the job at line %d", s.Name, first)
			continue
		}
		seen[s.Name] = nameLine
		specs = append(specs, s)
	}
	return specs
}
