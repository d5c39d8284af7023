package mcpserver

import (
	"fmt"
	"slices"
	"strings"

	"github.com/supaops/supaops/internal/scope"
	"github.com/supaops/supaops/internal/tools"
)

// Toolset keywords besides the registry's toolsets.
const (
	ToolsetAll     = "all"     // every action as a first-class tool
	ToolsetDefault = "default" // the curated core (always included)
)

// profile decides which actions a session sees and which of them are tools.
type profile struct {
	scope scope.Scope
	// firstClass names the actions listed as tools of their own.
	firstClass map[string]bool
	// summaries and titles are the core's hand-written ones.
	summaries map[string]string
	titles    map[string]string
}

func newProfile(reg *tools.Registry, opts Options) (profile, error) {
	p := profile{scope: opts.Scope, firstClass: map[string]bool{}, summaries: map[string]string{}, titles: map[string]string{}}
	if err := p.scope.Validate(); err != nil {
		return profile{}, err
	}
	for _, c := range coreTools() {
		if _, err := reg.Lookup(c.name); err != nil {
			return profile{}, fmt.Errorf("core tool: %w", err)
		}
		p.firstClass[c.name] = true
		if c.summary != "" {
			p.summaries[c.name] = c.summary
		}
		if c.title != "" {
			p.titles[c.name] = c.title
		}
	}
	valid := reg.Toolsets()
	var names []string
	for _, raw := range opts.Toolsets {
		// "a,b" as one element is what a --toolsets flag gives; split it here
		// so every caller gets the same parsing.
		names = append(names, strings.Split(raw, ",")...)
	}
	for _, raw := range names {
		name := strings.TrimSpace(raw)
		switch {
		case name == ToolsetDefault:
		case name == ToolsetAll:
			for _, a := range reg.Actions() {
				p.firstClass[a.Name] = true
			}
		case slices.Contains(valid, name):
			for _, a := range reg.Actions() {
				if a.Toolset == name {
					p.firstClass[a.Name] = true
				}
			}
		default:
			return profile{}, fmt.Errorf("unknown toolset %q: valid are %s, %s, %s", name, ToolsetAll, ToolsetDefault, strings.Join(valid, ", "))
		}
	}
	return p, nil
}

// visible reports whether a session may see and call the action at all. The
// pipeline refuses the same calls by the same scope; hiding them spares the
// model.
func (p profile) visible(a *tools.Action) bool { return p.scope.Visible(a) }

// unavailable says why an action is hidden, or "".
func (p profile) unavailable(a *tools.Action) string { return p.scope.Unavailable(a) }

// scoped reports whether the project argument is injected into this
// action's calls (and so left out of its schema).
func (p profile) scoped(a *tools.Action) bool { return p.scope.Injects(a) }

// summary is the one line a model reads about an action.
func (p profile) summary(a *tools.Action) string {
	if s, ok := p.summaries[a.Name]; ok {
		return s
	}
	return firstSentence(a.Summary)
}

// title is the short name clients show for an action's tool.
func (p profile) title(a *tools.Action) string {
	if t, ok := p.titles[a.Name]; ok {
		return t
	}
	return titleFor(a.Name)
}

// firstSentence keeps a summary to one short sentence.
func firstSentence(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, ". "); i > 0 {
		s = s[:i]
	}
	s = strings.TrimSuffix(s, ".")
	const maxLen = 100
	if len(s) > maxLen {
		cut := strings.LastIndex(s[:maxLen], " ")
		if cut <= 0 {
			cut = maxLen
		}
		s = s[:cut] + "…"
	}
	return s + "."
}
