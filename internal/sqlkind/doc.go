// Package sqlkind says what a PostgreSQL text would run, for policy decisions:
// how many statements, of which kinds, whether anything may write, and
// whether some of it is dynamic SQL the classification cannot see.
//
// It parses with PostgreSQL's own parser (libpg_query 17, compiled to
// WebAssembly by github.com/wasilibs/go-pgquery and run by wazero: no cgo), so
// comments, quoting, case and string escapes cannot hide a statement the way
// they hide words from a regular expression. Statements inside DO blocks and
// functions written in SQL or PL/pgSQL are read too (the PL/pgSQL is compiled
// by the same library), as are data-modifying CTEs, EXPLAIN ANALYZE, PREPARE,
// DECLARE, CREATE RULE actions, CREATE SCHEMA elements and constant strings
// handed to EXECUTE or to a function that runs SQL.
//
// # Cost
//
// The parser is compiled on the first classification in a process, never at
// init: about 1.5–3 s of CPU here (15–20 s under the race detector), with a
// memory peak of ~250 MB that falls back to ~25 MB once compiled; the
// stripped binary is ~5 MB larger. Later classifications of a small text take
// ~0.1–1 ms (each parse also allocates ~0.1 MB, ~1 MB for PL/pgSQL: wazero
// copies the wasm stack for setjmp); the worst text of MaxBytes costs about
// 2 s. One parser serves the whole process, one parse at a time (go-pgquery
// would compile another module for every overlapping call). Warm starts the
// compilation in the background. If the parser cannot start, every
// classification fails.
//
// # Kinds
//
// Kinds are lower-case words, one per statement type; the distinct kinds of a
// text come in order of first appearance:
//
//   - data: select, insert, update, delete, merge, copy, truncate,
//     create_table_as (CREATE TABLE AS and SELECT INTO);
//   - drop: every DROP statement (table, schema, function, role, database,
//     DROP OWNED...); drop_column comes with alter_table when an ALTER TABLE
//     or ALTER TYPE drops a column or attribute;
//   - code: do, call, create_function, create_procedure, alter_function,
//     prepare, execute (SQL EXECUTE of a prepared statement, and PL/pgSQL
//     EXECUTE), deallocate;
//   - privileges: grant, revoke (of privileges or roles),
//     alter_default_privileges, create_role, alter_role, reassign_owned,
//     create_policy, alter_policy;
//   - session: set (SET and RESET), show, transaction (BEGIN, START, COMMIT,
//     ROLLBACK, SAVEPOINT, RELEASE), prepare_transaction, commit_prepared,
//     rollback_prepared, set_constraints, discard, listen, unlisten, notify,
//     explain, declare, fetch (FETCH and MOVE), close, lock;
//   - schema: create_table, alter_table (also the ALTER INDEX, VIEW, SEQUENCE,
//     MATERIALIZED VIEW, FOREIGN TABLE and ALL IN TABLESPACE forms), rename,
//     alter_set_schema, alter_owner, alter_depends, comment, security_label,
//     create_schema, create_index, reindex, create_view,
//     create_materialized_view, refresh_materialized_view, create_rule,
//     create_trigger, create_event_trigger, alter_event_trigger,
//     create_sequence, alter_sequence, create_type, alter_type,
//     create_aggregate, create_operator, create_collation, create_text_search,
//     create_domain, alter_domain, alter_collation, create_statistics,
//     alter_statistics, create_cast, create_conversion, create_transform,
//     create_operator_class, create_operator_family, alter_operator_family,
//     alter_operator, create_access_method, create_language,
//     alter_text_search, create_extension, alter_extension,
//     create_foreign_data_wrapper, alter_foreign_data_wrapper, create_server,
//     alter_server, create_foreign_table, create_user_mapping,
//     alter_user_mapping, import_foreign_schema, create_publication,
//     alter_publication, create_subscription, alter_subscription,
//     create_tablespace, alter_tablespace, create_database, alter_database,
//     alter_system;
//   - maintenance: vacuum, analyze, cluster, checkpoint, load.
//
// A statement type newer than this list gets a kind made from its parse-tree
// name (CreateFooStmt: create_foo) and counts as a write.
//
// A SELECT inside another statement (a subquery, INSERT ... SELECT) is not a
// kind of its own; a statement inside another (a DELETE in a CTE, a DROP in a
// DO block) is.
//
// # Writes
//
// Writes is false only for texts made of plain reads: select (without INTO or
// FOR UPDATE/SHARE), show, set, transaction, set_constraints, discard,
// listen, unlisten, explain, declare, fetch, close, prepare, deallocate and
// copy ... TO STDOUT, none of them holding a write (EXPLAIN ANALYZE DELETE
// writes; so does PREPARE of one) or calling a function known to change
// something (nextval, setval, pg_terminate_backend, pg_notify, large-object
// and server-file functions, statistics resets, replication slots,
// pgsql-http and pg_net requests, vault.create_secret, any pgmq function...).
// Dynamic SQL is a write.
//
// # Dynamic
//
// Dynamic reports SQL this classification cannot see:
//   - EXECUTE of a prepared statement, and PL/pgSQL EXECUTE in all its forms
//     (EXECUTE, FOR ... IN EXECUTE, OPEN ... FOR EXECUTE, RETURN QUERY
//     EXECUTE). When the executed string is a constant ('DR' || 'OP TABLE t',
//     E'\x44ROP...') it is classified as well, but still counts as dynamic;
//   - calls to functions that run SQL given as text: dblink, dblink_exec,
//     dblink_open, dblink_send_query, query_to_xml, query_to_xmlschema,
//     query_to_xml_and_xmlschema, ts_stat, ts_rewrite, pg_background_launch,
//     the pgTAP assertions that run SQL (lives_ok, throws_ok, throws_like,
//     throws_ilike, throws_matching, throws_imatching, results_eq, results_ne,
//     set_eq, set_ne, set_has, set_hasnt, bag_eq, bag_ne, bag_has, bag_hasnt,
//     is_empty, isnt_empty, row_eq, performs_ok, performs_within),
//     cron.schedule, cron.schedule_in_database, cron.alter_job (pg_cron),
//     graphql.resolve (pg_graphql) and pgtle.install_extension,
//     pgtle.install_update_path, pgtle.install_extension_version_sql
//     (pg_tle), matched by name in any schema (the schema-bound ones also
//     unqualified); and CREATE CAST, OPERATOR, AGGREGATE, TRIGGER... binding
//     one of them;
//   - COPY ... FROM/TO PROGRAM (a shell command);
//   - bodies it cannot read: languages other than SQL and PL/pgSQL (plv8,
//     plpython...), PL/pgSQL that libpg_query will not compile without a
//     catalogue, nesting deeper than 8 levels, or more than 10,000 parses.
//
// A DO block whose statements are all static is not dynamic: every statement
// in it is classified. It is a write.
//
// # What a classification cannot see
//
// It reads text, not the database. It cannot see what runs because of a
// statement: the body of a function, procedure or trigger created earlier
// (SELECT my_func() is a read even if my_func deletes rows: only the
// functions listed above are known), rules and triggers firing on a write,
// views, row-level security policies, foreign tables, extensions' hooks, or
// what a role switch (SET ROLE) permits. A wrapper function around dblink
// created earlier is not dynamic. The read-only query endpoint is enforced by
// the database itself; this package is a policy input, not a sandbox.
//
// # Errors
//
// Classify fails closed: SQL the parser refuses is a *ParseError, a text over
// MaxBytes a *TooLargeError (not parsed), and Summarize reports an argument
// that is not a string as a *TypeError; all name the argument. A NUL byte or
// invalid UTF-8 is a *ParseError too.
package sqlkind
