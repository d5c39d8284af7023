package slackbot

import (
	"fmt"
	"slices"
	"strings"

	"github.com/slack-go/slack"

	"github.com/supaops/supaops/internal/action"
	"github.com/supaops/supaops/internal/search"
	"github.com/supaops/supaops/internal/tools"
)

// SearchBlocks lists the actions a search found, best first: name, risk,
// toolset and summary, with how many more there are and why some are hidden.
func SearchBlocks(command string, query string, r search.Result) []slack.Block {
	q := "“" + short(query, 200) + "”"
	if len(r.Found) == 0 {
		blocks := []slack.Block{section(":mag: No action matches " + q + ".")}
		var notes []string
		if r.Hidden > 0 {
			notes = append(notes, hiddenNote(r.Hidden))
		}
		notes = append(notes, "Try other words, e.g. "+cmdCode(command, "search list projects")+"; "+cmdCode(command, "help actions")+" explains actions.")
		return guard(append(blocks, contextBlock(notes...)))
	}
	head := []slack.Block{section(fmt.Sprintf(":mag: %d action(s) match %s:", r.Total, q))}
	lines := make([]string, len(r.Found))
	for i, a := range r.Found {
		lines[i] = fmt.Sprintf("• %s · _%s_ · %s — %s", code(a.Name), riskWord(string(a.Risk)), text(a.Toolset), short(a.Summary, 200))
	}
	room := roomBeside(head).less(1, 2*noteChars)
	list, placed := packLines(lines, &room, false)
	var notes []string
	if placed < r.Total {
		notes = append(notes, fmt.Sprintf("Showing %d of %d; more words narrow the search.", placed, r.Total))
	}
	if r.Hidden > 0 {
		notes = append(notes, hiddenNote(r.Hidden))
	}
	notes = append(notes, cmdCode(command, "describe <action>")+" shows an action's arguments and an example.")
	return guard(append(append(head, list...), contextBlock(notes...)))
}

func hiddenNote(n int) string {
	return fmt.Sprintf("%d more match but are not available here (a read-only scope, or a channel bound to one project).", n)
}

// DescribeBlocks shows what it takes to run an action: its arguments
// (required ones marked, types, allowed values, defaults), risk, OAuth scope
// and permissions, the result fields that are redacted, how a long-running
// operation is followed, and an example command line built from example.
// scoped says the channel's binding supplies the project argument.
func DescribeBlocks(command string, a *tools.Action, scoped bool, example map[string]any) []slack.Block {
	if a == nil {
		return []slack.Block{section("_No such action._")}
	}
	// A registry name is letters, digits and underscores: fit for a header.
	head := []slack.Block{header(a.Name)}
	about := short(a.Summary, 300)
	if a.Description != "" && a.Description != a.Summary {
		about += "\n" + short(a.Description, 1200)
	}
	if strings.TrimSpace(about) != "" {
		head = append(head, section(about))
	}
	head = append(head, fieldsSections(describeFacts(a))...)

	if example == nil {
		example = a.Example(nil)
	}
	tail := []slack.Block{section("*Example:*\n" + codeBlock(commandLine(command, a.Name, example), 1500))}
	var notes []string
	if a.Risk != action.Read {
		notes = append(notes, "The policy may ask you to confirm it, or for someone to approve it.")
	}
	if a.Untrusted {
		notes = append(notes, "Its result carries data the project's users wrote, shown inside an untrusted-data boundary.")
	}
	if a.Note != "" {
		notes = append(notes, note("", a.Note))
	}
	if len(notes) > 0 {
		tail = append(tail, contextBlock(notes...))
	}

	lines := argumentLines(a, scoped)
	r := roomBeside(head, tail).less(1, noteChars)
	args, placed := packLines(lines, &r, false)
	blocks := slices.Concat(head, args)
	if placed < len(lines) {
		blocks = append(blocks, contextBlock(fmt.Sprintf("%d more arguments not shown.", len(lines)-placed)))
	}
	return guard(append(blocks, tail...))
}

func describeFacts(a *tools.Action) []string {
	facts := []string{
		field("Risk", riskWord(string(a.Risk))),
		field("Toolset", text(a.Toolset)),
		field("Calls", code(a.Method+" "+clip(a.Path, 200))),
	}
	if a.Scope != "" {
		facts = append(facts, field("OAuth scope", code(a.Scope)))
	}
	if len(a.Permissions) > 0 {
		alts := make([]string, len(a.Permissions))
		for i, all := range a.Permissions {
			alts[i] = strings.Join(all, " + ")
		}
		facts = append(facts, field("Permissions", clipEscaped(codeList(alts), 1000)))
	}
	if len(a.Secrets) > 0 {
		facts = append(facts, field("Redacted", namesWithin(a.Secrets, 1000)))
	}
	if p := a.Poll; p != nil {
		s := "with " + code(p.Action)
		if p.Field != "" {
			s += " until " + code(p.Field) + " is " + namesWithin(p.Done, 300)
		}
		facts = append(facts, field("Long-running; follow", s))
	}
	var flags []string
	if a.Deprecated {
		flags = append(flags, "deprecated")
	}
	if a.Beta {
		flags = append(flags, "beta")
	}
	if len(flags) > 0 {
		facts = append(facts, field("Status", strings.Join(flags, ", ")))
	}
	return facts
}

// argumentLines describes each argument, required ones first.
func argumentLines(a *tools.Action, scoped bool) []string {
	params := slices.Clone(a.Params)
	slices.SortStableFunc(params, func(x, y action.Param) int {
		switch {
		case x.Required == y.Required:
			return 0
		case x.Required:
			return -1
		}
		return 1
	})
	lines := []string{fmt.Sprintf("*Arguments* (%d)", len(params))}
	if len(params) == 0 {
		lines[0] = "*Arguments:* none"
	}
	for _, p := range params {
		schema, _ := a.Property(p.Name)
		line := "• " + code(p.Name)
		if p.Required {
			line += " *required*"
		}
		if t := typeText(schema); t != "" {
			line += " _" + text(t) + "_"
		}
		if scoped && a.Target != nil && p.Name == a.Target.Project {
			line += " · _from this channel's binding_"
		}
		if d, _ := schema["description"].(string); d != "" {
			line += " — " + short(strings.Join(strings.Fields(d), " "), 200)
		}
		if enum := enumOf(schema); len(enum) > 0 {
			line += " · one of " + namesWithin(enum, 400)
		}
		if def, ok := schema["default"]; ok {
			line += " · default " + code(clip(valueText(def), 100))
		}
		lines = append(lines, line)
	}
	return lines
}

// typeText names a schema's type: "string (uuid)", "list of integer".
func typeText(schema map[string]any) string {
	t, _ := tools.SchemaType(schema)
	switch t {
	case "":
		for _, k := range []string{"oneOf", "anyOf"} {
			if _, ok := schema[k]; ok {
				return "one of several shapes"
			}
		}
		return ""
	case "array":
		items, _ := schema["items"].(map[string]any)
		if it := typeText(items); it != "" {
			return "list of " + it
		}
		return "list"
	}
	if f, _ := schema["format"].(string); f != "" {
		return t + " (" + f + ")"
	}
	return t
}

// enumOf lists a schema's allowed values, or its items' for a list.
func enumOf(schema map[string]any) []string {
	enum, _ := schema["enum"].([]any)
	if len(enum) == 0 {
		if items, ok := schema["items"].(map[string]any); ok {
			enum, _ = items["enum"].([]any)
		}
	}
	out := make([]string, 0, len(enum))
	for _, v := range enum {
		out = append(out, valueText(v))
	}
	return out
}
