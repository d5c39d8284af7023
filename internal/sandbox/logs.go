package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// logSources are the log tables (a query's FROM) the sandbox knows, those of
// the Logs Explorer.
var logSources = []string{
	"auth_logs", "edge_logs", "function_edge_logs", "function_logs", "pg_cron_logs", "pgbouncer_logs",
	"postgres_logs", "postgrest_logs", "realtime_logs", "storage_logs", "supavisor_logs",
}

// logBuiltinColumns every row has.
var logBuiltinColumns = []string{"id", "timestamp", "event_message"}

// wellKnownLogFields may be queried even when no appended row has them (a
// sweep of an empty project is not an error): the structured fields of the
// real log tables, which the sandbox keeps flat under their last name
// (response.status_code is status_code).
var wellKnownLogFields = []string{
	"database_name", "error_severity", "event_type", "execution_time_ms", "function_id", "host", "level",
	"method", "msg", "path", "search", "sql_state_code", "status", "status_code", "url", "user_agent", "user_name",
}

// logNestedRecords are the records the real tables nest fields in; the
// sandbox keeps those fields flat, so the names are neither fields nor
// columns.
var logNestedRecords = []string{"metadata", "parsed", "request", "response"}

var logFieldName = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// LogRow is one log line of a project. Its JSON form (the control endpoint's)
// is flat: {"source": "edge_logs", "timestamp": 1736154000000000,
// "event_message": "...", "status_code": 500, "path": "/rest/v1/x"}, where
// timestamp is microseconds since the epoch (as the API reports it) or an
// RFC 3339 string, and every key other than source, timestamp,
// event_message and id is a field.
type LogRow struct {
	Source       string    // the table it is in: edge_logs, postgres_logs, auth_logs...; "" = edge_logs
	Timestamp    time.Time // zero = the sandbox clock's now; kept to the microsecond, as the API reports it
	EventMessage string
	ID           string // "" = a deterministic UUID
	// Fields are the structured fields a query filters on and selects:
	// lowercase names (status_code, path, method, level...) with string,
	// number, boolean or null values.
	Fields map[string]any
}

// MarshalJSON writes the flat form, timestamp in microseconds.
func (r LogRow) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, len(r.Fields)+4)
	maps.Copy(m, r.Fields)
	m["source"] = r.Source
	m["timestamp"] = r.Timestamp.UnixMicro()
	m["event_message"] = r.EventMessage
	m["id"] = r.ID
	return json.Marshal(m)
}

// UnmarshalJSON reads the flat form.
func (r *LogRow) UnmarshalJSON(b []byte) error {
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // microsecond timestamps do not fit a float64 exactly
	if err := dec.Decode(&m); err != nil {
		return err
	}
	*r = LogRow{Fields: make(map[string]any)}
	for k, v := range m {
		var ok bool
		switch k {
		case "source":
			r.Source, ok = v.(string)
		case "event_message":
			r.EventMessage, ok = v.(string)
		case "id":
			r.ID, ok = v.(string)
		case "timestamp":
			switch t := v.(type) {
			case json.Number:
				us, err := t.Int64()
				if err != nil {
					return fmt.Errorf("log row timestamp %s: want microseconds since the epoch or an RFC 3339 string", t)
				}
				r.Timestamp, ok = time.UnixMicro(us).UTC(), true
			case string:
				ts, err := time.Parse(time.RFC3339Nano, t)
				if err != nil {
					return fmt.Errorf("log row timestamp: %w", err)
				}
				r.Timestamp, ok = ts, true
			}
		default:
			if n, isNum := v.(json.Number); isNum {
				f, err := n.Float64()
				if err != nil {
					return fmt.Errorf("log row field %s: %w", k, err)
				}
				v = f
			}
			r.Fields[k], ok = v, true
		}
		if !ok {
			return fmt.Errorf("log row %s: unexpected value %v", k, v)
		}
	}
	return nil
}

