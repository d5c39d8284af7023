// Package app builds the one supaops stack every surface stands on — the
// registry, the Management API client (or the sandbox), the store with its
// audit log and consent records, the policy, the authoriser, the resolver
// and the pipeline — from options. Commands read flags and the environment
// into Options and call Open; tests build the same stack the same way.
package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/supaops/supaops/internal/action"
	"github.com/supaops/supaops/internal/audit"
	"github.com/supaops/supaops/internal/authz"
	"github.com/supaops/supaops/internal/bindings"
	"github.com/supaops/supaops/internal/client"
	"github.com/supaops/supaops/internal/composite"
	"github.com/supaops/supaops/internal/consent"
	"github.com/supaops/supaops/internal/health"
	"github.com/supaops/supaops/internal/jobstore"
	"github.com/supaops/supaops/internal/metrics"
	"github.com/supaops/supaops/internal/once"
	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/policy"
	"github.com/supaops/supaops/internal/resolve"
	"github.com/supaops/supaops/internal/sandbox"
	"github.com/supaops/supaops/internal/store"
	"github.com/supaops/supaops/internal/tools"
	"github.com/supaops/supaops/policies"
)

// SandboxToken is what the stack presents to its own in-process sandbox.
const SandboxToken = "sandbox-token"

// sandboxURL is the sandbox's base URL: never resolved, the sandbox's
// RoundTripper answers every request.
const sandboxURL = "http://sandbox.supaops.invalid"

// localOnlyURL is the API's base URL in a local-only stack: never reached.
const localOnlyURL = "http://local-only.supaops.invalid"

// refuseAPI is the transport of a local-only stack.
type refuseAPI struct{}

func (refuseAPI) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("this command manages supaops's own state and does not call the Management API")
}

// Options choose what Open builds. Zero values mean: the shipped default
// policy, no store, no API.
type Options struct {
	// PolicyFile is the policy to load; "" means the shipped default.
	PolicyFile string
	// WatchPolicy keeps the policy file loaded: see App.WatchPolicy.
	WatchPolicy bool
	// DeferPolicy lets Open return before the policy is compiled
	// (compiling CEL conditions is the slowest part of a start). A policy
	// file compiles on another goroutine, and Ready says whether it loaded;
	// the shipped default, which always loads (its tests hold it to that),
	// compiles on the first decision. Every decision waits for the policy.
	// If it does not load, every decision is a denial and the caller must
	// stop with Ready's error (an MCP server answers initialize and
	// tools/list meanwhile, and exits).
	DeferPolicy bool
	// StoreFile is the store (audit log, consent); "" opens none, and then
	// no pipeline is built: every call must be recorded.
	StoreFile string
	// API builds the Management API client and the pipeline.
	API bool
	// Sandbox calls an in-process simulation of the API instead of the real
	// one (no token needed).
	Sandbox bool
	// LocalOnly builds the pipeline for supaops's own actions (the jobs')
	// only: no token is read, and a Management API call is refused before
	// it is sent. For commands that manage jobs without calling the API.
	LocalOnly bool
	// SandboxOptions tune that simulation (tests use a shared spec and a
	// large budget).
	SandboxOptions sandbox.Options
	// LazySandbox builds the sandbox on its first request rather than in
	// Open: loading the spec and its validator is most of a start (about
	// 100 ms), and a server that is only started and listed never needs
	// it. App.Sandbox is then nil.
	LazySandbox bool
	// APIURL is the API's base URL; "" means the real API.
	APIURL string
	// Token is the access token for the real API.
	Token string
	// Client overrides the API client's limits and retry policy. A
	// Limits.Global given is a ceiling on the budget the API advertises
	// (RateLimitFlag, RateLimitEnv); zero follows the API.
	Limits client.Limits
	Retry  client.RetryPolicy
	// UserAgent names supaops to the API, e.g. "supaops/1.2.3".
	UserAgent string
	// OnApprovalRequest is told of every new approval request (Slack posts it).
	OnApprovalRequest func(ctx context.Context, a consent.Approval)
	// Metrics, when given, watches the client, the pipeline and the audit
	// log (and the jobs and the Slack bot built on the App).
	Metrics *metrics.Metrics
	// Now is the clock (tests); nil means time.Now.
	Now    func() time.Time
	Logger zerolog.Logger
}

// RateLimitEnv names the environment variable that sets the global rate
// limit, in requests per minute, when no flag does.
const RateLimitEnv = "SUPAOPS_RATE_LIMIT"

