package sqlkind

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

// k is shorthand for a kinds list.
func k(kinds ...string) []string { return kinds }

type want struct {
	statements int
	kinds      []string
	writes     bool
	dynamic    bool
}

func check(t *testing.T, sql string, got Result, w want) {
	t.Helper()
	if got.Statements != w.statements || !slices.Equal(got.Kinds, w.kinds) || got.Writes != w.writes || got.Dynamic != w.dynamic {
		t.Errorf("Classify(%q)\n got %+v\nwant %+v", sql, got, Result{Statements: w.statements, Kinds: w.kinds, Writes: w.writes, Dynamic: w.dynamic})
	}
}

// The bypasses of the old regular-expression rule, and their relatives.
func TestClassifyBypasses(t *testing.T) {
	tests := []struct {
		name string
		sql  string
		want want
	}{
		// The outside review's three findings (the third, DROP in a
		// migration's rollback, is in TestSummarize).
		{"concatenated EXECUTE in DO", `DO $$BEGIN EXECUTE 'DR'||'OP TABLE users'; END$$`, want{1, k("do", "execute", "drop"), true, true}},
		{"decoded EXECUTE in DO", `DO $$BEGIN EXECUTE convert_from('\x44524f50205441424c45207573657273', 'UTF8'); END$$`, want{1, k("do", "execute"), true, true}},
		{"decode(hex) EXECUTE in DO", `DO $$BEGIN EXECUTE convert_from(decode('44524f50', 'hex'), 'UTF8'); END$$`, want{1, k("do", "execute"), true, true}},
		{"escape string EXECUTE in DO", `DO $$BEGIN EXECUTE E'\x44ROP TABLE users'; END$$`, want{1, k("do", "execute", "drop"), true, true}},
		{"dollar-quoted EXECUTE in DO", `DO $a$ BEGIN EXECUTE $b$ TRUNCATE users $b$; END $a$`, want{1, k("do", "execute", "truncate"), true, true}},
		{"EXECUTE format in DO", `DO $$BEGIN EXECUTE format('DROP TABLE %I', 'users'); END$$`, want{1, k("do", "execute"), true, true}},
		{"SQL EXECUTE of a function-named statement", `EXECUTE convert_from('\x44524f50', 'UTF8')`, want{1, k("execute"), true, true}},
		{"static DROP in DO", `DO $$BEGIN DROP TABLE users; END$$`, want{1, k("do", "drop"), true, false}},
		{"DO with a language clause", `DO LANGUAGE plpgsql 'BEGIN TRUNCATE users; END'`, want{1, k("do", "truncate"), true, false}},
		{"DROP in a nested DO", `DO $a$ BEGIN DO $b$ BEGIN DROP TABLE users; END $b$; END $a$`, want{1, k("do", "drop"), true, false}},
		{"DROP behind IF and a loop", `DO $$DECLARE r record; BEGIN IF true THEN FOR r IN SELECT 1 LOOP DROP SCHEMA s CASCADE; END LOOP; END IF; END$$`, want{1, k("do", "drop", "select"), true, false}},
		{"DROP in a PL/pgSQL function", `CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$BEGIN DROP TABLE users; END$$`, want{1, k("create_function", "drop"), true, false}},
		{"DROP in a SQL function", `CREATE FUNCTION f() RETURNS void LANGUAGE sql AS 'DROP TABLE users'`, want{1, k("create_function", "drop"), true, false}},
		{"DELETE in a BEGIN ATOMIC procedure", `CREATE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC DELETE FROM users; END`, want{1, k("create_procedure", "delete"), true, false}},
		{"EXECUTE in a function", `CREATE OR REPLACE FUNCTION f(t text) RETURNS void LANGUAGE plpgsql AS $$BEGIN EXECUTE 'DROP TABLE ' || quote_ident(t); END$$`, want{1, k("create_function", "execute"), true, true}},
		{"RETURN QUERY EXECUTE", `CREATE FUNCTION f() RETURNS SETOF int LANGUAGE plpgsql AS $$BEGIN RETURN QUERY EXECUTE 'SELECT 1'; END$$`, want{1, k("create_function", "execute", "select"), true, true}},
		{"FOR IN EXECUTE", `DO $$DECLARE r record; BEGIN FOR r IN EXECUTE 'SELECT 1' LOOP END LOOP; END$$`, want{1, k("do", "execute", "select"), true, true}},
		{"OPEN FOR EXECUTE", `DO $$DECLARE c refcursor; BEGIN OPEN c FOR EXECUTE 'DELETE FROM t'; END$$`, want{1, k("do", "execute", "delete"), true, true}},
		{"PERFORM dblink_exec", `DO $$BEGIN PERFORM dblink_exec('dbname=postgres', 'DROP TABLE users'); END$$`, want{1, k("do", "select", "drop"), true, true}},
		{"dblink_exec in an assignment", `DO $$DECLARE x text; BEGIN x := dblink_exec('dbname=postgres', 'DROP TABLE users'); END$$`, want{1, k("do", "drop"), true, true}},
		{"dblink_exec in a declaration", `DO $$DECLARE x text := public.dblink_exec('x'); BEGIN NULL; END$$`, want{1, k("do"), true, true}},
		{"dblink_exec in a condition", `DO $$BEGIN IF dblink_exec('x') = 'OK' THEN NULL; END IF; END$$`, want{1, k("do"), true, true}},
		{"plpython DO", `DO LANGUAGE plpython3u $$plpy.execute("DROP TABLE users")$$`, want{1, k("do"), true, true}},
		{"plv8 function", `CREATE FUNCTION f() RETURNS void LANGUAGE plv8 AS $$plv8.execute('DROP TABLE users')$$`, want{1, k("create_function"), true, true}},
		{"PL/pgSQL libpg_query cannot compile", `DO $$BEGIN undeclared := 1; END$$`, want{1, k("do"), true, true}},
		// Found by FuzzClassify: libpg_query's PL/pgSQL compiler aborts on a
		// function without a body (PostgreSQL refuses it).
		{"PL/pgSQL function without a body", `CreAte funCtion A()lAnguAge plpgsql`, want{1, k("create_function"), true, false}},
		{"select dblink_exec", `SELECT dblink_exec('dbname=postgres', 'DROP TABLE users')`, want{1, k("select", "drop"), true, true}},
		{"from dblink", `SELECT * FROM dblink('dbname=postgres', 'DELETE FROM t RETURNING 1') AS t(a int)`, want{1, k("select", "delete"), true, true}},
		{"query_to_xml", `SELECT query_to_xml('TRUNCATE t', true, false, '')`, want{1, k("select", "truncate"), true, true}},
		{"pg_cron schedule", `SELECT cron.schedule('j', '* * * * *', $$DROP TABLE users$$)`, want{1, k("select", "drop"), true, true}},
		{"pg_graphql mutation", `SELECT graphql.resolve('mutation { deleteFromUsersCollection(atMost: 100) { affectedCount } }')`, want{1, k("select"), true, true}},
		{"COPY FROM PROGRAM", `COPY t FROM PROGRAM 'psql -c "DROP TABLE users"'`, want{1, k("copy"), true, true}},
		{"cast bound to dblink_exec", `CREATE CAST (text AS int) WITH FUNCTION dblink_exec(text)`, want{1, k("create_cast"), true, true}},
		{"PREPARE then EXECUTE", `PREPARE p AS DELETE FROM users; EXECUTE p`, want{2, k("prepare", "delete", "execute"), true, true}},
		{"data-modifying CTE", `WITH d AS (DELETE FROM users RETURNING *) SELECT count(*) FROM d`, want{1, k("select", "delete"), true, false}},
		{"EXPLAIN ANALYZE", `EXPLAIN (ANALYZE) DELETE FROM users`, want{1, k("explain", "delete"), true, false}},
		{"rule action", `CREATE RULE r AS ON INSERT TO t DO INSTEAD DELETE FROM users`, want{1, k("create_rule", "delete"), true, false}},
		{"schema element", `CREATE SCHEMA s CREATE TABLE t (id int)`, want{1, k("create_schema", "create_table"), true, false}},
		{"DROP COLUMN", `ALTER TABLE users DROP COLUMN email`, want{1, k("alter_table", "drop_column"), true, false}},
		{"comments and case", `/* tidy up */ dRoP/**/TABLE "Users" -- really`, want{1, k("drop"), true, false}},
		{"DROP after a harmless statement", "select 1;\n\ndrop table users", want{2, k("select", "drop"), true, false}},
		// The DO block is cut out of the text by byte offsets for the
		// PL/pgSQL parser: after other statements and multi-byte characters.
		{"DO block after other statements", "select 'é, ü, 日本'; /* ☃ */ DO $$BEGIN DROP TABLE users; END$$; select 2", want{3, k("select", "do", "drop"), true, false}},
		{"DROP OWNED", `DROP OWNED BY app`, want{1, k("drop"), true, false}},
		{"DROP DATABASE", `DROP DATABASE postgres`, want{1, k("drop"), true, false}},
		// Words the old rule refused although nothing is dropped.
		{"drop in a string", `SELECT 'drop table users'`, want{1, k("select"), false, false}},
		{"drop in a comment", `SELECT 1 -- drop table users`, want{1, k("select"), false, false}},
		{"drop in a column name", `UPDATE t SET "drop" = true`, want{1, k("update"), true, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Classify(context.Background(), tt.sql)
			if err != nil {
				t.Fatal(err)
			}
			check(t, tt.sql, got, tt.want)
		})
	}
}

