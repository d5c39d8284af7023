package slackbot

import (
	"fmt"
	"strings"
	"unicode/utf16"

	"github.com/slack-go/slack"
)

// Limits Slack enforces on a message's blocks (Block Kit reference), and one
// of ours. Lengths are counted in UTF-16 units, which is at least the
// character count Slack documents, so a text that passes here passes there.
const (
	MaxBlocks  = 50   // blocks in a message
	MaxTextLen = 3000 // a section's text, and any other text object not bounded below
	MaxFields  = 10   // fields in a section
	// MaxFieldLen bounds each field of a section.
	MaxFieldLen = 2000
	// MaxHeaderLen bounds a header's plain text.
	MaxHeaderLen = 150
	// MaxContextElements bounds the elements of a context block.
	MaxContextElements = 10
	// MaxActionElements bounds the elements of an actions block.
	MaxActionElements = 25
	// MaxButtonTextLen, MaxButtonValueLen and MaxURLLen bound a button.
	MaxButtonTextLen  = 75
	MaxButtonValueLen = 2000
	MaxURLLen         = 3000
	// MaxActionIDLen bounds an action_id, MaxBlockIDLen a block_id.
	MaxActionIDLen = 255
	MaxBlockIDLen  = 255
	// A confirmation dialog: title, text, and the texts of its two buttons.
	MaxConfirmTitleLen  = 100
	MaxConfirmTextLen   = 300
	MaxConfirmButtonLen = 30
	// MaxMessageText bounds the text of all blocks together. It is ours:
	// chat.postMessage refuses a message whose blocks carry much more than
	// about 12,000 characters (msg_blocks_too_long, undocumented and counted
	// with some overhead), so we keep well under it.
	MaxMessageText = 10_000
)

// LimitError is a block that Slack would refuse: where, and why.
type LimitError struct {
	// Path names the element, e.g. "blocks[3].fields[2]".
	Path    string
	Problem string
}

func (e *LimitError) Error() string { return "slack blocks: " + e.Path + ": " + e.Problem }

