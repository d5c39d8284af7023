package sandbox

import (
	"strconv"
	"strings"
)

// The sandbox runs no SQL, but supaops's own composite actions send fixed
// queries (tables_list, extensions_list, rls_check, database_health), each
// starting with a "-- supaops:<id>" comment. For those it answers what a
// small Supabase project's catalogue would: the rows below, filtered by the
// query's parameter as Postgres would, so the actions are tested end to end.
// Any other SQL keeps its canned answer (cannedRows).

// catalogTable is a table of the sandbox's pretend database.
type catalogTable struct {
	schema, name string
	rls          bool
	rows         int64
	bytes        int64
	comment      string
	columns      []map[string]any
	primaryKey   []string
	foreignKeys  []map[string]any
	// openPolicies are permissive policies for everyone with a condition
	// of true: what rls_check reports.
	openPolicies []map[string]any
}

func col(name, typ string, nullable bool, def string) map[string]any {
	c := map[string]any{"name": name, "type": typ, "nullable": nullable, "default": nil}
	if def != "" {
		c["default"] = def
	}
	return c
}

// catalog is the pretend database: profiles readable by anyone (an open
// SELECT policy), todos guarded by auth.uid(), orders with row-level
// security off, and auth.users.
func catalog() []catalogTable {
	return []catalogTable{
		{schema: "auth", name: "users", rls: true, rows: 1280, bytes: 1_089_536, comment: "Auth: Stores user login data within a secure schema.",
			columns:    []map[string]any{col("id", "uuid", false, ""), col("email", "character varying(255)", true, ""), col("created_at", "timestamp with time zone", true, "")},
			primaryKey: []string{"id"}},
		{schema: "public", name: "orders", rls: false, rows: 48210, bytes: 9_437_184,
			columns: []map[string]any{
				col("id", "bigint", false, "nextval('orders_id_seq'::regclass)"), col("profile_id", "uuid", false, ""),
				col("total_cents", "integer", false, "0"), col("created_at", "timestamp with time zone", false, "now()"),
			},
			primaryKey:  []string{"id"},
			foreignKeys: []map[string]any{{"name": "orders_profile_id_fkey", "columns": []any{"profile_id"}, "references": "profiles", "referenced_columns": []any{"id"}}}},
		{schema: "public", name: "profiles", rls: true, rows: 1275, bytes: 319_488, comment: "Public profile of each user.",
			columns: []map[string]any{
				col("id", "uuid", false, ""), col("username", "text", true, ""), col("avatar_url", "text", true, ""),
				col("updated_at", "timestamp with time zone", true, "now()"),
			},
			primaryKey:   []string{"id"},
			foreignKeys:  []map[string]any{{"name": "profiles_id_fkey", "columns": []any{"id"}, "references": "auth.users", "referenced_columns": []any{"id"}}},
			openPolicies: []map[string]any{{"name": "Public profiles are viewable by everyone.", "command": "SELECT", "roles": []any{"public"}, "using": "true", "with_check": nil}}},
		{schema: "public", name: "todos", rls: true, rows: 5391, bytes: 1_318_912,
			columns: []map[string]any{
				col("id", "bigint", false, "nextval('todos_id_seq'::regclass)"), col("user_id", "uuid", false, ""),
				col("task", "text", true, ""), col("is_complete", "boolean", true, "false"),
			},
			primaryKey:  []string{"id"},
			foreignKeys: []map[string]any{{"name": "todos_user_id_fkey", "columns": []any{"user_id"}, "references": "auth.users", "referenced_columns": []any{"id"}}}},
	}
}

// catalogRows answers a composite's fixed query, or reports it is not one.
func catalogRows(sql string, params []any) ([]map[string]any, bool) {
	first, _, _ := strings.Cut(sql, "\n")
	id, ok := strings.CutPrefix(first, "-- supaops:")
	if !ok {
		return nil, false
	}
	switch strings.TrimSpace(id) {
	case "tables_list":
		var rows []map[string]any
		for _, t := range tablesIn(params) {
			rows = append(rows, map[string]any{
				"schema": t.schema, "name": t.name, "rls_enabled": t.rls, "rows_estimate": t.rows, "comment": nilIfEmpty(t.comment),
				"columns": t.columns, "primary_key": t.primaryKey, "foreign_keys": orEmpty(t.foreignKeys),
			})
		}
		return orEmpty(rows), true
	case "rls_check":
		var rows []map[string]any
		for _, t := range tablesIn(params) {
			rows = append(rows, map[string]any{"schema": t.schema, "name": t.name, "rls_enabled": t.rls, "open_policies": orEmpty(t.openPolicies)})
		}
		return orEmpty(rows), true
	case "extensions_list":
		return extensionRows(), true
	case "database_health":
		return []map[string]any{healthRow(limitParam(params))}, true
	case "database_health_statements":
		return statementRows(limitParam(params)), true
	}
	return nil, false
}

