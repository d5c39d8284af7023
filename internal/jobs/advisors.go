package jobs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/supaops/supaops/internal/jobstore"
)

// advisorsKind runs the security and performance advisors and alerts only
// the lints that are new since the last run, at or above a level, and the
// ones resolved since; a run with nothing new posts nothing.
type advisorsKind struct{ p *jobstore.AdvisorsParams }

// seenLint is what the job remembers of a lint it reported.
type seenLint struct {
	Title string `json:"title"`
	Level string `json:"level"`
}

func (k advisorsKind) run(ctx context.Context, e *env) error {
	return e.forEachProject(ctx, func(ref string) error {
		current := map[string]seenLint{}
		lines := map[string]string{}
		for _, typ := range k.p.Types {
			res, err := e.call(ctx, "advisors_"+typ+"_list", map[string]any{"ref": ref})
			if err != nil {
				return err
			}
			data, _ := res.Data.(map[string]any)
			lints, _ := data["lints"].([]any)
			for _, l := range lints {
				m, ok := l.(map[string]any)
				if !ok {
					continue
				}
				level := strings.ToUpper(fmt.Sprint(m["level"]))
				if levelRank(level) < levelRank(k.p.Level) {
					continue
				}
				fp := fingerprint(typ, m)
				title := firstString(m, "title", "name")
				current[fp] = seenLint{Title: title, Level: level}
				lines[fp] = fmt.Sprintf("%s [%s] %s: %s", strings.ToUpper(typ[:1])+typ[1:], level, title, firstString(m, "detail", "description"))
			}
		}
		key := "advisors/" + ref
		var fresh, resolved []string
		err := e.commit(ctx, func(t *jobstore.StateTx) error {
			fresh, resolved = nil, nil
			var prev map[string]seenLint
			if _, err := t.Get(key, &prev); err != nil {
				return err
			}
			for _, fp := range slices.Sorted(maps.Keys(current)) {
				if _, ok := prev[fp]; !ok {
					fresh = append(fresh, lines[fp])
				}
			}
			for _, fp := range slices.Sorted(maps.Keys(prev)) {
				if _, ok := current[fp]; !ok {
					resolved = append(resolved, fmt.Sprintf("[%s] %s", prev[fp].Level, prev[fp].Title))
				}
			}
			if len(fresh) > 0 {
				sev := "warning"
				for fp := range current {
					if _, old := prev[fp]; !old && current[fp].Level == jobstore.LevelError {
						sev = "error"
					}
				}
				if err := t.Queue(e.targets(jobstore.Alert{
					Key: e.run.Key + "/" + ref + "/new", Severity: sev, Project: ref,
					Title: fmt.Sprintf("%d new advisor finding(s) on %s", len(fresh), ref), Lines: fresh,
				})...); err != nil {
					return err
				}
			}
			if len(resolved) > 0 {
				if err := t.Queue(e.targets(jobstore.Alert{
					Key: e.run.Key + "/" + ref + "/resolved", Severity: "info", Project: ref,
					Title: fmt.Sprintf("%d advisor finding(s) resolved on %s", len(resolved), ref), Lines: resolved,
				})...); err != nil {
					return err
				}
			}
			// The findings and their alerts commit together.
			return t.Put(key, current)
		})
		if err != nil {
			return err
		}
		e.note("%s: %d findings, %d new, %d resolved;", ref, len(current), len(fresh), len(resolved))
		return nil
	})
}

// fingerprint identifies a lint across runs: the advisor type and the
// lint's cache_key (stable per finding), else its name and metadata.
func fingerprint(typ string, lint map[string]any) string {
	id, _ := lint["cache_key"].(string)
	if id == "" {
		meta, _ := json.Marshal(lint["metadata"]) // map keys are sorted: stable
		id = fmt.Sprint(lint["name"]) + "|" + string(meta)
	}
	sum := sha256.Sum256([]byte(typ + "|" + id))
	return hex.EncodeToString(sum[:12])
}

func levelRank(level string) int {
	switch level {
	case jobstore.LevelError:
		return 3
	case jobstore.LevelWarn:
		return 2
	case jobstore.LevelInfo:
		return 1
	}
	return 0
}

func firstString(m map[string]any, keys ...string) string {
	for _, k := range keys {
		if s, ok := m[k].(string); ok && s != "" {
			return s
		}
	}
	return ""
}
