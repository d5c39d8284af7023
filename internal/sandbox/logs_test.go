package sandbox

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// logsAt calls logs.all for [start, end) with sql and returns the answer's
// rows, after checking it against the spec.
func logsAt(t *testing.T, s *Sandbox, tc *testClient, ref, sql string, start, end time.Time) []map[string]any {
	t.Helper()
	r, req := logsCall(tc, ref, sql, start, end)
	mustStatus(t, r, http.StatusOK, "logs.all "+sql)
	mustConform(t, s, tc, "v1-get-project-logs", req, r)
	var body struct {
		Result []map[string]any `json:"result"`
	}
	r.json(t, &body)
	return body.Result
}

func logsCall(tc *testClient, ref, sql string, start, end time.Time) (result, request) {
	q := url.Values{}
	if sql != "" {
		q.Set("sql", sql)
	}
	if !start.IsZero() {
		q.Set("iso_timestamp_start", start.Format(time.RFC3339Nano))
	}
	if !end.IsZero() {
		q.Set("iso_timestamp_end", end.Format(time.RFC3339Nano))
	}
	req := request{method: http.MethodGet, path: "/v1/projects/" + ref + "/analytics/endpoints/logs.all", query: q}
	return tc.send(req), req
}

func rowIDs(rows []map[string]any) []string {
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i], _ = r["id"].(string)
	}
	return ids
}

// Consecutive windows [cursor, cursor+w) see every row exactly once,
// whatever the window size and however rows sit on the edges, and the
// windows move with the sandbox's clock.
func TestLogWindowsPartitionRows(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	// Rows on window edges, a microsecond either side, and in between; one
	// before the sweep starts and one at its end (excluded).
	offsets := []time.Duration{
		-time.Microsecond, 0, time.Microsecond, 59*time.Second + 999999*time.Microsecond, time.Minute,
		time.Minute + time.Microsecond, 90 * time.Second, 5*time.Minute - time.Microsecond, 5 * time.Minute,
		7 * time.Minute, 10*time.Minute - time.Microsecond, 10 * time.Minute,
	}
	const sweep = 10 * time.Minute
	for _, window := range []time.Duration{time.Minute, 5 * time.Minute, 7 * time.Second, 150 * time.Second, sweep} {
		t.Run(window.String(), func(t *testing.T) {
			t.Parallel()
			clock := NewManualClock(t0)
			s := newTestSandbox(t, Options{Now: clock.Now, Budget: 1 << 20})
			tc := newTestClient(t, s)
			ref := s.Seed().ProjectRef
			var rows []LogRow
			want := map[string]bool{}
			for i, off := range offsets {
				id := fmt.Sprintf("row-%02d", i)
				rows = append(rows, LogRow{ID: id, Timestamp: t0.Add(off), EventMessage: "at " + off.String(), Fields: map[string]any{"status_code": 500}})
				if off >= 0 && off < sweep {
					want[id] = true
				}
			}
			if err := s.AppendLogs(ref, rows...); err != nil {
				t.Fatal(err)
			}
			seen := map[string]int{}
			// The sweep's windows end where the clock is: it advances one
			// window at a time, and the default window is the last minute
			// before now.
			for cursor := t0; cursor.Before(t0.Add(sweep)); cursor = cursor.Add(window) {
				end := cursor.Add(window)
				if end.After(t0.Add(sweep)) {
					end = t0.Add(sweep)
				}
				clock.Set(end)
				for _, r := range logsAt(t, s, tc, ref, "select id, timestamp from edge_logs where status_code >= 500", cursor, end) {
					id := r["id"].(string)
					seen[id]++
					ts := time.UnixMicro(int64(r["timestamp"].(float64)))
					if ts.Before(cursor) || !ts.Before(end) {
						t.Errorf("row %s at %s answered for [%s, %s)", id, ts.Format(time.RFC3339Nano), cursor, end)
					}
				}
			}
			for id := range want {
				if seen[id] != 1 {
					t.Errorf("row %s seen %d times, want once", id, seen[id])
				}
			}
			for id, n := range seen {
				if !want[id] {
					t.Errorf("row %s (outside the sweep) seen %d times", id, n)
				}
			}
			// No window given: the minute before the clock's now.
			clock.Set(t0.Add(10*time.Minute + time.Microsecond))
			got := rowIDs(logsAt(t, s, tc, ref, "", time.Time{}, time.Time{}))
			if wantIDs := []string{"row-11", "row-10"}; !slices.Equal(got, wantIDs) {
				t.Errorf("default window at %s: %v, want %v", clock.Now().Format(time.RFC3339), got, wantIDs)
			}
		})
	}
}

