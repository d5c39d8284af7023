package slackbot

import (
	"encoding/json"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/slack-go/slack"

	"github.com/supaops/supaops/internal/tools"
)

// registry loads the real action registry once for the tests.
var registry = sync.OnceValues(tools.Load)

func mustRegistry(t testing.TB) *tools.Registry {
	t.Helper()
	r, err := registry()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func lookup(t testing.TB, name string) *tools.Action {
	t.Helper()
	a, err := mustRegistry(t).Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// textObject is a text object found in a message's JSON.
type textObject struct {
	Type, Text string
	// InFields reports a section's field.
	InFields bool
}

// textObjects walks the message's JSON, as Slack would receive it, and
// returns every text object in it.
func textObjects(t testing.TB, blocks []slack.Block) []textObject {
	t.Helper()
	b, err := json.Marshal(slack.Blocks{BlockSet: blocks})
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var out []textObject
	var walk func(v any, inFields bool)
	walk = func(v any, inFields bool) {
		switch x := v.(type) {
		case map[string]any:
			if typ, _ := x["type"].(string); typ == "mrkdwn" || typ == "plain_text" {
				if s, ok := x["text"].(string); ok {
					out = append(out, textObject{typ, s, inFields})
				}
			}
			for k, e := range x {
				walk(e, inFields || k == "fields")
			}
		case []any:
			for _, e := range x {
				walk(e, inFields)
			}
		}
	}
	walk(doc, false)
	return out
}

// allText is every text of a message, unescaped, one after the other.
func allText(t testing.TB, blocks []slack.Block) string {
	var b strings.Builder
	for _, o := range textObjects(t, blocks) {
		b.WriteString(unescape(o.Text))
		b.WriteString("\n")
	}
	return b.String()
}

// unescape undoes esc, as Slack does when it shows mrkdwn.
func unescape(s string) string {
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
}

// ours are the control sequences this package writes itself: user and
// channel references and dates. Any other '<' in mrkdwn came from a value.
var ours = regexp.MustCompile(`^<(@[UW][A-Z0-9]+|#[CGD][A-Z0-9]+|!date\^\d+\^\{date_short_pretty\} \{time\}\|[0-9TZ:+-]+)>`)

// assertSafe fails if a mrkdwn text holds a control sequence this package
// did not write itself, or an '&' that is not an entity.
func assertSafe(t testing.TB, blocks []slack.Block) {
	t.Helper()
	for _, o := range textObjects(t, blocks) {
		if o.Type != "mrkdwn" {
			continue
		}
		s := o.Text
		for i := 0; i < len(s); i++ {
			switch s[i] {
			case '<':
				if !ours.MatchString(s[i:]) {
					t.Fatalf("unescaped control sequence at %d in %q", i, clip(s[i:], 80))
				}
			case '>':
				if j := strings.LastIndexByte(s[:i], '<'); j < 0 || !ours.MatchString(s[j:]) {
					t.Fatalf("unescaped '>' at %d in %q", i, clip(s[max(i-40, 0):], 80))
				}
			case '&':
				rest := s[i:]
				if !strings.HasPrefix(rest, "&amp;") && !strings.HasPrefix(rest, "&lt;") && !strings.HasPrefix(rest, "&gt;") {
					t.Fatalf("bare '&' at %d in %q", i, clip(rest, 80))
				}
			}
		}
	}
}

// assertFits fails if Slack would refuse the message, or if the last-resort
// guard replaced it.
func assertFits(t testing.TB, blocks []slack.Block) {
	t.Helper()
	if len(blocks) == 0 {
		t.Fatal("no blocks")
	}
	if err := Check(blocks); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(allText(t, blocks), "could not be laid out within Slack's limits") {
		t.Fatalf("the guard replaced the message: %s", allText(t, blocks))
	}
	assertSafe(t, blocks)
}

// buttons lists the buttons of a message.
func buttons(blocks []slack.Block) []*slack.ButtonBlockElement {
	var out []*slack.ButtonBlockElement
	for _, b := range blocks {
		if a, ok := b.(*slack.ActionBlock); ok {
			for _, el := range a.Elements.ElementSet {
				if btn, ok := el.(*slack.ButtonBlockElement); ok {
					out = append(out, btn)
				}
			}
		}
	}
	return out
}

func button(blocks []slack.Block, actionID string) *slack.ButtonBlockElement {
	for _, b := range buttons(blocks) {
		if b.ActionID == actionID {
			return b
		}
	}
	return nil
}
