// Package composite holds supaops's composite actions: registry actions made
// of calls to other registry actions, for what people and agents ask for in
// one step (the tables of a schema, what a create will cost, the security
// settings of a project in one report). They are defined in one table
// (Defs). A composite reaches the Management API only through the Caller
// the pipeline hands it, so each inner call is validated, scoped
// (--read-only, project scope), decided by the policy and audited like any
// call; its risk is the highest of its calls', and it redacts what they
// redact. Composites that read the database send fixed SQL, written here,
// through database_query_read_only: no argument ever becomes SQL text.
package composite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/supaops/supaops/internal/action"
	"github.com/supaops/supaops/internal/tools"
)

// Def is one composite action.
type Def struct {
	Name, Toolset, Summary string
	// Schema is the input schema (JSON).
	Schema string
	// Target names the arguments that say what the call is about (for the
	// project scope and the policy).
	Target *action.Target
	// Calls are the registry actions it may call.
	Calls []string
	// Public are fields its calls redact that it shows on purpose.
	Public []string
	// Untrusted: its result carries what the project's users wrote.
	Untrusted bool
	// Check refuses arguments the schema cannot (a cost preview of a
	// branch names its project).
	Check tools.LocalCheck
	Run   func(ctx context.Context, c tools.Caller, args map[string]any) (any, error)
}

const refArg = `"ref":{"type":"string","pattern":"^[a-z]{20}$","description":"Project ref"}`

// Defs lists every composite action.
func Defs() []Def {
	projectTarget := &action.Target{Project: "ref"}
	return []Def{
		{
			Name: "tables_list", Toolset: "database", Target: projectTarget, Calls: []string{queryAction}, Untrusted: true,
			Summary: "List the tables of the given schemas (default public): row-level security on or off, row estimates, primary keys; verbose adds columns and foreign keys.",
			Schema:  `{"type":"object","properties":{` + refArg + `,"schemas":{"type":"array","items":{"type":"string","pattern":"^[A-Za-z_][A-Za-z0-9_$]{0,62}$"},"minItems":1,"maxItems":20,"description":"Schemas to list (default [\"public\"])."},"verbose":{"type":"boolean","description":"Add columns and foreign keys."}},"required":["ref"],"additionalProperties":false}`,
			Run:     tablesList,
		},
		{
			Name: "extensions_list", Toolset: "database", Target: projectTarget, Calls: []string{queryAction},
			Summary: "List the Postgres extensions available to the project: installed version, schema, default version.",
			Schema:  `{"type":"object","properties":{` + refArg + `,"installed":{"type":"boolean","description":"Only installed extensions."}},"required":["ref"],"additionalProperties":false}`,
			Run:     extensionsList,
		},
		{
			Name: "cost_preview", Toolset: "billing",
			Target: &action.Target{Project: "ref", Organization: "organization_slug"},
			Calls:  []string{"organization_get", "project_get", "addons_list"},
			Summary: "What creating a project (in an organization) or a branch (of a project) will cost: the organization's plan and the price of the compute size, " +
				"from the API where it gives one, else the list price kept in supaops with its source and date.",
			Schema: `{"type":"object","properties":{"kind":{"type":"string","enum":["branch","project"]},"organization_slug":{"type":"string","pattern":"^[\\w-]+$","description":"The organization a project would be created in."},` +
				refArg + `,"desired_instance_size":{"type":"string","pattern":"^[a-z0-9_]{1,40}$","description":"Compute size asked for (default: the smallest)."}},"required":["kind"],"additionalProperties":false}`,
			Check: costCheck,
			Run:   costPreview,
		},
		{
			Name: "project_url_get", Toolset: "projects", Target: projectTarget, Calls: []string{"project_get"},
			Summary: "The project's API URL (https://<ref>.supabase.co), once the project is found.",
			Schema:  `{"type":"object","properties":{` + refArg + `},"required":["ref"],"additionalProperties":false}`,
			Run:     projectURL,
		},
		{
			Name: "publishable_keys_list", Toolset: "api_keys", Target: projectTarget, Calls: []string{"api_keys_list"}, Public: []string{"api_key"},
			Summary: "The project's publishable keys and legacy anon key, for client apps; never a secret or service_role key.",
			Schema:  `{"type":"object","properties":{` + refArg + `},"required":["ref"],"additionalProperties":false}`,
			Run:     publishableKeys,
		},
		{
			Name: "branch_rebase", Toolset: "branching", Target: &action.Target{Branch: "branch_id_or_ref"}, Calls: []string{"branch_push"},
			Summary: "Rebase a branch on production: apply the production migrations it lacks (branch_push, decided and audited as itself).",
			Schema:  `{"type":"object","properties":{"branch_id_or_ref":{"type":"string","minLength":1,"maxLength":64,"description":"Branch ref or branch id."}},"required":["branch_id_or_ref"],"additionalProperties":false}`,
			Run:     branchRebase,
		},
		{
			Name: "rls_check", Toolset: "database", Target: projectTarget, Calls: []string{"postgrest_config_get", queryAction},
			Summary: "Tables the Data API exposes without row-level security, or with policies that let anyone read or write everything.",
			Schema:  `{"type":"object","properties":{` + refArg + `},"required":["ref"],"additionalProperties":false}`,
			Run:     rlsCheck,
		},
		{
			Name: "database_health", Toolset: "database", Target: projectTarget, Calls: []string{queryAction},
			Summary: "Database health: connections against the limit, cache hit ratio, slowest statements (pg_stat_statements, when on), biggest tables and indexes.",
			Schema:  `{"type":"object","properties":{` + refArg + `,"top":{"type":"integer","minimum":1,"maximum":50,"description":"How many statements, tables and indexes (default 5)."}},"required":["ref"],"additionalProperties":false}`,
			Run:     databaseHealth,
		},
		{
			Name: "security_overview", Toolset: "advisors", Target: projectTarget,
			Calls:   []string{"advisors_security_list", "network_restrictions_get", "ssl_enforcement_get", "auth_config_get"},
			Summary: "A project's security in one report: security advisors' lints, network restrictions, SSL enforcement, password and MFA settings.",
			Schema:  `{"type":"object","properties":{` + refArg + `},"required":["ref"],"additionalProperties":false}`,
			Run:     securityOverview,
		},
	}
}

