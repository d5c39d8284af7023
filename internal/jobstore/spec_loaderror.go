package jobstore

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one reason a jobs file was refused.
type Problem struct {
	File string `json:"file"`
	// Line is 1-based; 0 means the file as a whole.
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

func (p Problem) String() string {
	if p.Line <= 0 {
		return fmt.Sprintf("%s: %s", p.File, p.Reason)
	}
	return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Reason)
}

// LoadError lists every problem found in a jobs file, sorted by line; its
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

// specProblems collects Problems while a file is loaded.
type specProblems struct {
	file string
	list []Problem
}

func (ps *specProblems) add(line int, format string, args ...any) {
	ps.list = append(ps.list, Problem{File: ps.file, Line: line, Reason: fmt.Sprintf(format, args...)})
}

// err returns the collected problems as a *LoadError, or nil.
func (ps *specProblems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	sort.SliceStable(ps.list, func(i, j int) bool { return ps.list[i].Line < ps.list[j].Line })
	return &LoadError{Problems: ps.list}
}
