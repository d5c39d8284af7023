package policy

// UsesTargets reports whether any rule looks at what a call is about: a
// project selector other than a lone "*", an org: selector, or a condition
// naming project or organization. Only then must a caller resolve a branch
// to its project and a project to its organization, which costs API calls.
func (p *Policy) UsesTargets() bool {
	for _, r := range p.rules {
		for _, set := range []projectSet{r.projects, r.exceptProjects} {
			for _, sel := range set {
				if sel.org || sel.g.kind != globAny {
					return true
				}
			}
		}
		if r.cond != nil && (r.cond.reads["project"] || r.cond.reads["organization"]) {
			return true
		}
	}
	return false
}
