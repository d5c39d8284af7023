// Package scope is the one value that narrows what a caller may reach,
// whatever policy says: read-only, and one project (with its branches). An
// MCP server started with --read-only or --project-ref and a Slack channel
// bound to a project use the same Scope, so they hide the same actions,
// inject the project the same way and refuse the same calls with the same
// reasons. The pipeline enforces it on every call; surfaces use it to decide
// what to show.
package scope

import (
	"fmt"
	"regexp"

	"github.com/supaops/supaops/internal/action"
	"github.com/supaops/supaops/internal/tools"
)

// Rules name the scope in refusals and the audit log.
const (
	RuleReadOnly     = "scope:read-only"
	RuleProject      = "scope:project"
	RuleOwnStateRead = "scope:own-state-read-only"
)

var projectRef = regexp.MustCompile(`^[a-z]{20}$`)

// Scope narrows what calls may reach. The zero value narrows nothing.
type Scope struct {
	// ReadOnly refuses every action that is not a read.
	ReadOnly bool
	// Project, when set, confines calls to this project and its branches:
	// actions not about one project are refused, and the project is filled
	// in where a call does not name one.
	Project string
	// OwnStateReadOnly refuses changes to supaops's own state (its local
	// actions: the scheduled jobs) while the Management API stays as the
	// rest of the scope says: agents see jobs and their runs, people
	// manage them.
	OwnStateReadOnly bool
}

// Validate checks the project ref.
func (s Scope) Validate() error {
	if s.Project != "" && !projectRef.MatchString(s.Project) {
		return fmt.Errorf("project %q: a project ref is 20 lowercase letters", s.Project)
	}
	return nil
}

// IsZero reports a scope that narrows nothing.
func (s Scope) IsZero() bool { return s == Scope{} }

// AboutOneProject reports whether an action acts on one project or branch:
// it names a project ref or a branch.
func AboutOneProject(a *tools.Action) bool {
	return a.Target != nil && (a.Target.Project != "" || a.Target.Branch != "")
}

// Visible reports whether the scope lets the action be called at all.
func (s Scope) Visible(a *tools.Action) bool { return s.Unavailable(a) == "" }

// Unavailable says why the scope refuses every call of an action, or "".
func (s Scope) Unavailable(a *tools.Action) string {
	_, why := s.refusal(a)
	return why
}

func (s Scope) refusal(a *tools.Action) (rule, why string) {
	if s.ReadOnly && a.Risk != action.Read {
		return RuleReadOnly, fmt.Sprintf("the scope is read-only and %s is a %s action", a.Name, a.Risk)
	}
	// A composite changes the project, not supaops's own state: the rest
	// of the scope decides on it, and on each of its calls.
	if s.OwnStateReadOnly && a.Local() && !a.Composite() && a.Risk != action.Read {
		return RuleOwnStateRead, fmt.Sprintf("%s changes supaops's own state, which this surface may only read; manage jobs with supaops-mcp jobs or /supa jobs", a.Name)
	}
	if s.Project != "" && !AboutOneProject(a) {
		return RuleProject, fmt.Sprintf("the scope is project %s and %s is not about one project", s.Project, a.Name)
	}
	return "", ""
}

// Injects reports whether the scope fills in the action's project argument
// (which surfaces then leave out of the schemas they show).
func (s Scope) Injects(a *tools.Action) bool {
	return s.Project != "" && a.Target != nil && a.Target.Project != ""
}

// Inject fills in the project argument when the call gives none. A call
// that names a project keeps it, to be checked by Check.
func (s Scope) Inject(a *tools.Action, args map[string]any) {
	if !s.Injects(a) {
		return
	}
	if _, given := args[a.Target.Project]; !given {
		args[a.Target.Project] = s.Project
	}
}

// Refusal is a call the scope refuses: which rule and why.
type Refusal struct {
	Rule   string
	Reason string
}

// CheckAction refuses an action the scope excludes whatever its arguments.
func (s Scope) CheckAction(a *tools.Action) *Refusal {
	if rule, why := s.refusal(a); rule != "" {
		return &Refusal{Rule: rule, Reason: why}
	}
	return nil
}

// CheckTarget refuses a call about another project. project is the project
// the call is about once branches are resolved to their parent; named is
// what the call named (a ref or a branch), for the message.
func (s Scope) CheckTarget(project, named string) *Refusal {
	if s.Project == "" || project == s.Project {
		return nil
	}
	if named == "" || named == project {
		return &Refusal{Rule: RuleProject, Reason: fmt.Sprintf("the scope is project %s; %s is another project", s.Project, project)}
	}
	return &Refusal{Rule: RuleProject, Reason: fmt.Sprintf("the scope is project %s; %s belongs to project %s", s.Project, named, project)}
}

// String describes the scope for people, e.g. "read-only, project abc…".
func (s Scope) String() string {
	switch {
	case s.ReadOnly && s.Project != "":
		return "read-only, project " + s.Project
	case s.ReadOnly:
		return "read-only"
	case s.Project != "":
		return "project " + s.Project
	}
	return "unrestricted"
}
