// Package pipeline is the one path every call takes, from any surface (MCP,
// Slack, jobs, the CLI): validate the arguments, authorise, call the API,
// redact secrets, record. Surfaces adapt requests and results; they never call
// the API another way.
package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/supaops/supaops/internal/action"
	"github.com/supaops/supaops/internal/client"
	"github.com/supaops/supaops/internal/principal"
	"github.com/supaops/supaops/internal/redact"
	"github.com/supaops/supaops/internal/reqid"
	"github.com/supaops/supaops/internal/scope"
	"github.com/supaops/supaops/internal/sqlkind"
	"github.com/supaops/supaops/internal/tools"
)

// Request is one call as a surface receives it.
type Request struct {
	Action string
	Args   map[string]any
	// Principal says who asks, e.g. "mcp:local", "slack:user:U123", "job:nightly-backup".
	Principal string
	// Identities are further principals the caller speaks as: a Slack user's
	// user groups and the channel the command came from.
	Identities []string
	// Surface is where the request came in: "mcp", "slack", "job", "cli".
	Surface string
	// Scope narrows what the call may reach whatever the policy says: a
	// read-only server, a server or Slack channel bound to one project.
	Scope scope.Scope
	// Confirmation carries the token a caller got from an earlier confirm or
	// approve decision, to show the call was consented to.
	Confirmation string

	// within is set on a composite action's inner calls, by the pipeline
	// only: no surface can claim a call is covered by a consent.
	within *Within
}

// Within says which composite action makes a call, and whether its caller
// consented to that composite (confirmed it, or had it approved).
type Within struct {
	Composite string
	Consented bool
}

// Call is what the authoriser decides on: the request after validation.
type Call struct {
	Action     *tools.Action
	Args       map[string]any // validated and normalized; not redacted (conditions may read them)
	Principal  string
	Identities []string
	Surface    string
	Scope      scope.Scope
	// Project is the project ref the call is about: the project a named
	// branch belongs to, once resolved.
	Project string
	// Branch is the branch the call is about (its id, or its own project
	// ref), if any.
	Branch string
	// Organization is the slug of the organization the call is about, named
	// or resolved from the project.
	Organization string
	// OrganizationID is an organization named by id, to resolve to a slug.
	OrganizationID string
	// SQL is what the action's SQL-bearing arguments would run, by
	// statement kind; nil when the action carries no SQL.
	SQL          *sqlkind.Summary
	Confirmation string
	// Within is set when a composite action makes the call.
	Within *Within
	// Preview, when set, says in a line what the call will cost or do
	// (Config.Previews); an authoriser calls it only when it asks someone
	// to consent, so that they decide knowing it.
	Preview func(ctx context.Context) (string, error)
}

// Preview is what a person asked to consent to an action is shown first:
// another action (a read, such as cost_preview) run through the pipeline as
// the same caller, and its result in a line.
type Preview struct {
	Action string
	// Args are the preview's arguments, from the call's.
	Args func(callArgs map[string]any) map[string]any
	// Line words the preview's result.
	Line func(result any) string
}

// Authorizer decides whether a call may go ahead.
type Authorizer interface {
	Authorize(ctx context.Context, call Call) (Decision, error)
}

// Resolver works out what a call is about before it is decided on: the
// project of a branch, the organization of a project. It may leave the call
// as it is when nothing needs to know.
type Resolver interface {
	Resolve(ctx context.Context, call *Call) error
}

// Recorder keeps a durable record of every call, whatever its outcome.
type Recorder interface {
	// Record appends rec and returns its sequence number once it is
	// durable.
	Record(ctx context.Context, rec Record) (uint64, error)
}

// Event says what a record is about.
type Event string

const (
	// EventCall is a call decided without reaching the API: refused,
	// invalid, or waiting for consent.
	EventCall Event = "call"
	// EventIntent is written, durably, before a call is sent to the API;
	// the call is not sent unless it could be.
	EventIntent Event = "intent"
	// EventOutcome is what came of a call with an intent.
	EventOutcome Event = "outcome"
	// EventApprove and EventDeny are an approver's votes on an approval request.
	EventApprove Event = "approve"
	EventDeny    Event = "deny"
	// EventPress is a person's press on a surface that is not a vote (a
	// Cancel, a Confirm pressed by someone else), recorded like the rest.
	EventPress Event = "press"
)

