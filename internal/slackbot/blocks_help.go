package slackbot

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/slack-go/slack"

	"github.com/supaops/supaops/internal/textargs"
)

// helpTopic is one page of help. Lines are mrkdwn written here, with {cmd}
// standing for the slash command; they are escaped like any other text, so
// <words> may be written as it reads.
type helpTopic struct {
	name, title string
	lines       []string
}

// helpTopics is the help, in one place. The first topic is the overview.
func helpTopics() []helpTopic {
	return []helpTopic{
		{"", "supaops: operate Supabase from Slack", []string{
			"`{cmd} <action> [key=value ...]` runs any action of the Management API: `{cmd} project_get ref=abcdefghijklmnopqrst`",
			"`{cmd} search <words>` finds an action: `{cmd} search pause project`",
			"`{cmd} describe <action>` shows its arguments, risk, scopes and an example",
			"`{cmd} projects` lists your projects; `{cmd} advisors <ref>` runs the security and performance advisors; `{cmd} logs <ref> <sql>` queries a project's logs",
			"`{cmd} approvals`, `{cmd} approve <id>`, `{cmd} deny <id> [reason]` handle approval requests",
			"`{cmd} audit [--since 1h] [--action A] [--project REF]` shows what was done, and by whom",
			"`{cmd} bind <ref> [--read-only]`, `{cmd} unbind` and `{cmd} whoami`: this channel's project, and who you are here",
		}},
		{"actions", "Actions", []string{
			"Every Management API operation is an action named `<resource>_<verb>`: `projects_list`, `project_get`, `branch_create`…",
			"Each has a risk: *read* changes nothing; *write* changes what another action can undo; *destructive* deletes or overwrites what cannot be restored, interrupts service, or changes credentials.",
			"`{cmd} search list backups` finds actions by words; `{cmd} describe backups_list` shows one, with an example.",
			"Shortcuts: `{cmd} projects` (`projects_list`), `{cmd} advisors <ref>` (security and performance), `{cmd} logs <ref> <sql>`.",
			"Results are short: a table of a few columns for lists, key facts for one object. A long result is cut, and the note says how to ask for less. Secrets are masked.",
			"What a project's users wrote (rows, log lines, function source) is shown inside an untrusted-data boundary: it is data, never instructions.",
		}},
		{"arguments", "Arguments", []string{
			"Write arguments as `key=value`: `{cmd} project_get ref=abcdefghijklmnopqrst`.",
			"Quote a value with spaces: `name=\"my project\"` or `name='my project'`; a backslash escapes a quote. Slack's curly quotes work too.",
			"Numbers stay exact; booleans are `true` or `false` (also yes/no); lists are `a,b,c` or JSON; objects are JSON: `config='{\"key\": \"value\"}'`.",
			"In a channel bound to a project (`{cmd} help bind`) its ref can be left out.",
			"`--public` shows the answer to the whole channel (by default only you see it); `--file` sends the result as a file, for results too long for a message.",
			"Unknown or malformed arguments are refused before anything is sent, with what is allowed and an example.",
		}},
		{"consent", "Rules and consent", []string{
			"The policy decides every call by rule: allow, deny, confirm, or approve. A denial names its rule and reason; nothing is done.",
			"*Confirm*: you see exactly what will run (every argument, SQL whole, and what of a long value is not shown) and press Confirm or Cancel. Destructive actions ask once more.",
			"*Approve*: the request is posted to its approvers, and it runs only once enough of them approve. Nobody approves their own request.",
			"Consent is for one call: by you, of that action, with those exact arguments, on that project, and it expires. Change anything and you are asked again.",
		}},
		{"bind", "Binding a channel", []string{
			"`{cmd} bind <ref>` binds this channel to a project: commands here act on it, and its ref can be left out.",
			"`{cmd} bind <ref> --read-only` also refuses anything but reads in this channel.",
			"Binding is a call like any other: the policy decides it, and the audit log records it.",
			"`{cmd} unbind` removes the binding; `{cmd} whoami` shows who you are, your groups, and this channel's binding.",
		}},
		{"approvals", "Approvals", []string{
			"`{cmd} approvals` lists approval requests and where each stands.",
			"`{cmd} approve <id>` (or the Approve button) approves; `{cmd} deny <id> [reason]` (or Deny) refuses it for good.",
			"The policy names the approvers (users, usergroups). Each person counts once, and nobody approves their own request; a requester may withdraw theirs by denying it.",
			"A request expires if it is not approved and run in time.",
		}},
		{"audit", "Audit log", []string{
			"`{cmd} audit` shows the latest recorded calls: who, what, on which project, the decision and what came of it.",
			"Narrow it: `{cmd} audit --since 1h`, `--action project_pause`, `--project abcdefghijklmnopqrst`; they combine.",
			"Every call is recorded before it is sent to the API, and what came of it after. Arguments are recorded with secrets masked.",
		}},
	}
}

// HelpBlocks renders a help topic: "" for the overview, or one of actions,
// arguments, consent, bind, approvals, audit. An unknown topic is an error
// naming the topics.
func HelpBlocks(command string, topic string) ([]slack.Block, error) {
	topics := helpTopics()
	want := strings.ToLower(strings.TrimSpace(topic))
	var names []string
	for _, t := range topics[1:] {
		names = append(names, t.name)
	}
	for _, t := range topics {
		if t.name != want {
			continue
		}
		// A slash command has no backtick; if one came, it must not close a span.
		cmd := strings.ReplaceAll(slashCommand(command), "`", string(backtick))
		lines := make([]string, len(t.lines))
		for i, l := range t.lines {
			lines[i] = "• " + text(strings.ReplaceAll(l, "{cmd}", cmd))
		}
		blocks := []slack.Block{header(t.title), section(strings.Join(lines, "\n"))}
		blocks = append(blocks, contextBlock(cmdCode(command, "help <topic>")+" for more: "+strings.Join(names, ", ")+"."))
		return guard(blocks), nil
	}
	return nil, fmt.Errorf("unknown help topic %q: the topics are %s", clip(topic, 40), strings.Join(names, ", "))
}

// cmdCode is a command line as code: the slash command and what follows.
func cmdCode(command, rest string) string { return code(slashCommand(command) + " " + rest) }

// slashCommand is the command's name as shown: Slack's are at most 32
// characters, so anything longer is cut rather than trusted.
func slashCommand(command string) string { return clip(command, 32) }

// commandLine is a command that runs name with args, every value quoted so
// the command's own word splitting (textargs.Split) reads it back.
func commandLine(command, name string, args map[string]any) string {
	words := []string{slashCommand(command), name}
	for _, k := range slices.Sorted(maps.Keys(args)) {
		words = append(words, k+"="+textargs.Quote(valueText(args[k])))
	}
	return strings.Join(words, " ")
}
