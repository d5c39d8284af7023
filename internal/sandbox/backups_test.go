package sandbox

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// backupsAnswer is what backups_list answers.
type backupsAnswer struct {
	PitrEnabled bool `json:"pitr_enabled"`
	WalgEnabled bool `json:"walg_enabled"`
	Backups     []struct {
		ID         int    `json:"id"`
		InsertedAt string `json:"inserted_at"`
		Physical   bool   `json:"is_physical_backup"`
		Status     string `json:"status"`
	} `json:"backups"`
	Physical struct {
		Earliest int64 `json:"earliest_physical_backup_date_unix"`
		Latest   int64 `json:"latest_physical_backup_date_unix"`
	} `json:"physical_backup_data"`
}

func listBackups(t *testing.T, s *Sandbox, tc *testClient, ref string) backupsAnswer {
	t.Helper()
	req := request{method: http.MethodGet, path: "/v1/projects/" + ref + "/database/backups"}
	r := tc.send(req)
	mustStatus(t, r, http.StatusOK, "backups_list")
	mustConform(t, s, tc, "v1-list-all-backups", req, r)
	var b backupsAnswer
	r.json(t, &b)
	return b
}

// PITR, added backups and a failed newest backup show up in backups_list as
// a backup job reads it.
func TestBackupsChange(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := NewManualClock(t0)
	s := newTestSandbox(t, Options{Now: clock.Now})
	tc := newTestClient(t, s)
	ref := s.Seed().ProjectRef

	type newest struct {
		id       int
		at       string
		status   string
		physical bool
	}
	steps := []struct {
		name       string
		change     func() error
		wantPITR   bool
		wantCount  int
		wantNewest newest
		wantLatest time.Time // latest completed physical backup
	}{
		{name: "seed: three completed physical backups, PITR off", wantCount: 3,
			wantNewest: newest{102, "2025-01-08T09:00:00Z", "COMPLETED", true}, wantLatest: epoch().Add(48 * time.Hour)},
		{name: "PITR on", change: func() error { return s.SetPITR(ref, true) }, wantPITR: true, wantCount: 3,
			wantNewest: newest{102, "2025-01-08T09:00:00Z", "COMPLETED", true}, wantLatest: epoch().Add(48 * time.Hour)},
		{name: "a backup added now is the newest, dated by the clock", change: func() error {
			clock.Advance(90 * time.Minute)
			_, err := s.AddBackup(ref, Backup{})
			return err
		}, wantPITR: true, wantCount: 4, wantNewest: newest{103, "2025-03-01T13:30:00Z", "COMPLETED", true}, wantLatest: t0.Add(90 * time.Minute)},
		{name: "an older backup added later is not the newest", change: func() error {
			_, err := s.AddBackup(ref, Backup{InsertedAt: t0.Add(-time.Hour), Status: "COMPLETED"})
			return err
		}, wantPITR: true, wantCount: 5, wantNewest: newest{103, "2025-03-01T13:30:00Z", "COMPLETED", true}, wantLatest: t0.Add(90 * time.Minute)},
		{name: "the newest fails: it stays newest, FAILED, and leaves the physical range", change: func() error {
			b, err := s.FailNewestBackup(ref)
			if err == nil && b.ID != 103 {
				t.Errorf("FailNewestBackup failed backup %d, want 103", b.ID)
			}
			return err
		}, wantPITR: true, wantCount: 5, wantNewest: newest{103, "2025-03-01T13:30:00Z", "FAILED", true}, wantLatest: t0.Add(-time.Hour)},
		{name: "a failed logical backup with its own id", change: func() error {
			_, err := s.AddBackup(ref, Backup{ID: 500, InsertedAt: t0.Add(2 * time.Hour), Status: "FAILED", Logical: true})
			return err
		}, wantPITR: true, wantCount: 6, wantNewest: newest{500, "2025-03-01T14:00:00Z", "FAILED", false}, wantLatest: t0.Add(-time.Hour)},
		{name: "PITR off", change: func() error { return s.SetPITR(ref, false) }, wantCount: 6,
			wantNewest: newest{500, "2025-03-01T14:00:00Z", "FAILED", false}, wantLatest: t0.Add(-time.Hour)},
	}
	for _, st := range steps {
		if st.change != nil {
			if err := st.change(); err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
		}
		b := listBackups(t, s, tc, ref)
		if b.PitrEnabled != st.wantPITR || !b.WalgEnabled {
			t.Errorf("%s: pitr_enabled %v walg_enabled %v, want %v true", st.name, b.PitrEnabled, b.WalgEnabled, st.wantPITR)
		}
		if len(b.Backups) != st.wantCount {
			t.Fatalf("%s: %d backups, want %d", st.name, len(b.Backups), st.wantCount)
		}
		last := b.Backups[len(b.Backups)-1]
		if got := (newest{last.ID, last.InsertedAt, last.Status, last.Physical}); got != st.wantNewest {
			t.Errorf("%s: newest backup %+v, want %+v", st.name, got, st.wantNewest)
		}
		if b.Physical.Latest != st.wantLatest.Unix() {
			t.Errorf("%s: latest_physical_backup_date_unix %d, want %d", st.name, b.Physical.Latest, st.wantLatest.Unix())
		}
	}

	for _, tt := range []struct {
		name     string
		err      error
		want     string
		notFound bool
	}{
		{name: "unknown status", err: func() error { _, err := s.AddBackup(ref, Backup{Status: "DONE"}); return err }(), want: `"DONE"`},
		{name: "duplicate id", err: func() error { _, err := s.AddBackup(ref, Backup{ID: 500}); return err }(), want: "already has backup 500"},
		{name: "no backups to fail", err: func() error { _, err := s.FailNewestBackup(s.Seed().ProjectRefs[1]); return err }(), want: "no backups", notFound: true},
	} {
		if tt.err == nil || !strings.Contains(tt.err.Error(), tt.want) || errors.Is(tt.err, ErrNotFound) != tt.notFound {
			t.Errorf("%s: error %v, want one mentioning %s (not found: %v)", tt.name, tt.err, tt.want, tt.notFound)
		}
	}
}