// Record is what is kept of one call. Args are redacted.
type Record struct {
	Event Event `json:"event,omitempty"`
	// Intent, on an outcome, is the sequence number of its intent.
	Intent     uint64    `json:"intent,omitempty"`
	Time       time.Time `json:"time"`
	Principal  string    `json:"principal"`
	Identities []string  `json:"identities,omitempty"`
	Surface    string    `json:"surface"`
	Action     string    `json:"action"`
	// Via names the composite action that made this call, if one did.
	Via          string         `json:"via,omitempty"`
	Risk         action.Risk    `json:"risk,omitempty"`
	Project      string         `json:"project,omitempty"`
	Branch       string         `json:"branch,omitempty"`
	Organization string         `json:"organization,omitempty"`
	Args         map[string]any `json:"args,omitempty"`
	// ArgsHash identifies the exact arguments even where Args had to be
	// shortened (see tools.HashArgs).
	ArgsHash  string        `json:"args_hash,omitempty"`
	Decision  Decision      `json:"decision"`
	Status    int           `json:"status,omitempty"`
	Error     string        `json:"error,omitempty"`
	Duration  time.Duration `json:"duration"`
	RequestID string        `json:"request_id,omitempty"`
}

// Doer sends a built request to the Management API (client.Caller does, with
// rate limiting, retries and collapsing).
type Doer interface {
	Do(req *http.Request) (*client.Response, error)
	BaseURL() string
}

// Result is the redacted outcome of a successful call.
type Result struct {
	Action *tools.Action
	Status int
	// Data is the response: a JSON value, a string for text, nil for no body.
	Data        any
	ContentType string
	RequestID   string
	Duration    time.Duration
	Decision    Decision
	// Poll, for a long-running operation, is the call that reports its progress.
	Poll *Request
}

// Bounds on what a request may cost before it is refused.
const (
	// MaxActionName is the longest action name looked up (see
	// tools.MaxNameLength).
	MaxActionName = tools.MaxNameLength
	// DefaultMaxArgsBytes caps a call's arguments as JSON.
	DefaultMaxArgsBytes = 8 << 20
)

// Config holds the pipeline's dependencies.
type Config struct {
	Registry   *tools.Registry
	API        Doer
	Authorizer Authorizer // nil means DefaultAuthorizer
	// Resolver works out the project of a branch and the organization of a
	// project before the authoriser decides; nil leaves calls as named.
	Resolver Resolver
	// Recorder keeps the audit record; nil means records are only logged.
	// With a Recorder, no call reaches the API unless its intent was
	// recorded first.
	Recorder Recorder
	// MaxArgsBytes caps a call's arguments as JSON; 0 means DefaultMaxArgsBytes.
	MaxArgsBytes int
	// Observer is told of every call (metrics); nil means no one is.
	Observer Observer
	// Previews are shown with a confirmation or an approval request, by the
	// action asked for (what a create will cost).
	Previews map[string]Preview
	Logger   zerolog.Logger
	Now      func() time.Time // nil means time.Now
}

// Pipeline runs calls. It is safe for concurrent use.
type Pipeline struct {
	registry   *tools.Registry
	api        Doer
	authorizer Authorizer
	resolver   Resolver
	recorder   Recorder
	maxArgs    int
	observer   Observer
	previews   map[string]Preview
	log        zerolog.Logger
	now        func() time.Time
}

