package sqlkind

import "strings"

// funcList matches function names: by name in any schema, by schema and name
// (an unqualified call matches too, as the schema may be on the search path),
// or every function of a schema when the call names it.
type funcList struct {
	anySchema   map[string]bool
	inSchema    map[string]map[string]bool
	wholeSchema map[string]bool
}

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// sqlRunners run SQL handed to them as text (graphql.resolve runs GraphQL,
// which pg_graphql turns into SQL, mutations included). Calling one is dynamic
// SQL. These are the ones available on Supabase or in PostgreSQL itself; a
// user function that runs EXECUTE is invisible (see the package docs).
var sqlRunners = funcList{
	anySchema: set(
		// dblink: runs SQL on a new connection, outside the caller's
		// transaction and its read-only setting.
		"dblink", "dblink_exec", "dblink_open", "dblink_send_query",
		// Core PostgreSQL functions that execute a query given as text.
		"query_to_xml", "query_to_xmlschema", "query_to_xml_and_xmlschema",
		"ts_stat", "ts_rewrite",
		// pg_background: runs SQL in a background worker.
		"pg_background_launch",
		// pgTAP: assertions that run the SQL they are given.
		"lives_ok", "throws_ok", "throws_like", "throws_ilike", "throws_matching", "throws_imatching",
		"results_eq", "results_ne", "set_eq", "set_ne", "set_has", "set_hasnt",
		"bag_eq", "bag_ne", "bag_has", "bag_hasnt", "is_empty", "isnt_empty", "row_eq",
		"performs_ok", "performs_within",
	),
	inSchema: map[string]map[string]bool{
		// pg_cron: stores SQL to run later, as the job's owner.
		"cron": set("schedule", "schedule_in_database", "alter_job"),
		// pg_graphql: runs a GraphQL query or mutation.
		"graphql": set("resolve"),
		// pg_tle: installs an extension from SQL text, run by CREATE EXTENSION.
		"pgtle": set("install_extension", "install_update_path", "install_extension_version_sql"),
	},
}

// sideEffects change something although a SELECT calls them: calling one is
// a write (not dynamic SQL).
var sideEffects = funcList{
	anySchema: set(
		// Sequences.
		"nextval", "setval",
		// Other sessions and the server.
		"pg_terminate_backend", "pg_cancel_backend", "pg_reload_conf", "pg_rotate_logfile",
		"pg_switch_wal", "pg_create_restore_point", "pg_promote", "pg_log_backend_memory_contexts",
		"pg_notify", "pg_logical_emit_message", "pg_import_system_collations",
		// Statistics.
		"pg_stat_reset", "pg_stat_reset_shared", "pg_stat_reset_single_table_counters",
		"pg_stat_reset_single_function_counters", "pg_stat_reset_slru", "pg_stat_reset_replication_slot",
		"pg_stat_reset_subscription_stats", "pg_stat_statements_reset",
		// Replication slots and origins.
		"pg_create_physical_replication_slot", "pg_create_logical_replication_slot",
		"pg_copy_physical_replication_slot", "pg_copy_logical_replication_slot",
		"pg_drop_replication_slot", "pg_replication_origin_create", "pg_replication_origin_drop",
		"pg_replication_origin_session_setup", "pg_replication_origin_advance",
		// Large objects and server files.
		"lo_import", "lo_export", "lo_unlink", "lo_create", "lo_creat", "lo_from_bytea", "lo_put", "lo_truncate",
		"pg_file_write", "pg_file_rename", "pg_file_unlink", "pg_file_sync",
		// Index maintenance.
		"brin_summarize_new_values", "brin_summarize_range", "brin_desummarize_range", "gin_clean_pending_list",
		// pgsql-http and pg_net: requests leave the database.
		"http", "http_get", "http_post", "http_put", "http_patch", "http_delete", "http_head",
	),
	inSchema: map[string]map[string]bool{
		"vault": set("create_secret", "update_secret"),
		"cron":  set("unschedule"),
	},
	// pgmq: even reading a queue message moves its visibility timeout.
	wholeSchema: set("pgmq"),
}

// match reports whether a function name list (funcname of a FuncCall, objname
// of ObjectWithArgs) names a function of the list. Case is ignored: a false
// positive errs on the safe side.
func (l *funcList) match(names []string) bool {
	if len(names) == 0 {
		return false
	}
	name := strings.ToLower(names[len(names)-1])
	schema := ""
	if len(names) > 1 {
		schema = strings.ToLower(names[len(names)-2])
	}
	if l.anySchema[name] {
		return true
	}
	if schema != "" {
		return l.inSchema[schema][name] || l.wholeSchema[schema]
	}
	for _, names := range l.inSchema {
		if names[name] {
			return true
		}
	}
	return false
}