// A restore point created through the API is PENDING, then reaches its
// terminal status when the clock passes TransitionDelay: AVAILABLE, or
// FAILED on command.
func TestRestorePointOutcomes(t *testing.T) {
	t.Parallel()
	const delay = 5 * time.Minute
	tests := []struct {
		name      string
		before    func(s *Sandbox, ref string) error // before the restore point is created
		during    func(s *Sandbox, ref string) error // while it is pending
		wait      time.Duration
		want      string
		wantUndo  int
		completed bool // completed_on set
	}{
		{name: "pending just before the delay", wait: delay - time.Second, want: "PENDING", wantUndo: http.StatusBadRequest},
		{name: "available after the delay", wait: delay, want: "AVAILABLE", wantUndo: http.StatusCreated, completed: true},
		{name: "outcome FAILED: pending, then failed", before: func(s *Sandbox, ref string) error { return s.SetRestorePointOutcome(ref, "FAILED") },
			wait: delay, want: "FAILED", wantUndo: http.StatusBadRequest},
		{name: "outcome FAILED still pending before the delay", before: func(s *Sandbox, ref string) error { return s.SetRestorePointOutcome(ref, "FAILED") },
			wait: delay - time.Second, want: "PENDING", wantUndo: http.StatusBadRequest},
		{name: "outcome back to AVAILABLE", before: func(s *Sandbox, ref string) error {
			if err := s.SetRestorePointOutcome(ref, "FAILED"); err != nil {
				return err
			}
			return s.SetRestorePointOutcome(ref, "AVAILABLE")
		}, wait: delay, want: "AVAILABLE", wantUndo: http.StatusCreated, completed: true},
		{name: "failed while pending: failed at once", during: func(s *Sandbox, ref string) error { return s.FailRestorePoint(ref, "nightly") },
			wait: 0, want: "FAILED", wantUndo: http.StatusBadRequest},
		{name: "failed while pending stays failed", during: func(s *Sandbox, ref string) error { return s.FailRestorePoint(ref, "nightly") },
			wait: delay, want: "FAILED", wantUndo: http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clock := NewManualClock(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
			s := newTestSandbox(t, Options{Now: clock.Now, TransitionDelay: delay})
			tc := newTestClient(t, s)
			ref := s.Seed().ProjectRef
			base := "/v1/projects/" + ref + "/database/backups"
			if tt.before != nil {
				if err := tt.before(s, ref); err != nil {
					t.Fatal(err)
				}
			}
			create := request{method: http.MethodPost, path: base + "/restore-point", body: map[string]any{"name": "nightly"}}
			r := tc.send(create)
			mustStatus(t, r, http.StatusCreated, "restore_point_create")
			mustConform(t, s, tc, "v1-create-restore-point", create, r)
			if tt.during != nil {
				if err := tt.during(s, ref); err != nil {
					t.Fatal(err)
				}
			}
			clock.Advance(tt.wait)
			get := request{method: http.MethodGet, path: base + "/restore-point", query: map[string][]string{"name": {"nightly"}}}
			r = tc.send(get)
			mustStatus(t, r, http.StatusOK, "restore_point_get")
			mustConform(t, s, tc, "v1-get-restore-point", get, r)
			var rp struct {
				Status      string  `json:"status"`
				CompletedOn *string `json:"completed_on"`
			}
			r.json(t, &rp)
			if rp.Status != tt.want || (rp.CompletedOn != nil) != tt.completed {
				t.Fatalf("restore point: %s completed_on %v, want %s (completed %v)", rp.Status, rp.CompletedOn, tt.want, tt.completed)
			}
			if tt.completed && *rp.CompletedOn != "2025-03-01T12:05:00Z" {
				t.Errorf("completed_on %s, want the creation time plus the delay", *rp.CompletedOn)
			}
			undo := tc.send(request{method: http.MethodPost, path: base + "/undo", body: map[string]any{"name": "nightly"}})
			mustStatus(t, undo, tt.wantUndo, "undo")
			if tt.wantUndo != http.StatusCreated && !strings.Contains(undo.message(t), tt.want) {
				t.Errorf("undo refusal %q does not say the restore point is %s", undo.message(t), tt.want)
			}
		})
	}
}
