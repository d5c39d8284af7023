// Package action describes one Management API operation as supaops exposes it:
// its name, toolset, risk, scopes, arguments and where each one goes on the wire,
// its schemas and the fields to redact. It is pure data, shared by the generator
// that writes the registry and by everything that reads it.
package action

import (
	"encoding/json"
	"fmt"
)

// Risk classes an action by what calling it can do.
type Risk string

const (
	// Read changes nothing.
	Read Risk = "read"
	// Write changes state in a way another action can undo, without interrupting service.
	Write Risk = "write"
	// Destructive deletes or overwrites what cannot be restored through the API,
	// interrupts service, or changes credentials that clients depend on.
	Destructive Risk = "destructive"
)

// Risks lists every risk class from the least to the most dangerous.
func Risks() []Risk { return []Risk{Read, Write, Destructive} }

// ParseRisk checks s names a risk class.
func ParseRisk(s string) (Risk, error) {
	for _, r := range Risks() {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("unknown risk %q: allowed are read, write, destructive", s)
}

// Location says where an argument travels in the HTTP request.
type Location string

const (
	InPath   Location = "path"
	InQuery  Location = "query"
	InHeader Location = "header"
	// InBodyField is one top-level property of an object body, offered as its own argument.
	InBodyField Location = "body_field"
	// InBody is the whole body (arrays, and bodies whose fields clash with parameters).
	InBody Location = "body"
	// InLocal is an argument of an action supaops runs itself.
	InLocal Location = "local"
)

// Param is one argument of an action.
type Param struct {
	// Name is the argument's name in the input schema.
	Name string `json:"name"`
	// Wire is the name on the wire (a header name, a query key, a body field).
	Wire     string   `json:"wire"`
	In       Location `json:"in"`
	Required bool     `json:"required,omitempty"`
}

// Body describes the request body.
type Body struct {
	ContentType string `json:"content_type"`
	Required    bool   `json:"required,omitempty"`
}

// Poll says how to follow a long-running operation to its end.
type Poll struct {
	// Action is the read action that reports progress.
	Action string `json:"action"`
	// Args maps the poll action's arguments to "in.<argument>" of the original call
	// or "out.<field>" of its result.
	Args map[string]string `json:"args,omitempty"`
	// Field is a dotted path in the poll action's result; Done and Failed are its
	// terminal values. An empty Field means progress can be read there but has no
	// single terminal value.
	Field  string   `json:"field,omitempty"`
	Done   []string `json:"done,omitempty"`
	Failed []string `json:"failed,omitempty"`
}

// Action is one operation of the Management API as a typed, named action.
type Action struct {
	Name        string `json:"name"`
	OperationID string `json:"operation_id"`
	Method      string `json:"method"`
	Path        string `json:"path"`
	Toolset     string `json:"toolset"`
	Risk        Risk   `json:"risk"`
	Summary     string `json:"summary"`
	Description string `json:"description,omitempty"`
	// Scope is the OAuth scope the operation needs (x-oauth-scope), if the spec names one.
	Scope string `json:"scope,omitempty"`
	// Permissions lists alternatives; each alternative is a set of fine-grained
	// token permissions that must all be held.
	Permissions [][]string `json:"permissions,omitempty"`
	Params      []Param    `json:"params,omitempty"`
	Body        *Body      `json:"body,omitempty"`
	// InputSchema is a self-contained JSON Schema (no $ref) of the arguments object.
	InputSchema json.RawMessage `json:"input_schema"`
	// OutputSchema is the JSON Schema of a successful result, when the spec gives one.
	OutputSchema json.RawMessage `json:"output_schema,omitempty"`
	// OutputContentType is the media type of a successful response ("" for none).
	OutputContentType string `json:"output_content_type,omitempty"`
	// Secrets are field names whose values are redacted in results, arguments,
	// logs and audit records.
	Secrets []string `json:"secrets,omitempty"`
	Poll    *Poll    `json:"poll,omitempty"`
	// Target names the arguments that say which project, branch or
	// organization a call is about, so the policy can resolve and match them.
	Target *Target `json:"target,omitempty"`
	// SQL lists the arguments that carry PostgreSQL text; the policy sees
	// their statement kinds.
	SQL []string `json:"sql,omitempty"`
	// Untrusted marks results that carry data the project's users wrote
	// (rows, log lines, source): shown inside an untrusted-data boundary.
	Untrusted bool `json:"untrusted,omitempty"`
	// Narrow says how to ask for less when a result is cut; empty means it
	// is worked out from the paging arguments.
	Narrow     string `json:"narrow,omitempty"`
	Deprecated bool   `json:"deprecated,omitempty"`
	Beta       bool   `json:"beta,omitempty"`
	Internal   bool   `json:"internal,omitempty"`
	Note       string `json:"note,omitempty"`
}

// Target names the arguments of an action that identify what it acts on.
// Each field is an argument name, or empty.
type Target struct {
	// Project is the argument holding a project ref (a branch's own project
	// ref too: branches are projects).
	Project string `json:"project,omitempty"`
	// Branch is the argument holding a branch id or a branch's project ref.
	Branch string `json:"branch,omitempty"`
	// Organization is the argument holding an organization slug.
	Organization string `json:"organization,omitempty"`
	// OrganizationID is the argument holding an organization id (deprecated
	// by the API in favour of the slug, still accepted).
	OrganizationID string `json:"organization_id,omitempty"`
}

// Param returns the argument called name, or false.
func (a *Action) Param(name string) (Param, bool) {
	for _, p := range a.Params {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

// ArgumentNames lists the names of every argument the action takes.
func (a *Action) ArgumentNames() []string {
	names := make([]string, 0, len(a.Params))
	for _, p := range a.Params {
		names = append(names, p.Name)
	}
	return names
}

// Mutates reports whether the action can change anything.
func (a *Action) Mutates() bool { return a.Risk != Read }
