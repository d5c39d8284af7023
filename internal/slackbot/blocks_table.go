package slackbot

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/supaops/supaops/internal/render"
	"github.com/supaops/supaops/internal/tools"
)

// Table and fact sizes: a few columns that identify an item, cells as wide
// as a uuid, a screenful of facts.
const (
	maxColumns  = 5
	cellWidth   = 40
	maxFacts    = 2 * MaxFields
	factWidth   = 80
	restWidth   = 300
	maxTables   = 3
	otherFields = 300 // characters naming the fields a table leaves out
)

// columnGroups rank the fields that identify an item; a table takes at most
// one field of each group, in this order.
func columnGroups() [][]string {
	return [][]string{
		{"name", "title", "key"},
		{"ref", "project_ref", "slug", "id", "identifier"},
		{"status", "state", "health"},
		{"region", "type", "version", "kind", "engine"},
		{"created_at", "inserted_at", "updated_at"},
	}
}

// rank orders a field for facts: identifying fields first.
func rank(key string) int {
	for i, g := range columnGroups() {
		if slices.Contains(g, key) {
			return i
		}
	}
	return len(columnGroups())
}

func scalar(v any) bool {
	switch v.(type) {
	case map[string]any, []any:
		return false
	}
	return true
}

// cell is a value on one line, as a table or a fact shows it.
func cell(v any, width int) string {
	if v == nil {
		return ""
	}
	s := strings.ReplaceAll(strings.ReplaceAll(valueText(v), "\r\n", "\n"), "\n", "↵")
	return clip(s, width)
}

// listBody renders a list: a table when its items are objects, one item a
// line otherwise. total is how many items the API returned.
func listBody(items []any, total int, a *tools.Action, r *room) ([]slack.Block, []string) {
	total = max(total, len(items))
	if len(items) == 0 {
		r.take(len("_No items._"))
		return []slack.Block{section("_No items._")}, nil
	}
	objects := make([]map[string]any, 0, len(items))
	for _, it := range items {
		if m, ok := it.(map[string]any); ok {
			objects = append(objects, m)
		}
	}
	var (
		lines  []string
		header int // lines before the first item
		notes  []string
	)
	if cols := columns(objects); len(objects) == len(items) && len(cols) > 0 {
		lines = tableLines(objects, cols)
		header = 2
		if rest := otherKeys(objects, cols); rest != "" {
			notes = append(notes, "Each item also has "+rest+".")
		}
	} else {
		for _, it := range items {
			lines = append(lines, esc(cell(it, restWidth), true))
		}
	}
	blocks, placed := packLines(lines, r, true)
	if shown := max(placed-header, 0); shown < total {
		notes = append([]string{note(":scissors: ", fmt.Sprintf("Showing the first %d of %d items. %s", shown, total, render.NarrowHint(a)))}, notes...)
	}
	return blocks, notes
}

// columns picks the fields a table shows: one of each identifying group the
// items have, and if that makes fewer than two, the commonest other scalar
// fields.
func columns(items []map[string]any) []string {
	has := func(key string) int {
		n := 0
		for _, it := range items {
			if v, ok := it[key]; ok && scalar(v) {
				n++
			}
		}
		return n
	}
	var cols []string
	for _, g := range columnGroups() {
		for _, key := range g {
			if has(key) > 0 {
				cols = append(cols, key)
				break
			}
		}
	}
	if len(cols) >= 2 {
		return cols
	}
	count := map[string]int{}
	for _, it := range items[:min(len(items), 100)] {
		for k, v := range it {
			if scalar(v) && !slices.Contains(cols, k) {
				count[k]++
			}
		}
	}
	others := slices.Sorted(maps.Keys(count))
	slices.SortStableFunc(others, func(a, b string) int { return count[b] - count[a] })
	for _, k := range others {
		if len(cols) >= 3 {
			break
		}
		cols = append(cols, k)
	}
	return cols
}

// otherKeys names the fields of the items a table leaves out, as many as
// fit in a note.
func otherKeys(items []map[string]any, cols []string) string {
	seen := map[string]bool{}
	for _, it := range items[:min(len(items), 100)] {
		for k := range it {
			if !slices.Contains(cols, k) {
				seen[k] = true
			}
		}
	}
	return namesWithin(slices.Sorted(maps.Keys(seen)), otherFields)
}

// namesWithin lists names as code, as many as fit in limit characters, and
// says how many more there are.
func namesWithin(names []string, limit int) string {
	var b strings.Builder
	for i, n := range names {
		c := code(clip(n, 60))
		more := fmt.Sprintf(" and %d more", len(names)-i)
		if b.Len() > 0 && slackLen(b.String())+2+slackLen(c)+len(more) > limit {
			b.WriteString(more)
			break
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c)
	}
	return b.String()
}