// New checks the configuration and returns a Pipeline.
func New(cfg Config) (*Pipeline, error) {
	if cfg.Registry == nil {
		return nil, errors.New("pipeline: no registry")
	}
	if cfg.API == nil {
		return nil, errors.New("pipeline: no API client")
	}
	if cfg.MaxArgsBytes < 0 {
		return nil, fmt.Errorf("pipeline: MaxArgsBytes %d is negative", cfg.MaxArgsBytes)
	}
	p := &Pipeline{
		registry: cfg.Registry, api: cfg.API, authorizer: cfg.Authorizer, resolver: cfg.Resolver,
		recorder: cfg.Recorder, maxArgs: cfg.MaxArgsBytes, observer: cfg.Observer, previews: cfg.Previews, log: cfg.Logger, now: cfg.Now,
	}
	for name, pv := range p.previews {
		if _, err := p.registry.Lookup(pv.Action); err != nil || pv.Args == nil || pv.Line == nil {
			return nil, fmt.Errorf("pipeline: the preview of %s (%s) is not an action of the registry, or lacks its arguments or its line", name, pv.Action)
		}
	}
	if p.authorizer == nil {
		p.authorizer = DefaultAuthorizer{}
	}
	if p.maxArgs == 0 {
		p.maxArgs = DefaultMaxArgsBytes
	}
	if p.now == nil {
		p.now = time.Now
	}
	return p, nil
}

// Registry is the registry the pipeline calls into.
func (p *Pipeline) Registry() *tools.Registry { return p.registry }

// Call runs one request through validate → scope → resolve → authorise →
// record the intent → call → redact → record the outcome. Errors are typed:
// *tools.UnknownActionError, *tools.InputError, *NotAllowedError,
// *client.APIError, or a wrapped transport error.
func (p *Pipeline) Call(ctx context.Context, req Request) (*Result, error) {
	req.within = nil // only the pipeline's own inner calls are within a composite
	return p.run(ctx, req, false)
}

// run is Call; raw leaves the result unredacted, for a composite action
// that reads it (its own result is redacted).
func (p *Pipeline) run(ctx context.Context, req Request, raw bool) (*Result, error) {
	// Every line this call logs, down to the API client's, carries its id:
	// the surface's (a Slack envelope, a job run) or a new one.
	ctx, _ = reqid.Ensure(ctx)
	start := p.now()
	rec := Record{
		Event: EventCall, Time: start.UTC(), Principal: req.Principal, Identities: req.Identities,
		Surface: req.Surface, Action: boundName(req.Action),
	}
	if req.within != nil {
		rec.Via = req.within.Composite
	}
	st := &callState{rec: &rec, redactor: p.maskToken(redact.Redactor{}), raw: raw}
	res, err := p.call(ctx, req, st)
	rec.Duration = p.now().Sub(start)
	if err != nil {
		rec.Error = st.redactor.Text(err.Error())
		var apiErr *client.APIError
		if errors.As(err, &apiErr) {
			rec.Status, rec.RequestID = apiErr.Status, apiErr.RequestID
		}
	}
	if res != nil {
		res.Duration = rec.Duration
	}
	if st.intent != 0 {
		// The intent holds the arguments; the outcome points at it.
		rec.Event, rec.Intent, rec.Args = EventOutcome, st.intent, nil
	}
	p.record(ctx, rec)
	if p.observer != nil {
		p.observer.ObserveCall(p.stats(rec, err))
	}
	return res, err
}

// callState is what one call builds up on its way through.
type callState struct {
	rec      *Record
	redactor redact.Redactor
	intent   uint64 // the intent's sequence number, once recorded
	raw      bool   // the result is for a composite action: not redacted
}

// sqlRule names why SQL was refused before any policy rule was asked.
func sqlRule(err error) string {
	var tooLarge *sqlkind.TooLargeError
	if errors.As(err, &tooLarge) {
		return "builtin:sql-too-large"
	}
	return "builtin:sql-unparsed"
}

// tokenMasker is an API client that can mask its own access token in a
// redactor without handing the token out (client.Caller).
type tokenMasker interface {
	MaskToken(redact.Redactor) redact.Redactor
}

// maskToken adds the API's access token to r's known values.
func (p *Pipeline) maskToken(r redact.Redactor) redact.Redactor {
	if m, ok := p.api.(tokenMasker); ok {
		return m.MaskToken(r)
	}
	return r
}

// scrubInput masks secret values an input error quotes (a pattern or
// format message repeats the value it refused).
func scrubInput(err error, r redact.Redactor) error {
	var in *tools.InputError
	if !errors.As(err, &in) {
		return err
	}
	for i := range in.Problems {
		in.Problems[i].Problem = r.Text(in.Problems[i].Problem)
	}
	return in
}

