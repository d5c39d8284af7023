package jobstore

import "github.com/supaops/supaops/internal/yamlfile"

// Problem is one reason a jobs file was refused.
type Problem = yamlfile.Problem

// LoadError lists every problem found in a jobs file, sorted by line; its
// message is one "file:line: reason" per line.
type LoadError = yamlfile.LoadError

// specProblems collects Problems while a file is loaded.
type specProblems struct{ yamlfile.Problems }

func (ps *specProblems) add(line int, format string, args ...any) { ps.Add(line, format, args...) }

func (ps *specProblems) err() error { return ps.Err() }
