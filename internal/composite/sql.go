package composite

import (
	"context"
	"strings"

	"github.com/supaops/supaops/internal/tools"
)

// queryAction runs the composites' SQL: read-only, whatever the SQL says.
const queryAction = "database_query_read_only"

// QueryID is the comment each fixed query starts with, naming it: the
// sandbox answers a query by it, and a database's query log shows which
// supaops check sent it.
func QueryID(sql string) string {
	first, _, _ := strings.Cut(sql, "\n")
	if !strings.HasPrefix(first, "-- supaops:") {
		return ""
	}
	return strings.TrimPrefix(first, "-- ")
}

// The fixed SQL, by query id. Arguments are bound as $1, as text (schema
// names joined by commas, which their pattern excludes; a count), never
// spliced into the text.
const (
	sqlTables = `-- supaops:tables_list
select n.nspname as schema, c.relname as name, c.relrowsecurity as rls_enabled,
  greatest(c.reltuples, 0)::bigint as rows_estimate,
  obj_description(c.oid, 'pg_class') as comment,
  coalesce((select json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod),
      'nullable', not a.attnotnull, 'default', pg_get_expr(d.adbin, d.adrelid)) order by a.attnum)
    from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
    where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped), '[]') as columns,
  coalesce((select json_agg(a.attname order by a.attnum)
    from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
    where i.indrelid = c.oid and i.indisprimary), '[]') as primary_key,
  coalesce((select json_agg(json_build_object('name', con.conname,
      'columns', (select json_agg(a.attname order by k.ord) from unnest(con.conkey) with ordinality k(attnum, ord)
        join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.attnum),
      'references', con.confrelid::regclass::text,
      'referenced_columns', (select json_agg(a.attname order by k.ord) from unnest(con.confkey) with ordinality k(attnum, ord)
        join pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.attnum)) order by con.conname)
    from pg_constraint con where con.conrelid = c.oid and con.contype = 'f'), '[]') as foreign_keys
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p') and n.nspname = any(string_to_array($1::text, ','))
order by 1, 2`

	sqlExtensions = `-- supaops:extensions_list
select e.name, e.default_version, e.installed_version, n.nspname as schema, e.comment
from pg_available_extensions e
left join pg_extension x on x.extname = e.name
left join pg_namespace n on n.oid = x.extnamespace
order by e.name`

	// Policies that let anyone in: permissive, for public, anon or
	// authenticated, with a condition that is literally true (or none).
	sqlRLS = `-- supaops:rls_check
select n.nspname as schema, c.relname as name, c.relrowsecurity as rls_enabled,
  coalesce((select json_agg(json_build_object('name', p.polname,
      'command', case p.polcmd when 'r' then 'SELECT' when 'a' then 'INSERT' when 'w' then 'UPDATE' when 'd' then 'DELETE' else 'ALL' end,
      'roles', (select json_agg(case when r = 0 then 'public' else r::regrole::text end) from unnest(p.polroles) r),
      'using', pg_get_expr(p.polqual, p.polrelid), 'with_check', pg_get_expr(p.polwithcheck, p.polrelid)) order by p.polname)
    from pg_policy p where p.polrelid = c.oid and p.polpermissive
      and (p.polroles && array[0::oid, 'anon'::regrole::oid, 'authenticated'::regrole::oid])
      and coalesce(pg_get_expr(p.polqual, p.polrelid), 'true') = 'true'
      and coalesce(pg_get_expr(p.polwithcheck, p.polrelid), 'true') = 'true'), '[]') as open_policies
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p') and n.nspname = any(string_to_array($1::text, ','))
order by 1, 2`

	sqlHealth = `-- supaops:database_health
select (select count(*) from pg_stat_activity) as connections,
  current_setting('max_connections')::int as max_connections,
  (select round(coalesce(sum(heap_blks_hit)::numeric / nullif(sum(heap_blks_hit) + sum(heap_blks_read), 0), 1), 4)
    from pg_statio_user_tables) as table_cache_hit_ratio,
  (select round(coalesce(sum(idx_blks_hit)::numeric / nullif(sum(idx_blks_hit) + sum(idx_blks_read), 0), 1), 4)
    from pg_statio_user_indexes) as index_cache_hit_ratio,
  exists (select 1 from pg_extension where extname = 'pg_stat_statements') as pg_stat_statements,
  coalesce((select json_agg(t) from (select schemaname as schema, relname as name, pg_total_relation_size(relid) as bytes
    from pg_stat_user_tables order by pg_total_relation_size(relid) desc limit $1::int) t), '[]') as biggest_tables,
  coalesce((select json_agg(t) from (select schemaname as schema, relname as table, indexrelname as name, pg_relation_size(indexrelid) as bytes
    from pg_stat_user_indexes order by pg_relation_size(indexrelid) desc limit $1::int) t), '[]') as biggest_indexes`

	// Sent only when pg_stat_statements is on (it fails without it).
	sqlSlowest = `-- supaops:database_health_statements
select left(query, 300) as query, calls, round(total_exec_time::numeric, 1) as total_ms,
  round(mean_exec_time::numeric, 2) as mean_ms, rows
from pg_stat_statements order by total_exec_time desc limit $1::int`
)

// query runs one fixed query, read-only, and decodes its rows into out.
func query(ctx context.Context, c tools.Caller, ref, sql string, params []any, out any) error {
	args := map[string]any{"ref": ref, "query": sql}
	if len(params) > 0 {
		args["parameters"] = params
	}
	return call(ctx, c, queryAction, args, out)
}

// Queries lists the fixed SQL by query id.
func Queries() map[string]string {
	out := map[string]string{}
	for _, q := range []string{sqlTables, sqlExtensions, sqlRLS, sqlHealth, sqlSlowest} {
		out[QueryID(q)] = q
	}
	return out
}
