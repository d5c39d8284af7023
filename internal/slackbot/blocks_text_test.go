package slackbot

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

func TestEsc(t *testing.T) {
	tests := []struct {
		in, want, wantCode string
	}{
		{"<!channel>", "&lt;!channel&gt;", "&lt;!channel&gt;"},
		{"<!here|here> <!everyone>", "&lt;!here|here&gt; &lt;!everyone&gt;", "&lt;!here|here&gt; &lt;!everyone&gt;"},
		{"<https://evil|click>", "&lt;https://evil|click&gt;", "&lt;https://evil|click&gt;"},
		{"<@U123> <#C123> <!subteam^S1>", "&lt;@U123&gt; &lt;#C123&gt; &lt;!subteam^S1&gt;", "&lt;@U123&gt; &lt;#C123&gt; &lt;!subteam^S1&gt;"},
		{"a & b", "a &amp; b", "a &amp; b"},
		{"&lt;already&gt;", "&amp;lt;already&amp;gt;", "&amp;lt;already&amp;gt;"},
		{"``` close", "``` close", "ˋˋˋ close"},
		{"plain *bold* _it_", "plain *bold* _it_", "plain *bold* _it_"},
		{"bad \xff utf8", "bad \uFFFD utf8", "bad \uFFFD utf8"},
	}
	for _, tt := range tests {
		if got := esc(tt.in, false); got != tt.want {
			t.Errorf("esc(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := esc(tt.in, true); got != tt.wantCode {
			t.Errorf("esc(%q, code) = %q, want %q", tt.in, got, tt.wantCode)
		}
	}
}

func TestCode(t *testing.T) {
	for in, want := range map[string]string{
		"":           "_(empty)_",
		"ref":        "`ref`",
		"a`b":        "`aˋb`",
		"two\nlines": "`two↵lines`",
		"<!channel>": "`&lt;!channel&gt;`",
	} {
		if got := code(in); got != want {
			t.Errorf("code(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWho(t *testing.T) {
	for in, want := range map[string]string{
		"slack:user:U123ABC":                              "<@U123ABC>",
		"slack:user:W123ABC":                              "<@W123ABC>",
		"slack:channel:C0001":                             "<#C0001>",
		"slack:usergroup:S0001":                           "`slack:usergroup:S0001`", // would notify the whole group
		"slack:user:*":                                    "`slack:user:*`",
		"slack:user:U1>|<!channel":                        "`slack:user:U1&gt;|&lt;!channel`",
		"slack:user:u123":                                 "`slack:user:u123`",
		"mcp:token:ci":                                    "`mcp:token:ci`",
		"slack:channel:C1<!here>":                         "`slack:channel:C1&lt;!here&gt;`",
		"job:nightly-backup <x@y>":                        "`job:nightly-backup &lt;x@y&gt;`",
		"slack:user:U12345678901234567890123456789012345": "`slack:user:U12345678901234567890123456789012345`",
	} {
		if got := who(in); got != want {
			t.Errorf("who(%q) = %q, want %q", in, got, want)
		}
	}
	if got := channel("<!channel>"); got != "&lt;!channel&gt;" {
		t.Errorf("channel: %q", got)
	}
}

func TestPlainName(t *testing.T) {
	for in, want := range map[string]string{
		"project_delete":        "project_delete",
		"abcdefghijklmnopqrst":  "abcdefghijklmnopqrst",
		"<!channel>":            "??channel?",
		"":                      "?",
		strings.Repeat("a", 70): strings.Repeat("a", 60) + "…",
	} {
		if got := plainName(in); got != want {
			t.Errorf("plainName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWhen(t *testing.T) {
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.FixedZone("x", 3600))
	if got, want := when(at), "<!date^1772597167^{date_short_pretty} {time}|2026-03-04T04:06:07Z>"; got != want {
		t.Errorf("when = %q, want %q", got, want)
	}
	if got := when(time.Time{}); got != "_never_" {
		t.Errorf("zero time: %q", got)
	}
}

// firstPiece never splits an entity or a character and stays in its limit.
func TestFirstPiece(t *testing.T) {
	s := esc(strings.Repeat("a&b<c😀\n", 500), true)
	for _, limit := range []int{5, 6, 7, 13, 100, 2991} {
		for rest := s; rest != ""; {
			p := firstPiece(rest, limit)
			if p == "" {
				t.Fatalf("limit %d: empty piece", limit)
			}
			if slackLen(p) > limit || !utf8.ValidString(p) {
				t.Fatalf("limit %d: piece %q", limit, p)
			}
			if i := strings.LastIndexByte(p, '&'); i >= 0 && !strings.Contains(p[i:], ";") {
				t.Fatalf("limit %d: entity split in %q", limit, p)
			}
			rest = strings.TrimPrefix(rest[len(p):], "\n")
		}
	}
}

func TestPackLines(t *testing.T) {
	lines := make([]string, 1000)
	for i := range lines {
		lines[i] = strings.Repeat("x", 99)
	}
	r := room{blocks: 3, chars: 5000}
	blocks, placed := packLines(lines, &r, true)
	if len(blocks) != 2 || placed != 49 {
		// 29 lines of 100 fill a fenced section; 5000 characters hold 49.
		t.Fatalf("%d blocks, %d lines placed", len(blocks), placed)
	}
	if err := Check(blocks); err != nil {
		t.Fatal(err)
	}
	if r.chars < 0 || r.blocks < 0 {
		t.Fatalf("room overdrawn: %+v", r)
	}
	// The room counts what the blocks cost, as Check does.
	_, chars := cost(blocks)
	if chars != 5000-r.chars {
		t.Fatalf("took %d, the blocks cost %d", 5000-r.chars, chars)
	}
}

func FuzzEsc(f *testing.F) {
	for _, s := range []string{"<!channel>", "<https://evil|click>", "&amp;", "```", "a\xffb", "&<>`"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, inCode := range []bool{false, true} {
			e := esc(s, inCode)
			if strings.ContainsAny(e, "<>") {
				t.Fatalf("esc(%q) = %q keeps a bracket", s, e)
			}
			if inCode && strings.Contains(e, "`") {
				t.Fatalf("esc(%q, code) = %q keeps a backtick", s, e)
			}
			back := unescape(e)
			if inCode {
				back = strings.ReplaceAll(back, string(backtick), "`")
				if strings.ContainsRune(s, backtick) {
					continue // the look-alike was in the value already
				}
			}
			if want := strings.ToValidUTF8(s, "\uFFFD"); back != want {
				t.Fatalf("esc(%q) reads back as %q", s, back)
			}
		}
	})
}

// Whatever a value holds, the messages it goes into pass Check and carry
// no control sequence of its making.
func FuzzValuesInMessages(f *testing.F) {
	for _, s := range []string{"<!channel>", strings.Repeat("&", 4000), strings.Repeat("`", 100), "😀\n<x>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, blocks := range [][]slack.Block{
			ProgressBlocks(s, s, false, false, time.Second, s),
			SearchBlocks(s, s, searchResult(3)),
			resultOf(t, fakeAction("thing_get", false), s),
			resultOf(t, fakeAction("thing_get", false), map[string]any{s: s, "list": []any{map[string]any{"name": s}}}),
			resultOf(t, fakeAction("rows_get", true), s),
		} {
			assertFits(t, blocks)
		}
	})
}
