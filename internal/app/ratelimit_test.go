package app_test

import (
	"flag"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/supaops/supaops/internal/app"
	"github.com/supaops/supaops/internal/client"
	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/principal"
	"github.com/supaops/supaops/internal/sandbox"
)

var sharedSpec = sync.OnceValues(sandbox.LoadSpec)

// --rate-limit, else SUPAOPS_RATE_LIMIT, caps the global budget at N per
// minute; without either it follows the limit the API advertises. Bad
// values are refused, naming the flag or the variable and what is allowed.
func TestRateLimitSetting(t *testing.T) {
	const allowed = "want a whole number of requests per minute from 1 to 1000000"
	tests := []struct {
		name       string
		flag       []string // --rate-limit's value, if given
		env        string   // SUPAOPS_RATE_LIMIT
		localOnly  bool
		advertised int    // the sandbox's budget
		want       int    // the global budget after a call
		wantErr    string // from parsing the flag, or Env
	}{
		{name: "neither: the API's limit is followed", advertised: 300, want: 300},
		{name: "the variable is a ceiling", env: "40", advertised: 300, want: 40},
		{name: "the flag wins over the variable", flag: []string{"25"}, env: "40", advertised: 300, want: 25},
		{name: "a lower advertised limit still lowers it", env: "40", advertised: 10, want: 10},
		{name: "the flag wins over a bad variable", flag: []string{"25"}, env: "lots", advertised: 300, want: 25},
		{name: "a bad variable", env: "0", wantErr: `SUPAOPS_RATE_LIMIT="0": ` + allowed},
		{name: "a bad variable, spaced", env: " 2.5 ", wantErr: `SUPAOPS_RATE_LIMIT=" 2.5 ": ` + allowed},
		{name: "a bad flag", flag: []string{"-3"}, wantErr: `invalid value "-3" for flag -rate-limit: ` + allowed},
		{name: "a flag too large", flag: []string{"1000001"}, wantErr: `-rate-limit: ` + allowed},
		{name: "a stack that calls no API reads no variable", env: "0", localOnly: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec, err := sharedSpec()
			if err != nil {
				t.Fatal(err)
			}
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			var rateLimit client.Budget
			app.RateLimitFlag(fs, &rateLimit)
			var args []string
			for _, v := range tt.flag {
				args = append(args, "--rate-limit", v)
			}
			err = fs.Parse(args)
			opts := app.Options{
				API: true, Sandbox: !tt.localOnly, LocalOnly: tt.localOnly,
				StoreFile:      filepath.Join(t.TempDir(), "s.db"),
				SandboxOptions: sandbox.Options{Spec: spec, Budget: tt.advertised},
				Limits:         client.Limits{Global: rateLimit},
			}
			if err == nil {
				opts, err = opts.Env(func(k string) string {
					if k == app.RateLimitEnv {
						return tt.env
					}
					return ""
				}, false)
			}
			if tt.wantErr != "" || err != nil {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || tt.wantErr == "" {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			a, err := app.Open(t.Context(), opts)
			if err != nil {
				t.Fatal(err)
			}
			if tt.localOnly {
				if opts.Limits.Global != (client.Budget{}) {
					t.Errorf("a local-only stack read %s: %+v", app.RateLimitEnv, opts.Limits.Global)
				}
				return
			}
			if _, err := a.Pipeline.Call(t.Context(), pipeline.Request{
				Principal: principal.CLILocal, Surface: principal.SurfaceCLI, Action: "projects_list",
			}); err != nil {
				t.Fatal(err)
			}
			if got := a.API.Budget().Global; got.Allowed != tt.want {
				t.Errorf("the global budget is %d per %s, want %d", got.Allowed, got.Window, tt.want)
			}
		})
	}
}
