// Package sandbox is an in-process, stateful simulation of the Supabase
// Management API. It serves all operations of the pinned spec over real HTTP
// (or in memory through RoundTripper), validates every request against the
// spec, keeps projects, branches, functions, secrets, keys and config objects
// in memory, and can inject faults. Tests, benchmarks and `--sandbox` runs use
// it instead of api.supabase.com.
//
// # Clock
//
// Everything that depends on time reads Options.Now (time.Now when nil, which
// is testing/synctest's fake clock inside a bubble): status transitions,
// restore points, backups' default times, log windows, rate-limit windows,
// expiries. Nothing runs in the background; state is computed from the clock
// when read, so a test that moves a ManualClock by six hours sees six hours
// pass at once.
//
//	clock := sandbox.NewManualClock(time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC))
//	sb, _ := sandbox.New(sandbox.Options{Now: clock.Now})
//	clock.Advance(6 * time.Hour)
//
// # Steering
//
// Tests change what the API cannot (faults, lints, backups, logs) with
// methods on *Sandbox. The binaries, which cannot call them, use the same
// under /_sandbox/ over HTTP: JSON in and out, unknown keys refused, neither
// rate limited nor counted, and protected by Options.Token when one is set.
// A bad body answers 400 and an unknown project, lint, backup or restore
// point 404, as {"message": "..."}.
//
//	GET    /_sandbox/faults                                      active faults
//	POST   /_sandbox/faults                                      InjectFault: a Fault or a list; 201
//	DELETE /_sandbox/faults                                      ClearFaults; 204
//	GET    /_sandbox/requests                                    requests per operationId
//	GET    /_sandbox/seed                                        Seed
//	GET    /_sandbox/projects/{ref}/advisors/{kind}              Lints; kind is security or performance
//	PUT    /_sandbox/projects/{ref}/advisors/{kind}              SetLints: a list of lints, one lint, or {"lints": [...]}
//	POST   /_sandbox/projects/{ref}/advisors/{kind}              AddLints: as PUT; 201 with the advisor's lints
//	DELETE /_sandbox/projects/{ref}/advisors/{kind}/{cache_key}  RemoveLint; 204
//	GET    /_sandbox/projects/{ref}/backups                      Backups
//	POST   /_sandbox/projects/{ref}/backups                      AddBackup: {"id", "inserted_at", "status", "logical"}, all optional; 201
//	POST   /_sandbox/projects/{ref}/backups/fail-newest          FailNewestBackup; the failed backup
//	PUT    /_sandbox/projects/{ref}/backups/pitr                 SetPITR: {"enabled": true|false}
//	PUT    /_sandbox/projects/{ref}/restore-points/outcome       SetRestorePointOutcome: {"status": "AVAILABLE"|"FAILED"}
//	POST   /_sandbox/projects/{ref}/restore-points/{name}/fail   FailRestorePoint; 204
//	GET    /_sandbox/projects/{ref}/logs                         Logs: the appended rows
//	POST   /_sandbox/projects/{ref}/logs                         AppendLogs: a LogRow or a list; 201 {"appended": n}
//	DELETE /_sandbox/projects/{ref}/logs                         ClearLogs; 204
//
// For example:
//
//	curl -X POST localhost:54321/_sandbox/projects/sandboxprodxxxxxxxxx/logs \
//	  -d '{"source":"edge_logs","timestamp":"2025-03-01T10:00:00Z","event_message":"GET /x 500","status_code":500,"path":"/x"}'
//
// # Advisors
//
// Each project answers the canned lints of each advisor until a test sets
// them. A Lint is checked against the spec when set (name, level, categories
// and metadata types must be the API's); its cache_key is its identity, which
// stays the same across calls while the finding exists. AddLints with a
// cache_key already present updates that lint; RemoveLint resolves it.
// lint_type=sql drops lints whose metadata type is auth, as the API does.
//
// # Backups and restore points
//
// backups_list reports a project's backups oldest first (the seed gives the
// main project three completed physical backups from January 2025),
// pitr_enabled as SetPITR left it (off by default), walg_enabled true, and
// physical_backup_data spanning the completed physical backups. AddBackup
// adds one (COMPLETED and physical by default, at the clock's now unless
// dated); FailNewestBackup turns the newest FAILED. A restore point created
// through the API is PENDING for TransitionDelay, then AVAILABLE, or FAILED
// after SetRestorePointOutcome(ref, "FAILED"); FailRestorePoint fails an
// existing one at once. undo refuses a restore point that is not AVAILABLE.
//
// # Logs
//
// logs.all (logs_query) answers a window [iso_timestamp_start,
// iso_timestamp_end): the last minute when neither is given, at most 24
// hours, start before end. Until rows are appended to a project, it answers
// one canned edge-log row per minute of the window whatever the sql, so
// nothing that predates appending changes. Once AppendLogs (or ClearLogs)
// was called, it answers exactly the appended rows whose timestamp is in the
// window (microsecond precision, start included, end excluded, so
// consecutive windows see every row once) and that the sql selects:
//
//	SELECT * | column [[AS] name], ...
//	FROM <table> [[AS] alias] [CROSS JOIN UNNEST(path) [[AS] alias] ...]
//	[WHERE condition] [ORDER BY timestamp [ASC|DESC]] [LIMIT n] [;]
//
// Tables are auth_logs, edge_logs, function_edge_logs, function_logs,
// pg_cron_logs, pgbouncer_logs, postgres_logs, postgrest_logs, realtime_logs,
// storage_logs and supavisor_logs (a row's Source). Rows are flat: id,
// timestamp (microseconds), event_message and the row's fields. A dotted
// column is named by its last part, so the API's
// "cross join unnest(metadata) as m cross join unnest(m.response) as
// response where response.status_code >= 500" reads the field status_code,
// and the UNNESTs change nothing; the records themselves (metadata, request,
// response, parsed) are neither fields nor columns. A condition is
//
//	column op literal, literal op column   op: = != <> < <= > >=
//	column [NOT] LIKE 'pattern'            % any run, _ one character, \ escapes
//	column [NOT] IN (literal, ...)
//	column IS [NOT] NULL
//	REGEXP_CONTAINS(column, 'regexp')      RE2, as BigQuery's
//	NOT c, c AND c, c OR c, (c)
//
// with literals 'string' or "string", numbers, TRUE/FALSE and
// TIMESTAMP '2025-03-01T10:00:00Z' (timestamp also compares with an RFC 3339
// string or microseconds). A row lacking a field has NULL there, which makes
// a comparison unknown (SQL's three-valued logic: the row is not kept).
// Columns must be id, timestamp, event_message, a field some appended row
// of the project has, or a well-known field of the real tables
// (database_name, error_severity, event_type, execution_time_ms,
// function_id, host, level, method, msg, path, search, sql_state_code,
// status, status_code, url, user_agent, user_name): any other is refused as
// a probable typo. Without sql the answer is every table's rows. Rows come
// newest first unless ORDER BY timestamp ASC (rows of one instant in the
// order appended, reversed when newest first), and at most maxLogRows (100)
// of them, like the API's limit: LIMIT lowers it but cannot raise it, so a
// caller that gets 100 rows must assume more matched and narrow its window.
// Anything else (other functions, GROUP BY, joins, subqueries, comparing a
// string field with a number) is a 400 whose message says what is not
// supported and lists this subset: the sandbox never answers a query it does
// not understand.
package sandbox
