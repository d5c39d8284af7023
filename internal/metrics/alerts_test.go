package metrics_test

import (
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/supaops/supaops/internal/client"
	"github.com/supaops/supaops/internal/metrics"
	"github.com/supaops/supaops/internal/pipeline"
)

// exported observes everything once and lists the metric families then
// served: what alert rules and dashboards may name.
func exported(t *testing.T) map[string]bool {
	t.Helper()
	m := metrics.New(metrics.Options{Program: "test"})
	m.WatchBudget(func() client.BudgetState { return client.BudgetState{} })
	m.ObserveCall(pipeline.CallStats{Action: "projects_list", Surface: "mcp", Decision: "allow", Outcome: "ok"})
	m.ObserveAttempt(200, time.Millisecond, false)
	m.ObserveRateWait(time.Millisecond)
	m.ObserveAppend(time.Millisecond, nil)
	m.ObserveAppend(time.Millisecond, errors.New("x"))
	m.ObserveAck("socket", time.Millisecond, true)
	m.ObserveConnected(true)
	m.ObserveRun("j", "failed", time.Now(), time.Second)
	m.ObserveRun("j", "succeeded", time.Now(), time.Second)
	m.ObserveSweepLag("j", time.Minute)
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, mf := range mfs {
		names[mf.GetName()] = true
	}
	return names
}

// The alert rules in deploy/prometheus parse, and every supaops_ metric
// they name is one supaops serves, with the labels they select on.
func TestAlertRulesNameServedMetrics(t *testing.T) {
	raw, err := os.ReadFile("../../deploy/prometheus/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Expr        string            `yaml:"expr"`
				For         string            `yaml:"for"`
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	dec.KnownFields(true)
	if err := dec.Decode(&file); err != nil {
		t.Fatal(err)
	}
	served := exported(t)
	name := regexp.MustCompile(`supaops_[a-z_]+`)
	alerts := map[string]bool{}
	for _, g := range file.Groups {
		for _, r := range g.Rules {
			alerts[r.Alert] = true
			if r.Alert == "" || r.Expr == "" || r.Annotations["summary"] == "" {
				t.Errorf("rule %+v: want alert, expr and a summary", r)
			}
			if r.For != "" {
				if _, err := time.ParseDuration(r.For); err != nil {
					t.Errorf("%s: for %q: %v", r.Alert, r.For, err)
				}
			}
			found := name.FindAllString(r.Expr, -1)
			if len(found) == 0 {
				t.Errorf("%s names no supaops metric: %s", r.Alert, r.Expr)
			}
			for _, n := range found {
				if !served[n] {
					t.Errorf("%s names %s, which supaops does not serve", r.Alert, n)
				}
			}
		}
	}
	for _, want := range []string{"SupaopsJobFailed", "SupaopsLogSweepStale"} {
		if !alerts[want] {
			t.Errorf("no %s rule", want)
		}
	}
}
