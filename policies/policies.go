// Package policies holds the policy files shipped with supaops. They are
// embedded, so the binary has a policy even with no file on disk.
package policies

import (
	"embed"
	"fmt"
	"io/fs"

	"github.com/supaops/supaops/internal/policy"
)

//go:embed *.yaml examples/*.yaml
var files embed.FS

// FS holds the shipped files: default.yaml, readonly.yaml, examples/*.yaml.
func FS() fs.FS { return files }

// Names lists the shipped files, sorted.
func Names() ([]string, error) {
	var names []string
	for _, pattern := range []string{"*.yaml", "examples/*.yaml"} {
		m, err := fs.Glob(files, pattern)
		if err != nil {
			return nil, fmt.Errorf("listing shipped policies: %w", err)
		}
		names = append(names, m...)
	}
	return names, nil
}

// Load compiles a shipped file by name, e.g. "default.yaml" or "examples/team.yaml".
func Load(name string, opts policy.LoadOptions) (*policy.Policy, error) {
	data, err := files.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("reading shipped policy %s: %w", name, err)
	}
	return policy.Parse("embedded:"+name, data, opts)
}

// Default is the policy used when none is configured: reads allowed, writes
// confirmed, destructive actions denied.
func Default(opts policy.LoadOptions) (*policy.Policy, error) { return Load("default.yaml", opts) }

// ReadOnly allows reads and denies everything else.
func ReadOnly(opts policy.LoadOptions) (*policy.Policy, error) { return Load("readonly.yaml", opts) }
