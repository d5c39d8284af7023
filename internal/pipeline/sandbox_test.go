package pipeline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/supaops/supaops/internal/action"
	"github.com/supaops/supaops/internal/client"
	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/redact"
	"github.com/supaops/supaops/internal/sandbox"
	"github.com/supaops/supaops/internal/tools"
)

const sandboxToken = "sandbox-test-token"

// env is one fresh sandbox with the whole pipeline in front of it.
type env struct {
	sb       *sandbox.Sandbox
	pipeline *pipeline.Pipeline
	records  *records
}

type records struct {
	mu   sync.Mutex
	list []pipeline.Record
}

func (r *records) Record(_ context.Context, rec pipeline.Record) (uint64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.list = append(r.list, rec)
	return uint64(len(r.list)), nil
}

// lastIntent is the record of the last call sent, with its arguments.
func (r *records) lastIntent() pipeline.Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.list) - 1; i >= 0; i-- {
		if r.list[i].Event == pipeline.EventIntent {
			return r.list[i]
		}
	}
	return pipeline.Record{}
}

var shared struct {
	once sync.Once
	spec *sandbox.Spec
	reg  *tools.Registry
	err  error
}

func newEnv(t testing.TB, auth pipeline.Authorizer) *env {
	t.Helper()
	shared.once.Do(func() {
		if shared.spec, shared.err = sandbox.LoadSpec(); shared.err != nil {
			return
		}
		shared.reg, shared.err = tools.Load()
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	sb, err := sandbox.New(sandbox.Options{Spec: shared.spec, Token: sandboxToken, Budget: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	api, err := client.New(client.Config{
		BaseURL: "http://sandbox.test", Token: sandboxToken, Transport: sb.RoundTripper(),
		Limits: client.Limits{Global: client.Budget{Requests: 1 << 20, Window: time.Minute}, Endpoints: []client.EndpointLimit{}},
	})
	if err != nil {
		t.Fatal(err)
	}
	rec := &records{}
	p, err := pipeline.New(pipeline.Config{Registry: shared.reg, API: api, Authorizer: auth, Recorder: rec})
	if err != nil {
		t.Fatal(err)
	}
	return &env{sb: sb, pipeline: p, records: rec}
}

// knownArgs maps argument names to ids that exist in the seeded sandbox, so a
// call finds what it names. Which id an `id` means depends on the path.
func knownArgs(a *tools.Action, seed sandbox.SeedInfo) map[string]any {
	known := map[string]any{
		"ref":              seed.ProjectRef,
		"slug":             seed.OrgSlug,
		"branch_id_or_ref": seed.PreviewBranchRef,
		"function_slug":    seed.FunctionSlugs[0],
		"provider_id":      seed.SSOProviderIDs[0],
		"tpa_id":           seed.ThirdPartyAuthIDs[0],
		"version":          seed.MigrationVersions[0],
		"user_id":          seed.UserID,
	}
	switch {
	case strings.Contains(a.Path, "/api-keys/{id}"):
		known["id"] = seed.APIKeyIDs[0]
	case strings.Contains(a.Path, "/signing-keys/{id}"):
		known["id"] = seed.SigningKeyIDs[0]
	case strings.Contains(a.Path, "/actions"):
		// Action runs belong to the branch's own project.
		known["ref"] = seed.PreviewBranchRef
		known["run_id"] = seed.ActionRunIDs[0]
	case strings.HasSuffix(a.Path, "/branches/{name}"):
		known["name"] = seed.PreviewBranchName
	case strings.HasSuffix(a.Path, "/restore-point") && a.Method == http.MethodGet:
		known["name"] = seed.RestorePointNames[0]
	}
	switch a.Name {
	case "project_restore", "project_restore_cancel":
		known["ref"] = seed.PausedProjectRef
	case "backup_restore_physical":
		known["id"] = seed.BackupIDs[0]
	case "backup_undo":
		known["name"] = seed.RestorePointNames[0]
	case "third_party_auth_create":
		known["oidc_issuer_url"] = "https://issuer.example.com"
	case "oauth_token_exchange":
		known["grant_type"] = "authorization_code"
		known["code"] = "sandbox-code"
		known["client_id"] = "7a0c5b8e-8d1b-4f59-8d34-c5bb5c2b0f7c"
		known["client_secret"] = "sandbox-client-secret"
	case "organization_projects_list":
		known["slug"] = seed.OrgSlug
	case "project_create":
		known["organization_slug"] = seed.OrgSlug
	case "secrets_delete":
		known["body"] = []any{seed.SecretNames[0]}
	}
	return known
}

// setups are calls that put the sandbox in the state an action needs first:
// you cannot cancel a restore that has not started.
func setups(seed sandbox.SeedInfo) map[string][]pipeline.Request {
	return map[string][]pipeline.Request{
		"branch_restore":           {{Action: "branch_delete", Args: map[string]any{"branch_id_or_ref": seed.PreviewBranchRef, "force": false}}},
		"custom_hostname_activate": {{Action: "custom_hostname_initialize", Args: map[string]any{"ref": seed.ProjectRef, "custom_hostname": "api.example.com"}}},
		"custom_hostname_reverify": {{Action: "custom_hostname_initialize", Args: map[string]any{"ref": seed.ProjectRef, "custom_hostname": "api.example.com"}}},
		"project_restore_cancel":   {{Action: "project_restore", Args: map[string]any{"ref": seed.PausedProjectRef}}},
	}
}

// TestEveryActionAgainstTheSandbox calls every action of the registry, with
// arguments made from its schema, through the whole pipeline against a fresh
// sandbox, and checks the result is well formed and its secrets redacted.
func TestEveryActionAgainstTheSandbox(t *testing.T) {
	reg, err := tools.Load()
	if err != nil {
		t.Fatal(err)
	}
	secretsSeen := map[string]int{}
	var mu sync.Mutex
	for _, a := range reg.Actions() {
		t.Run(a.Name, func(t *testing.T) {
			e := newEnv(t, pipeline.AllowAll{})
			for _, setup := range setups(e.sb.Seed())[a.Name] {
				setup.Principal = "cli:local"
				if _, err := e.pipeline.Call(context.Background(), setup); err != nil {
					t.Fatalf("setup %s: %v", setup.Action, err)
				}
			}
			args := a.Example(knownArgs(a, e.sb.Seed()))
			res, err := e.pipeline.Call(context.Background(), pipeline.Request{Action: a.Name, Args: args, Principal: "cli:local", Surface: "cli"})
			if err != nil {
				t.Fatalf("args %v: %v", args, err)
			}
			if res.Status < 200 || res.Status > 299 {
				t.Errorf("status %d", res.Status)
			}
			checkWellFormed(t, a, res)
			seen := checkRedacted(t, a, res.Data)
			checkArgsRedacted(t, a, args, e.records.lastIntent())
			mu.Lock()
			for f, n := range seen {
				secretsSeen[a.Name+"."+f] += n
			}
			mu.Unlock()
		})
	}
	// Every secret an action's result can carry must have come back at least
	// once, so the redaction above was exercised and not vacuous.
	for _, a := range reg.Actions() {
		for _, f := range outputSecretFields(a) {
			if secretsSeen[a.Name+"."+f] == 0 {
				t.Errorf("%s: secret field %s never appeared in a sandbox result; redaction untested", a.Name, f)
			}
		}
	}
}

// checkWellFormed decodes the result into the action's generated output type
// and validates it against the output schema.
func checkWellFormed(t *testing.T, a *tools.Action, res *pipeline.Result) {
	t.Helper()
	if a.OutputContentType == "" {
		return
	}
	if a.OutputContentType == "text/plain" {
		if _, ok := res.Data.(string); !ok {
			t.Errorf("want text, got %T", res.Data)
		}
		return
	}
	data, err := json.Marshal(res.Data)
	if err != nil {
		t.Fatal(err)
	}
	if typ := a.OutputType(); typ != nil {
		v := reflect.New(typ)
		if err := json.Unmarshal(data, v.Interface()); err != nil {
			t.Errorf("result does not decode into %s: %v", typ, err)
		}
	}
	if len(a.OutputSchema) == 0 {
		return
	}
	schema := compile(t, a.OutputSchema)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(inst); err != nil {
		t.Errorf("result does not match the output schema: %v", err)
	}
}

func compile(t *testing.T, schema []byte) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("out.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("out.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// checkRedacted walks the result: every secret field with a value must be masked.
// It returns how many masked secrets it saw per field.
func checkRedacted(t *testing.T, a *tools.Action, data any) map[string]int {
	t.Helper()
	secret := map[string]bool{}
	for _, f := range a.Secrets {
		secret[f] = true
	}
	seen := map[string]int{}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, val := range x {
				if secret[k] && val != nil && val != "" {
					if val != redact.Mask {
						t.Errorf("%s.%s = %v: secret not redacted", path, k, val)
					}
					seen[k]++
					continue
				}
				walk(path+"."+k, val)
			}
		case []any:
			for _, val := range x {
				walk(path+"[]", val)
			}
		case string:
			if redact.Text(x) != x {
				t.Errorf("%s: token-shaped text not scrubbed: %q", path, x)
			}
		}
	}
	walk(a.Name, data)
	return seen
}

// checkArgsRedacted makes sure secrets sent as arguments are masked in the record.
func checkArgsRedacted(t *testing.T, a *tools.Action, args map[string]any, rec pipeline.Record) {
	t.Helper()
	for _, f := range a.Secrets {
		if v, ok := args[f]; ok && v != nil && v != "" {
			if rec.Args[f] != redact.Mask {
				t.Errorf("argument %s recorded as %v, want it masked", f, rec.Args[f])
			}
		}
	}
}

// outputSecretFields lists the action's secret fields that its result schema can carry.
func outputSecretFields(a *tools.Action) []string {
	var out []string
	for _, f := range a.Secrets {
		if strings.Contains(string(a.OutputSchema), `"`+f+`"`) {
			out = append(out, f)
		}
	}
	return out
}

var _ = action.Read