// logRow is a stored LogRow, normalized.
type logRow struct {
	seq    int
	id     string
	source string
	at     time.Time // UTC, microseconds
	msg    string
	fields map[string]any // values: string, float64, bool, nil
}

func (r *logRow) public() LogRow {
	return LogRow{Source: r.source, Timestamp: r.at, EventMessage: r.msg, ID: r.id, Fields: maps.Clone(r.fields)}
}

// value reads a column of the row; ok is false when the row lacks it.
func (r *logRow) value(col string) (v any, ok bool) {
	switch col {
	case "id":
		return r.id, true
	case "timestamp":
		return r.at, true
	case "event_message":
		return r.msg, true
	}
	v, ok = r.fields[col]
	return v, ok
}

// logStore is a project's appended log rows, sorted by time and then by
// order of appending. The caller holds Sandbox.mu.
type logStore struct {
	rows   []*logRow
	fields map[string]bool // every field name a row has, for checking queries
}

func newLogStore() *logStore {
	return &logStore{fields: make(map[string]bool)}
}

func (ls *logStore) insert(r *logRow) {
	// After every row at the same time or earlier: rows of one instant keep
	// the order they were appended in.
	i := sort.Search(len(ls.rows), func(i int) bool { return ls.rows[i].at.After(r.at) })
	ls.rows = slices.Insert(ls.rows, i, r)
	for k := range r.fields {
		ls.fields[k] = true
	}
}

// hasColumn reports whether col may be queried.
func (ls *logStore) hasColumn(col string) bool {
	return slices.Contains(logBuiltinColumns, col) || slices.Contains(wellKnownLogFields, col) || ls.fields[col]
}

// columns lists what may be queried, for error messages.
func (ls *logStore) columns() []string {
	cols := slices.Concat(logBuiltinColumns, wellKnownLogFields)
	for k := range ls.fields {
		if !slices.Contains(cols, k) {
			cols = append(cols, k)
		}
	}
	slices.Sort(cols[len(logBuiltinColumns):])
	return cols
}

// normalizeLogRow checks a row and fills its defaults; the clock and the
// sequence number come from the caller, which holds Sandbox.mu.
func normalizeLogRow(ref string, in LogRow, now time.Time, seq int) (*logRow, error) {
	r := &logRow{seq: seq, id: in.ID, source: in.Source, msg: in.EventMessage, fields: make(map[string]any, len(in.Fields))}
	if r.source == "" {
		r.source = "edge_logs"
	}
	if !slices.Contains(logSources, r.source) {
		return nil, fmt.Errorf("log source %q is not a log table; want one of %s", r.source, strings.Join(logSources, ", "))
	}
	at := in.Timestamp
	if at.IsZero() {
		at = now
	}
	r.at = at.UTC().Truncate(time.Microsecond)
	if r.id == "" {
		r.id = stableUUID(fmt.Sprintf("log/%s/%d", ref, seq))
	}
	for k, v := range in.Fields {
		if !logFieldName.MatchString(k) {
			return nil, fmt.Errorf("log field name %q: want lowercase letters, digits and _, as SQL column names", k)
		}
		if slices.Contains(logNestedRecords, k) {
			return nil, fmt.Errorf("log field %q: the sandbox keeps nested fields flat; add them by their own names (status_code, path...)", k)
		}
		if slices.Contains(logBuiltinColumns, k) || k == "source" {
			return nil, fmt.Errorf("log field %q is a column of every row: set it with LogRow.%s", k, map[string]string{
				"id": "ID", "timestamp": "Timestamp", "event_message": "EventMessage", "source": "Source"}[k])
		}
		nv, err := normalizeLogValue(v)
		if err != nil {
			return nil, fmt.Errorf("log field %s: %w", k, err)
		}
		r.fields[k] = nv
	}
	return r, nil
}

