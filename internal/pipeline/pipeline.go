// Package pipeline is the one path every call takes, from any surface (MCP,
// Slack, jobs, the CLI): validate the arguments, authorise, call the API,
// redact secrets, record. Surfaces adapt requests and results; they never call
// the API another way.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/rs/zerolog"

	"github.com/supaops/supaops/internal/action"
	"github.com/supaops/supaops/internal/client"
	"github.com/supaops/supaops/internal/redact"
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
	// Confirmation carries the token a caller got from an earlier confirm or
	// approve decision, to show the call was consented to.
	Confirmation string
}

// Call is what the authoriser decides on: the request after validation.
type Call struct {
	Action     *tools.Action
	Args       map[string]any // validated and normalized; not redacted (conditions may read them)
	Principal  string
	Identities []string
	Surface    string
	// Project is the project ref the call targets, when it names one.
	Project string
	// Organization is the organization slug the call targets, when it names one.
	Organization string
	// Branch is the branch id or ref the call targets, when it names one.
	Branch       string
	Confirmation string
}

// Authorizer decides whether a call may go ahead.
type Authorizer interface {
	Authorize(ctx context.Context, call Call) (Decision, error)
}

// Recorder keeps a record of every call, whatever its outcome.
type Recorder interface {
	Record(ctx context.Context, rec Record) error
}

// Record is what is kept of one call. Args are redacted.
type Record struct {
	Time      time.Time      `json:"time"`
	Principal string         `json:"principal"`
	Surface   string         `json:"surface"`
	Action    string         `json:"action"`
	Risk      action.Risk    `json:"risk,omitempty"`
	Project   string         `json:"project,omitempty"`
	Args      map[string]any `json:"args,omitempty"`
	Decision  Decision       `json:"decision"`
	Status    int            `json:"status,omitempty"`
	Error     string         `json:"error,omitempty"`
	Duration  time.Duration  `json:"duration"`
	RequestID string         `json:"request_id,omitempty"`
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

// Config holds the pipeline's dependencies.
type Config struct {
	Registry   *tools.Registry
	API        Doer
	Authorizer Authorizer // nil means DefaultAuthorizer
	Recorder   Recorder   // nil means records are only logged
	Logger     zerolog.Logger
	Now        func() time.Time // nil means time.Now
}

// Pipeline runs calls. It is safe for concurrent use.
type Pipeline struct {
	registry   *tools.Registry
	api        Doer
	authorizer Authorizer
	recorder   Recorder
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
	p := &Pipeline{registry: cfg.Registry, api: cfg.API, authorizer: cfg.Authorizer, recorder: cfg.Recorder, log: cfg.Logger, now: cfg.Now}
	if p.authorizer == nil {
		p.authorizer = DefaultAuthorizer{}
	}
	if p.now == nil {
		p.now = time.Now
	}
	return p, nil
}

// Registry is the registry the pipeline calls into.
func (p *Pipeline) Registry() *tools.Registry { return p.registry }

// Call runs one request through validate → authorise → call → redact → record.
// Errors are typed: *tools.UnknownActionError, *tools.InputError,
// *NotAllowedError, *client.APIError, or a wrapped transport error.
func (p *Pipeline) Call(ctx context.Context, req Request) (*Result, error) {
	start := p.now()
	rec := Record{Time: start.UTC(), Principal: req.Principal, Surface: req.Surface, Action: req.Action}
	res, err := p.call(ctx, req, &rec)
	rec.Duration = p.now().Sub(start)
	if err != nil {
		rec.Error = redact.Text(err.Error())
		var apiErr *client.APIError
		if errors.As(err, &apiErr) {
			rec.Status, rec.RequestID = apiErr.Status, apiErr.RequestID
		}
	}
	if res != nil {
		res.Duration = rec.Duration
	}
	p.record(ctx, rec)
	return res, err
}

func (p *Pipeline) call(ctx context.Context, req Request, rec *Record) (*Result, error) {
	a, err := p.registry.Lookup(req.Action)
	if err != nil {
		rec.Decision = Decision{Effect: Deny, Rule: "builtin:unknown-action", Reason: "no such action"}
		return nil, err
	}
	rec.Risk = a.Risk
	redactor := redact.New(a.Secrets)
	args, err := tools.Normalize(req.Args)
	if err != nil {
		rec.Decision = Decision{Effect: Deny, Rule: "builtin:input", Reason: "arguments are not JSON"}
		return nil, &tools.InputError{Action: a.Name, Problems: []tools.FieldProblem{{Problem: err.Error()}}}
	}
	rec.Args, _ = redactor.Value(args).(map[string]any)
	call := Call{
		Action: a, Args: args, Principal: req.Principal, Identities: req.Identities, Surface: req.Surface,
		Project: stringArg(args, "ref"), Organization: stringArg(args, "slug"),
		Branch: stringArg(args, "branch_id_or_ref"), Confirmation: req.Confirmation,
	}
	rec.Project = call.Project
	if err := a.Validate(args); err != nil {
		rec.Decision = Decision{Effect: Deny, Rule: "builtin:input", Reason: "invalid arguments"}
		return nil, err
	}
	decision, err := p.authorizer.Authorize(ctx, call)
	if err != nil {
		rec.Decision = Decision{Effect: Deny, Rule: "builtin:authorizer-error", Reason: err.Error()}
		return nil, fmt.Errorf("authorising %s: %w", a.Name, err)
	}
	rec.Decision = decision
	if decision.Effect != Allow {
		return nil, &NotAllowedError{Action: a.Name, Risk: a.Risk, Decision: decision}
	}
	httpReq, err := a.NewRequest(p.callContext(ctx, a), p.api.BaseURL(), args)
	if err != nil {
		return nil, err
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
	res := &Result{
		Action: a, Status: resp.Status, Data: redactor.Value(data), ContentType: contentType,
		RequestID: resp.RequestID, Decision: decision,
	}
	res.Poll = pollRequest(a, args, data, req)
	return res, nil
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
	ev := p.log.Info()
	if rec.Error != "" {
		ev = p.log.Warn().Str("error", rec.Error)
	}
	ev.Str("action", rec.Action).Str("principal", rec.Principal).Str("surface", rec.Surface).
		Str("project", rec.Project).Str("decision", string(rec.Decision.Effect)).Str("rule", rec.Decision.Rule).
		Int("status", rec.Status).Dur("duration", rec.Duration).Str("request_id", rec.RequestID).Msg("call")
	if p.recorder == nil {
		return
	}
	// The record is written without the caller's cancellation: a call that
	// happened must be recorded even if the caller has gone.
	if err := p.recorder.Record(context.WithoutCancel(ctx), rec); err != nil {
		p.log.Error().Err(err).Str("action", rec.Action).Msg("recording the call failed")
	}
}

func stringArg(args map[string]any, name string) string {
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