// tablesIn filters the catalogue by $1, schema names joined by commas.
func tablesIn(params []any) []catalogTable {
	var schemas []string
	if len(params) > 0 {
		s, _ := params[0].(string)
		schemas = strings.Split(s, ",")
	}
	var out []catalogTable
	for _, t := range catalog() {
		for _, s := range schemas {
			if s == t.schema {
				out = append(out, t)
				break
			}
		}
	}
	return out
}

func limitParam(params []any) int {
	if len(params) > 0 {
		if s, ok := params[0].(string); ok {
			if n, err := strconv.Atoi(s); err == nil && n >= 0 {
				return n
			}
		}
	}
	return 5
}

func extensionRows() []map[string]any {
	ext := func(name, def, installed, schema, comment string) map[string]any {
		r := map[string]any{"name": name, "default_version": def, "installed_version": nil, "schema": nil, "comment": comment}
		if installed != "" {
			r["installed_version"], r["schema"] = installed, schema
		}
		return r
	}
	return []map[string]any{
		ext("pg_cron", "1.6", "", "", "Job scheduler for PostgreSQL"),
		ext("pg_graphql", "1.5.11", "1.5.11", "graphql", "pg_graphql: GraphQL support"),
		ext("pg_stat_statements", "1.11", "1.11", "extensions", "track planning and execution statistics of all SQL statements executed"),
		ext("pgcrypto", "1.3", "1.3", "extensions", "cryptographic functions"),
		ext("plpgsql", "1.0", "1.0", "pg_catalog", "PL/pgSQL procedural language"),
		ext("postgis", "3.3.7", "", "", "PostGIS geometry and geography spatial types and functions"),
		ext("supabase_vault", "0.3.1", "0.3.1", "vault", "Supabase Vault Extension"),
		ext("uuid-ossp", "1.1", "1.1", "extensions", "generate universally unique identifiers (UUIDs)"),
		ext("vector", "0.8.0", "", "", "vector data type and ivfflat and hnsw access methods"),
	}
}

func healthRow(limit int) map[string]any {
	tables := catalog()
	// Biggest first, as the query orders them.
	for i := 1; i < len(tables); i++ {
		for j := i; j > 0 && tables[j].bytes > tables[j-1].bytes; j-- {
			tables[j], tables[j-1] = tables[j-1], tables[j]
		}
	}
	var big, idx []map[string]any
	for _, t := range tables {
		if t.schema == "auth" {
			continue // pg_stat_user_tables shows it, but keep the example to the app's own
		}
		if len(big) < limit {
			big = append(big, map[string]any{"schema": t.schema, "name": t.name, "bytes": t.bytes})
		}
		if len(idx) < limit {
			idx = append(idx, map[string]any{"schema": t.schema, "table": t.name, "name": t.name + "_pkey", "bytes": t.bytes / 8})
		}
	}
	return map[string]any{
		"connections": 14, "max_connections": 60, "table_cache_hit_ratio": 0.9987, "index_cache_hit_ratio": 0.9731,
		"pg_stat_statements": true, "biggest_tables": orEmpty(big), "biggest_indexes": orEmpty(idx),
	}
}

func statementRows(limit int) []map[string]any {
	all := []map[string]any{
		{"query": "select * from orders where profile_id = $1 order by created_at desc", "calls": 91234, "total_ms": 482113.7, "mean_ms": 5.28, "rows": 1824680},
		{"query": "select * from todos where user_id = $1", "calls": 40511, "total_ms": 60230.2, "mean_ms": 1.49, "rows": 310998},
		{"query": "update profiles set updated_at = now() where id = $1", "calls": 5120, "total_ms": 9120.4, "mean_ms": 1.78, "rows": 5120},
		{"query": "insert into orders (profile_id, total_cents) values ($1, $2)", "calls": 48210, "total_ms": 7711.9, "mean_ms": 0.16, "rows": 48210},
	}
	return orEmpty(all[:min(limit, len(all))])
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
