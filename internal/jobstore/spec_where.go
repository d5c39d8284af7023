package jobstore

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// maxWhereLen bounds a log sweep's condition: it travels in a URL.
const maxWhereLen = 4000

// clauseWords are the words that, outside parentheses, would make a
// condition more than a condition (a second query, a different order or
// limit). Inside parentheses they are a subquery or extract(hour from x).
var clauseWords = []string{
	"select", "from", "where", "union", "intersect", "except", "group", "having",
	"order", "limit", "offset", "window", "qualify", "settings", "format", "into",
}

// checkWhere checks the shape of a log sweep's SQL condition, which is
// placed inside the sweep's query: one expression, with balanced quotes and
// parentheses, no statement separator, no comment that would cut the rest of
// the query off. The logs endpoint checks the SQL itself; this catches, with
// a file and line, what would otherwise fail at 3 a.m. or change the query.
func checkWhere(s string) error {
	if len(s) > maxWhereLen {
		return fmt.Errorf("longer than %d characters", maxWhereLen)
	}
	depth := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'' || c == '"' || c == '`':
			end, ok := closeQuote(s, i)
			if !ok {
				return fmt.Errorf("unterminated %c quote at character %d", c, i+1)
			}
			i = end
		case c == ';':
			return errors.New("one condition, not statements: remove ;")
		case c == '#' || strings.HasPrefix(s[i:], "--") || strings.HasPrefix(s[i:], "/*"):
			return errors.New("comments are not allowed: the condition goes inside a query, and a comment would cut it off")
		case c == '(':
			depth++
		case c == ')':
			if depth == 0 {
				return fmt.Errorf("unbalanced ) at character %d", i+1)
			}
			depth--
		case c < ' ' && c != '\t' && c != '\n' && c != '\r':
			return fmt.Errorf("control character at character %d", i+1)
		case isWordByte(c) && (i == 0 || !isWordByte(s[i-1])):
			j := i
			for j < len(s) && isWordByte(s[j]) {
				j++
			}
			if w := strings.ToLower(s[i:j]); depth == 0 && slices.Contains(clauseWords, w) {
				return fmt.Errorf("%s is not allowed outside parentheses: write only the condition, e.g. status_code >= 500", strings.ToUpper(w))
			}
			i = j - 1
		}
	}
	if depth > 0 {
		return fmt.Errorf("%d unclosed (", depth)
	}
	return nil
}

// closeQuote finds the quote closing the one at start; a backslash escapes
// the next character, and a doubled quote is one quote (then read as a close
// and a reopen, which balances the same).
func closeQuote(s string, start int) (int, bool) {
	q := s[start]
	for i := start + 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case q:
			return i, true
		}
	}
	return 0, false
}

func isWordByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