// canonical validates and canonicalises the caller's identities.
func canonical(who string, identities []string) (string, []string, error) {
	p, err := principal.Parse(who)
	if err != nil {
		return "", nil, err
	}
	var ids []string
	for _, id := range identities {
		c, err := principal.Parse(id)
		if err != nil {
			return "", nil, fmt.Errorf("further identity: %w", err)
		}
		if c != p && !slices.Contains(ids, c) {
			ids = append(ids, c)
		}
	}
	return p, ids, nil
}

// boundName keeps an absurdly long action name out of records and logs.
func boundName(name string) string {
	if len(name) <= MaxActionName {
		return name
	}
	return fmt.Sprintf("%s…(%d bytes)", strings.ToValidUTF8(name[:MaxActionName], ""), len(name))
}

func (p *Pipeline) call(ctx context.Context, req Request, st *callState) (*Result, error) {
	rec := st.rec
	refuse := func(rule, reason string) Decision {
		rec.Decision = Decision{Effect: Deny, Rule: rule, Reason: reason}
		return rec.Decision
	}
	// One identity, one spelling: policy and consent compare principals as
	// strings, so they are made canonical here, where every call enters.
	who, ids, err := canonical(req.Principal, req.Identities)
	if err != nil {
		d := refuse("builtin:principal", fmt.Sprintf("the caller's identity is not valid: %v", err))
		return nil, &NotAllowedError{Action: rec.Action, Decision: d}
	}
	req.Principal, req.Identities = who, ids
	rec.Principal, rec.Identities = who, ids
	a, err := p.registry.Lookup(req.Action)
	if err != nil {
		refuse("builtin:unknown-action", "no such action")
		return nil, err
	}
	rec.Risk = a.Risk
	// Secrets are masked by field name, and by value wherever they appear:
	// an argument's secret echoed in an error, the access token echoed in a
	// result.
	st.redactor = p.maskToken(redact.New(a.Secrets).WithSecretsOf(req.Args))
	args, err := tools.Normalize(req.Args)
	if err != nil {
		refuse("builtin:input", "arguments are not JSON")
		return nil, &tools.InputError{Action: a.Name, Problems: []tools.FieldProblem{{Problem: err.Error()}}}
	}
	if n := argsSize(args); n > p.maxArgs {
		refuse("builtin:input", "arguments too large")
		return nil, &tools.InputError{Action: a.Name, Problems: []tools.FieldProblem{{
			Problem: fmt.Sprintf("the arguments are %d bytes as JSON; the limit is %d", n, p.maxArgs),
		}}}
	}
	req.Scope.Inject(a, args)
	rec.Args, _ = st.redactor.Value(args).(map[string]any)
	if rec.ArgsHash, err = tools.HashArgs(args); err != nil {
		refuse("builtin:input", "arguments cannot be hashed")
		return nil, &tools.InputError{Action: a.Name, Problems: []tools.FieldProblem{{Problem: err.Error()}}}
	}
	call := newCall(a, args, req)
	call.Preview = p.previewOf(a.Name, args, req)
	rec.Project, rec.Branch, rec.Organization = call.Project, call.Branch, call.Organization
	if err := a.Validate(args); err != nil {
		refuse("builtin:input", "invalid arguments")
		return nil, scrubInput(err, st.redactor)
	}
	if r := req.Scope.CheckAction(a); r != nil {
		return nil, p.notAllowed(call, rec, refuse(r.Rule, r.Reason))
	}
	if len(a.SQL) > 0 {
		// The policy decides on what SQL runs, not on how it is spelt;
		// SQL that cannot be classified is refused (fail closed).
		sum, err := sqlkind.Summarize(ctx, args, a.SQL)
		if err != nil {
			return nil, p.notAllowed(call, rec, refuse(sqlRule(err), st.redactor.Text(err.Error())))
		}
		call.SQL = &sum
	}
	if p.resolver != nil {
		named := call.Branch
		if named == "" {
			named = call.Project
		}
		if err := p.resolver.Resolve(ctx, &call); err != nil {
			d := refuse("builtin:unresolved-target", fmt.Sprintf("%s; the policy or the scope needs to know what the call is about, so it is refused rather than guessed",
				st.redactor.Text(err.Error())))
			return nil, p.notAllowed(call, rec, d)
		}
		rec.Project, rec.Branch, rec.Organization = call.Project, call.Branch, call.Organization
		if r := req.Scope.CheckTarget(call.Project, named); r != nil {
			return nil, p.notAllowed(call, rec, refuse(r.Rule, r.Reason))
		}
	} else if req.Scope.Project != "" && (call.Branch != "" || call.Project != req.Scope.Project) {
		// Without a resolver a branch or another ref cannot be placed.
		d := refuse(scope.RuleProject, fmt.Sprintf("the scope is project %s, and what %s names cannot be checked against it here", req.Scope.Project, a.Name))
		return nil, p.notAllowed(call, rec, d)
	}
	decision, err := p.authorizer.Authorize(ctx, call)
	if err != nil {
		// Fail closed: a policy or consent store that cannot answer lets nothing through.
		d := refuse("builtin:authorizer-error", fmt.Sprintf("the call could not be authorised (%s); once that is fixed, call again", st.redactor.Text(err.Error())))
		return nil, p.notAllowed(call, rec, d)
	}
	rec.Decision = decision
	if decision.Effect != Allow {
		return nil, p.notAllowed(call, rec, decision)
	}
	if err := p.recordIntent(ctx, st); err != nil {
		return nil, p.notAllowed(call, rec, refuse("builtin:audit-unavailable", err.Error()))
	}
	if a.Local() {
		// A local action may want to know who calls (who applied a job).
		lctx := principal.With(ctx, principal.Principal{ID: call.Principal, Identities: call.Identities})
		if a.Composite() {
			lctx = tools.WithCaller(lctx, &innerCaller{p: p, parent: a, req: req, consented: decision.Consented})
		}
		data, err := a.RunLocal(lctx, args)
		if err == nil {
			data, err = jsonValue(data)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", a.Name, err)
		}
		rec.Status = http.StatusOK
		return &Result{Action: a, Status: http.StatusOK, Data: st.redactor.Value(data), ContentType: "application/json", Decision: decision}, nil
	}
	// The client redacts its errors (the API may echo a rejected secret).
	httpReq, err := a.NewRequest(client.WithRedactor(p.callContext(ctx, a), st.redactor), p.api.BaseURL(), args)
	if err != nil {
		return nil, &tools.InputError{Action: a.Name, Problems: []tools.FieldProblem{{Problem: st.redactor.Text(err.Error())}}}
	}
	resp, err := p.api.Do(httpReq)
	if err != nil {
		return nil, explain(a, err)
	}
	rec.Status, rec.RequestID = resp.Status, resp.RequestID
	data, contentType, err := decode(a, resp)
	if err != nil {
		return nil, err
	}
	if !st.raw {
		data = st.redactor.Value(data)
	}
	res := &Result{
		Action: a, Status: resp.Status, Data: data, ContentType: contentType,
		RequestID: resp.RequestID, Decision: decision,
	}
	res.Poll = pollRequest(a, args, data, req)
	return res, nil
}

