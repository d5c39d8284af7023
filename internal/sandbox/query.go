package sandbox

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
)

const cannedNote = "supaops sandbox: no SQL was executed; canned rows"

// runQuery answers POST /database/query and /query/read-only with canned
// rows that say they come from the sandbox. The SQL is read only to pick a
// plausible answer and to refuse writes on the read-only endpoint.
func (s *Sandbox) runQuery(readOnly bool) handlerFunc {
	writeVerb := regexp.MustCompile(`(?i)^\s*(insert|update|delete|drop|create|alter|truncate|grant|revoke|comment|vacuum)\b`)
	return func(c *call) (reply, error) {
		var body struct {
			Query      string `json:"query"`
			Parameters []any  `json:"parameters"`
			ReadOnly   bool   `json:"read_only"`
		}
		if err := json.Unmarshal(c.body, &body); err != nil {
			return reply{}, errBadRequest("Invalid request body: %v", err)
		}
		s.mu.Lock()
		p, err := s.requireProject(c)
		status := ""
		if err == nil {
			status = p.status.at(c.now)
		}
		s.mu.Unlock()
		if err != nil {
			return reply{}, err
		}
		if status != statusActive {
			return reply{}, errBadRequest("Failed to run sql query: project %s is %s", c.params["ref"], status)
		}
		if m := writeVerb.FindStringSubmatch(body.Query); m != nil && (readOnly || body.ReadOnly) {
			return reply{}, errBadRequest("Failed to run sql query: ERROR:  25006: cannot execute %s in a read-only transaction", strings.ToUpper(m[1]))
		}
		if rows, ok := catalogRows(body.Query, body.Parameters); ok {
			return reply{status: http.StatusCreated, body: rows}, nil
		}
		return reply{status: http.StatusCreated, body: cannedRows(body.Query)}, nil
	}
}

func cannedRows(sql string) []map[string]any {
	q := strings.ToLower(strings.Join(strings.Fields(sql), " "))
	row := func(fields map[string]any) map[string]any {
		fields["sandbox"] = true
		fields["note"] = cannedNote
		return fields
	}
	switch {
	case strings.Contains(q, "version()"):
		return []map[string]any{row(map[string]any{"version": "PostgreSQL 17.4 on aarch64-unknown-linux-gnu, compiled by gcc (supaops sandbox)"})}
	case strings.Contains(q, "information_schema.tables") || strings.Contains(q, "pg_tables") || strings.Contains(q, "pg_class"):
		var rows []map[string]any
		for _, t := range []string{"profiles", "todos", "orders"} {
			rows = append(rows, row(map[string]any{"table_schema": "public", "table_name": t, "table_type": "BASE TABLE"}))
		}
		return rows
	case strings.HasPrefix(q, "select 1"):
		return []map[string]any{row(map[string]any{"?column?": 1})}
	case strings.HasPrefix(q, "select now()") || strings.HasPrefix(q, "select current_timestamp"):
		return []map[string]any{row(map[string]any{"now": rfc3339(epoch())})}
	case strings.HasPrefix(q, "select"), strings.HasPrefix(q, "with"), strings.HasPrefix(q, "show"), strings.HasPrefix(q, "explain"):
		return []map[string]any{row(map[string]any{})}
	}
	// Statements without a result set: the API answers an empty array; the
	// sandbox answers one marker row so callers can tell it is canned.
	return []map[string]any{row(map[string]any{"command": strings.ToUpper(firstWord(q))})}
}

func firstWord(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return ""
}
