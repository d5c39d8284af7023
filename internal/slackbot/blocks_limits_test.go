package slackbot

import (
	"errors"
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

func TestCheck(t *testing.T) {
	long := func(n int) string { return strings.Repeat("x", n) }
	btn := func(text, id, value string) *slack.ButtonBlockElement {
		return slack.NewButtonBlockElement(id, value, plain(text))
	}
	many := func(n int, b func() slack.Block) []slack.Block {
		out := make([]slack.Block, n)
		for i := range out {
			out[i] = b()
		}
		return out
	}
	fields := func(n, size int) []*slack.TextBlockObject {
		out := make([]*slack.TextBlockObject, n)
		for i := range out {
			out[i] = mrkdwn(long(size))
		}
		return out
	}
	dialog := func(text string) *slack.ConfirmationBlockObject {
		return slack.NewConfirmationBlockObject(plain("Sure?"), plain(text), plain("Yes"), plain("No"))
	}
	tests := []struct {
		name   string
		blocks []slack.Block
		path   string // "" means valid
	}{
		{"a valid message", []slack.Block{
			header("Title"), section("text"), slack.NewDividerBlock(),
			slack.NewSectionBlock(nil, fields(MaxFields, MaxFieldLen/3), nil),
			contextBlock("a", "b"),
			slack.NewActionBlock("", btn("Go", ActionConfirm, "p1").WithConfirm(dialog("sure")), btn("Stop", ActionCancel, "p1")),
		}, ""},
		{"no blocks", nil, ""},
		{"50 blocks", many(MaxBlocks, func() slack.Block { return slack.NewDividerBlock() }), ""},
		{"51 blocks", many(MaxBlocks+1, func() slack.Block { return slack.NewDividerBlock() }), "blocks"},
		{"section text at the limit", []slack.Block{section(long(MaxTextLen))}, ""},
		{"section text over", []slack.Block{section(long(MaxTextLen + 1))}, "blocks[0].text"},
		{"emoji count double", []slack.Block{section(strings.Repeat("😀", MaxTextLen/2+1))}, "blocks[0].text"},
		{"blank section text", []slack.Block{section(" \n ")}, "blocks[0].text"},
		{"section without text or fields", []slack.Block{slack.NewSectionBlock(nil, nil, nil)}, "blocks[0]"},
		{"11 fields", []slack.Block{slack.NewSectionBlock(nil, fields(MaxFields+1, 5), nil)}, "blocks[0].fields"},
		{"a long field", []slack.Block{slack.NewSectionBlock(nil, fields(1, MaxFieldLen+1), nil)}, "blocks[0].fields[0]"},
		{"header over", []slack.Block{slack.NewHeaderBlock(plain(long(MaxHeaderLen + 1)))}, "blocks[0].text"},
		{"mrkdwn header", []slack.Block{slack.NewHeaderBlock(mrkdwn("x"))}, "blocks[0].text"},
		{"11 context elements", []slack.Block{contextBlock(strings.Split("abcdefghijk", "")...)}, "blocks[0].elements"},
		{"empty context", []slack.Block{slack.NewContextBlock("")}, "blocks[0].elements"},
		{"button text over", []slack.Block{slack.NewActionBlock("", btn(long(MaxButtonTextLen+1), "a", "v"))}, "blocks[0].elements[0].text"},
		{"mrkdwn button", []slack.Block{slack.NewActionBlock("", slack.NewButtonBlockElement("a", "v", mrkdwn("x")))}, "blocks[0].elements[0].text"},
		{"button value over", []slack.Block{slack.NewActionBlock("", btn("Go", "a", long(MaxButtonValueLen+1)))}, "blocks[0].elements[0].value"},
		{"action id over", []slack.Block{slack.NewActionBlock("", btn("Go", long(MaxActionIDLen+1), "v"))}, "blocks[0].elements[0].action_id"},
		{"action id twice", []slack.Block{slack.NewActionBlock("", btn("Go", "a", "v"), btn("Go", "a", "v"))}, "blocks[0].elements[1].action_id"},
		{"no buttons", []slack.Block{slack.NewActionBlock("")}, "blocks[0].elements"},
		{"mrkdwn dialog text", []slack.Block{slack.NewActionBlock("", btn("Go", "a", "v").WithConfirm(slack.NewConfirmationBlockObject(plain("Sure?"), mrkdwn("x"), plain("Yes"), plain("No"))))}, "blocks[0].elements[0].confirm.text"},
		{"dialog text over", []slack.Block{slack.NewActionBlock("", btn("Go", "a", "v").WithConfirm(dialog(long(MaxConfirmTextLen+1))))}, "blocks[0].elements[0].confirm.text"},
		{"block id twice", []slack.Block{
			slack.NewSectionBlock(mrkdwn("a"), nil, nil, slack.SectionBlockOptionBlockID("x")),
			slack.NewSectionBlock(mrkdwn("b"), nil, nil, slack.SectionBlockOptionBlockID("x")),
		}, "blocks[1].block_id"},
		{"unknown block type", []slack.Block{slack.NewImageBlock("https://example.com/x.png", "alt", "", nil)}, "blocks[0]"},
		{"nil block", []slack.Block{nil}, "blocks[0]"},
		{"too much text in all", many(MaxMessageText/MaxTextLen+1, func() slack.Block { return section(long(MaxTextLen)) }), "blocks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check(tt.blocks)
			if tt.path == "" {
				if err != nil {
					t.Fatalf("want no error, got %v", err)
				}
				return
			}
			var le *LimitError
			if !errors.As(err, &le) {
				t.Fatalf("want a LimitError at %s, got %v", tt.path, err)
			}
			if le.Path != tt.path {
				t.Fatalf("breach at %s (%v), want %s", le.Path, err, tt.path)
			}
		})
	}
}

// Values as well as pointers: slack-go accepts both.
func TestCheckValueBlocks(t *testing.T) {
	s := *section(strings.Repeat("x", MaxTextLen+1))
	if err := Check([]slack.Block{s}); err == nil {
		t.Fatal("a section value over the limit passed")
	}
	if err := Check([]slack.Block{*slack.NewDividerBlock(), *header("ok")}); err != nil {
		t.Fatal(err)
	}
}

func TestGuard(t *testing.T) {
	bad := []slack.Block{section(strings.Repeat("<", MaxTextLen+1))}
	got := guard(bad)
	if err := Check(got); err != nil || len(got) != 1 {
		t.Fatalf("guard gave %d blocks, %v", len(got), err)
	}
	assertSafe(t, got)
}
