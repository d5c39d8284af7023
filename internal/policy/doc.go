// Package policy decides whether a call may go ahead: allow, deny, confirm
// (the caller confirms) or approve (others approve). A policy is a YAML file of
// named rules, compiled once into an immutable *Policy.
//
// Matching. A rule applies to a call when every selector it has matches and no
// except_ selector does:
//   - principals: any of the caller's identities (the primary principal and the
//     further identities: Slack usergroups, the channel) matches any pattern.
//   - actions: an action name or glob, "toolset:<name>" or "risk:<class>".
//   - projects: a project ref or glob, or "org:<slug>" for the project's
//     organization. A lone "*" also matches calls that target no project; every
//     other pattern needs the call to name what it matches.
//   - when: a CEL condition that must evaluate to true.
//
// Conditions read args, action, toolset, risk, principal, identities,
// project, organization, surface and sql. sql is the caller's classification
// of the call's SQL-bearing arguments (Input.SQL, from sqlkind.Summarize; the
// policy never parses SQL): sql.statements (int), sql.kinds (list of
// statement kinds, e.g. "select", "drop", "do"), sql.writes and sql.dynamic
// (bool) over all of them, and sql.args, a map from argument name ("query",
// "rollback") to the same four fields for that argument. A call without SQL
// sees 0, [], false, false and an empty map, not an error, so an allow rule
// on SQL should also require the argument to have been classified:
// '"query" in sql.args && !sql.writes'. sql is typed: a misspelt field is
// a load error.
//
// Globs follow path.Match ('*' does not cross '/'), except that a lone "*"
// matches anything.
//
// Precedence. deny > approve > confirm > allow: among the rules that apply, the
// strongest effect wins and ties go to the first rule in the file. When no rule
// applies, the defaults for the action's risk class decide (rule
// "default:<risk>"); a risk class missing from defaults is denied.
//
// Fail closed. A condition that cannot be evaluated (a missing argument read as
// args.x, a type mismatch, the cost limit, a cancelled context) makes a deny,
// approve or confirm rule apply and an allow rule not apply: an error never
// grants more than a successful evaluation could. The decision's reason or
// warnings say so.
package policy
