package slackbot

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseCommand(t *testing.T) {
	tests := []struct {
		text  string
		verb  string
		words []string
		flags map[string]string
		err   string
	}{
		{text: "", verb: ""},
		{text: "help consent", verb: "help", words: []string{"consent"}},
		{text: "PROJECT_GET ref=abcdefghijklmnopqrst", verb: "project_get", words: []string{"ref=abcdefghijklmnopqrst"}},
		{text: `logs abc select * from edge_logs where status &gt;= 500`, verb: "logs", words: []string{"abc", "select", "*", "from", "edge_logs", "where", "status", ">=", "500"}},
		{text: `database_query_read_only query="select 'a &amp; b'"`, verb: "database_query_read_only", words: []string{"query=select 'a & b'"}},
		{text: "project_update name=“new name” --public", verb: "project_update", words: []string{"name=new name"}, flags: map[string]string{"public": ""}},
		{text: "audit --since 1h --action project_pause", verb: "audit", flags: map[string]string{"since": "1h", "action": "project_pause"}},
		{text: "bind abcdefghijklmnopqrst --read-only --confirm=c1.x.y.z", verb: "bind", words: []string{"abcdefghijklmnopqrst"}, flags: map[string]string{"read-only": "", "confirm": "c1.x.y.z"}},
		{text: "x --public --public", err: "given twice"},
		{text: `x name="unterminated`, err: "quote"},
		{text: strings.Repeat("a", MaxCommandText+1), err: "at most"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			c, err := parseCommand(tt.text)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.verb != tt.verb || len(c.words)+len(tt.words) > 0 && !reflect.DeepEqual(c.words, tt.words) {
				t.Errorf("verb %q words %q, want %q %q", c.verb, c.words, tt.verb, tt.words)
			}
			if tt.flags == nil {
				tt.flags = map[string]string{}
			}
			if !reflect.DeepEqual(c.flags, tt.flags) {
				t.Errorf("flags %v, want %v", c.flags, tt.flags)
			}
		})
	}
}

func TestUnescapeSlack(t *testing.T) {
	for in, want := range map[string]string{
		"a &lt; b &gt; c &amp; d": "a < b > c & d",
		"&amp;lt;":                "&lt;",
		"plain":                   "plain",
	} {
		if got := unescapeSlack(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{"", "help", `x a="b c" --public`, "logs r select 1", "“q”", "--", "a --b=c --d e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		c, err := parseCommand(text)
		if err != nil {
			return
		}
		if c.verb != strings.ToLower(c.verb) {
			t.Errorf("verb %q is not lower case", c.verb)
		}
		for name := range c.flags {
			if name == "" {
				t.Error("an empty flag name")
			}
		}
	})
}
