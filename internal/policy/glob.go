package policy

import (
	"path"
	"strings"
)

type globKind uint8

const (
	globAny globKind = iota
	globLiteral
	globPrefix
	globPattern
)

// glob is a path.Match pattern compiled once; the common shapes (a literal, a
// single trailing '*') are matched without path.Match.
type glob struct {
	kind globKind
	text string // the whole pattern, the literal, or the prefix
	src  string // the pattern as written
}

func compileGlob(pattern string) (glob, error) {
	if pattern == "*" {
		return glob{kind: globAny, text: pattern, src: pattern}, nil
	}
	// path.Match checks the whole pattern's syntax even when it does not match.
	if _, err := path.Match(pattern, ""); err != nil {
		return glob{}, err
	}
	i := strings.IndexAny(pattern, `*?[\`)
	switch {
	case i < 0:
		return glob{kind: globLiteral, text: pattern, src: pattern}, nil
	case i == len(pattern)-1 && pattern[i] == '*':
		return glob{kind: globPrefix, text: pattern[:i], src: pattern}, nil
	default:
		return glob{kind: globPattern, text: pattern, src: pattern}, nil
	}
}

func (g *glob) match(s string) bool {
	switch g.kind {
	case globAny:
		return true
	case globLiteral:
		return s == g.text
	case globPrefix:
		// Same as path.Match: '*' does not cross '/'.
		return strings.HasPrefix(s, g.text) && !strings.Contains(s[len(g.text):], "/")
	default:
		ok, _ := path.Match(g.text, s)
		return ok
	}
}

// literalPrefix is the part of the pattern before its first special character.
func (g *glob) literalPrefix() string {
	switch g.kind {
	case globAny:
		return ""
	case globLiteral, globPrefix:
		return g.text
	default:
		return g.text[:strings.IndexAny(g.text, `*?[\`)]
	}
}

func (g *glob) isLiteral() bool { return g.kind == globLiteral }