// The WHERE subset filters as SQL would, on the named table only, and the
// select list shapes the rows.
func TestLogQueryFilters(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	s := newTestSandbox(t, Options{Now: func() time.Time { return t0.Add(time.Hour) }})
	tc := newTestClient(t, s)
	ref := s.Seed().ProjectRef
	row := func(id string, min int, source, msg string, fields map[string]any) LogRow {
		return LogRow{ID: id, Source: source, Timestamp: t0.Add(time.Duration(min) * time.Minute), EventMessage: msg, Fields: fields}
	}
	err := s.AppendLogs(ref,
		row("e1", 1, "edge_logs", "GET /rest/v1/todos 200", map[string]any{"status_code": 200, "method": "GET", "path": "/rest/v1/todos"}),
		row("e2", 2, "", "POST /rest/v1/orders 500", map[string]any{"status_code": 500, "method": "POST", "path": "/rest/v1/orders"}),
		row("e3", 3, "edge_logs", "GET /auth/v1/user 401", map[string]any{"status_code": 401, "method": "GET", "path": "/auth/v1/user"}),
		row("e4", 4, "edge_logs", "GET /functions/v1/hello 503", map[string]any{"status_code": 503, "method": "GET", "path": "/functions/v1/hello"}),
		row("e5", 5, "edge_logs", "HEAD / (no status)", map[string]any{"method": "HEAD", "path": "/"}),
		row("p1", 2, "postgres_logs", "ERROR: relation \"x\" does not exist", map[string]any{"error_severity": "ERROR"}),
		row("p2", 3, "postgres_logs", "connection authorized: user=postgres", map[string]any{"error_severity": "LOG"}),
		row("a1", 4, "auth_logs", "Login failed", map[string]any{"level": "error", "status_code": 400}),
	)
	if err != nil {
		t.Fatal(err)
	}
	start, end := t0, t0.Add(time.Hour)
	tests := []struct {
		sql  string
		want []string // ids, in answer order
	}{
		{"select * from edge_logs", []string{"e5", "e4", "e3", "e2", "e1"}},
		{"SELECT * FROM postgres_logs", []string{"p2", "p1"}},
		// Rows of one instant (e4, a1) come in the order appended, reversed
		// when newest first.
		{"", []string{"e5", "a1", "e4", "p2", "e3", "p1", "e2", "e1"}},
		{"select id from edge_logs where status_code >= 500", []string{"e4", "e2"}},
		{"select id from edge_logs where 500 <= status_code", []string{"e4", "e2"}},
		{"select id from edge_logs where status_code >= 400 and method = 'GET'", []string{"e4", "e3"}},
		{"select id from edge_logs where method = 'POST' or (status_code > 400 and path like '/functions/%')", []string{"e4", "e2"}},
		{"select id from edge_logs where event_message like '%/rest/v1/%'", []string{"e2", "e1"}},
		{"select id from edge_logs where event_message not like '%/rest/v1/%'", []string{"e5", "e4", "e3"}},
		{"select id from edge_logs where status_code in (401, 503)", []string{"e4", "e3"}},
		{"select id from edge_logs where status_code not in (401, 503)", []string{"e2", "e1"}},
		{"select id from edge_logs where status_code is null", []string{"e5"}},
		{"select id from edge_logs where status_code is not null and status_code <> 200", []string{"e4", "e3", "e2"}},
		{"select id from edge_logs where not status_code = 200", []string{"e4", "e3", "e2"}},
		{"select id from edge_logs where regexp_contains(event_message, '5[0-9]{2}$')", []string{"e4", "e2"}},
		{"select id from postgres_logs where error_severity = 'ERROR'", []string{"p1"}},
		{"select id from auth_logs where level = \"error\"", []string{"a1"}},
		{"select id from edge_logs where timestamp >= timestamp '2025-03-01T10:03:00Z'", []string{"e5", "e4", "e3"}},
		{"select id from edge_logs where timestamp < '2025-03-01 10:03:00'", []string{"e2", "e1"}},
		{"select id from edge_logs order by timestamp asc", []string{"e1", "e2", "e3", "e4", "e5"}},
		{"select id from edge_logs order by timestamp desc limit 2", []string{"e5", "e4"}},
		{"select id from edge_logs where status_code >= 400 order by timestamp limit 1;", []string{"e4"}},
		{"select id, timestamp, event_message, request.method, response.status_code from edge_logs as t " +
			"cross join unnest(metadata) as m cross join unnest(m.request) as request cross join unnest(m.response) as response " +
			"where response.status_code >= 500 and request.path like '/rest/%'", []string{"e2"}},
		{"-- a comment\nselect `id` from `edge_logs` /* inline */ where path = '/' ", []string{"e5"}},
	}
	for _, tt := range tests {
		got := rowIDs(logsAt(t, s, tc, ref, tt.sql, start, end))
		if !slices.Equal(got, tt.want) {
			t.Errorf("%q: rows %v, want %v", tt.sql, got, tt.want)
		}
	}

	// The select list names the answer's columns; * gives every column.
	rows := logsAt(t, s, tc, ref, "select timestamp, event_message as msg, response.status_code, path from edge_logs where status_code = 500", start, end)
	want := map[string]any{"timestamp": float64(t0.Add(2 * time.Minute).UnixMicro()), "msg": "POST /rest/v1/orders 500", "status_code": float64(500), "path": "/rest/v1/orders"}
	if len(rows) != 1 || fmt.Sprint(rows[0]) != fmt.Sprint(want) {
		t.Errorf("selected columns: %v, want [%v]", rows, want)
	}
	rows = logsAt(t, s, tc, ref, "select * from edge_logs where status_code = 500", start, end)
	want = map[string]any{"id": "e2", "timestamp": float64(t0.Add(2 * time.Minute).UnixMicro()), "event_message": "POST /rest/v1/orders 500",
		"status_code": float64(500), "method": "POST", "path": "/rest/v1/orders"}
	if len(rows) != 1 || fmt.Sprint(rows[0]) != fmt.Sprint(want) {
		t.Errorf("select *: %v, want [%v]", rows, want)
	}
	rows = logsAt(t, s, tc, ref, "select id, status_code from edge_logs where method = 'HEAD'", start, end)
	if len(rows) != 1 || rows[0]["status_code"] != nil {
		t.Errorf("a field the row lacks: %v, want status_code null", rows)
	}
}