func TestClassifyOrdinary(t *testing.T) {
	tests := []struct {
		sql  string
		want want
	}{
		{"", want{}},
		{" \n\t", want{}},
		{"-- nothing but a comment", want{}},
		{";", want{}},
		{"select 1", want{1, k("select"), false, false}},
		{"SELECT id, name FROM public.todos WHERE done = false ORDER BY id LIMIT 10;", want{1, k("select"), false, false}},
		{"select count(*) from orders o join users u on u.id = o.user_id where u.id in (select id from admins)", want{1, k("select"), false, false}},
		{"table users", want{1, k("select"), false, false}},
		{"values (1), (2)", want{1, k("select"), false, false}},
		{"select 1 union all select 2", want{1, k("select"), false, false}},
		{"with t as (select 1 as a) select * from t", want{1, k("select"), false, false}},
		{"select now(), current_user, version(), pg_size_pretty(pg_database_size(current_database()))", want{1, k("select"), false, false}},
		{"select my_volatile_function()", want{1, k("select"), false, false}},
		{"select * from users for update", want{1, k("select"), true, false}},
		{"select nextval('s')", want{1, k("select"), true, false}},
		{"select pg_terminate_backend(123)", want{1, k("select"), true, false}},
		{"select net.http_post('https://example.com')", want{1, k("select"), true, false}},
		{"select * from pgmq.read('q', 30, 1)", want{1, k("select"), true, false}},
		{"select * into backup from users", want{1, k("create_table_as"), true, false}},
		{"show search_path", want{1, k("show"), false, false}},
		{"set search_path = public; select 1", want{2, k("set", "select"), false, false}},
		{"reset all", want{1, k("set"), false, false}},
		{"explain select * from users", want{1, k("explain"), false, false}},
		{"begin; select 1; commit;", want{3, k("transaction", "select"), false, false}},
		{"begin; delete from t where id = 1; commit", want{3, k("transaction", "delete"), true, false}},
		{"prepare transaction 'x'", want{1, k("prepare_transaction"), true, false}},
		{"copy (select 1) to stdout", want{1, k("copy"), false, false}},
		{"copy t to '/tmp/x'", want{1, k("copy"), true, false}},
		{"copy t from stdin", want{1, k("copy"), true, false}},
		{"insert into t (a) values (1) on conflict do nothing", want{1, k("insert"), true, false}},
		{"insert into t select * from s", want{1, k("insert"), true, false}},
		{"update t set a = (select max(a) from s) where id = 1", want{1, k("update"), true, false}},
		{"delete from t where id = 1", want{1, k("delete"), true, false}},
		{"merge into t using s on t.id = s.id when matched then delete", want{1, k("merge"), true, false}},
		{"truncate t", want{1, k("truncate"), true, false}},
		{"create table t (id bigint primary key, name text not null default 'x')", want{1, k("create_table"), true, false}},
		{"create index concurrently i on t (name)", want{1, k("create_index"), true, false}},
		{"alter table t add column c int", want{1, k("alter_table"), true, false}},
		{"alter table t enable row level security", want{1, k("alter_table"), true, false}},
		{"create policy p on t for select using (auth.uid() = user_id)", want{1, k("create_policy"), true, false}},
		{"grant select on t to anon", want{1, k("grant"), true, false}},
		{"revoke all on t from anon", want{1, k("revoke"), true, false}},
		{"grant admin to bob", want{1, k("grant"), true, false}},
		{"revoke admin from bob", want{1, k("revoke"), true, false}},
		{"create extension if not exists pg_trgm", want{1, k("create_extension"), true, false}},
		{"comment on table t is 'x'", want{1, k("comment"), true, false}},
		{"vacuum analyze t", want{1, k("vacuum"), true, false}},
		{"analyze t", want{1, k("analyze"), true, false}},
		{"call p(1)", want{1, k("call"), true, false}},
		{"create view v as select 1", want{1, k("create_view"), true, false}},
		{"create materialized view v as select 1", want{1, k("create_materialized_view"), true, false}},
		{"create table t2 as select * from t", want{1, k("create_table_as"), true, false}},
		{"create aggregate a(int) (sfunc = int4pl, stype = int)", want{1, k("create_aggregate"), true, false}},
		{"create type mood as enum ('ok', 'sad')", want{1, k("create_type"), true, false}},
		{"create function add(a int, b int) returns int language sql immutable as 'select a + b'", want{1, k("create_function", "select"), true, false}},
		{"create function f() returns trigger language plpgsql as $$begin new.updated_at := now(); return new; end$$", want{1, k("create_function"), true, false}},
		{"create trigger t before update on users for each row execute function f()", want{1, k("create_trigger"), true, false}},
		{"do $$begin raise notice 'hi'; end$$", want{1, k("do"), true, false}},
		{"listen x; notify x", want{2, k("listen", "notify"), true, false}},
		{"lock table t in access exclusive mode", want{1, k("lock"), true, false}},
	}
	for _, tt := range tests {
		t.Run(tt.sql, func(t *testing.T) {
			got, err := Classify(context.Background(), tt.sql)
			if err != nil {
				t.Fatal(err)
			}
			check(t, tt.sql, got, tt.want)
		})
	}
}