// Actions builds the composite actions on reg, which holds the actions
// they call.
func Actions(reg *tools.Registry) ([]*tools.Action, error) {
	defs := Defs()
	out := make([]*tools.Action, 0, len(defs))
	for _, d := range defs {
		run := d.Run
		desc := action.Action{
			Name: d.Name, Toolset: d.Toolset, Summary: d.Summary, InputSchema: []byte(d.Schema),
			Target: d.Target, Untrusted: d.Untrusted,
		}
		a, err := tools.NewComposite(reg, desc, d.Calls, d.Public, func(ctx context.Context, args map[string]any) (any, error) {
			c, ok := tools.CallerFrom(ctx)
			if !ok {
				return nil, errors.New("a composite action runs through the pipeline, which gives it its caller")
			}
			return run(ctx, c, args)
		})
		if err != nil {
			return nil, err
		}
		if d.Check != nil {
			a.WithCheck(d.Check)
		}
		out = append(out, a)
	}
	return out, nil
}

// call runs one inner action and decodes its result into out.
func call(ctx context.Context, c tools.Caller, name string, args map[string]any, out any) error {
	v, err := c.Call(ctx, name, args)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("reading %s's result: %w", name, err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("reading %s's result: %w", name, err)
	}
	return nil
}

// Registry returns reg with the composite actions added.
func Registry(reg *tools.Registry) (*tools.Registry, error) {
	list, err := Actions(reg)
	if err != nil {
		return nil, err
	}
	return reg.With(list...)
}

// Load is tools.Load with the composite actions: every action a surface,
// a policy or a job may name (but supaops's jobs actions).
func Load() (*tools.Registry, error) {
	reg, err := tools.Load()
	if err != nil {
		return nil, err
	}
	return Registry(reg)
}
