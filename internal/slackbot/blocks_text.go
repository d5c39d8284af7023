package slackbot

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/supaops/supaops/internal/render"
)

// esc is the one escaping helper: every value from the API, a user or an
// argument passes through it before it enters a mrkdwn text object. Slack
// reads &, < and > as the start of entities and control sequences
// (<!channel>, <@U1>, <https://x|label>), so they become entities and a
// value can neither ping nor link; invalid UTF-8 is replaced. In code
// (inCode), a backtick would close the code and let the rest be read as
// mrkdwn, and mrkdwn has no escape for it: it becomes ˋ (U+02CB), its
// look-alike. Text objects are also verbatim (see mrkdwn), so Slack does not
// link bare URLs or parse @here in them.
func esc(s string, inCode bool) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if !strings.ContainsAny(s, "&<>`") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for _, r := range s {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '`' && inCode:
			b.WriteRune(backtick)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// backtick stands for a backtick inside code.
const backtick = '\u02cb'

// text is a value as mrkdwn text.
func text(s string) string { return esc(s, false) }

// code is a value as an inline code span, on one line; "(empty)" in italics
// when there is nothing to show.
func code(s string) string {
	if s == "" {
		return "_(empty)_"
	}
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "↵")
	return "`" + esc(s, true) + "`"
}

// short is a value as mrkdwn text of at most n characters once escaped
// (escaping can make a text five times longer), marked "…" where cut.
func short(s string, n int) string {
	e := esc(clip(s, n), false)
	if slackLen(e) > n {
		e = firstPiece(e, n-1) + "…"
	}
	return e
}

// codeBlock is a value as a code block of at most n characters of code.
func codeBlock(s string, n int) string {
	e := esc(clip(s, n), true)
	if slackLen(e) > n {
		e = firstPiece(e, n-1) + "…"
	}
	return fence(e)
}

// codeList is values as code spans separated by commas.
func codeList(values []string) string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = code(v)
	}
	return strings.Join(out, ", ")
}

// fence puts already escaped text in a code block.
func fence(escaped string) string { return "```\n" + escaped + "\n```" }

// fenceLen is what fence adds to a text's length.
const fenceLen = len("```\n\n```")

// clip cuts a value to at most n characters, marking the cut with "…".
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:max(n-1, 0)]) + "…"
}

// mrkdwn is a verbatim mrkdwn text object: what it says is already escaped.
func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, true)
}

// plain is a plain_text object for fixed words (headers, buttons): no value
// ever goes into one, so nothing in it needs escaping.
func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, true, false)
}

// section is a section block of mrkdwn text.
func section(s string) *slack.SectionBlock { return slack.NewSectionBlock(mrkdwn(s), nil, nil) }

// fieldsSections lays out "label / value" pairs (already escaped) in
// sections of at most MaxFields fields.
func fieldsSections(fields []string) []slack.Block {
	var out []slack.Block
	for len(fields) > 0 {
		n := min(len(fields), MaxFields)
		objs := make([]*slack.TextBlockObject, n)
		for i := range n {
			objs[i] = mrkdwn(fields[i])
		}
		out = append(out, slack.NewSectionBlock(nil, objs, nil))
		fields = fields[n:]
	}
	return out
}

// field is one fact: a bold label (fixed words) and an escaped value.
func field(label, value string) string { return "*" + label + "*\n" + value }

// contextBlock is a context block of mrkdwn notes (already escaped).
func contextBlock(notes ...string) *slack.ContextBlock {
	els := make([]slack.MixedElement, 0, len(notes))
	for _, n := range notes {
		if strings.TrimSpace(n) != "" {
			els = append(els, mrkdwn(n))
		}
	}
	return slack.NewContextBlock("", els...)
}

// header is a header block of fixed words.
func header(s string) *slack.HeaderBlock {
	return slack.NewHeaderBlock(plain(clip(s, MaxHeaderLen)))
}

// when is a time as Slack shows it in each reader's time zone, with UTC as
// the fallback text; it is built here from a time, never from a value.
func when(t time.Time) string {
	if t.IsZero() {
		return "_never_"
	}
	t = t.UTC()
	return fmt.Sprintf("<!date^%d^{date_short_pretty} {time}|%s>", t.Unix(), t.Format(time.RFC3339))
}

// who shows an identity: a Slack user or channel id as Slack shows it (the
// name; a user is told), anything else (usergroups, which would notify the
// whole group, patterns, tokens, jobs) as code.
func who(id string) string {
	if u, ok := strings.CutPrefix(id, "slack:user:"); ok && slackID(u, "UW") {
		return "<@" + u + ">"
	}
	if c, ok := strings.CutPrefix(id, "slack:channel:"); ok && slackID(c, "CGD") {
		return "<#" + c + ">"
	}
	return code(id)
}

// whoList shows identities separated by commas.
func whoList(ids []string) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = who(id)
	}
	return strings.Join(out, ", ")
}

// slackID reports a Slack id: a letter of first, then capitals and digits.
func slackID(s, first string) bool {
	if len(s) < 3 || len(s) > 32 || !strings.ContainsRune(first, rune(s[0])) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// channel shows where something was posted: a channel id as a link to it,
// anything else as text.
func channel(s string) string {
	if slackID(s, "CGD") {
		return "<#" + s + ">"
	}
	return text(s)
}

// valueText is a JSON value as one line: strings as they are, anything else
// as compact JSON.
func valueText(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	}
	b, err := render.CompactJSON(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// duration is an elapsed time, rounded for a reader.
func duration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0s"
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// riskWord is a risk class in fixed words, for plain text too.
func riskWord(r string) string {
	switch r {
	case "read", "write", "destructive":
		return r
	}
	return "unknown risk"
}

// firstPiece is the start of escaped text up to limit long, cut at a line
// end where one is near, never inside a character or an entity. A newline
// it stops at is left out: the pieces go in blocks a line apart.
func firstPiece(s string, limit int) string {
	if slackLen(s) <= limit {
		return s
	}
	cut, n, lastNL := 0, 0, -1
	for i, r := range s {
		w := 1
		if r > 0xFFFF {
			w = 2
		}
		if n+w > limit {
			break
		}
		n += w
		cut = i + utf8.RuneLen(r)
		if r == '\n' {
			lastNL = i
		}
	}
	if lastNL > cut/2 {
		return s[:lastNL]
	}
	if amp := strings.LastIndexByte(s[:cut], '&'); amp > 0 && cut-amp < len("&amp;") && !strings.Contains(s[amp:cut], ";") {
		cut = amp
	}
	return s[:cut]
}
