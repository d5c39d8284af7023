package sandbox

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func TestBranchSoftDeleteAndRestore(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := newTestSandbox(t, Options{TransitionDelay: testDelay})
		tc := newTestClient(t, s)
		seed := s.Seed()
		branchPath := "/v1/branches/" + seed.PreviewBranchRef
		getBranch := func() (result, branchResponse) {
			r := tc.get("/v1/projects/" + seed.ProjectRef + "/branches/" + seed.PreviewBranchName)
			var b branchResponse
			if r.status == http.StatusOK {
				r.json(t, &b)
			}
			return r, b
		}

		mustStatus(t, tc.send(request{method: http.MethodPost, path: branchPath + "/restore"}), http.StatusBadRequest, "restore a branch not scheduled for deletion")
		del := tc.send(request{method: http.MethodDelete, path: branchPath, query: map[string][]string{"force": {"false"}}})
		mustStatus(t, del, http.StatusOK, "soft delete")
		if msg := del.message(t); msg != "ok" {
			t.Errorf("delete message %q, want ok", msg)
		}
		_, b := getBranch()
		if b.DeletionScheduledAt == nil {
			t.Fatal("soft-deleted branch has no deletion_scheduled_at")
		}
		scheduled, err := time.Parse(time.RFC3339, *b.DeletionScheduledAt)
		if err != nil || !scheduled.Equal(time.Now().Add(softDeleteGrace).Truncate(time.Second)) {
			t.Errorf("deletion_scheduled_at %s, want now+1h (%v)", *b.DeletionScheduledAt, err)
		}
		push := tc.send(request{method: http.MethodPost, path: branchPath + "/push", body: map[string]any{}})
		mustStatus(t, push, http.StatusBadRequest, "push a branch scheduled for deletion")

		r := tc.send(request{method: http.MethodPost, path: branchPath + "/restore"})
		mustStatus(t, r, http.StatusOK, "restore")
		if msg := r.message(t); msg != "Branch restoration initiated" {
			t.Errorf("restore message %q", msg)
		}
		if _, b = getBranch(); b.DeletionScheduledAt != nil {
			t.Fatalf("restored branch still scheduled for deletion at %s", *b.DeletionScheduledAt)
		}

		// A soft delete left alone completes after the grace period.
		mustStatus(t, tc.send(request{method: http.MethodDelete, path: branchPath, query: map[string][]string{"force": {"false"}}}), http.StatusOK, "soft delete again")
		time.Sleep(softDeleteGrace)
		if r, _ := getBranch(); r.status != http.StatusNotFound {
			t.Fatalf("branch after the grace period: status %d, want 404", r.status)
		}
		mustStatus(t, tc.get("/v1/projects/"+seed.PreviewBranchRef), http.StatusNotFound, "the branch's project is gone too")

		// force (the default) deletes at once; the default branch cannot be deleted.
		developRef := seed.BranchRefs[1]
		mustStatus(t, tc.send(request{method: http.MethodDelete, path: "/v1/branches/" + developRef}), http.StatusOK, "force delete")
		mustStatus(t, tc.get("/v1/branches/"+developRef), http.StatusNotFound, "force-deleted branch")
		mustStatus(t, tc.send(request{method: http.MethodDelete, path: "/v1/branches/" + seed.DefaultBranchID}), http.StatusBadRequest, "delete the default branch")
	})
}