// A query outside the subset is a 400 saying what is wrong and what the
// sandbox understands, never a silent wrong answer.
func TestLogQueryRefused(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	s := newTestSandbox(t, Options{Now: func() time.Time { return t0.Add(time.Hour) }})
	tc := newTestClient(t, s)
	ref := s.Seed().ProjectRef
	err := s.AppendLogs(ref,
		LogRow{Timestamp: t0, EventMessage: "GET / 200", Fields: map[string]any{"status_code": 200, "region": "eu"}},
		LogRow{Timestamp: t0.Add(time.Minute), EventMessage: "GET / 200", Fields: map[string]any{"status_code": "200"}},
	)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		sql  string
		want string
	}{
		{"select count(*) from edge_logs", "function"},
		{"select id from edge_logs group by id", `"group"`},
		{"select id from edge_logs where stauts_code >= 500", `unknown column "stauts_code"`},
		{"select metadata from edge_logs", "rows are flat"},
		{"select id from edge_logs cross join unnest(metadata) as m where m.request = 'x'", "rows are flat"},
		{"select id from edge_logz", `unknown log table "edge_logz"`},
		{"select id from edge_logs join auth_logs on true", `"join"`},
		{"select id from edge_logs where id in (select id from auth_logs)", "IN wants a list of literals"},
		{"select id from edge_logs where status_code = null", "IS NULL"},
		{"select id from edge_logs where lower(event_message) = 'x'", "function"},
		{"select id from edge_logs where event_message like 'x", "not closed"},
		{"select id from edge_logs where status_code >= 500 order by id", "ORDER BY timestamp"},
		{"select id from edge_logs limit -1", "LIMIT"},
		{"select id from edge_logs where status_code between 500 and 599", `"between"`},
		{"select id from edge_logs where status_code >= 500; delete from x", `"delete"`},
		{"select id from edge_logs where region = 5", "compares a string"},
		{"select id from edge_logs where status_code >= 500", "compares a string"}, // one row holds "200"
		{"select distinct id from edge_logs", "DISTINCT"},
		{"select id from edge_logs where regexp_contains(event_message, '(')", "REGEXP_CONTAINS"},
	}
	for _, tt := range tests {
		r, _ := logsCall(tc, ref, tt.sql, t0, t0.Add(time.Hour))
		if r.status != http.StatusBadRequest {
			t.Errorf("%q: status %d (%s), want 400", tt.sql, r.status, r.body)
			continue
		}
		msg := r.message(t)
		if !strings.Contains(msg, tt.want) || !strings.Contains(msg, "understands: SELECT") {
			t.Errorf("%q: message %q, want it to mention %s and the supported subset", tt.sql, msg, tt.want)
		}
	}
	// The window rules hold for appended rows too.
	for _, w := range []struct{ start, end time.Time }{{t0, t0.Add(25 * time.Hour)}, {t0, t0}} {
		r, _ := logsCall(tc, ref, "select id from edge_logs", w.start, w.end)
		mustStatus(t, r, http.StatusBadRequest, fmt.Sprintf("window [%s, %s)", w.start, w.end))
	}
}

