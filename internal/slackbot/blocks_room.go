package slackbot

import (
	"strings"

	"github.com/slack-go/slack"
)

// room is what is left of a message for the part of it whose size depends
// on the input: blocks and characters of text.
type room struct{ blocks, chars int }

// roomBeside is the room left beside the fixed parts of a message.
func roomBeside(fixed ...[]slack.Block) room {
	r := room{blocks: MaxBlocks, chars: MaxMessageText}
	for _, f := range fixed {
		n, c := cost(f)
		r.blocks -= n
		r.chars -= c
	}
	return r
}

// less is the room with some kept back (for notes added later).
func (r room) less(blocks, chars int) room {
	return room{blocks: r.blocks - blocks, chars: r.chars - chars}
}

// take reports whether a block of n characters fits, and takes it if so.
func (r *room) take(n int) bool {
	if r.blocks < 1 || r.chars < n {
		return false
	}
	r.blocks--
	r.chars -= n
	return true
}

// Reserve for a closing note ("12 more not shown…") that packers add.
const (
	noteChars = 600
)

// packLines lays out lines of escaped mrkdwn in as few sections as fit, in
// order, and reports how many lines it placed; fenced puts each section's
// lines in a code block (a table, say), so no line is split across two. A
// line longer than a section is cut (callers clip values first, so this is
// a guard).
func packLines(lines []string, r *room, fenced bool) ([]slack.Block, int) {
	limit, extra := MaxTextLen, 0
	if fenced {
		limit, extra = MaxTextLen-fenceLen, fenceLen
	}
	var (
		out    []slack.Block
		cur    []string
		curLen int
		placed int
	)
	flush := func() bool {
		if len(cur) == 0 {
			return true
		}
		s := strings.Join(cur, "\n")
		if fenced {
			s = fence(s)
		}
		if !r.take(curLen + extra) {
			return false
		}
		out = append(out, section(s))
		placed += len(cur)
		cur, curLen = nil, 0
		return true
	}
	for _, line := range lines {
		if slackLen(line) > limit {
			line = firstPiece(line, limit-1) + "…"
		}
		n := slackLen(line)
		if len(cur) > 0 && curLen+1+n > limit {
			if !flush() {
				return out, placed
			}
		}
		grown := n
		if len(cur) > 0 {
			grown = curLen + 1 + n
		}
		if r.blocks < 1 || grown+extra > r.chars {
			break
		}
		cur, curLen = append(cur, line), grown
	}
	flush()
	return out, placed
}

// codeSections lays out escaped text as code blocks, as many as it takes,
// and reports whether all of it fitted; prefix (escaped mrkdwn, may be
// empty) goes before the first block's code.
func codeSections(prefix, escaped string, r *room) ([]slack.Block, bool) {
	if escaped == "" {
		escaped = " "
	}
	var out []slack.Block
	first := true
	head := ""
	if prefix != "" {
		head = prefix + "\n"
	}
	for rest := escaped; rest != ""; {
		limit := MaxTextLen - fenceLen
		if first {
			limit -= slackLen(head)
		}
		piece := firstPiece(rest, limit)
		if piece == "" { // cannot happen with limits of thousands; never loop
			return out, false
		}
		s := fence(piece)
		if first {
			s = head + s
		}
		if !r.take(slackLen(s)) {
			return out, false
		}
		out = append(out, section(s))
		rest = strings.TrimPrefix(rest[len(piece):], "\n")
		first = false
	}
	return out, true
}

// guard returns blocks if Slack would take them, else a message saying
// what happened: a message Slack refuses shows nothing at all. The tests
// hold every renderer to Check, so this is a last line of defence.
func guard(blocks []slack.Block) []slack.Block {
	if err := Check(blocks); err != nil {
		return []slack.Block{section(":warning: This answer could not be laid out within Slack's limits (" + short(err.Error(), 500) + ").")}
	}
	return blocks
}
