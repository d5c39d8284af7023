package policy

import (
	"fmt"
	"strings"
)

// projectSelector is one compiled entry of a projects list: a project ref or
// glob, or org:<slug> for the organization the project belongs to.
type projectSelector struct {
	org bool
	g   glob
	src string
}

func compileProject(sel string) (projectSelector, error) {
	target, org := strings.CutPrefix(sel, "org:")
	switch {
	case sel == "":
		return projectSelector{}, fmt.Errorf("empty project selector: want a project ref or glob, or org:<slug>")
	case org && target == "":
		return projectSelector{}, fmt.Errorf("project selector %q needs an organization slug, as in org:acme", sel)
	case !org && strings.Contains(sel, ":"):
		return projectSelector{}, fmt.Errorf("unknown project selector %q: want a project ref or glob, or org:<slug>", sel)
	}
	g, err := compileGlob(target)
	if err != nil {
		return projectSelector{}, fmt.Errorf("project selector %q is not a valid glob: %w", sel, err)
	}
	return projectSelector{org: org, g: g, src: sel}, nil
}

// match: a lone "*" matches every call, even one that targets no project;
// any other pattern needs a project (or organization) to match. A call on a
// branch matches through the project it belongs to, and through the
// branch's own ref.
func (s *projectSelector) match(in *Input) bool {
	if s.org {
		return in.Organization != "" && s.g.match(in.Organization)
	}
	if s.g.kind == globAny {
		return true
	}
	return in.Project != "" && s.g.match(in.Project) || in.Branch != "" && s.g.match(in.Branch)
}

// projectSet is a compiled projects list; it matches when any selector does.
type projectSet []projectSelector

func (s projectSet) match(in *Input) bool {
	_, ok := s.matchedBy(in)
	return ok
}

func (s projectSet) matchedBy(in *Input) (string, bool) {
	for i := range s {
		if s[i].match(in) {
			return s[i].src, true
		}
	}
	return "", false
}

func (s projectSet) String() string {
	srcs := make([]string, len(s))
	for i := range s {
		srcs[i] = s[i].src
	}
	return "[" + strings.Join(srcs, ", ") + "]"
}
