package slackbot

import (
	"fmt"
	"strings"

	"github.com/supaops/supaops/internal/textargs"
)

// Verbs of the command language besides action names.
const (
	VerbHelp      = "help"
	VerbSearch    = "search"
	VerbDescribe  = "describe"
	VerbApprovals = "approvals"
	VerbApprove   = "approve"
	VerbDeny      = "deny"
	VerbAudit     = "audit"
	VerbBind      = "bind"
	VerbUnbind    = "unbind"
	VerbWhoami    = "whoami"
	// Aliases for the daily actions.
	VerbProjects = "projects"
	VerbAdvisors = "advisors"
	VerbLogs     = "logs"
)

// MaxCommandText bounds a command's text: Slack sends at most a few KB,
// and anything longer is not typed by a person.
const MaxCommandText = 16 << 10

// command is one slash command's text, split into its verb, its words and
// its flags.
type command struct {
	verb  string
	words []string // after the verb, flags removed
	// flags given as --name or --name=value (value "" for a bare flag).
	flags map[string]string
}

// flagsTaking are the flags that take a value in the next word too.
var flagsTaking = map[string]bool{"since": true, "action": true, "project": true, "principal": true, "limit": true, "reason": true}

// parseCommand reads the text after the slash command. Slack escapes &, <
// and > in the text; they are unescaped first so that SQL and JSON arrive
// as typed.
func parseCommand(text string) (command, error) {
	if len(text) > MaxCommandText {
		return command{}, fmt.Errorf("the command is %d bytes long; at most %d", len(text), MaxCommandText)
	}
	words, err := textargs.Split(unescapeSlack(text))
	if err != nil {
		return command{}, err
	}
	c := command{flags: map[string]string{}}
	for i := 0; i < len(words); i++ {
		w := words[i]
		name, ok := strings.CutPrefix(w, "--")
		if !ok || name == "" {
			c.words = append(c.words, w)
			continue
		}
		name, value, hasValue := strings.Cut(name, "=")
		if _, dup := c.flags[name]; dup {
			return command{}, fmt.Errorf("--%s is given twice", name)
		}
		if !hasValue && flagsTaking[name] && i+1 < len(words) {
			value = words[i+1]
			i++
		}
		c.flags[name] = value
	}
	if len(c.words) > 0 {
		c.verb = strings.ToLower(c.words[0])
		c.words = c.words[1:]
	}
	return c, nil
}

// flag reports whether a bare flag was given.
func (c command) flag(name string) bool {
	_, ok := c.flags[name]
	return ok
}

// unknownFlags lists flags the verb does not take, for a clear refusal.
func (c command) unknownFlags(allowed ...string) []string {
	var out []string
	for name := range c.flags {
		ok := false
		for _, a := range allowed {
			if name == a {
				ok = true
			}
		}
		if !ok {
			out = append(out, "--"+name)
		}
	}
	return out
}

// unescapeSlack undoes the three escapes Slack applies to command text.
// &amp; goes last, so "&amp;lt;" stays "&lt;" as typed.
func unescapeSlack(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
}