// tableLines lays out items as an aligned text table (escaped for code): a
// header, a rule, one line an item.
func tableLines(items []map[string]any, cols []string) []string {
	rows := make([][]string, 0, len(items)+1)
	rows = append(rows, cols)
	for _, it := range items {
		row := make([]string, len(cols))
		for i, c := range cols {
			row[i] = cell(it[c], cellWidth)
		}
		rows = append(rows, row)
	}
	widths := make([]int, len(cols))
	for _, row := range rows {
		for i, c := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	lines := make([]string, 0, len(rows)+1)
	for n, row := range rows {
		var b strings.Builder
		for i, c := range row {
			if i > 0 {
				b.WriteString("  ")
			}
			b.WriteString(c)
			if i < len(row)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)))
			}
		}
		lines = append(lines, esc(strings.TrimRight(b.String(), " "), true))
		if n == 0 {
			rule := 0
			for _, w := range widths {
				rule += w + 2
			}
			lines = append(lines, strings.Repeat("─", max(rule-2, 1)))
		}
	}
	return lines
}

// fact is one field of an object, by its dotted path.
type fact struct {
	key   string
	value any
}

// objectBody renders one object: short scalar fields as facts (fields of a
// section), lists of objects as tables, anything else as "key: value"
// lines in a code block. orig is the object before render cut it, to count
// its lists.
func objectBody(obj map[string]any, orig map[string]any, r *room) ([]slack.Block, []string) {
	var facts, rest []fact
	var tables []string
	var flatten func(prefix string, m map[string]any, depth int)
	flatten = func(prefix string, m map[string]any, depth int) {
		for _, k := range slices.Sorted(maps.Keys(m)) {
			v, key := m[k], prefix+k
			switch x := v.(type) {
			case map[string]any:
				if depth < 1 && len(x) > 0 {
					flatten(key+".", x, depth+1)
					continue
				}
			case []any:
				if depth == 0 && len(tables) < maxTables && objectList(x) {
					tables = append(tables, k)
					continue
				}
			default:
				if s := valueText(v); utf8.RuneCountInString(s) <= factWidth && !strings.ContainsAny(s, "\r\n") {
					facts = append(facts, fact{key, v})
					continue
				}
			}
			rest = append(rest, fact{key, v})
		}
	}
	flatten("", obj, 0)
	slices.SortStableFunc(facts, func(a, b fact) int { return factRank(a.key) - factRank(b.key) })
	if len(facts) > maxFacts {
		rest = append(facts[maxFacts:], rest...)
		facts = facts[:maxFacts]
	}

	var (
		blocks []slack.Block
		notes  []string
	)
	if len(facts)+len(tables)+len(rest) == 0 {
		r.take(len("_Empty object._"))
		return []slack.Block{section("_Empty object._")}, nil
	}
	fields := make([]string, len(facts))
	for i, f := range facts {
		v := "_null_"
		if f.value != nil {
			v = code(cell(f.value, factWidth))
		}
		fields[i] = "*" + text(clip(f.key, 100)) + "*\n" + v
	}
	for _, b := range fieldsSections(fields) {
		n, c := cost([]slack.Block{b})
		if r.blocks < n || r.chars < c {
			notes = append(notes, "Some fields are not shown.")
			break
		}
		r.blocks, r.chars = r.blocks-n, r.chars-c
		blocks = append(blocks, b)
	}
	for _, k := range tables {
		list := obj[k].([]any)
		label := fmt.Sprintf("*%s* · %d items", text(k), max(len(list), len(asList(orig[k]))))
		if !r.take(slackLen(label)) {
			break
		}
		blocks = append(blocks, section(label))
		objs := make([]map[string]any, len(list))
		for i, it := range list {
			objs[i] = it.(map[string]any)
		}
		cols := columns(objs)
		tb, placed := packLines(tableLines(objs, cols), r, true)
		blocks = append(blocks, tb...)
		if shown, total := max(placed-2, 0), max(len(list), len(asList(orig[k]))); shown < total {
			notes = append(notes, fmt.Sprintf("%s: showing the first %d of %d items.", code(k), shown, total))
		}
	}
	if len(rest) > 0 {
		lines := make([]string, len(rest))
		clipped := false
		for i, f := range rest {
			v := valueText(f.value)
			clipped = clipped || utf8.RuneCountInString(v) > restWidth
			lines[i] = esc(f.key+": "+clip(v, restWidth), true)
		}
		rb, placed := packLines(lines, r, true)
		blocks = append(blocks, rb...)
		if placed < len(lines) {
			notes = append(notes, fmt.Sprintf("%d more fields not shown.", len(lines)-placed))
		}
		if clipped {
			notes = append(notes, fmt.Sprintf("Values longer than %d characters are cut here.", restWidth))
		}
	}
	return blocks, notes
}

// objectList reports a non-empty list whose items are all objects.
func objectList(l []any) bool {
	for _, it := range l {
		if _, ok := it.(map[string]any); !ok {
			return false
		}
	}
	return len(l) > 0
}

// factRank orders facts: the object's identifying fields, its other
// fields, then those of objects inside it.
func factRank(key string) int {
	if strings.Contains(key, ".") {
		return len(columnGroups()) + 1
	}
	return rank(key)
}
