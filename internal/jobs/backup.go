package jobs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/supaops/supaops/internal/jobstore"
	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/tools"
)

// pollEvery is how often a run follows a long-running operation.
const pollEvery = 5 * time.Second

// backupKind takes a restore point where PITR is on, and checks that the
// newest physical backup completed and is young enough. It alerts when a
// project turns unhealthy, and once when it recovers; an unhealthy project
// that stays so is not alerted again.
type backupKind struct{ p *jobstore.BackupParams }

// backupVerdict is what the job remembers of a project.
type backupVerdict struct {
	Healthy bool      `json:"healthy"`
	Reason  string    `json:"reason,omitempty"`
	Since   time.Time `json:"since"`
}

func (k backupKind) run(ctx context.Context, e *env) error {
	return e.forEachProject(ctx, func(ref string) error {
		reason, err := k.check(ctx, e, ref)
		if err != nil {
			return err
		}
		return e.verdict(ctx, ref, reason)
	})
}

// check says why a project's backups are unhealthy, or "" when they are
// fine. An error is a failure to look, not a finding.
func (k backupKind) check(ctx context.Context, e *env, ref string) (string, error) {
	res, err := e.call(ctx, "backups_list", map[string]any{"ref": ref})
	if err != nil {
		return "", err
	}
	data, _ := res.Data.(map[string]any)
	pitr, _ := data["pitr_enabled"].(bool)
	if k.p.RestorePoint && pitr {
		if why, err := k.restorePoint(ctx, e, ref); err != nil || why != "" {
			return why, err
		}
	}
	newest, found := newestBackup(data["backups"])
	switch {
	case !found:
		return "no physical backup is listed", nil
	case newest.status != "COMPLETED":
		return fmt.Sprintf("the newest physical backup (%d, %s) is %s", newest.id, newest.at.Format(time.RFC3339), newest.status), nil
	}
	if age := e.s.opts.Now().Sub(newest.at); age > k.p.MaxAge {
		return fmt.Sprintf("the newest completed physical backup is %s old (the job wants one younger than %s)", age.Round(time.Minute), k.p.MaxAge), nil
	}
	e.note("%s: newest backup %s;", ref, newest.at.Format(time.RFC3339))
	return "", nil
}

// restorePoint creates one, named after the run so a retried run does not
// make a second, and follows it to its end.
func (k backupKind) restorePoint(ctx context.Context, e *env, ref string) (string, error) {
	sum := sha256.Sum256([]byte(e.run.Key + "/" + ref))
	name := "supaops-" + hex.EncodeToString(sum[:6]) // the API allows 20 characters
	res, err := e.call(ctx, "restore_point_create", map[string]any{"ref": ref, "name": name})
	if err != nil {
		return "", err
	}
	pr, err := follow(ctx, e, res)
	switch {
	case err != nil:
		return "", fmt.Errorf("following restore point %s: %w", name, err)
	case pr.Failed:
		return fmt.Sprintf("restore point %s ended %s", name, pr.State), nil
	}
	e.note("%s: restore point %s %s;", ref, name, pr.State)
	return "", nil
}

// follow polls a long-running operation through the pipeline until it ends
// or ctx does.
func follow(ctx context.Context, e *env, res *pipeline.Result) (pipeline.Progress, error) {
	if res.Poll == nil {
		return pipeline.Progress{Done: true}, nil
	}
	for {
		if e.s.opts.Background != nil {
			ctx = e.s.opts.Background(ctx, e.spec)
		}
		pr, err := e.s.opts.Pipeline.Poll(ctx, res)
		if err != nil || pr.Done || pr.Failed {
			return pr, err
		}
		if err := e.s.opts.Sleep(ctx, pollEvery); err != nil {
			return pr, err
		}
	}
}

type backup struct {
	id     int64
	at     time.Time
	status string
}

// newestBackup finds the newest physical backup in backups_list's answer.
func newestBackup(v any) (backup, bool) {
	list, _ := v.([]any)
	var newest backup
	found := false
	for _, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			continue
		}
		if physical, ok := m["is_physical_backup"].(bool); ok && !physical {
			continue
		}
		at, err := time.Parse(time.RFC3339, fmt.Sprint(m["inserted_at"]))
		if err != nil {
			continue
		}
		if !found || at.After(newest.at) {
			id, _ := tools.IntValue(m["id"])
			newest, found = backup{id: int64(id), at: at, status: fmt.Sprint(m["status"])}, true
		}
	}
	return newest, found
}

// verdict compares a project's health with the last run's and alerts on a
// change: unhealthy (error), recovered (info).
func (e *env) verdict(ctx context.Context, ref, reason string) error {
	key := "backup/" + ref
	now := e.s.opts.Now().UTC()
	err := e.commit(ctx, func(t *jobstore.StateTx) error {
		var prev backupVerdict
		had, err := t.Get(key, &prev)
		if err != nil {
			return err
		}
		cur := backupVerdict{Healthy: reason == "", Reason: reason, Since: now}
		switch {
		case !cur.Healthy && (!had || prev.Healthy):
			err = t.Queue(e.targets(jobstore.Alert{
				Key: e.run.Key + "/" + ref + "/unhealthy", Severity: "error", Project: ref,
				Title: fmt.Sprintf("Backups of %s need attention", ref), Lines: []string{reason},
			})...)
		case cur.Healthy && had && !prev.Healthy:
			err = t.Queue(e.targets(jobstore.Alert{
				Key: e.run.Key + "/" + ref + "/recovered", Severity: "info", Project: ref,
				Title: fmt.Sprintf("Backups of %s recovered", ref), Lines: []string{"was: " + prev.Reason},
			})...)
		case had && prev.Healthy == cur.Healthy:
			cur.Since = prev.Since // the same state goes on
		}
		if err != nil {
			return err
		}
		return t.Put(key, cur)
	})
	if err == nil && reason != "" {
		e.note("%s: %s;", ref, reason)
	}
	return err
}