// Answers are capped like the API's: at most maxLogRows, newest first by
// default, oldest first with ORDER BY timestamp ASC; LIMIT only lowers it.
func TestLogAnswersCapped(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	s := newTestSandbox(t, Options{Now: func() time.Time { return t0.Add(time.Hour) }})
	tc := newTestClient(t, s)
	ref := s.Seed().ProjectRef
	var rows []LogRow
	for i := range 150 {
		rows = append(rows, LogRow{ID: fmt.Sprintf("r%03d", i), Timestamp: t0.Add(time.Duration(i) * time.Second)})
	}
	if err := s.AppendLogs(ref, rows...); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		sql         string
		n           int
		first, last string
	}{
		{"select id from edge_logs", maxLogRows, "r149", "r050"},
		{"select id from edge_logs limit 500", maxLogRows, "r149", "r050"},
		{"select id from edge_logs order by timestamp asc", maxLogRows, "r000", "r099"},
		{"select id from edge_logs limit 3", 3, "r149", "r147"},
		{"select id from edge_logs limit 0", 0, "", ""},
	}
	for _, tt := range tests {
		got := rowIDs(logsAt(t, s, tc, ref, tt.sql, t0, t0.Add(time.Hour)))
		if len(got) != tt.n || (tt.n > 0 && (got[0] != tt.first || got[len(got)-1] != tt.last)) {
			t.Errorf("%q: %d rows from %v, want %d from %s to %s", tt.sql, len(got), got[:min(len(got), 3)], tt.n, tt.first, tt.last)
		}
	}
}

// A project answers canned rows, whatever the sql, until rows are appended
// to it; ClearLogs leaves it answering from no rows at all.
func TestLogsCannedUntilAppended(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	s := newTestSandbox(t, Options{Now: func() time.Time { return t0 }})
	tc := newTestClient(t, s)
	seed := s.Seed()
	prod, staging := seed.ProjectRef, seed.ProjectRefs[1]
	const sql = "select id from edge_logs where status_code >= 500"
	start, end := t0.Add(-5*time.Minute), t0

	canned := logsAt(t, s, tc, prod, "select anything you like", start, end)
	if len(canned) != 6 || canned[0]["sandbox"] != true {
		t.Fatalf("canned answer: %v, want 6 canned rows", canned)
	}
	if err := s.AppendLogs(prod, LogRow{ID: "one", Timestamp: t0.Add(-time.Minute), Fields: map[string]any{"status_code": 502}}); err != nil {
		t.Fatal(err)
	}
	if got := rowIDs(logsAt(t, s, tc, prod, sql, start, end)); !slices.Equal(got, []string{"one"}) {
		t.Errorf("after appending: %v, want [one]", got)
	}
	if got := logsAt(t, s, tc, staging, "select anything you like", start, end); len(got) != 6 {
		t.Errorf("another project: %d rows, want its 6 canned rows", len(got))
	}
	if err := s.ClearLogs(prod); err != nil {
		t.Fatal(err)
	}
	if got := logsAt(t, s, tc, prod, sql, start, end); len(got) != 0 {
		t.Errorf("after ClearLogs: %v, want no rows", got)
	}
	if got, err := s.Logs(prod); err != nil || len(got) != 0 {
		t.Errorf("Logs after ClearLogs: %v %v", got, err)
	}
}

// Rows a query could not answer truthfully are refused when appended, and
// none of a refused batch is kept.
func TestAppendLogsRefused(t *testing.T) {
	t.Parallel()
	s := newTestSandbox(t, Options{})
	ref := s.Seed().ProjectRef
	good := LogRow{EventMessage: "ok"}
	tests := []struct {
		name     string
		ref      string
		row      LogRow
		want     string
		notFound bool
	}{
		{name: "unknown table", ref: ref, row: LogRow{Source: "nginx_logs"}, want: "edge_logs"},
		{name: "field name not a column name", ref: ref, row: LogRow{Fields: map[string]any{"Status-Code": 500}}, want: "Status-Code"},
		{name: "field shadowing a column", ref: ref, row: LogRow{Fields: map[string]any{"timestamp": 1}}, want: "LogRow.Timestamp"},
		{name: "nested record", ref: ref, row: LogRow{Fields: map[string]any{"metadata": "x"}}, want: "flat"},
		{name: "nested value", ref: ref, row: LogRow{Fields: map[string]any{"headers": map[string]any{"host": "x"}}}, want: "want a string, number"},
		{name: "unknown project", ref: "abcdefghijklmnopqrst", row: good, want: "abcdefghijklmnopqrst", notFound: true},
	}
	for _, tt := range tests {
		err := s.AppendLogs(tt.ref, good, tt.row)
		if err == nil || !strings.Contains(err.Error(), tt.want) || errors.Is(err, ErrNotFound) != tt.notFound {
			t.Errorf("%s: error %v, want one mentioning %s (not found: %v)", tt.name, err, tt.want, tt.notFound)
		}
	}
	if rows, err := s.Logs(ref); err != nil || len(rows) != 0 {
		t.Errorf("after refused batches: %d rows (%v), want none", len(rows), err)
	}
}
