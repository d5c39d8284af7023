package mcpserver

// coreTool is one action of the default profile, with a summary (and
// sometimes a title) that reads better to a model than the spec's.
type coreTool struct {
	name    string
	title   string
	summary string
}

// coreTools is the default profile: what people ask an assistant for every
// day, modelled on the official Supabase MCP server's default groups (account,
// database, debugging, development, functions, branching) plus backups and
// health, which it lacks. Everything else stays one search_actions away; the
// list is bounded by the 12,000-byte tools/list budget (see the budget test).
// Composites that answer in one call what took several replace what they
// made redundant: publishable_keys_list stands for api_keys_list (an agent
// wants the key a client app uses, never a secret one), and tables_list
// joins the core as the official server's list_tables does.
// Left out on purpose: function_get (functions_list carries the same
// metadata) and branch_merge (merging to production is a deliberate step, and
// destructive: call_action reaches it where the policy allows).
func coreTools() []coreTool {
	return []coreTool{
		// account: find the project first.
		{name: "organizations_list", summary: "List your organizations (slug, name)."},
		{name: "projects_list", summary: "List all projects (ref, name, region, status)."},
		{name: "project_get", summary: "Get a project's details and status."},
		{name: "project_health_get", title: "Project health", summary: "Health of a project's services."},
		// debugging
		{name: "advisors_security_list", title: "Security advisors", summary: "Security advisors (lints with remediation)."},
		{name: "advisors_performance_list", title: "Performance advisors", summary: "Performance advisors (lints with remediation)."},
		{name: "logs_query", title: "Query logs", summary: "Query logs with SQL (edge_logs, postgres_logs, auth_logs, function_logs...). Window ≤24h via iso_timestamp_start/end; default last minute."},
		// database
		{name: "tables_list", title: "List tables", summary: "Tables of the schemas (default public): RLS on/off, row estimates, keys; verbose adds columns."},
		{name: "database_query_read_only", title: "Run read-only SQL", summary: "Run read-only SQL; schema-qualify names."},
		{name: "migrations_list", summary: "List applied migrations."},
		{name: "migration_apply", summary: "Apply SQL as a tracked migration."},
		{name: "typescript_types_generate", summary: "Generate TypeScript types for the schemas."},
		// functions
		{name: "functions_list", summary: "List Edge Functions."},
		{name: "function_body_get", summary: "Get an Edge Function's source."},
		{name: "function_deploy", summary: "Deploy an Edge Function (files + metadata); creates it if missing."},
		// branching
		{name: "branches_list", summary: "List branches and their status."},
		{name: "branch_create", summary: "Create a database branch."},
		// operations
		{name: "backups_list", summary: "List backups and PITR status."},
		{name: "publishable_keys_list", title: "Publishable keys", summary: "Publishable keys for client apps (never a secret key)."},
	}
}
