package mcpserver

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/supaops/supaops/internal/action"
	"github.com/supaops/supaops/internal/authz"
	"github.com/supaops/supaops/internal/tools"
)

// Toolset keywords besides the registry's toolsets.
const (
	ToolsetAll     = "all"     // every action as a first-class tool
	ToolsetDefault = "default" // the curated core (always included)
)

var projectRef = regexp.MustCompile(`^[a-z]{20}$`)

// profile decides which actions a session sees and which of them are tools.
type profile struct {
	readOnly bool
	ref      string
	// firstClass names the actions listed as tools of their own.
	firstClass map[string]bool
	// summaries and titles are the core's hand-written ones.
	summaries map[string]string
	titles    map[string]string
}

func newProfile(reg *tools.Registry, opts Options) (profile, error) {
	p := profile{readOnly: opts.ReadOnly, ref: opts.ProjectRef, firstClass: map[string]bool{}, summaries: map[string]string{}, titles: map[string]string{}}
	if p.ref != "" && !projectRef.MatchString(p.ref) {
		return profile{}, fmt.Errorf("project ref %q: want 20 lower-case letters", p.ref)
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
// pipeline's guards refuse the same calls; hiding them spares the model.
func (p profile) visible(a *tools.Action) bool {
	if p.readOnly && a.Risk != action.Read {
		return false
	}
	if p.ref != "" && !authz.InProjectScope(a) {
		return false
	}
	return true
}

// unavailable says why an action is hidden, or "".
func (p profile) unavailable(a *tools.Action) string {
	if p.readOnly && a.Risk != action.Read {
		return fmt.Sprintf("this server runs read-only; %s is a %s action", a.Name, a.Risk)
	}
	if p.ref != "" && !authz.InProjectScope(a) {
		return fmt.Sprintf("this server is scoped to project %s, and %s is not about one project", p.ref, a.Name)
	}
	return ""
}

// scoped reports whether ref is injected into this action's calls.
func (p profile) scoped(a *tools.Action) bool {
	if p.ref == "" {
		return false
	}
	_, ok := a.Param("ref")
	return ok
}

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
