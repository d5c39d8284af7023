package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/supaops/supaops/internal/client"
	"github.com/supaops/supaops/internal/jobstore"
)

// maxWindowsPerRun bounds the windows one run queries: a sweep catching up
// after an outage goes on at the next run rather than flooding the API.
const maxWindowsPerRun = 48

// logSweepKind queries the logs over consecutive windows [cursor, now −
// lag), each no longer than the job's window: windows never overlap and
// never leave a gap, also across restarts, pauses and outages, because the
// cursor moves, durably, only after its window was queried (and its alert,
// if any, queued).
type logSweepKind struct{ p *jobstore.LogSweepParams }

func (k logSweepKind) run(ctx context.Context, e *env) error {
	var lag time.Duration // the largest over the projects swept
	defer func() {
		if o := e.s.opts.Observer; o != nil {
			o.ObserveSweepLag(e.spec.Name, lag)
		}
	}()
	return e.forEachProject(ctx, func(ref string) error {
		key := "cursor/" + ref
		var cursor time.Time
		found, err := e.s.opts.Store.GetState(ctx, e.spec.Name, key, &cursor)
		if err != nil {
			return err
		}
		end := e.s.opts.Now().Add(-k.p.Lag).UTC().Truncate(time.Second)
		if !found {
			cursor = k.p.Start
			if cursor.IsZero() {
				// A new sweep starts now: there is no "since the last run".
				lag = max(lag, e.s.opts.Now().Sub(end))
				return e.commit(ctx, func(t *jobstore.StateTx) error { return t.Advance(key, end) })
			}
		}
		windows, matched := 0, 0
		for cursor.Before(end) && windows < maxWindowsPerRun {
			to := cursor.Add(k.p.Window)
			if to.After(end) {
				to = end
			}
			n, err := k.window(ctx, e, ref, key, cursor, to)
			if retryAt, limited := rateLimited(err); limited && windows > 0 {
				// Catching up yields to people: the budget for background
				// work is used, and the next run goes on from the cursor.
				e.note("%s: stopped at %s, the rate budget for jobs is in use until %s;", ref, cursor.Format(time.RFC3339), retryAt.UTC().Format(time.RFC3339))
				break
			}
			if err != nil {
				return fmt.Errorf("window %s–%s: %w", cursor.Format(time.RFC3339), to.Format(time.RFC3339), err)
			}
			matched += n
			cursor = to
			windows++
		}
		lag = max(lag, e.s.opts.Now().Sub(cursor))
		e.note("%s: %d window(s) to %s, %d matching row(s);", ref, windows, cursor.Format(time.RFC3339), matched)
		if cursor.Before(end) {
			e.note("%s: %s still to sweep; the next run goes on;", ref, end.Sub(cursor).Round(time.Minute))
		}
		return nil
	})
}

// rateLimited reports a call refused by the rate limiter (429), and when
// it may go.
func rateLimited(err error) (time.Time, bool) {
	var apiErr *client.APIError
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusTooManyRequests {
		return apiErr.RetryAt, true
	}
	return time.Time{}, false
}

// window queries [from, to), and commits the cursor at to with the alert
// when rows match, in one transaction: window by window, so a crash loses
// at most the window in progress, which the next run queries again.
func (k logSweepKind) window(ctx context.Context, e *env, ref, key string, from, to time.Time) (int, error) {
	sql := fmt.Sprintf("select timestamp, event_message from %s where %s order by timestamp", k.p.Source, k.p.Where)
	res, err := e.call(ctx, "logs_query", map[string]any{
		"ref": ref, "sql": sql,
		"iso_timestamp_start": from.UTC().Format(time.RFC3339), "iso_timestamp_end": to.UTC().Format(time.RFC3339),
	})
	if err != nil {
		return 0, err
	}
	data, _ := res.Data.(map[string]any)
	if msg, ok := data["error"]; ok && msg != nil {
		return 0, fmt.Errorf("the logs API refused the query: %v", msg)
	}
	rows, _ := data["result"].([]any)
	if len(rows) == 0 {
		return 0, e.commit(ctx, func(t *jobstore.StateTx) error { return t.Advance(key, to) })
	}
	samples := rows[:min(len(rows), k.p.Samples)]
	text, err := json.MarshalIndent(samples, "", "  ")
	if err != nil {
		return 0, err
	}
	count := fmt.Sprint(len(rows))
	if len(rows) >= 100 {
		count = "at least " + count // the API caps a query's rows
	}
	alert := jobstore.Alert{
		Key: fmt.Sprintf("%s/%s/%s", e.spec.Name, ref, from.UTC().Format(time.RFC3339)), Severity: "warning", Project: ref,
		Title: fmt.Sprintf("%s rows in %s of %s matched %s", count, k.p.Source, ref, k.p.Where),
		Lines: []string{fmt.Sprintf("window %s to %s", from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339))},
		// Log lines are written by the project's users' traffic.
		Untrusted: string(text),
	}
	return len(rows), e.commit(ctx, func(t *jobstore.StateTx) error {
		if err := t.Queue(e.targets(alert)...); err != nil {
			return err
		}
		return t.Advance(key, to)
	})
}