// nestDO wraps a DROP in n static DO blocks.
func nestDO(n int) string {
	s := "DROP TABLE users;"
	for i := range n {
		tag := fmt.Sprintf("$d%d$", i)
		s = "DO " + tag + " BEGIN " + s + " END " + tag + ";"
	}
	return s
}

// SQL nested deeper than the classification reads is dynamic, not silently
// clean.
func TestClassifyDepth(t *testing.T) {
	got, err := Classify(context.Background(), nestDO(maxDepth))
	if err != nil {
		t.Fatal(err)
	}
	check(t, "nestDO(maxDepth)", got, want{1, k("do", "drop"), true, false})
	got, err = Classify(context.Background(), nestDO(maxDepth+1))
	if err != nil {
		t.Fatal(err)
	}
	check(t, "nestDO(maxDepth+1)", got, want{1, k("do"), true, true})
}

func TestClassifyRefuses(t *testing.T) {
	tests := []struct {
		name     string
		sql      string
		position int
		message  string
	}{
		{"syntax error", "selec 1", 1, `syntax error at or near "selec"`},
		{"error in a later statement", "select 1; drop tabel users", 16, `syntax error at or near "tabel"`},
		{"unterminated string", "select 'x", 8, "unterminated quoted string"},
		{"unterminated dollar quote", "DO $$BEGIN DROP TABLE users; END", 4, "unterminated dollar-quoted string"},
		{"NUL byte", "select 1;\x00drop table users", 10, "NUL byte"},
		{"invalid UTF-8", "select '\xff'", 0, "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Classify(context.Background(), tt.sql)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Classify(%q) = %+v, %v; want a *ParseError", tt.sql, r, err)
			}
			if pe.Position != tt.position || !strings.Contains(pe.Message, tt.message) {
				t.Errorf("got position %d message %q, want %d %q", pe.Position, pe.Message, tt.position, tt.message)
			}
			for _, part := range []string{"could not be parsed", "refused", tt.message} {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q does not say %q", err, part)
				}
			}
		})
	}
}

