package main

import (
	"context"
	"fmt"

	"github.com/rs/zerolog"

	"github.com/supaops/supaops/internal/action"
	"github.com/supaops/supaops/internal/audit"
	"github.com/supaops/supaops/internal/authz"
	"github.com/supaops/supaops/internal/consent"
	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/policy"
	"github.com/supaops/supaops/internal/store"
	"github.com/supaops/supaops/internal/tools"
	"github.com/supaops/supaops/policies"
)

// app is what the commands share: the registry, the policy in force, and the
// store with its audit log and consent records.
type app struct {
	registry *tools.Registry
	policy   *policy.Policy
	// watcher, for a server with a policy file, reloads it on SIGHUP or when
	// it changes, keeping the last good one.
	watcher *policy.Watcher
	store   *store.Store
	audit   *audit.Log
	consent *consent.Manager
	authz   *authz.Authorizer
}

type appOptions struct {
	policyFile string // "" means SUPAOPS_POLICY, then the embedded default
	storeFile  string // "" means SUPAOPS_STORE, then the default path
	noStore    bool   // for commands that need no store (policy explain)
	watch      bool   // a long-running server: reload the policy file when it changes
}

func openApp(ctx context.Context, opts appOptions, getenv func(string) string, log zerolog.Logger) (*app, error) {
	reg, err := tools.Load()
	if err != nil {
		return nil, err
	}
	pol, err := loadPolicy(reg, opts.policyFile, getenv)
	if err != nil {
		return nil, err
	}
	a := &app{registry: reg, policy: pol}
	if file := policyPath(opts.policyFile, getenv); opts.watch && file != "" {
		if a.watcher, err = policy.NewWatcher(file, policy.LoadOptions{Actions: descriptors(reg)}, log); err != nil {
			return nil, fmt.Errorf("policy %s: %w", file, err)
		}
	}
	if opts.noStore {
		return a, nil
	}
	path := opts.storeFile
	if path == "" {
		if path, err = store.DefaultPath(getenv); err != nil {
			return nil, err
		}
	}
	if a.store, err = store.Open(ctx, path, store.Options{}); err != nil {
		return nil, err
	}
	a.audit = audit.New(a.store, nil)
	a.consent = consent.New(a.store, nil)
	if a.authz, err = a.newAuthorizer(nil, log); err != nil {
		return nil, err
	}
	return a, nil
}

// newAuthorizer builds the authoriser; with an API it can resolve a project's
// organization for org: rules.
func (a *app) newAuthorizer(api pipeline.Doer, log zerolog.Logger) (*authz.Authorizer, error) {
	cfg := authz.Config{
		Policy:  a.currentPolicy,
		Consent: a.consent,
		Actions: a.registry.Find,
		Logger:  log,
	}
	if api != nil {
		orgs, err := authz.NewProjectOrgs(a.registry, api, 0)
		if err != nil {
			return nil, err
		}
		cfg.Orgs = orgs
	}
	return authz.New(cfg)
}

// currentPolicy is the policy in force: the watcher's latest good one, or the
// one loaded at start.
func (a *app) currentPolicy() *policy.Policy {
	if a.watcher != nil {
		return a.watcher.Current()
	}
	return a.policy
}

func policyPath(flagValue string, getenv func(string) string) string {
	if flagValue != "" {
		return flagValue
	}
	return getenv("SUPAOPS_POLICY")
}

// loadPolicy reads the policy file named by the flag or SUPAOPS_POLICY, or
// the shipped default when neither names one.
func loadPolicy(reg *tools.Registry, file string, getenv func(string) string) (*policy.Policy, error) {
	opts := policy.LoadOptions{Actions: descriptors(reg)}
	file = policyPath(file, getenv)
	if file == "" {
		return policies.Default(opts)
	}
	p, err := policy.LoadFile(file, opts)
	if err != nil {
		return nil, fmt.Errorf("policy %s: %w", file, err)
	}
	return p, nil
}

func descriptors(reg *tools.Registry) []*action.Action {
	list := reg.Actions()
	out := make([]*action.Action, len(list))
	for i, a := range list {
		out[i] = &a.Action
	}
	return out
}
