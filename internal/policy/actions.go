package policy

import (
	"fmt"
	"sort"
	"strings"

	"github.com/supaops/supaops/internal/action"
	"github.com/supaops/supaops/internal/suggest"
)

// catalogue is what action selectors are checked against at load.
type catalogue struct {
	actions  []*action.Action
	names    map[string]bool
	toolsets map[string]bool
}

func newCatalogue(actions []*action.Action) *catalogue {
	c := &catalogue{names: map[string]bool{}, toolsets: map[string]bool{}}
	for _, a := range actions {
		if a == nil {
			continue
		}
		c.actions = append(c.actions, a)
		c.names[a.Name] = true
		c.toolsets[a.Toolset] = true
	}
	return c
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

type selectorKind uint8

const (
	byName selectorKind = iota
	byToolset
	byRisk
)

// actionSelector is one compiled entry of an actions list.
type actionSelector struct {
	kind    selectorKind
	name    glob
	toolset string
	risk    action.Risk
	src     string
}

func compileAction(sel string, cat *catalogue) (actionSelector, error) {
	switch {
	case sel == "":
		return actionSelector{}, fmt.Errorf("empty action selector: want an action name or glob, toolset:<name> or risk:<class>")
	case strings.HasPrefix(sel, "risk:"):
		r, err := action.ParseRisk(strings.TrimPrefix(sel, "risk:"))
		if err != nil {
			return actionSelector{}, fmt.Errorf("%s: %w", sel, err)
		}
		return actionSelector{kind: byRisk, risk: r, src: sel}, nil
	case strings.HasPrefix(sel, "toolset:"):
		ts := strings.TrimPrefix(sel, "toolset:")
		if !cat.toolsets[ts] {
			return actionSelector{}, fmt.Errorf("unknown toolset %q: want one of %s", ts, strings.Join(sortedKeys(cat.toolsets), ", "))
		}
		return actionSelector{kind: byToolset, toolset: ts, src: sel}, nil
	}
	g, err := compileGlob(sel)
	if err != nil {
		return actionSelector{}, fmt.Errorf("action %q is not a valid glob: %w", sel, err)
	}
	s := actionSelector{kind: byName, name: g, src: sel}
	if g.isLiteral() {
		if !cat.names[sel] {
			return actionSelector{}, fmt.Errorf("unknown action %q%s", sel, suggest.DidYouMean(sel, sortedKeys(cat.names)))
		}
		return s, nil
	}
	// A glob that matches nothing is as likely a typo as a literal that names
	// nothing, and a deny rule with a typo protects nothing.
	for _, a := range cat.actions {
		if s.match(a) {
			return s, nil
		}
	}
	return actionSelector{}, fmt.Errorf("action glob %q matches no action", sel)
}

func (s *actionSelector) match(a *action.Action) bool {
	switch s.kind {
	case byRisk:
		return a.Risk == s.risk
	case byToolset:
		return a.Toolset == s.toolset
	default:
		return s.name.match(a.Name)
	}
}

// actionSet is a compiled actions list; it matches when any selector does.
type actionSet []actionSelector

func (s actionSet) match(a *action.Action) bool {
	_, ok := s.matchedBy(a)
	return ok
}

func (s actionSet) matchedBy(a *action.Action) (string, bool) {
	for i := range s {
		if s[i].match(a) {
			return s[i].src, true
		}
	}
	return "", false
}

func (s actionSet) String() string {
	srcs := make([]string, len(s))
	for i := range s {
		srcs[i] = s[i].src
	}
	return "[" + strings.Join(srcs, ", ") + "]"
}
