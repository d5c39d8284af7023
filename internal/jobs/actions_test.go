package jobs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/supaops/supaops/internal/audit"
	"github.com/supaops/supaops/internal/outcome"
	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/principal"
)

const webhookSecret = "T000/B000/XXXXsecretXXXX"

// Jobs are managed through the pipeline from every surface: the policy
// decides (a write is confirmed under the default policy), the audit log
// records it, and a webhook's secret path shows nowhere.
func TestJobActionsThroughThePipeline(t *testing.T) {
	r := newRig(t, rigOptions{policy: "default"})
	ctx := context.Background()
	call := func(action string, args map[string]any, confirmation string) (*pipeline.Result, error) {
		return r.app.Pipeline.Call(ctx, pipeline.Request{
			Action: action, Args: args, Principal: "cli:local", Surface: principal.SurfaceCLI, Confirmation: confirmation,
		})
	}
	file := fmt.Sprintf(`version: 1
jobs:
  - name: advisors
    schedule: "0 8 * * 1"
    kind: advisors
    projects: [%s]
    notify: ["webhook:https://hooks.example.com/services/%s", log]
`, r.seed.ProjectRef, webhookSecret)

	res, err := call("job_apply", map[string]any{"spec": file}, "")
	o := outcome.Of(res, err)
	if o.Kind != outcome.NeedsConfirmation {
		t.Fatalf("job_apply under the default policy: %s %v", o.Kind, err)
	}
	if jobsNow, _ := r.app.Jobs.List(ctx); len(jobsNow) != 0 {
		t.Fatal("a job was applied before the confirmation")
	}
	res, err = call("job_apply", map[string]any{"spec": file}, o.Challenge.Token)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(res.Data); !strings.Contains(string(b), `"what":"created"`) {
		t.Fatalf("apply answered %s", b)
	}
	// Applying the same file again changes nothing.
	res, err = call("job_apply", map[string]any{"spec": file}, "")
	if o := outcome.Of(res, err); o.Kind != outcome.NeedsConfirmation {
		t.Fatalf("second apply: %s", o.Kind)
	} else if res, err = call("job_apply", map[string]any{"spec": file}, o.Challenge.Token); err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(res.Data); !strings.Contains(string(b), `"what":"unchanged"`) {
		t.Fatalf("second apply answered %s", b)
	}

	for _, read := range []struct {
		action string
		args   map[string]any
	}{
		{"jobs_list", map[string]any{}},
		{"job_get", map[string]any{"name": "advisors"}},
	} {
		res, err := call(read.action, read.args, "")
		if err != nil {
			t.Fatalf("%s: %v", read.action, err)
		}
		b, _ := json.Marshal(res.Data)
		if strings.Contains(string(b), "secret") || !strings.Contains(string(b), "hooks.example.com") {
			t.Errorf("%s shows the webhook wrongly: %s", read.action, b)
		}
		if read.action == "jobs_list" && !strings.Contains(string(b), `"next":"2026-11-30T08:00:00Z"`) {
			t.Errorf("jobs_list does not say when the job runs next: %s", b)
		}
	}

	entries, err := r.app.Audit.Query(ctx, audit.Filter{Action: "job_apply"})
	if err != nil || len(entries) == 0 {
		t.Fatalf("audit: %d entries, %v", len(entries), err)
	}
	for _, e := range entries {
		b, _ := json.Marshal(e)
		if strings.Contains(string(b), "secret") {
			t.Errorf("the audit log holds the webhook's secret: %s", b)
		}
	}

	// A bad file is refused as invalid arguments, before anyone is asked
	// to confirm it: the line and what is allowed.
	_, err = call("job_apply", map[string]any{"spec": "version: 1\njobs:\n  - name: x\n    schedule: \"0 3 * * * *\"\n    kind: advisors\n    projects: [abc]\n"}, "")
	if o := outcome.Of(nil, err); o.Kind != outcome.InvalidInput ||
		!strings.Contains(err.Error(), "jobs file:4:") || !strings.Contains(err.Error(), "seconds are not supported") || !strings.Contains(err.Error(), "jobs file:6:") {
		t.Errorf("bad file: %s %v", o.Kind, err)
	}
	if list, _ := r.app.Jobs.List(ctx); len(list) != 1 {
		t.Errorf("%d jobs after a refused file", len(list))
	}
}
