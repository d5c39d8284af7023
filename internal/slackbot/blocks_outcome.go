package slackbot

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/slack-go/slack"

	"github.com/supaops/supaops/internal/outcome"
	"github.com/supaops/supaops/internal/tools"
)

// maxMessage bounds an API's (or an error's) message as shown.
const maxMessage = 1500

// OutcomeBlocks renders what came of a call that did not simply succeed:
// denied (rule, reason, that nothing was done, what would let it through),
// invalid input (each problem, the valid arguments, an example command line
// built from the action's schema), an unknown action (the closest names),
// an API error (status, message, advice, request id), a call cut short or
// failed (and whether it may have applied). a is the action when known;
// command is the slash command ("/supa") for examples. A success is
// rendered by ResultBlocks, and consent by ConfirmBlocks and
// ApprovalWaitingBlocks; given one, OutcomeBlocks shows it without buttons.
func OutcomeBlocks(o outcome.Outcome, a *tools.Action, command string) []slack.Block {
	o = o.Describe(a)
	name := "the call"
	if o.Action != "" {
		name = code(clip(o.Action, tools.MaxNameLength))
	}
	var blocks []slack.Block
	switch o.Kind {
	case outcome.OK:
		if o.Result != nil && o.Result.Action != nil {
			res, err := ResultBlocks(o.Result, 0)
			if err == nil {
				return res
			}
			blocks = []slack.Block{section(fmt.Sprintf(":warning: %s was done, but its result could not be shown: %s", name, short(err.Error(), maxMessage)))}
		} else {
			blocks = []slack.Block{section(":white_check_mark: " + name + " done.")}
		}
	case outcome.Denied:
		blocks = deniedBlocks(o, name, command)
	case outcome.NeedsConfirmation:
		blocks = confirmBlocks(o.Challenge, "", false)
	case outcome.NeedsApproval:
		return ApprovalWaitingBlocks(o.Challenge, "")
	case outcome.InvalidInput:
		blocks = invalidBlocks(o, a, name, command)
	case outcome.UnknownAction:
		blocks = unknownBlocks(o, name, command)
	default:
		blocks = failureBlocks(o, name)
	}
	return guard(blocks)
}

func deniedBlocks(o outcome.Outcome, name, command string) []slack.Block {
	blocks := []slack.Block{
		section(fmt.Sprintf(":no_entry: *Denied:* %s%s was not run. Nothing was done.", name, riskNote(string(o.Risk)))),
	}
	blocks = append(blocks, fieldsSections(ruleFields(o.Decision.Rule, o.Decision.Reason, true, ""))...)
	return append(blocks,
		section("*What would let it through:* a change to the policy"+ruleRef(o.Decision.Rule)+", or to this channel's scope; ask whoever runs supaops."),
		contextBlock(fmt.Sprintf("%s shows who you are here and this channel's scope; %s explains rules and consent.", cmdCode(command, "whoami"), cmdCode(command, "help consent"))),
	)
}

func ruleRef(rule string) string {
	if rule == "" {
		return ""
	}
	return " (rule " + code(clip(rule, 200)) + ")"
}

func riskNote(risk string) string {
	if risk == "" {
		return ""
	}
	return " (*" + riskWord(risk) + "*)"
}

func invalidBlocks(o outcome.Outcome, a *tools.Action, name, command string) []slack.Block {
	head := []slack.Block{section(fmt.Sprintf(":warning: *Invalid arguments for* %s. Nothing was sent.", name))}
	var tail []slack.Block
	if o.Valid != nil {
		if len(o.Valid) == 0 {
			tail = append(tail, section("_This action takes no arguments._"))
		} else {
			tail = append(tail, section("*Valid arguments:* "+namesWithin(o.Valid, 1500)))
		}
	}
	if a != nil {
		line := commandLine(command, a.Name, a.Example(nil))
		tail = append(tail,
			section("*Example* (placeholders where a value is needed):\n"+codeBlock(line, 1500)),
			contextBlock(cmdCode(command, "describe "+a.Name)+" shows every argument and what it allows."))
	}
	lines := make([]string, len(o.Problems))
	for i, p := range o.Problems {
		if p.Field == "" {
			lines[i] = "• " + short(p.Problem, 500)
		} else {
			lines[i] = "• " + code(clip(p.Field, 200)) + ": " + short(p.Problem, 500) + allowed(a, p.Field)
		}
	}
	r := roomBeside(head, tail).less(1, noteChars)
	problems, placed := packLines(lines, &r, false)
	blocks := slices.Concat(head, problems)
	if placed < len(lines) {
		blocks = append(blocks, contextBlock(fmt.Sprintf("%d more problems not shown.", len(lines)-placed)))
	}
	return append(blocks, tail...)
}

func unknownBlocks(o outcome.Outcome, name, command string) []slack.Block {
	blocks := []slack.Block{section(":grey_question: *Unknown action* " + name + ".")}
	if len(o.Suggestions) > 0 {
		blocks = append(blocks, section("Did you mean "+namesWithin(o.Suggestions, 1000)+"?"))
	}
	return append(blocks, contextBlock(cmdCode(command, "search <words>")+" finds actions; "+cmdCode(command, "help actions")+" explains them."))
}

// failureBlocks renders an answer from the API that was not a success, or
// no usable answer at all.
func failureBlocks(o outcome.Outcome, name string) []slack.Block {
	var title string
	switch o.Kind {
	case outcome.MissingAccess:
		title = ":lock: " + name + " was refused: the access token lacks access."
	case outcome.RateLimited:
		title = ":turtle: " + name + " was rate limited."
	case outcome.APIError:
		title = ":x: " + name + " failed."
	case outcome.CutShort:
		title = ":hourglass: " + name + " was cut short before an answer came."
	default:
		title = ":x: " + name + " failed: no usable answer came."
	}
	if o.Status != 0 {
		title += fmt.Sprintf(" HTTP %d %s.", o.Status, http.StatusText(o.Status))
	}
	blocks := []slack.Block{section(title)}
	if o.Message != "" {
		blocks = append(blocks, section("*Message:*\n"+codeBlock(o.Message, maxMessage)))
	}
	advice := o.Advice()
	switch {
	case o.Effect == outcome.MayHaveApplied:
		blocks = append(blocks, section(":warning: *It may have applied.* "+text(advice)))
	case advice != "":
		if !strings.Contains(advice, "Nothing was") {
			advice += " Nothing was changed."
		}
		blocks = append(blocks, section(text(advice)))
	}
	if o.RequestID != "" {
		blocks = append(blocks, contextBlock("Request id "+code(clip(o.RequestID, 200))+" (for Supabase support)."))
	}
	return blocks
}

// allowed says what an argument takes, from the action's schema: its type
// and, when it has them, its allowed values.
func allowed(a *tools.Action, field string) string {
	if a == nil {
		return ""
	}
	schema, ok := a.Property(field)
	if !ok {
		return ""
	}
	var parts []string
	if t := typeText(schema); t != "" {
		parts = append(parts, "_"+text(t)+"_")
	}
	if enum := enumOf(schema); len(enum) > 0 {
		parts = append(parts, "one of "+namesWithin(enum, 400))
	}
	if len(parts) == 0 {
		return ""
	}
	return " (takes " + strings.Join(parts, ", ") + ")"
}