// RateLimitFlag defines --rate-limit N (requests per minute) on fs, setting
// *dst: a ceiling for accounts whose limit is not the documented one.
// Malformed values are refused by fs.Parse, naming the flag.
func RateLimitFlag(fs *flag.FlagSet, dst *client.Budget) {
	fs.Func("rate-limit", "at most `N` Management API requests per minute (default: "+RateLimitEnv+
		", else the limit the API advertises, from the documented 120)", func(s string) error {
		b, err := client.ParseRateLimit(s)
		if err != nil {
			return err
		}
		*dst = b
		return nil
	})
}

// Env fills what the options leave empty from the environment:
// SUPAOPS_POLICY, SUPAOPS_STORE (else the default path, when withStore),
// SUPAOPS_RATE_LIMIT when the API is called, SUPABASE_API_URL, and the
// access token from SUPABASE_ACCESS_TOKEN or SUPABASE_ACCESS_TOKEN_FILE
// when the real API is used.
func (o Options) Env(getenv func(string) string, withStore bool) (Options, error) {
	if o.PolicyFile == "" {
		o.PolicyFile = strings.TrimSpace(getenv("SUPAOPS_POLICY"))
	}
	if withStore && o.StoreFile == "" {
		path, err := store.DefaultPath(getenv)
		if err != nil {
			return Options{}, err
		}
		o.StoreFile = path
	}
	if s := getenv(RateLimitEnv); o.API && !o.LocalOnly && o.Limits.Global == (client.Budget{}) && strings.TrimSpace(s) != "" {
		b, err := client.ParseRateLimit(s)
		if err != nil {
			return Options{}, fmt.Errorf("%s=%q: %w", RateLimitEnv, s, err)
		}
		o.Limits.Global = b
	}
	if o.API && !o.Sandbox && !o.LocalOnly {
		if o.APIURL == "" {
			o.APIURL = strings.TrimSpace(getenv("SUPABASE_API_URL"))
		}
		if o.Token == "" {
			tok, err := client.TokenFromEnv(getenv)
			if err != nil {
				return Options{}, err
			}
			o.Token = tok
		}
	}
	return o, nil
}

// App is the stack. Fields are nil when the options did not ask for them.
type App struct {
	Registry *tools.Registry
	Store    *store.Store
	Audit    *audit.Log
	Consent  *consent.Manager
	Authz    *authz.Authorizer
	API      *client.Caller
	Sandbox  *sandbox.Sandbox
	Resolver *resolve.Resolver
	Pipeline *pipeline.Pipeline
	// Bindings keeps scopes bound to places (Slack channels); Once
	// remembers requests already taken (retries, redeliveries).
	Bindings *bindings.Service
	Once     *once.Keeper
	// Jobs keeps the scheduled jobs (nil without a store).
	Jobs *jobstore.Store
	// Metrics is Options.Metrics: nil when none were asked for.
	Metrics *metrics.Metrics

	// policy compiles the policy once: in Open, on another goroutine or on
	// first use (Options.DeferPolicy).
	policy func() loadedPolicy
	// policyLoading is closed when a policy compiling in the background
	// is in; nil when nothing compiles in the background.
	policyLoading chan struct{}
	// watchesFile: a policy file is kept loaded (WatchPolicy).
	watchesFile bool
	log         zerolog.Logger
}

// Open builds the stack.
func Open(ctx context.Context, opts Options) (*App, error) {
	if opts.Sandbox && opts.APIURL != "" {
		return nil, errors.New("the sandbox and an API URL exclude each other")
	}
	if opts.LocalOnly && (opts.Sandbox || opts.APIURL != "") {
		return nil, errors.New("a local-only stack calls no API: no sandbox nor API URL")
	}
	// The API's actions and the composites made of them.
	reg, err := composite.Load()
	if err != nil {
		return nil, err
	}
	a := &App{log: opts.Logger, watchesFile: opts.WatchPolicy && opts.PolicyFile != "", Metrics: opts.Metrics}
	// The store opens first: the jobs' actions keep it, and the policy must
	// know every action it may name.
	if opts.StoreFile != "" {
		if a.Store, err = store.Open(ctx, opts.StoreFile, store.Options{Logger: opts.Logger}); err != nil {
			return nil, err
		}
		a.Jobs = jobstore.New(a.Store, opts.Now)
	}
	jobActions, err := jobstore.Actions(a.Jobs, func(name string) bool { _, found := reg.Find(name); return found })
	if err != nil {
		return nil, err
	}
	if a.Registry, err = reg.With(jobActions...); err != nil {
		return nil, err
	}
	loadOpts := policy.LoadOptions{Actions: Descriptors(a.Registry)}
	a.policy = sync.OnceValue(func() loadedPolicy { return loadPolicy(opts, loadOpts) })
	switch {
	case !opts.DeferPolicy:
		if err := a.policy().err; err != nil {
			return nil, err
		}
	case opts.PolicyFile != "":
		a.policyLoading = make(chan struct{})
		go func() {
			defer close(a.policyLoading)
			a.policy()
		}()
	}
	if a.Store != nil {
		if err := a.openStore(opts); err != nil {
			return nil, err
		}
	}
	if opts.API {
		if a.Store == nil {
			// Fail closed: no call without an audit log to record it.
			return nil, errors.New("calling the API needs a store for the audit log")
		}
		if err := a.openAPI(opts); err != nil {
			return nil, err
		}
	}
	return a, nil
}

