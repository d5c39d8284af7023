package sandbox

import (
	"fmt"
	"strings"
	"time"
)

// maxLogRows caps a logs.all answer, like the API's row limit: a query's
// LIMIT can lower it, not raise it. A caller that gets maxLogRows rows must
// assume more matched and narrow its window.
const maxLogRows = 100

// projectLogs answers logs.all for the window [iso_timestamp_start,
// iso_timestamp_end) (the last minute by default; at most 24 hours, as in
// the API). A project with appended rows (logs.go) answers those the sql
// selects; any other answers one canned edge-log row per minute of the
// window, whatever the sql.
func (s *Sandbox) projectLogs(c *call) (reply, error) {
	end := c.now.UTC()
	start := end.Add(-time.Minute)
	var err error
	if v := c.query.Get("iso_timestamp_end"); v != "" {
		if end, err = time.Parse(time.RFC3339, v); err != nil {
			return reply{}, errBadRequest("Invalid query parameter \"iso_timestamp_end\": %v", err)
		}
		if c.query.Get("iso_timestamp_start") == "" {
			start = end.Add(-time.Minute)
		}
	}
	if v := c.query.Get("iso_timestamp_start"); v != "" {
		if start, err = time.Parse(time.RFC3339, v); err != nil {
			return reply{}, errBadRequest("Invalid query parameter \"iso_timestamp_start\": %v", err)
		}
	}
	if !start.Before(end) {
		return reply{}, errBadRequest("iso_timestamp_start must be before iso_timestamp_end")
	}
	if end.Sub(start) > 24*time.Hour {
		return reply{}, errBadRequest("The time range between iso_timestamp_start and iso_timestamp_end must not exceed 24 hours")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.requireProject(c)
	if err != nil {
		return reply{}, err
	}
	if p.logs != nil {
		var q *logQuery
		if sql := strings.TrimSpace(c.query.Get("sql")); sql != "" {
			if q, err = parseLogSQL(sql, p.logs.hasColumn, p.logs.columns); err != nil {
				return reply{}, err
			}
		}
		rows, err := p.logs.query(q, start, end)
		if err != nil {
			return reply{}, err
		}
		return reply{body: map[string]any{"result": rows}}, nil
	}
	return reply{body: map[string]any{"result": cannedLogRows(c.params["ref"], start, end)}}, nil
}

// cannedLogRows are one edge-log row per minute of the window, newest first,
// both ends included at minute precision.
func cannedLogRows(ref string, start, end time.Time) []map[string]any {
	start, end = start.Truncate(time.Minute), end.Truncate(time.Minute)
	rows := []map[string]any{}
	paths := []string{"/rest/v1/todos", "/auth/v1/token", "/storage/v1/object/list/avatars", "/functions/v1/hello-world"}
	codes := []int{200, 200, 201, 401}
	for t, i := end, 0; !t.Before(start) && len(rows) < maxLogRows; t, i = t.Add(-time.Minute), i+1 {
		rows = append(rows, map[string]any{
			"id":            stableUUID(fmt.Sprintf("log/%s/%d", ref, t.Unix())),
			"timestamp":     t.UnixMicro(),
			"event_message": fmt.Sprintf("GET | %d | 203.0.113.7 | sandbox | https://%s.supabase.co%s | supaops-sandbox", codes[i%len(codes)], ref, paths[i%len(paths)]),
			"sandbox":       true,
		})
	}
	return rows
}

// intervalBuckets maps a usage interval to its bucket count and width.
func intervalBuckets(interval string) (int, time.Duration) {
	switch interval {
	case "15min":
		return 15, time.Minute
	case "30min":
		return 30, time.Minute
	case "1hr":
		return 12, 5 * time.Minute
	case "3hr":
		return 18, 10 * time.Minute
	case "3day":
		return 18, 4 * time.Hour
	case "7day":
		return 28, 6 * time.Hour
	}
	return 24, time.Hour // 1day
}

func (s *Sandbox) usageAPICounts(c *call) (reply, error) {
	s.mu.Lock()
	_, err := s.requireProject(c)
	s.mu.Unlock()
	if err != nil {
		return reply{}, err
	}
	n, width := intervalBuckets(c.query.Get("interval"))
	end := c.now.UTC().Truncate(width)
	result := make([]map[string]any, 0, n)
	for i := n - 1; i >= 0; i-- {
		t := end.Add(-time.Duration(i) * width)
		k := float64(10 + (i*7)%13)
		result = append(result, map[string]any{
			"timestamp":               rfc3339(t),
			"total_rest_requests":     k * 12,
			"total_auth_requests":     k * 3,
			"total_storage_requests":  k * 2,
			"total_realtime_requests": k,
		})
	}
	return reply{body: map[string]any{"result": result}}, nil
}

func (s *Sandbox) usageRequestCount(c *call) (reply, error) {
	s.mu.Lock()
	_, err := s.requireProject(c)
	s.mu.Unlock()
	if err != nil {
		return reply{}, err
	}
	return reply{body: map[string]any{"result": []map[string]any{{"count": 4242}}}}, nil
}
