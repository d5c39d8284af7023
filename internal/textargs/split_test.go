package textargs

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		name, line string
		want       []string
	}{
		{"empty", "", nil},
		{"only space", " \t\n ", nil},
		{"words", "a b  c", []string{"a", "b", "c"}},
		{"any whitespace", "  a\tb\nc\r\nd  ", []string{"a", "b", "c", "d"}},
		{"no-break space separates", "a\u00a0b", []string{"a", "b"}},
		{"key=value", "project_get ref=abc", []string{"project_get", "ref=abc"}},
		{"empty value", "key=", []string{"key="}},

		{"double quoted value", `key="a b"`, []string{"key=a b"}},
		{"single quoted value", `key='a b'`, []string{"key=a b"}},
		{"quotes join", `'a'"b"c`, []string{"abc"}},
		{"empty quotes are a word", `a "" b ''`, []string{"a", "", "b", ""}},
		{"empty quoted value", `key=""`, []string{"key="}},
		{"newline inside quotes", "query=\"select 1\nfrom t\"", []string{"query=select 1\nfrom t"}},
		{"single quotes are literal", `'a\b "c" $d'`, []string{`a\b "c" $d`}},
		{"escaped double quote", `"a\"b"`, []string{`a"b`}},
		{"escaped backslash", `"a\\b"`, []string{`a\b`}},
		{"other backslashes stay in double quotes", `"C:\dir\n"`, []string{`C:\dir\n`}},
		{"backslash outside quotes", `a\ b \'c\" \\`, []string{"a b", `'c"`, `\`}},
		{"trailing backslash is kept", `a\`, []string{`a\`}},
		{"shell apostrophe", `'it'\''s'`, []string{"it's"}},
		{"apostrophe in double quotes", `"it's"`, []string{"it's"}},

		// What Slack and other smart-quoting clients send.
		{"typographic double", "key=\u201ca b\u201d", []string{"key=a b"}},
		{"right double quotes both sides", "key=\u201da b\u201d", []string{"key=a b"}},
		{"low double quote", "\u201ea b\u201c", []string{"a b"}},
		{"typographic single", "key=\u2018a b\u2019", []string{"key=a b"}},
		{"right single quotes both sides", "key=\u2019a b\u2019", []string{"key=a b"}},
		{"typographic apostrophe", "name=it\u2019s", []string{"name=it\u2019s"}},
		{"apostrophe inside typographic single", "\u2018don\u2019t stop\u2019", []string{"don\u2019t stop"}},
		{"typographic quotes inside ASCII ones are text", "\"say \u201chi\u201d\" '\u2018x\u2019'", []string{"say \u201chi\u201d", "\u2018x\u2019"}},
		{"ASCII quotes inside typographic ones are text", "\u201csay \"hi\" it's\u201d", []string{`say "hi" it's`}},
		{"escaped typographic quote", "\u201csay \\\u201chi\\\u201d\u201d", []string{"say \u201chi\u201d"}},
		{"a Slack command", "call database_query ref=abcdefghijklmnopqrst query=\u201cselect * from t where name = \u2019x\u2019\u201d",
			[]string{"call", "database_query", "ref=abcdefghijklmnopqrst", "query=select * from t where name = \u2019x\u2019"}},

		{"invalid UTF-8 is kept", "a\xffb c\xe2\x80", []string{"a\xffb", "c\xe2\x80"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Split(tt.line)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("Split(%q) = %q, want %q", tt.line, got, tt.want)
			}
		})
	}
}

