// Package textargs reads an action's arguments from text, the way the CLI and
// Slack take them: a line split into shell-like words (Split), then
// key=value words typed by the action's input schema (Parse).
package textargs

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Typographic quotes. Slack (and macOS, and phones) turn typed quotes into
// these; a person who typed key="a b" must get the same words either way.
const (
	leftDouble  = '\u201c' // “
	rightDouble = '\u201d' // ”
	lowDouble   = '\u201e' // „ (German, and some keyboards)
	leftSingle  = '\u2018' // ‘
	rightSingle = '\u2019' // ’, also the typographic apostrophe
)

// QuoteError is an unterminated quote.
type QuoteError struct {
	// Quote is the quote that was opened.
	Quote rune
	// Offset is its byte offset in the line; Column its position in
	// characters, from 1.
	Offset, Column int
}

func (e *QuoteError) Error() string {
	kind, fix := "double", `close it, or put a backslash before a quote that is part of the text (\")`
	if isSingle(e.Quote) {
		kind, fix = "single", `close it; to put a quote or apostrophe in the text, use double quotes ("it's") or a backslash (it\'s)`
	}
	return fmt.Sprintf("unterminated %s quote (%c) opened at character %d: %s", kind, e.Quote, e.Column, fix)
}

func isSingle(r rune) bool { return r == '\'' || isTypoSingle(r) }

func isTypoDouble(r rune) bool { return r == leftDouble || r == rightDouble || r == lowDouble }

func isTypoSingle(r rune) bool { return r == leftSingle || r == rightSingle }

func isWordChar(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// Split splits a line into words as a POSIX shell does, without expansions:
//
//   - words are separated by whitespace (any Unicode space, newlines included);
//   - 'single quotes' keep everything literally, up to the next ';
//   - "double quotes" keep everything up to the next ", except that \" and \\
//     are a quote and a backslash (any other backslash stays as typed, so
//     "C:\dir" is C:\dir);
//   - outside quotes a backslash makes the next character literal;
//   - quotes join what touches them: key="a b" is the one word `key=a b`,
//     and a pair of quotes with nothing between is an empty word.
//
// Typographic quotes count as quotes: “ ” „ as double quotes (closed by any
// of the three, with \“ and \” escapes), ‘ ’ as single quotes. Since ’ is
// also an apostrophe, one right after a letter or digit (it’s) is a literal
// character, and inside ‘…’ one followed by a letter or digit does not close
// (‘don’t’ is the word don’t). An ASCII quote is closed only by the same
// ASCII quote, so typographic quotes inside "…" or '…' are text.
//
// An unterminated quote is a *QuoteError naming where it was opened. Invalid
// UTF-8 is kept byte for byte. Join quotes words so that Split gives them back.
func Split(line string) ([]string, error) {
	var (
		words  []string
		word   strings.Builder
		inWord bool      // a word has started, perhaps an empty quoted one
		prev   rune = -1 // the rune before i in the line, for apostrophes
		col    int       // characters before i
	)
	for i := 0; i < len(line); {
		r, n := utf8.DecodeRuneInString(line[i:])
		switch {
		case unicode.IsSpace(r):
			if inWord {
				words = append(words, word.String())
				word.Reset()
				inWord = false
			}
			i, col = i+n, col+1
		case r == '\\':
			inWord = true
			if i+n == len(line) {
				word.WriteByte('\\') // a trailing backslash escapes nothing: keep it
				i, col = i+n, col+1
				break
			}
			r2, n2 := utf8.DecodeRuneInString(line[i+n:])
			word.WriteString(line[i+n : i+n+n2])
			i, col, r = i+n+n2, col+2, r2
		case opensQuote(r, prev):
			inWord = true
			end, chars, ok := readQuoted(line, i, &word)
			if !ok {
				return nil, &QuoteError{Quote: r, Offset: i, Column: col + 1}
			}
			r, _ = utf8.DecodeLastRuneInString(line[:end])
			i, col = end, col+chars
		default:
			inWord = true
			word.WriteString(line[i : i+n])
			i, col = i+n, col+1
		}
		prev = r
	}
	if inWord {
		words = append(words, word.String())
	}
	return words, nil
}

// opensQuote reports whether r opens a quote where it stands. A ’ right
// after a letter or digit is an apostrophe.
func opensQuote(r, prev rune) bool {
	switch {
	case r == '\'' || r == '"' || isTypoDouble(r) || r == leftSingle:
		return true
	case r == rightSingle:
		return !isWordChar(prev)
	}
	return false
}

// readQuoted reads the quoted text whose opening quote is at line[open:]
// into w. It returns the offset just past the closing quote and how many
// characters it read, quotes included; ok is false when no quote closes it.
func readQuoted(line string, open int, w *strings.Builder) (end, chars int, ok bool) {
	q, n := utf8.DecodeRuneInString(line[open:])
	chars = 1
	for i := open + n; i < len(line); {
		r, n := utf8.DecodeRuneInString(line[i:])
		chars++
		switch {
		case q == '\'':
			if r == '\'' {
				return i + n, chars, true
			}
		case isTypoSingle(q):
			// Closes unless it is an apostrophe inside a word (don’t).
			if isTypoSingle(r) {
				after, _ := utf8.DecodeRuneInString(line[i+n:])
				if i+n == len(line) || !isWordChar(after) {
					return i + n, chars, true
				}
			}
		default: // a double quote, ASCII or typographic
			if closesDouble(q, r) {
				return i + n, chars, true
			}
			if r == '\\' && i+n < len(line) {
				r2, n2 := utf8.DecodeRuneInString(line[i+n:])
				if r2 == '\\' || closesDouble(q, r2) {
					w.WriteString(line[i+n : i+n+n2])
					i, chars = i+n+n2, chars+1
					continue
				}
			}
		}
		w.WriteString(line[i : i+n])
		i += n
	}
	return 0, 0, false
}

// closesDouble reports whether r closes a double quote opened with q: an
// ASCII quote closes an ASCII one, any typographic one a typographic one.
func closesDouble(q, r rune) bool {
	if q == '"' {
		return r == '"'
	}
	return isTypoDouble(r)
}

// Quote returns word as Split reads it back as one word: unchanged when it
// holds nothing special, else in single quotes, each ' inside written as a
// closing quote, an escaped quote and an opening quote, as in a shell.
func Quote(word string) string {
	if word == "" {
		return "''"
	}
	if !strings.ContainsFunc(word, needsQuote) {
		return word
	}
	return "'" + strings.ReplaceAll(word, "'", `'\''`) + "'"
}

func needsQuote(r rune) bool {
	return unicode.IsSpace(r) || r == '\\' || r == '\'' || r == '"' || isTypoDouble(r) || isTypoSingle(r)
}

// Join quotes each word (see Quote) and joins them with spaces, so that
// Split(Join(words)) is words again: for echoing a command back, say.
func Join(words []string) string {
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = Quote(w)
	}
	return strings.Join(quoted, " ")
}
