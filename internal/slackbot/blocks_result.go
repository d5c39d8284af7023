package slackbot

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/slack-go/slack"

	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/render"
	"github.com/supaops/supaops/internal/tools"
)

// minTextBudget is the smallest byte budget ResultBlocks asks render for
// before it says a text result cannot be shown at all.
const minTextBudget = 256

// ResultBlocks renders a successful call: a line saying what was done; a
// table of a few identifying columns for a list; key facts as fields for one
// object, with its lists as tables and everything else as "key: value"
// lines; text, and data the project's users wrote, as code blocks exactly as
// render gives them (untrusted data inside its boundary, never as fields or
// a table); notes on what was cut and how to follow a long-running
// operation. maxBytes is render's budget (0: render.DefaultMaxBytes); the
// message is also kept within Slack's limits, cutting further and saying so.
func ResultBlocks(res *pipeline.Result, maxBytes int) ([]slack.Block, error) {
	if res == nil || res.Action == nil {
		return nil, errors.New("rendering a result for Slack: no result")
	}
	maxBytes, err := render.CheckMaxBytes(maxBytes)
	if err != nil {
		return nil, fmt.Errorf("rendering %s for Slack: %w", res.Action.Name, err)
	}
	head := []slack.Block{resultHead(res)}
	var tail []slack.Block
	if p := render.PollOf(res); p != nil {
		tail = append(tail, contextBlock(note(":hourglass_flowing_sand: ", p.Note())))
	}
	r := roomBeside(head, tail).less(1, 3*noteChars)
	body, notes, err := resultBody(res, maxBytes, r)
	if err != nil {
		return nil, fmt.Errorf("rendering %s for Slack: %w", res.Action.Name, err)
	}
	blocks := slices.Concat(head, body)
	if len(notes) > 0 {
		blocks = append(blocks, contextBlock(notes...))
	}
	blocks = append(blocks, tail...)
	if err := Check(blocks); err != nil {
		return nil, fmt.Errorf("rendering %s for Slack: %w", res.Action.Name, err)
	}
	return blocks, nil
}

// note is a sentence for a context block, escaped and within its share of
// the room kept for notes.
func note(lead, sentence string) string {
	s := lead + text(sentence)
	if slackLen(s) > noteChars {
		s = firstPiece(s, noteChars-1) + "…"
	}
	return s
}

func resultHead(res *pipeline.Result) slack.Block {
	parts := []string{":white_check_mark: " + code(res.Action.Name) + " done"}
	if res.Status != 0 {
		parts = append(parts, fmt.Sprintf("HTTP %d %s", res.Status, http.StatusText(res.Status)))
	}
	if res.Duration > 0 {
		parts = append(parts, duration(res.Duration))
	}
	if res.RequestID != "" {
		parts = append(parts, "request "+code(clip(res.RequestID, 100)))
	}
	return contextBlock(strings.Join(parts, " · "))
}

// resultBody renders the data within r, and the notes to add after it.
func resultBody(res *pipeline.Result, maxBytes int, r room) ([]slack.Block, []string, error) {
	body, err := render.Data(res, maxBytes)
	if err != nil {
		return nil, nil, err
	}
	a := res.Action
	switch v := body.Value.(type) {
	case []any:
		blocks, notes := listBody(v, len(asList(res.Data)), a, &r)
		return blocks, append(cutNotes(body.Cut, a), notes...), nil
	case map[string]any:
		blocks, notes := objectBody(v, asMap(res.Data), &r)
		return blocks, append(cutNotes(body.Cut, a), notes...), nil
	}
	if res.Data == nil {
		return []slack.Block{section(text(body.Text))}, nil, nil
	}
	return textBody(res, body, maxBytes, r)
}

// cutNotes says what render cut. Lists cut to their first items are said by
// the table's own note (which counts what is shown in Slack), so only the
// other cuts are told here.
func cutNotes(c *render.Cut, a *tools.Action) []string {
	if c == nil || (!c.CutChars && !c.CutFields && !c.Flat && !c.Text) {
		return nil
	}
	return []string{note(":scissors: ", c.Note(a))}
}

// textBody shows text (an API's text, a flat cut, untrusted data inside
// its boundary) as code blocks. When it does not fit, render is asked for
// less, so what is left out is cut where render cuts (the boundary stays
// whole) and its note says so.
func textBody(res *pipeline.Result, body render.Body, budget int, r room) ([]slack.Block, []string, error) {
	for {
		escaped := esc(body.Text, true)
		try := r
		if blocks, ok := codeSections("", escaped, &try); ok {
			return blocks, cutNotes(body.Cut, res.Action), nil
		}
		need := slackLen(escaped) + fenceLen*(slackLen(escaped)/MaxTextLen+1)
		next := int(float64(budget) * float64(r.chars) / float64(need) * 0.9)
		if next >= budget {
			next = budget * 3 / 4
		}
		if next < minTextBudget {
			return []slack.Block{section("_The result is too large to show in Slack._")},
				[]string{note(":scissors: ", render.NarrowHint(res.Action))}, nil
		}
		budget = next
		var err error
		if body, err = render.Data(res, budget); err != nil {
			return nil, nil, err
		}
	}
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}