func (a *App) openStore(opts Options) error {
	var err error
	a.Audit = audit.New(a.Store, opts.Now)
	if opts.Metrics != nil {
		a.Audit = a.Audit.WithObserver(opts.Metrics)
	}
	a.Consent = consent.New(a.Store, opts.Now, authz.VoteRecorder(a.Audit))
	a.Authz, err = authz.New(authz.Config{
		Policy: a.Policy, Consent: a.Consent, Actions: a.findAction, Audit: a.Audit,
		OnApprovalRequest: opts.OnApprovalRequest, Logger: opts.Logger,
	})
	if err != nil {
		return err
	}
	a.Bindings = bindings.New(a.Store, a.Authz, a.Audit, opts.Now)
	a.Once = once.New(a.Store, opts.Now)
	return nil
}

// findAction finds an action the policy decides on: a registry action, or
// one of supaops's own (binding a channel).
func (a *App) findAction(name string) (*action.Action, bool) {
	if act, ok := a.Registry.Find(name); ok {
		return act, true
	}
	for _, act := range bindings.Actions() {
		if act.Name == name {
			return act, true
		}
	}
	return nil, false
}

func (a *App) openAPI(opts Options) error {
	cfg := client.Config{
		BaseURL: opts.APIURL, Token: opts.Token, UserAgent: opts.UserAgent,
		Limits: opts.Limits, Retry: opts.Retry, Logger: opts.Logger,
	}
	var observer pipeline.Observer
	if opts.Metrics != nil {
		cfg.Observer, observer = opts.Metrics, opts.Metrics
	}
	if opts.LocalOnly {
		cfg.BaseURL, cfg.Transport, cfg.Token = localOnlyURL, refuseAPI{}, "local-only"
	}
	if opts.Sandbox {
		sbOpts := opts.SandboxOptions
		if sbOpts.Token == "" {
			sbOpts.Token = SandboxToken
		}
		sbOpts.Logger = opts.Logger
		if err := sbOpts.Validate(); err != nil {
			return fmt.Errorf("starting the sandbox: %w", err)
		}
		if opts.LazySandbox {
			cfg.Transport = lazyTransport(func() (http.RoundTripper, error) {
				sb, err := sandbox.New(sbOpts)
				if err != nil {
					return nil, fmt.Errorf("starting the sandbox: %w", err)
				}
				return sb.RoundTripper(), nil
			})
		} else {
			sb, err := sandbox.New(sbOpts)
			if err != nil {
				return fmt.Errorf("starting the sandbox: %w", err)
			}
			a.Sandbox = sb
			cfg.Transport = sb.RoundTripper()
		}
		cfg.BaseURL, cfg.Token = sandboxURL, sbOpts.Token
	}
	var err error
	if a.API, err = client.New(cfg); err != nil {
		return err
	}
	if opts.Metrics != nil {
		opts.Metrics.WatchBudget(a.API.Budget)
	}
	if a.Resolver, err = resolve.New(a.Registry, a.API, resolve.Options{
		// Resolving costs API calls: only when a rule or the scope looks.
		Needed: func(call *pipeline.Call) bool { return call.Scope.Project != "" || a.Policy().UsesTargets() },
		Now:    opts.Now,
	}); err != nil {
		return err
	}
	a.Pipeline, err = pipeline.New(pipeline.Config{
		Registry: a.Registry, API: a.API, Authorizer: a.Authz, Resolver: a.Resolver, Recorder: a.Audit,
		Observer: observer, Previews: composite.Previews(), Logger: opts.Logger, Now: opts.Now,
	})
	return err
}

// lazyTransport builds a transport on the first request (once; a failure
// is every request's error).
func lazyTransport(build func() (http.RoundTripper, error)) http.RoundTripper {
	return lazyRoundTripper(sync.OnceValues(build))
}

type lazyRoundTripper func() (http.RoundTripper, error)

func (get lazyRoundTripper) RoundTrip(r *http.Request) (*http.Response, error) {
	rt, err := get()
	if err != nil {
		if r.Body != nil {
			_ = r.Body.Close() // a RoundTripper closes the body, even on error
		}
		return nil, err
	}
	return rt.RoundTrip(r)
}

