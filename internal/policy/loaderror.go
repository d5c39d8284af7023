package policy

import "github.com/supaops/supaops/internal/yamlfile"

// Problem is one reason a policy file was refused.
type Problem = yamlfile.Problem

// LoadError lists every problem found in a policy file, sorted by line.
type LoadError = yamlfile.LoadError

// problems collects Problems while a file is loaded.
type problems struct{ yamlfile.Problems }

func (ps *problems) add(line int, format string, args ...any) { ps.Add(line, format, args...) }

func (ps *problems) err() error { return ps.Err() }