func TestBranchCreateAndWorkflowRuns(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := newTestSandbox(t, Options{TransitionDelay: testDelay})
		tc := newTestClient(t, s)
		seed := s.Seed()
		r := tc.send(request{method: http.MethodPost, path: "/v1/projects/" + seed.ProjectRef + "/branches", body: map[string]any{"branch_name": "feature-x", "git_branch": "feature/x"}})
		mustStatus(t, r, http.StatusCreated, "create branch")
		var b branchResponse
		r.json(t, &b)
		if b.Status != "CREATING_PROJECT" || b.PreviewProjectStatus != statusComingUp || b.ParentProjectRef != seed.ProjectRef {
			t.Fatalf("new branch: %+v", b)
		}
		mustStatus(t, tc.send(request{method: http.MethodPost, path: "/v1/projects/" + seed.ProjectRef + "/branches", body: map[string]any{"branch_name": "feature-x"}}),
			http.StatusConflict, "duplicate branch name")
		time.Sleep(testDelay)
		r = tc.get("/v1/projects/" + seed.ProjectRef + "/branches/feature-x")
		mustStatus(t, r, http.StatusOK, "get branch by name")
		r.json(t, &b)
		if b.Status != "FUNCTIONS_DEPLOYED" || b.PreviewProjectStatus != statusActive {
			t.Fatalf("branch after the delay: %s / %s", b.Status, b.PreviewProjectStatus)
		}

		// The branch config carries its secrets.
		r = tc.get("/v1/branches/" + b.ProjectRef)
		mustStatus(t, r, http.StatusOK, "branch config")
		var cfg branchDetail
		r.json(t, &cfg)
		if cfg.DbPass == "" || !strings.HasPrefix(cfg.JwtSecret, "sandbox-jwt-secret-") || cfg.Ref != b.ProjectRef {
			t.Fatalf("branch config: %+v", cfg)
		}

		// push, merge and reset each start a run that can be listed, counted, read and its logs fetched.
		var runIDs []string
		for _, action := range []string{"push", "merge", "reset"} {
			r := tc.send(request{method: http.MethodPost, path: "/v1/branches/" + b.ID + "/" + action, body: map[string]any{}})
			mustStatus(t, r, http.StatusCreated, action)
			var out struct {
				WorkflowRunID string `json:"workflow_run_id"`
				Message       string
			}
			r.json(t, &out)
			if out.Message != "ok" || out.WorkflowRunID == "" {
				t.Fatalf("%s answer: %+v", action, out)
			}
			runIDs = append(runIDs, out.WorkflowRunID)
		}
		actions := "/v1/projects/" + b.ProjectRef + "/actions"
		head := tc.send(request{method: http.MethodHead, path: actions})
		mustStatus(t, head, http.StatusOK, "count runs")
		if got := head.header.Get("X-Total-Count"); got != strconv.Itoa(len(runIDs)) || len(head.body) != 0 {
			t.Fatalf("HEAD actions: X-Total-Count %q body %q", got, head.body)
		}
		r = tc.send(request{method: http.MethodGet, path: actions, query: map[string][]string{"limit": {"10"}, "offset": {"1"}}})
		mustStatus(t, r, http.StatusOK, "list runs")
		var runs []actionRunResponse
		r.json(t, &runs)
		if len(runs) != 2 || runs[0].ID != runIDs[1] {
			t.Fatalf("runs after offset 1 (newest first): %+v", runs)
		}

		run := actions + "/" + runIDs[0]
		r = tc.get(run)
		mustStatus(t, r, http.StatusOK, "get run")
		var got actionRunResponse
		r.json(t, &got)
		if got.RunSteps[0].Status != "RUNNING" || got.RunSteps[6].Status != "CREATED" {
			t.Fatalf("fresh run steps: %+v", got.RunSteps)
		}
		time.Sleep(testDelay)
		r = tc.get(run)
		r.json(t, &got)
		for _, st := range got.RunSteps {
			if st.Status != "EXITED" {
				t.Fatalf("finished run step %s is %s", st.Name, st.Status)
			}
		}
		logs := tc.get(run + "/logs")
		mustStatus(t, logs, http.StatusOK, "run logs")
		if ct := logs.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") || !strings.Contains(string(logs.body), "[deploy]") {
			t.Fatalf("logs (%s): %s", ct, logs.body)
		}
		mustStatus(t, tc.send(request{method: http.MethodPost, path: "/v1/branches/" + seed.DefaultBranchID + "/merge", body: map[string]any{}}),
			http.StatusBadRequest, "merge the default branch")

		diff := tc.get("/v1/branches/" + b.ProjectRef + "/diff")
		mustStatus(t, diff, http.StatusOK, "diff")
		if !strings.HasPrefix(diff.header.Get("Content-Type"), "text/plain") || !strings.Contains(string(diff.body), "sandbox") {
			t.Fatalf("diff: %s", diff.body)
		}
	})
}