func TestSplitUnterminated(t *testing.T) {
	tests := []struct {
		name, line string
		quote      rune
		offset     int
		column     int
		text       string
	}{
		{"double", `key="a b`, '"', 4, 5, `unterminated double quote (") opened at character 5: close it, or put a backslash before a quote that is part of the text (\")`},
		{"escaped closing quote", `"a\"`, '"', 0, 1, "unterminated double quote"},
		{"single", `name=it's`, '\'', 7, 8, `unterminated single quote (') opened at character 8: close it; to put a quote or apostrophe in the text, use double quotes ("it's") or a backslash (it\'s)`},
		{"typographic double", "a key=\u201ca b", '\u201c', 6, 7, "unterminated double quote (\u201c) opened at character 7"},
		{"typographic single", "\u2018abc", '\u2018', 0, 1, "unterminated single quote (\u2018) opened at character 1"},
		{"columns count characters", "\u00e9\u00e9 'x", '\'', 5, 4, "opened at character 4"},
		{"after a closed quote", `"a" "b`, '"', 4, 5, "opened at character 5"},
		{"after an escape", `\"x "y`, '"', 4, 5, "opened at character 5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			words, err := Split(tt.line)
			var qe *QuoteError
			if !errors.As(err, &qe) {
				t.Fatalf("Split(%q) = %q, %v; want a *QuoteError", tt.line, words, err)
			}
			if qe.Quote != tt.quote || qe.Offset != tt.offset || qe.Column != tt.column {
				t.Errorf("got %+v, want quote %c at offset %d, column %d", *qe, tt.quote, tt.offset, tt.column)
			}
			if !strings.Contains(err.Error(), tt.text) {
				t.Errorf("message %q lacks %q", err, tt.text)
			}
		})
	}
}

func TestQuoteAndJoin(t *testing.T) {
	tests := []struct{ word, want string }{
		{"abc", "abc"},
		{"key=value", "key=value"},
		{"", "''"},
		{"a b", "'a b'"},
		{"it's", `'it'\''s'`},
		{`a\b`, `'a\b'`},
		{`"`, `'"'`},
		{"\u201cx\u201d", "'\u201cx\u201d'"},
		{"it\u2019s", "'it\u2019s'"},
		{"a\nb", "'a\nb'"},
	}
	for _, tt := range tests {
		if got := Quote(tt.word); got != tt.want {
			t.Errorf("Quote(%q) = %q, want %q", tt.word, got, tt.want)
		}
	}
	words := []string{"call", "database_query", "query=select 'x'", "", `a\b`, "it\u2019s", "\u2018x\u2019"}
	got, err := Split(Join(words))
	if err != nil || !slices.Equal(got, words) {
		t.Errorf("Split(Join(%q)) = %q, %v", words, got, err)
	}
}

func FuzzSplit(f *testing.F) {
	for _, s := range []string{
		"", "a b", `key="a b"`, `'it'\''s'`, "key=\u201ca b\u201d", "\u2018don\u2019t\u2019", "it\u2019s",
		`"a\"b\\c"`, `a\`, "\"x", "a\xffb", "\u201e\\\u201c\u201c", "''\"\"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		words, err := Split(line)
		if err != nil {
			var qe *QuoteError
			if !errors.As(err, &qe) {
				t.Fatalf("Split(%q): %v is not a *QuoteError", line, err)
			}
			if r, _ := utf8.DecodeRuneInString(line[qe.Offset:]); r != qe.Quote || qe.Column < 1 || qe.Column > qe.Offset+1 {
				t.Fatalf("Split(%q): %+v does not point at its quote", line, *qe)
			}
			return
		}
		// Words read back from their quoted form are the same words.
		again, err := Split(Join(words))
		if err != nil || !slices.Equal(again, words) {
			t.Fatalf("Split(%q) = %q; Split(Join(...)) = %q, %v", line, words, again, err)
		}
	})
}

func FuzzJoin(f *testing.F) {
	f.Add("a", "b c", "")
	f.Add("it's", "\u201cx", `\`)
	f.Add("\xe2\x80", "\x99", "'")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		words := []string{a, b, c}
		got, err := Split(Join(words))
		if err != nil || !slices.Equal(got, words) {
			t.Fatalf("Split(Join(%q)) = %q, %v", words, got, err)
		}
	})
}