// previewOf returns the preview of a call to name, if it has one: run
// through the pipeline as the same caller, on the same surface, in the same
// scope, so the policy decides it and the audit log records it too.
func (p *Pipeline) previewOf(name string, args map[string]any, req Request) func(context.Context) (string, error) {
	pv, ok := p.previews[name]
	if !ok {
		return nil
	}
	return func(ctx context.Context) (string, error) {
		res, err := p.run(ctx, Request{
			Action: pv.Action, Args: pv.Args(args), Principal: req.Principal, Identities: req.Identities,
			Surface: req.Surface, Scope: req.Scope,
		}, false)
		if err != nil {
			return "", err
		}
		return pv.Line(res.Data), nil
	}
}

// newCall reads what the arguments name as the call's target.
func newCall(a *tools.Action, args map[string]any, req Request) Call {
	call := Call{
		Action: a, Args: args, Principal: req.Principal, Identities: req.Identities, Surface: req.Surface,
		Scope: req.Scope, Confirmation: req.Confirmation, Within: req.within,
	}
	if t := a.Target; t != nil {
		call.Project = stringArg(args, t.Project)
		call.Branch = stringArg(args, t.Branch)
		call.Organization = stringArg(args, t.Organization)
		call.OrganizationID = stringArg(args, t.OrganizationID)
	}
	return call
}