// loadedPolicy is a compiled policy, with its watcher when its file is
// watched; or why it did not load, and the refuse-all policy in its place.
type loadedPolicy struct {
	policy  *policy.Policy
	watcher *policy.Watcher
	err     error
}

// loadPolicy compiles the policy: the file, watched (its watcher's first
// load) or not, or the shipped default.
func loadPolicy(opts Options, loadOpts policy.LoadOptions) loadedPolicy {
	var l loadedPolicy
	switch {
	case opts.WatchPolicy && opts.PolicyFile != "":
		if l.watcher, l.err = policy.NewWatcher(opts.PolicyFile, loadOpts, opts.Logger); l.err == nil {
			l.policy = l.watcher.Current()
		}
	case opts.PolicyFile != "":
		l.policy, l.err = policy.LoadFile(opts.PolicyFile, loadOpts)
	default:
		l.policy, l.err = policies.Default(loadOpts)
	}
	if l.err != nil {
		l.err = fmt.Errorf("policy %s: %w", policyName(opts.PolicyFile), l.err)
		opts.Logger.Error().Err(l.err).Msg("the policy did not load: every call is refused")
		return loadedPolicy{policy: refuseAll(loadOpts), err: l.err}
	}
	return l
}

// refuseAllPolicy denies every call: what decides when the policy did not
// load in the background, until the process stops.
const refuseAllPolicy = `version: 1
defaults: {read: deny, write: deny, destructive: deny}
rules:
  - name: policy-not-loaded
    effect: deny
    actions: ["*"]
    reason: the policy did not load, so nothing is allowed; supaops is stopping (its log says why)
`

func refuseAll(loadOpts policy.LoadOptions) *policy.Policy {
	p, err := policy.Parse("builtin:refuse-all", []byte(refuseAllPolicy), loadOpts)
	if err != nil {
		panic(fmt.Sprintf("the built-in refuse-all policy: %v", err)) // a constant: tests load it
	}
	return p
}

// Ready waits for a policy file compiling in the background (DeferPolicy)
// and returns why it did not load, if it did not. It returns nil at once
// when Open compiled the policy, or when the shipped default is left for
// the first decision.
func (a *App) Ready(ctx context.Context) error {
	if a.policyLoading == nil {
		return nil
	}
	select {
	case <-a.policyLoading:
		return a.policy().err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Policy is the policy in force: the watcher's latest good one, or the one
// loaded at start. A policy not compiled yet is waited for, or compiled.
func (a *App) Policy() *policy.Policy {
	l := a.policy()
	if l.watcher != nil {
		return l.watcher.Current()
	}
	return l.policy
}

// WatchPolicy reloads the policy file when it changes or a value arrives
// on reload (SIGHUP), keeping the last good one, until ctx ends. It does
// nothing for the shipped default, without WatchPolicy, or when the policy
// did not load.
func (a *App) WatchPolicy(ctx context.Context, reload <-chan os.Signal) {
	if !a.watchesFile || a.Ready(ctx) != nil {
		return
	}
	if w := a.policy().watcher; w != nil {
		w.Run(ctx, 2*time.Second, reload)
	}
}

// Descriptors lists the actions a policy may name: the registry's, and
// supaops's own (binding a channel to a project).
func Descriptors(reg *tools.Registry) []*action.Action {
	list := reg.Actions()
	out := make([]*action.Action, 0, len(list)+2)
	for _, a := range list {
		out = append(out, &a.Action)
	}
	return append(out, bindings.Actions()...)
}

func policyName(file string) string {
	if file == "" {
		return "default"
	}
	return file
}

// ReadyChecks are the stack's own readiness checks: "store" (the file
// opens and reads, the lock waited for at most the check's timeout) and
// "policy" (loaded, not still compiling, not failed). Services add theirs
// (Slack, the scheduler).
func (a *App) ReadyChecks() []health.Check {
	var checks []health.Check
	if a.Store != nil {
		checks = append(checks, health.Check{Name: "store", Run: func(ctx context.Context) error {
			timeout := health.DefaultTimeout
			if d, ok := ctx.Deadline(); ok {
				// Leave the check time to say the store is busy.
				timeout = time.Until(d) * 9 / 10
			}
			return a.Store.Ping(ctx, timeout)
		}})
	}
	return append(checks, health.Check{Name: "policy", Run: func(context.Context) error {
		if a.policyLoading != nil {
			select {
			case <-a.policyLoading:
			default:
				return errors.New("still compiling")
			}
		}
		if a.policy == nil {
			return errors.New("not loaded")
		}
		return a.policy().err
	}})
}
