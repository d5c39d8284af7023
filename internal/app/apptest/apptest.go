// Package apptest builds the whole supaops stack for tests, the way the
// commands do (app.Open), on a fresh sandbox and a fresh store: one fixture
// for every package that tests through the pipeline.
package apptest

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/supaops/supaops/internal/app"
	"github.com/supaops/supaops/internal/client"
	"github.com/supaops/supaops/internal/consent"
	"github.com/supaops/supaops/internal/sandbox"
)

// Options tune the stack; the zero value is the shipped default policy on
// a sandbox with a budget no test exhausts.
type Options struct {
	// Policy is the policy's YAML; "" means the shipped default.
	Policy string
	// Budget is the sandbox's requests per minute; 0 means effectively none.
	Budget int
	// RealLimits keeps the client's documented rate limits (tests of the
	// limiter); otherwise they are lifted.
	RealLimits bool
	// Now is the clock of the store's records; nil means time.Now.
	Now func() time.Time
	// SandboxOnNow makes the sandbox keep time by Now too (backups dated,
	// log windows read, operations finished on the test's clock).
	SandboxOnNow bool
	// StoreFile is the store to open; "" means a fresh one. Two stacks on
	// one file are two processes sharing a store (or one restarted).
	StoreFile string
	// OnApprovalRequest is told of new approval requests.
	OnApprovalRequest func(ctx context.Context, a consent.Approval)
	Logger            *zerolog.Logger
}

// spec is the sandbox's parsed spec, shared by every stack of a test
// binary: parsing it is the slowest part of starting one.
var spec = sync.OnceValues(sandbox.LoadSpec)

// New builds a stack on a fresh sandbox and a store in t's temp dir.
func New(t testing.TB, opts Options) *app.App {
	t.Helper()
	sp, err := spec()
	if err != nil {
		t.Fatal(err)
	}
	budget := opts.Budget
	if budget == 0 {
		budget = 1 << 20
	}
	storeFile := opts.StoreFile
	if storeFile == "" {
		storeFile = filepath.Join(t.TempDir(), "supaops.db")
	}
	o := app.Options{
		StoreFile: storeFile, API: true, Sandbox: true,
		SandboxOptions:    sandbox.Options{Spec: sp, Budget: budget},
		OnApprovalRequest: opts.OnApprovalRequest, Now: opts.Now, Logger: zerolog.Nop(),
	}
	if opts.Logger != nil {
		o.Logger = *opts.Logger
	}
	if opts.SandboxOnNow {
		o.SandboxOptions.Now = opts.Now
	}
	if !opts.RealLimits {
		o.Limits = client.Limits{Global: client.Budget{Requests: 1 << 20, Window: time.Minute}, Endpoints: []client.EndpointLimit{}}
	}
	if opts.Policy != "" {
		o.PolicyFile = filepath.Join(t.TempDir(), "policy.yaml")
		if err := os.WriteFile(o.PolicyFile, []byte(opts.Policy), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	a, err := app.Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