// recordIntent durably records that the call is about to be sent. Without
// it the call is not sent: a call nobody can account for must not happen.
func (p *Pipeline) recordIntent(ctx context.Context, st *callState) error {
	if p.recorder == nil {
		return nil
	}
	intent := *st.rec
	intent.Event = EventIntent
	seq, err := p.recorder.Record(context.WithoutCancel(ctx), intent)
	if err != nil {
		return fmt.Errorf("the audit log could not record the call, so it was not sent (%s); once the store answers again, call again", st.redactor.Text(err.Error()))
	}
	st.intent = seq
	return nil
}

// notAllowed is the error for a call the scope, the resolver or the
// authoriser did not let through: what was decided, and what the call was,
// redacted, so a surface can show the person deciding on consent exactly
// what they consent to.
func (p *Pipeline) notAllowed(call Call, rec *Record, d Decision) *NotAllowedError {
	return &NotAllowedError{
		Action: call.Action.Name, Risk: call.Action.Risk, Decision: d,
		Project: call.Project, Branch: call.Branch, Organization: call.Organization, Args: rec.Args,
		SQL: call.Action.SQL, Statements: call.SQL,
	}
}

// jsonValue turns a local action's result into plain JSON values (maps,
// slices, json.Number...), what redaction and every surface read.
func jsonValue(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encoding the result: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("encoding the result: %w", err)
	}
	return out, nil
}

// argsSize is the size of the arguments as compact JSON; normalized
// arguments always encode.
func argsSize(args map[string]any) int {
	b, err := json.Marshal(args)
	if err != nil {
		return 0
	}
	return len(b)
}

// callContext marks reads sent as POST (read-only SQL, availability checks) as
// safe to retry: repeating them cannot change anything.
func (p *Pipeline) callContext(ctx context.Context, a *tools.Action) context.Context {
	if a.Risk == action.Read {
		return client.WithRetrySafe(ctx)
	}
	return ctx
}

func (p *Pipeline) record(ctx context.Context, rec Record) {
	if rec.Event == "" {
		rec.Event = EventCall
	}
	ev := p.log.Info()
	if rec.Error != "" {
		ev = p.log.Warn().Str("error", rec.Error)
	}
	ev.Str("req_id", reqid.From(ctx)).Str("action", rec.Action).Str("principal", rec.Principal).Str("surface", rec.Surface).
		Str("project", rec.Project).Str("decision", string(rec.Decision.Effect)).Str("rule", rec.Decision.Rule).
		Int("status", rec.Status).Dur("duration", rec.Duration).Str("request_id", rec.RequestID).Msg("call")
	if p.recorder == nil {
		return
	}
	// The record is written without the caller's cancellation: a call that
	// happened must be recorded even if the caller has gone.
	if _, err := p.recorder.Record(context.WithoutCancel(ctx), rec); err != nil {
		p.log.Error().Err(err).Str("action", rec.Action).Msg("recording the call failed")
	}
}

func stringArg(args map[string]any, name string) string {
	if name == "" {
		return ""
	}
	s, _ := args[name].(string)
	return s
}

// explain adds to a 401 or 403 which OAuth scope and token permissions the
// action needs, so the caller can fix the token instead of guessing.
func explain(a *tools.Action, err error) error {
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) {
		return fmt.Errorf("calling %s: %w", a.Name, err)
	}
	if apiErr.Status == http.StatusUnauthorized || apiErr.Status == http.StatusForbidden {
		apiErr.Scope = a.Scope
		for _, alt := range a.Permissions {
			apiErr.Permissions = append(apiErr.Permissions, joinAll(alt))
		}
	}
	return apiErr
}

func joinAll(perms []string) string {
	out := ""
	for i, p := range perms {
		if i > 0 {
			out += " and "
		}
		out += p
	}
	return out
}
