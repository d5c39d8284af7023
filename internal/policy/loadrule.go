package policy

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/supaops/supaops/internal/yamlfile"
)

func ruleKeys() []string {
	return []string{
		"name", "effect", "reason", "when",
		"principals", "actions", "projects",
		"except_principals", "except_actions", "except_projects",
		"approvals", "approvers",
	}
}

// maxApprovals keeps an approve rule satisfiable by a real team.
const maxApprovals = 10

// rule compiles one entry of rules; it returns nil when the entry is not a
// mapping, and a rule with problems recorded otherwise.
func (l *loader) rule(n *yaml.Node, index int) *rule {
	ps := l.ps
	what := fmt.Sprintf("rules[%d]", index)
	if name := yamlfile.PeekName(n, "name"); name != "" {
		what = fmt.Sprintf("rule %q", name)
	}
	f := ps.Fields(n, what, ruleKeys()...)
	if f == nil {
		return nil
	}
	r := &rule{line: n.Line}
	if v, ok := f["name"]; !ok {
		ps.add(n.Line, "%s: name: required; every decision names its rule", what)
	} else if s, ok := ps.str(v.Value, what+": name"); ok {
		if err := checkRuleName(s); err != nil {
			ps.add(v.Value.Line, "%s: name: %v", what, err)
		} else {
			r.name = s
		}
	}
	effectOK := false
	if v, ok := f["effect"]; !ok {
		ps.add(n.Line, "%s: effect: required (allow, confirm, approve or deny)", what)
	} else if s, ok := ps.str(v.Value, what+": effect"); ok {
		e, err := parseEffect(s)
		if err != nil {
			ps.add(v.Value.Line, "%s: effect: %v", what, err)
		} else {
			r.effect, effectOK = e, true
		}
	}
	if v, ok := f["reason"]; ok {
		if s, ok := ps.str(v.Value, what+": reason"); ok {
			r.reason = strings.TrimSpace(s)
		}
	}
	r.principals = l.principals(f, "principals", what)
	r.exceptPrincipals = l.principals(f, "except_principals", what)
	r.actions = l.actions(f, "actions", what)
	r.exceptActions = l.actions(f, "except_actions", what)
	r.projects = l.projects(f, "projects", what)
	r.exceptProjects = l.projects(f, "except_projects", what)
	if v, ok := f["when"]; ok {
		r.cond = l.condition(v.Value, what)
	}
	l.approval(r, f, what, effectOK)
	if !effectOK {
		r.effect = Deny // never decides: the file is refused
	}
	return r
}

// checkRuleName keeps names to words that read well in a decision and cannot
// be mistaken for "default:write" or "builtin:...".
func checkRuleName(s string) error {
	if s == "" {
		return fmt.Errorf("must not be empty")
	}
	if len(s) > 64 {
		return fmt.Errorf("%q is longer than 64 characters", s)
	}
	for i, c := range s {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			i > 0 && (c == '-' || c == '_' || c == '.')
		if !ok {
			return fmt.Errorf("%q: use letters, digits, '-', '_' and '.', starting with a letter or digit", s)
		}
	}
	return nil
}

func (l *loader) principals(f map[string]field, key, what string) principalSet {
	v, ok := f[key]
	if !ok {
		return nil
	}
	items := l.ps.strings(v.Value, what+": "+key)
	set := principalSet{}
	for _, it := range items {
		g, err := compilePrincipal(it.value)
		if err != nil {
			l.ps.add(it.line, "%s: %s: %v", what, key, err)
			continue
		}
		set = append(set, g)
	}
	return set
}

func (l *loader) actions(f map[string]field, key, what string) actionSet {
	v, ok := f[key]
	if !ok {
		return nil
	}
	items := l.ps.strings(v.Value, what+": "+key)
	set := actionSet{}
	for _, it := range items {
		s, err := compileAction(it.value, l.cat)
		if err != nil {
			l.ps.add(it.line, "%s: %s: %v", what, key, err)
			continue
		}
		set = append(set, s)
	}
	return set
}

func (l *loader) projects(f map[string]field, key, what string) projectSet {
	v, ok := f[key]
	if !ok {
		return nil
	}
	items := l.ps.strings(v.Value, what+": "+key)
	set := projectSet{}
	for _, it := range items {
		s, err := compileProject(it.value)
		if err != nil {
			l.ps.add(it.line, "%s: %s: %v", what, key, err)
			continue
		}
		set = append(set, s)
	}
	return set
}

func (l *loader) condition(n *yaml.Node, what string) *condition {
	src, ok := l.ps.str(n, what+": when")
	if !ok {
		return nil
	}
	if strings.TrimSpace(src) == "" {
		l.ps.add(n.Line, "%s: when: empty condition; leave the key out to apply always", what)
		return nil
	}
	env, err := l.conditionEnv()
	if err != nil {
		l.ps.add(n.Line, "%s: when: %v", what, err)
		return nil
	}
	c, problems := compileCondition(env, src, l.costLimit, l.mode)
	for _, p := range problems {
		line := n.Line
		if p.line > 0 {
			// A block scalar (| or >) starts on the line after its key.
			line += p.line - 1
			if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
				line++
			}
		}
		if p.column > 0 && p.line > 0 {
			l.ps.add(line, "%s: when: %s (condition line %d, column %d)", what, p.reason, p.line, p.column)
		} else {
			l.ps.add(line, "%s: when: %s", what, p.reason)
		}
	}
	return c
}

// approval checks approvals and approvers, which only an approve rule takes.
func (l *loader) approval(r *rule, f map[string]field, what string, effectOK bool) {
	ps := l.ps
	approvals, hasApprovals := f["approvals"]
	approvers, hasApprovers := f["approvers"]
	if effectOK && r.effect != Approve {
		if hasApprovals {
			ps.add(approvals.Key.Line, "%s: approvals: only an approve rule takes approvals (effect is %s)", what, r.effect)
		}
		if hasApprovers {
			ps.add(approvers.Key.Line, "%s: approvers: only an approve rule takes approvers (effect is %s)", what, r.effect)
		}
		return
	}
	r.approvals = 1
	if hasApprovals {
		if n, ok := ps.integer(approvals.Value, what+": approvals"); ok {
			if n < 1 || n > maxApprovals {
				ps.add(approvals.Value.Line, "%s: approvals: %d is out of range 1..%d", what, n, maxApprovals)
			}
			r.approvals = n
		}
	}
	if !hasApprovers {
		if effectOK {
			ps.add(r.line, "%s: an approve rule needs approvers: who may approve", what)
		}
		return
	}
	// Individuals (no glob, not a usergroup) can be counted: asking for more
	// approvals than there are such approvers could never be satisfied.
	countable := true
	seen := map[string]bool{}
	for _, it := range ps.strings(approvers.Value, what+": approvers") {
		g, err := compilePrincipal(it.value)
		if err != nil {
			ps.add(it.line, "%s: approvers: %v", what, err)
			continue
		}
		if !g.isLiteral() || strings.HasPrefix(it.value, "slack:usergroup:") || strings.HasPrefix(it.value, "slack:channel:") {
			countable = false
		}
		if !seen[it.value] {
			seen[it.value] = true
			r.approvers = append(r.approvers, it.value)
		}
	}
	if countable && len(r.approvers) > 0 && r.approvals > len(r.approvers) {
		ps.add(approvals.Value.Line, "%s: approvals: %d approvals needed but only %d approver(s) listed", what, r.approvals, len(r.approvers))
	}
}