// normalizeLogValue keeps strings, booleans and null, and makes every number
// a float64 so comparisons need one numeric type.
func normalizeLogValue(v any) (any, error) {
	switch t := v.(type) {
	case nil, string, bool, float64:
		return t, nil
	case float32:
		return float64(t), nil
	case int:
		return float64(t), nil
	case int8:
		return float64(t), nil
	case int16:
		return float64(t), nil
	case int32:
		return float64(t), nil
	case int64:
		return float64(t), nil
	case uint:
		return float64(t), nil
	case uint8:
		return float64(t), nil
	case uint16:
		return float64(t), nil
	case uint32:
		return float64(t), nil
	case uint64:
		return float64(t), nil
	case json.Number:
		return t.Float64()
	}
	return nil, fmt.Errorf("value %v (%T): want a string, number, boolean or null", v, v)
}

// AppendLogs appends rows to a project's logs. From the first append on,
// logs_query answers from these rows (see the package doc) instead of the
// canned ones. Rows are checked first: on error none is appended.
func (s *Sandbox) AppendLogs(ref string, rows ...LogRow) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.projectByRef(ref)
	if err != nil {
		return err
	}
	now := s.now()
	norm := make([]*logRow, len(rows))
	for i, in := range rows {
		if norm[i], err = normalizeLogRow(ref, in, now, s.st.logSeq+i+1); err != nil {
			return fmt.Errorf("sandbox: log row %d: %w", i, err)
		}
	}
	s.st.logSeq += len(rows)
	if p.logs == nil {
		p.logs = newLogStore()
	}
	for _, r := range norm {
		p.logs.insert(r)
	}
	return nil
}

// Logs returns a project's appended log rows in time order (none while it
// answers canned rows).
func (s *Sandbox) Logs(ref string) ([]LogRow, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.projectByRef(ref)
	if err != nil {
		return nil, err
	}
	if p.logs == nil {
		return []LogRow{}, nil
	}
	out := make([]LogRow, len(p.logs.rows))
	for i, r := range p.logs.rows {
		out[i] = r.public()
	}
	return out, nil
}

// ClearLogs removes a project's appended rows. The project keeps answering
// from its (now empty) rows, not the canned ones: a test of "nothing
// matched" starts here.
func (s *Sandbox) ClearLogs(ref string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.projectByRef(ref)
	if err != nil {
		return err
	}
	p.logs = newLogStore()
	return nil
}

// query answers rows in [start, end) matching q (nil: every table, no
// filter), newest first unless q orders ascending, at most maxLogRows.
func (ls *logStore) query(q *logQuery, start, end time.Time) ([]map[string]any, error) {
	lo := sort.Search(len(ls.rows), func(i int) bool { return !ls.rows[i].at.Before(start) })
	var hits []*logRow
	for _, r := range ls.rows[lo:] {
		if !r.at.Before(end) {
			break
		}
		if q == nil {
			hits = append(hits, r)
			continue
		}
		if r.source != q.table {
			continue
		}
		if q.where != nil {
			t, err := q.where.eval(r)
			if err != nil {
				return nil, err
			}
			if t != triTrue {
				continue
			}
		}
		hits = append(hits, r)
	}
	if q == nil || !q.asc {
		slices.Reverse(hits)
	}
	limit := maxLogRows
	if q != nil && q.limit >= 0 {
		limit = min(limit, q.limit)
	}
	if len(hits) > limit {
		hits = hits[:limit]
	}
	out := make([]map[string]any, len(hits))
	for i, r := range hits {
		out[i] = r.project(q)
	}
	return out, nil
}

// project builds the answer row: every column for * (or no query), else the
// selected ones under their names; a column the row lacks is null.
func (r *logRow) project(q *logQuery) map[string]any {
	if q == nil || q.columns == nil {
		m := make(map[string]any, len(r.fields)+3)
		maps.Copy(m, r.fields)
		m["id"], m["timestamp"], m["event_message"] = r.id, r.at.UnixMicro(), r.msg
		return m
	}
	m := make(map[string]any, len(q.columns))
	for _, c := range q.columns {
		v, _ := r.value(c.field)
		if t, ok := v.(time.Time); ok {
			v = t.UnixMicro()
		}
		m[c.as] = v
	}
	return m
}