func TestClassifyTooLarge(t *testing.T) {
	// Too large even for a text the parser would reject quickly: it is not parsed.
	sql := strings.Repeat("x", MaxBytes+1)
	_, err := Classify(context.Background(), sql)
	var te *TooLargeError
	if !errors.As(err, &te) || te.Size != MaxBytes+1 || te.Limit != MaxBytes {
		t.Fatalf("got %v, want a *TooLargeError of %d over %d", err, MaxBytes+1, MaxBytes)
	}
	if msg := err.Error(); !strings.Contains(msg, fmt.Sprint(MaxBytes+1)) || !strings.Contains(msg, fmt.Sprint(MaxBytes)) || !strings.Contains(msg, "refused") {
		t.Errorf("message %q lacks the size, the limit or the refusal", msg)
	}
	// At the limit, it is classified.
	sql = "select 1;" + strings.Repeat(" ", MaxBytes-len("select 1;"))
	if r, err := Classify(context.Background(), sql); err != nil || r.Statements != 1 {
		t.Errorf("a text of exactly MaxBytes: %+v, %v", r, err)
	}
}

// A panic in the parser (a trap in the wasm module) is a parse error: at the
// top it refuses the call, nested it makes the SQL dynamic.
func TestProtect(t *testing.T) {
	err := protect(func() error { panic("thread_signal (recovered by wazero)\nwasm stack trace:\n\t...") })
	var pe *parseError
	if !errors.As(err, &pe) || pe.msg != "the parser failed: thread_signal (recovered by wazero)" {
		t.Errorf("got %#v", err)
	}
}

func TestClassifyCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Classify(ctx, "select 1"); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

func TestSummarize(t *testing.T) {
	ctx := context.Background()
	fields := []string{"query", "rollback"}
	tests := []struct {
		name string
		args map[string]any
		want Summary
	}{
		{"no SQL arguments", map[string]any{"ref": "x"}, Summary{}},
		{"null rollback", map[string]any{"query": "select 1", "rollback": nil},
			Summary{Result: Result{1, k("select"), false, false}, Args: map[string]Result{"query": {1, k("select"), false, false}}}},
		{"empty query", map[string]any{"query": ""},
			Summary{Args: map[string]Result{"query": {}}}},
		// The third bypass: the DROP is in the rollback, which the old rule never read.
		{"DROP in a rollback", map[string]any{"query": "create table t (id int)", "rollback": "drop table t"},
			Summary{Result: Result{2, k("create_table", "drop"), true, false}, Args: map[string]Result{
				"query":    {1, k("create_table"), true, false},
				"rollback": {1, k("drop"), true, false},
			}}},
		{"kinds merged in field order", map[string]any{"rollback": "select 1; delete from t", "query": "DO $$BEGIN EXECUTE 'x'; END$$"},
			Summary{Result: Result{3, k("do", "execute", "select", "delete"), true, true}, Args: map[string]Result{
				"query":    {1, k("do", "execute"), true, true},
				"rollback": {2, k("select", "delete"), true, false},
			}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Summarize(ctx, tt.args, fields)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestSummarizeErrorsNameTheField(t *testing.T) {
	ctx := context.Background()
	fields := []string{"query", "rollback"}
	_, err := Summarize(ctx, map[string]any{"query": "select 1", "rollback": "drop tabel t"}, fields)
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Field != "rollback" || !strings.Contains(err.Error(), "argument rollback") {
		t.Errorf("parse error: %v", err)
	}
	_, err = Summarize(ctx, map[string]any{"query": strings.Repeat(" ", MaxBytes+1)}, fields)
	var te *TooLargeError
	if !errors.As(err, &te) || te.Field != "query" || !strings.Contains(err.Error(), "argument query") {
		t.Errorf("too large: %v", err)
	}
	for _, v := range []any{42.0, true, map[string]any{"sql": "x"}, []any{"select 1"}} {
		_, err = Summarize(ctx, map[string]any{"query": v}, fields)
		var ty *TypeError
		if !errors.As(err, &ty) || ty.Field != "query" || !strings.Contains(err.Error(), "argument query") {
			t.Errorf("%T: %v", v, err)
		}
	}
}

// One parser serves concurrent callers; each gets its own answer.
func TestClassifyConcurrent(t *testing.T) {
	texts := map[string]Result{
		"select 1":                         {1, k("select"), false, false},
		"drop table t":                     {1, k("drop"), true, false},
		"DO $$BEGIN EXECUTE 'x'; END$$":    {1, k("do", "execute"), true, true},
		"insert into t values (1); select": {2, k("insert", "select"), true, false},
	}
	var wg sync.WaitGroup
	for range 4 {
		for sql, want := range texts {
			wg.Go(func() {
				for range 20 {
					got, err := Classify(context.Background(), sql)
					if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
						t.Errorf("Classify(%q) = %+v, %v; want %+v", sql, got, err, want)
						return
					}
				}
			})
		}
	}
	wg.Wait()
}
