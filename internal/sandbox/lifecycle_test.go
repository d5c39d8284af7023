package sandbox

import (
	"net/http"
	"testing"
	"testing/synctest"
	"time"
)

const testDelay = 30 * time.Second

// TestProjectPauseRestore walks a project through pause and restore on
// synctest's fake clock: transitions take TransitionDelay and are applied
// lazily on read.
func TestProjectPauseRestore(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := newTestSandbox(t, Options{TransitionDelay: testDelay})
		tc := newTestClient(t, s)
		ref := s.Seed().ProjectRef
		post := func(path string) result {
			return tc.send(request{method: http.MethodPost, path: "/v1/projects/" + ref + path})
		}

		steps := []struct {
			name       string
			action     func() result
			wantStatus int
			sleep      time.Duration
			wantState  string
		}{
			{name: "starts active", wantState: statusActive},
			{name: "restore an active project is refused", action: func() result { return post("/restore") }, wantStatus: http.StatusBadRequest, wantState: statusActive},
			{name: "pause", action: func() result { return post("/pause") }, wantStatus: http.StatusOK, wantState: statusPausing},
			{name: "pause while pausing is refused", action: func() result { return post("/pause") }, wantStatus: http.StatusBadRequest, wantState: statusPausing},
			{name: "still pausing just before the delay", sleep: testDelay - time.Second, wantState: statusPausing},
			{name: "inactive after the delay", sleep: time.Second, wantState: statusInactive},
			{name: "pause an inactive project is refused", action: func() result { return post("/pause") }, wantStatus: http.StatusBadRequest, wantState: statusInactive},
			{name: "restore", action: func() result { return post("/restore") }, wantStatus: http.StatusOK, wantState: statusRestoring},
			{name: "active again", sleep: testDelay, wantState: statusActive},
		}
		for _, st := range steps {
			if st.action != nil {
				r := st.action()
				mustStatus(t, r, st.wantStatus, st.name)
				if r.status == http.StatusOK && len(r.body) != 0 {
					t.Errorf("%s: spec declares no body, got %s", st.name, r.body)
				}
			}
			time.Sleep(st.sleep)
			if got := tc.projectStatus(ref); got != st.wantState {
				t.Fatalf("%s: status %s, want %s", st.name, got, st.wantState)
			}
		}
	})
}

func TestProjectCreateComesUp(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := newTestSandbox(t, Options{TransitionDelay: testDelay})
		tc := newTestClient(t, s)
		r := tc.send(request{method: http.MethodPost, path: "/v1/projects", body: map[string]any{
			"name": "brand-new", "organization_slug": s.Seed().OrgSlug, "db_pass": "pw", "region": "eu-west-2",
		}})
		mustStatus(t, r, http.StatusCreated, "create project")
		var p struct{ Ref, Status, Region string }
		r.json(t, &p)
		if p.Status != statusComingUp || p.Region != "eu-west-2" {
			t.Fatalf("created project: %+v, want COMING_UP in eu-west-2", p)
		}
		health := tc.send(request{method: http.MethodGet, path: "/v1/projects/" + p.Ref + "/health", query: map[string][]string{"services": {"db", "auth"}}})
		mustStatus(t, health, http.StatusOK, "health")
		var services []struct{ Name, Status string }
		health.json(t, &services)
		if len(services) != 2 || services[0].Status != statusComingUp {
			t.Fatalf("health while coming up: %+v", services)
		}

		time.Sleep(testDelay)
		if got := tc.projectStatus(p.Ref); got != statusActive {
			t.Fatalf("after the delay: %s, want ACTIVE_HEALTHY", got)
		}
		dup := tc.send(request{method: http.MethodPost, path: "/v1/projects", body: map[string]any{
			"name": "brand-new", "organization_slug": s.Seed().OrgSlug, "db_pass": "pw",
		}})
		mustStatus(t, dup, http.StatusConflict, "duplicate project name")

		del := tc.send(request{method: http.MethodDelete, path: "/v1/projects/" + p.Ref})
		mustStatus(t, del, http.StatusOK, "delete project")
		mustStatus(t, tc.get("/v1/projects/"+p.Ref), http.StatusNotFound, "deleted project")
	})
}

func TestUpgradeProgress(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := newTestSandbox(t, Options{TransitionDelay: testDelay})
		tc := newTestClient(t, s)
		ref := s.Seed().ProjectRef
		r := tc.send(request{method: http.MethodPost, path: "/v1/projects/" + ref + "/upgrade", body: map[string]any{"target_version": "17.6.1.001"}})
		mustStatus(t, r, http.StatusCreated, "upgrade")
		var up struct {
			TrackingID string `json:"tracking_id"`
		}
		r.json(t, &up)
		status := func() (string, float64) {
			r := tc.send(request{method: http.MethodGet, path: "/v1/projects/" + ref + "/upgrade/status", query: map[string][]string{"tracking_id": {up.TrackingID}}})
			mustStatus(t, r, http.StatusOK, "upgrade status")
			var st struct {
				DatabaseUpgradeStatus struct {
					Progress string
					Status   float64
				} `json:"databaseUpgradeStatus"`
			}
			r.json(t, &st)
			return st.DatabaseUpgradeStatus.Progress, st.DatabaseUpgradeStatus.Status
		}
		if p, _ := status(); p != "0_requested" {
			t.Fatalf("progress right after the request: %s", p)
		}
		if got := tc.projectStatus(ref); got != statusUpgrading {
			t.Fatalf("project status while upgrading: %s", got)
		}
		time.Sleep(testDelay / 2)
		if p, st := status(); p == "0_requested" || p == "10_completed_post_physical_backup" || st != 1 {
			t.Fatalf("halfway: progress %s status %v", p, st)
		}
		time.Sleep(testDelay / 2)
		if p, st := status(); p != "10_completed_post_physical_backup" || st != 2 {
			t.Fatalf("at the end: progress %s status %v", p, st)
		}
		if got := tc.projectStatus(ref); got != statusActive {
			t.Fatalf("project status after the upgrade: %s", got)
		}
	})
}

func TestRestorePointBecomesAvailable(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := newTestSandbox(t, Options{TransitionDelay: testDelay})
		tc := newTestClient(t, s)
		base := "/v1/projects/" + s.Seed().ProjectRef + "/database/backups"
		r := tc.send(request{method: http.MethodPost, path: base + "/restore-point", body: map[string]any{"name": "pre-deploy"}})
		mustStatus(t, r, http.StatusCreated, "create restore point")
		var rp struct{ Status string }
		r.json(t, &rp)
		if rp.Status != "PENDING" {
			t.Fatalf("new restore point: %s, want PENDING", rp.Status)
		}
		undo := tc.send(request{method: http.MethodPost, path: base + "/undo", body: map[string]any{"name": "pre-deploy"}})
		mustStatus(t, undo, http.StatusBadRequest, "undo to a pending restore point")

		time.Sleep(testDelay)
		r = tc.send(request{method: http.MethodGet, path: base + "/restore-point", query: map[string][]string{"name": {"pre-deploy"}}})
		mustStatus(t, r, http.StatusOK, "get restore point")
		r.json(t, &rp)
		if rp.Status != "AVAILABLE" {
			t.Fatalf("after the delay: %s, want AVAILABLE", rp.Status)
		}
		undo = tc.send(request{method: http.MethodPost, path: base + "/undo", body: map[string]any{"name": "pre-deploy"}})
		mustStatus(t, undo, http.StatusCreated, "undo")
		if got := tc.projectStatus(s.Seed().ProjectRef); got != statusRestoring {
			t.Fatalf("project status after undo: %s, want RESTORING", got)
		}
	})
}