// slackLen is the length of s as Slack's limits count it, conservatively.
func slackLen(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// Check reports the first way blocks breach Slack's limits, or nil. It knows
// the block types this package renders (section, header, context, actions,
// divider) and refuses any other rather than pass it unchecked.
func Check(blocks []slack.Block) error {
	if len(blocks) > MaxBlocks {
		return &LimitError{Path: "blocks", Problem: fmt.Sprintf("%d blocks, at most %d", len(blocks), MaxBlocks)}
	}
	c := checker{blockIDs: map[string]bool{}}
	for i, b := range blocks {
		if err := c.block(fmt.Sprintf("blocks[%d]", i), b); err != nil {
			return err
		}
	}
	if c.total > MaxMessageText {
		return &LimitError{Path: "blocks", Problem: fmt.Sprintf("%d characters of text in all, at most %d", c.total, MaxMessageText)}
	}
	return nil
}

// checker walks blocks, counting their text.
type checker struct {
	total    int
	blockIDs map[string]bool
}

func (c *checker) block(path string, b slack.Block) error {
	if b == nil {
		return &LimitError{Path: path, Problem: "nil block"}
	}
	if id := b.ID(); id != "" {
		if len(id) > MaxBlockIDLen {
			return &LimitError{Path: path + ".block_id", Problem: fmt.Sprintf("%d characters, at most %d", len(id), MaxBlockIDLen)}
		}
		if c.blockIDs[id] {
			return &LimitError{Path: path + ".block_id", Problem: fmt.Sprintf("%q is used twice; block ids are unique in a message", id)}
		}
		c.blockIDs[id] = true
	}
	switch b := b.(type) {
	case *slack.SectionBlock:
		return c.section(path, b)
	case slack.SectionBlock:
		return c.section(path, &b)
	case *slack.HeaderBlock:
		return c.text(path+".text", b.Text, slack.PlainTextType, MaxHeaderLen)
	case slack.HeaderBlock:
		return c.text(path+".text", b.Text, slack.PlainTextType, MaxHeaderLen)
	case *slack.ContextBlock:
		return c.context(path, b)
	case slack.ContextBlock:
		return c.context(path, &b)
	case *slack.ActionBlock:
		return c.actions(path, b)
	case slack.ActionBlock:
		return c.actions(path, &b)
	case *slack.DividerBlock, slack.DividerBlock:
		return nil
	}
	return &LimitError{Path: path, Problem: fmt.Sprintf("block type %q is not one Check knows", b.BlockType())}
}

func (c *checker) section(path string, s *slack.SectionBlock) error {
	if s.Text == nil && len(s.Fields) == 0 {
		return &LimitError{Path: path, Problem: "a section needs text or fields"}
	}
	if s.Text != nil {
		if err := c.text(path+".text", s.Text, "", MaxTextLen); err != nil {
			return err
		}
	}
	if len(s.Fields) > MaxFields {
		return &LimitError{Path: path + ".fields", Problem: fmt.Sprintf("%d fields, at most %d", len(s.Fields), MaxFields)}
	}
	for i, f := range s.Fields {
		if err := c.text(fmt.Sprintf("%s.fields[%d]", path, i), f, "", MaxFieldLen); err != nil {
			return err
		}
	}
	if s.Accessory != nil {
		if s.Accessory.ButtonElement == nil {
			return &LimitError{Path: path + ".accessory", Problem: "only a button accessory is known to Check"}
		}
		return c.button(path+".accessory", s.Accessory.ButtonElement)
	}
	return nil
}

func (c *checker) context(path string, b *slack.ContextBlock) error {
	els := b.ContextElements.Elements
	if len(els) == 0 || len(els) > MaxContextElements {
		return &LimitError{Path: path + ".elements", Problem: fmt.Sprintf("%d elements, want 1 to %d", len(els), MaxContextElements)}
	}
	for i, el := range els {
		p := fmt.Sprintf("%s.elements[%d]", path, i)
		var t *slack.TextBlockObject
		switch x := el.(type) {
		case *slack.TextBlockObject:
			t = x
		case slack.TextBlockObject:
			t = &x
		default:
			return &LimitError{Path: p, Problem: "only text elements are known to Check"}
		}
		if err := c.text(p, t, "", MaxTextLen); err != nil {
			return err
		}
	}
	return nil
}

func (c *checker) actions(path string, b *slack.ActionBlock) error {
	if b.Elements == nil || len(b.Elements.ElementSet) == 0 || len(b.Elements.ElementSet) > MaxActionElements {
		n := 0
		if b.Elements != nil {
			n = len(b.Elements.ElementSet)
		}
		return &LimitError{Path: path + ".elements", Problem: fmt.Sprintf("%d elements, want 1 to %d", n, MaxActionElements)}
	}
	ids := map[string]bool{}
	for i, el := range b.Elements.ElementSet {
		p := fmt.Sprintf("%s.elements[%d]", path, i)
		var btn *slack.ButtonBlockElement
		switch x := el.(type) {
		case *slack.ButtonBlockElement:
			btn = x
		case slack.ButtonBlockElement:
			btn = &x
		default:
			return &LimitError{Path: p, Problem: "only buttons are known to Check"}
		}
		if err := c.button(p, btn); err != nil {
			return err
		}
		if btn.ActionID != "" {
			if ids[btn.ActionID] {
				return &LimitError{Path: p + ".action_id", Problem: fmt.Sprintf("%q is used twice in one block", btn.ActionID)}
			}
			ids[btn.ActionID] = true
		}
	}
	return nil
}

func (c *checker) button(path string, b *slack.ButtonBlockElement) error {
	if err := c.text(path+".text", b.Text, slack.PlainTextType, MaxButtonTextLen); err != nil {
		return err
	}
	switch {
	case len(b.ActionID) > MaxActionIDLen:
		return &LimitError{Path: path + ".action_id", Problem: fmt.Sprintf("%d characters, at most %d", len(b.ActionID), MaxActionIDLen)}
	case slackLen(b.Value) > MaxButtonValueLen:
		return &LimitError{Path: path + ".value", Problem: fmt.Sprintf("%d characters, at most %d", slackLen(b.Value), MaxButtonValueLen)}
	case slackLen(b.URL) > MaxURLLen:
		return &LimitError{Path: path + ".url", Problem: fmt.Sprintf("%d characters, at most %d", slackLen(b.URL), MaxURLLen)}
	case b.Style != "" && b.Style != slack.StylePrimary && b.Style != slack.StyleDanger:
		return &LimitError{Path: path + ".style", Problem: fmt.Sprintf("style %q: want primary or danger", b.Style)}
	}
	if d := b.Confirm; d != nil {
		p := path + ".confirm"
		if err := c.text(p+".title", d.Title, slack.PlainTextType, MaxConfirmTitleLen); err != nil {
			return err
		}
		if err := c.text(p+".text", d.Text, slack.PlainTextType, MaxConfirmTextLen); err != nil {
			return err
		}
		if err := c.text(p+".confirm", d.Confirm, slack.PlainTextType, MaxConfirmButtonLen); err != nil {
			return err
		}
		if d.Deny != nil {
			if err := c.text(p+".deny", d.Deny, slack.PlainTextType, MaxConfirmButtonLen); err != nil {
				return err
			}
		}
	}
	return nil
}

// text checks one text object: present, of a known type (of want's, when
// want is set), not blank, and at most limit long.
func (c *checker) text(path string, t *slack.TextBlockObject, want string, limit int) error {
	switch {
	case t == nil:
		return &LimitError{Path: path, Problem: "missing text"}
	case t.Type != slack.PlainTextType && t.Type != slack.MarkdownType:
		return &LimitError{Path: path, Problem: fmt.Sprintf("text type %q: want plain_text or mrkdwn", t.Type)}
	case want != "" && t.Type != want:
		return &LimitError{Path: path, Problem: fmt.Sprintf("must be %s, not %s", want, t.Type)}
	case t.Type == slack.MarkdownType && t.Emoji != nil:
		return &LimitError{Path: path, Problem: "emoji is not allowed on mrkdwn"}
	case strings.TrimSpace(t.Text) == "":
		return &LimitError{Path: path, Problem: "empty text"}
	}
	n := slackLen(t.Text)
	if n > limit {
		return &LimitError{Path: path, Problem: fmt.Sprintf("%d characters, at most %d", n, limit)}
	}
	c.total += n
	return nil
}

// cost is what blocks take of a message: their number and their text. It
// counts as Check does; blocks it does not know cost nothing more.
func cost(blocks []slack.Block) (n, chars int) {
	for _, b := range blocks {
		c := checker{blockIDs: map[string]bool{}}
		_ = c.block("", b) // a breach is Check's to report
		chars += c.total
	}
	return len(blocks), chars
}
