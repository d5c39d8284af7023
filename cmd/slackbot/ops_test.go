package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"go.etcd.io/bbolt"

	"github.com/supaops/supaops/internal/audit"
	"github.com/supaops/supaops/internal/health"
	"github.com/supaops/supaops/internal/slackbot/slackfake"
	"github.com/supaops/supaops/internal/store"
)

// lockedBuffer collects a log written from many goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// samples is a scrape of /metrics: series (name{labels}) to value.
type samples map[string]float64

// scrape reads /metrics; labels are kept in the order the server writes
// them (sorted by name).
func scrape(t *testing.T, url string) samples {
	t.Helper()
	resp, err := http.Get(url) //nolint:gosec,noctx // the test's own server
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := samples{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

// sum adds the series of a family whose labels include every one given.
func (s samples) sum(family string, labels ...string) float64 {
	var total float64
	for series, v := range s {
		name, rest, _ := strings.Cut(series, "{")
		if name != family {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && strings.Contains(rest, l)
		}
		if ok {
			total += v
		}
	}
	return total
}

func (s samples) has(family string) bool {
	for series := range s {
		if name, _, _ := strings.Cut(series, "{"); name == family {
			return true
		}
	}
	return false
}

func readyz(t *testing.T, url string) (int, health.Report) {
	t.Helper()
	resp, err := http.Get(url) //nolint:gosec,noctx // the test's own server
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var rep health.Report
	if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, rep
}

func failing(rep health.Report) []string {
	var names []string
	for _, c := range rep.Checks {
		if !c.OK {
			names = append(names, c.Name)
		}
	}
	return names
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The acceptance test: a slackbot on the sandbox, over Socket Mode
// with --metrics-addr, takes a scripted set of commands and runs two jobs;
// /metrics then counts each of them where it belongs, /readyz names every
// check and turns unready when Slack disconnects and when the store stays
// locked past the check's timeout, and the log (debug level, JSON) has a
// request id on every call line and none of the secrets in play.
func TestServiceMetricsReadinessAndLogs(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a whole bot")
	}
	fake := slackfake.New(t)
	storeFile, local := storeWithJobs(t, `version: 1
jobs:
  - name: report
    schedule: "@daily"
    kind: action
    projects: [sandboxprodxxxxxxxxx]
    notify: ["log"]
    params: {action: project_get}
  - name: sweep
    schedule: "@daily"
    kind: log_sweep
    projects: [sandboxprodxxxxxxxxx]
    notify: ["log"]
    params: {source: edge_logs, where: "status_code >= 500", lag: 2m}
`)
	ctx := context.Background()
	for _, job := range []string{"report", "sweep"} {
		if _, err := local.Jobs.Request(ctx, job, "test", ""); err != nil {
			t.Fatal(err)
		}
	}
	const botToken, appToken = "xoxb-ops-test-bot-secret", "xapp-ops-test-app-secret"
	env := map[string]string{
		"SUPAOPS_STORE": storeFile, "SLACK_BOT_TOKEN": botToken, "SLACK_APP_TOKEN": appToken, "SUPAOPS_LOG_LEVEL": "debug",
	}
	addr := freeAddr(t)
	base := "http://" + addr
	var logs lockedBuffer
	rctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- run(rctx, []string{"--sandbox", "--slack-api-url", fake.APIURL(), "--metrics-addr", addr},
			func(k string) string { return env[k] }, io.Discard, &logs)
	}()
	stopped := false
	stopBot := func() {
		if stopped {
			return
		}
		stopped = true
		stop()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}
	defer stopBot()
	waitUp(t, base+health.LivePath)
	eventually(t, "ready", func() bool { code, _ := readyz(t, base+health.ReadyPath); return code == http.StatusOK })
	_, rep := readyz(t, base+health.ReadyPath)
	var names []string
	for _, c := range rep.Checks {
		names = append(names, c.Name)
	}
	if got := strings.Join(names, ","); got != "store,policy,slack,scheduler" {
		t.Errorf("/readyz checks %s", got)
	}

	// The script: two reads, a destructive call the default policy denies,
	// and a read of the project's API keys (secrets the sandbox hands out).
	script := []string{"projects", "projects", "project_delete ref=sandboxprodxxxxxxxxx", "api_keys_list ref=sandboxprodxxxxxxxxx reveal=true"}
	for i, text := range script {
		name := fmt.Sprintf("cmd%d", i)
		cmd := slack.SlashCommand{
			TeamID: fake.Identity().TeamID, UserID: "U0DEV", ChannelID: "C0OPS", Command: "/supa",
			Text: text, ResponseURL: fake.ResponseURL(name), TriggerID: "trigger-" + name,
		}
		id, err := fake.SendSlashCommand(ctx, slackfake.Envelope{}, cmd)
		if err != nil {
			t.Fatal(err)
		}
		actx, cancel := context.WithTimeout(ctx, 30*time.Second)
		_, err = fake.AwaitAck(actx, id)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, "the answer to "+text, func() bool { return len(fake.ResponsePosts(name)) > 0 })
	}
	metricsURL := base + health.MetricsPath
	var m samples
	eventually(t, "the jobs' runs", func() bool {
		m = scrape(t, metricsURL)
		return m.sum("supaops_job_runs_total") == 2 && m.sum("supaops_calls_total", `surface="slack"`) == 4
	})

	// Calls by action, surface, decision and outcome.
	for _, c := range []struct {
		labels []string
		want   float64
	}{
		{[]string{`action="projects_list"`, `surface="slack"`, `decision="allow"`, `outcome="ok"`}, 2},
		{[]string{`action="project_delete"`, `surface="slack"`, `decision="deny"`, `outcome="refused"`}, 1},
		{[]string{`action="api_keys_list"`, `surface="slack"`}, 1},
		{[]string{`action="project_get"`, `surface="job"`, `decision="allow"`, `outcome="ok"`}, 1},
		{[]string{`surface="job"`}, 1}, // the sweep's first run only sets its cursor
	} {
		if got := m.sum("supaops_calls_total", c.labels...); got != c.want {
			t.Errorf("supaops_calls_total%v = %v, want %v", c.labels, got, c.want)
		}
	}
	calls := m.sum("supaops_calls_total")
	if got := m.sum("supaops_call_duration_seconds_count"); got != calls {
		t.Errorf("call latency observations %v, calls %v", got, calls)
	}
	// Upstream: every request answered 2xx, none throttled or retried.
	requests := m.sum("supaops_api_requests_total")
	if requests < 4 || m.sum("supaops_api_requests_total", `code="2xx"`) != requests {
		t.Errorf("API requests %v, 2xx %v", requests, m.sum("supaops_api_requests_total", `code="2xx"`))
	}
	if got := m.sum("supaops_api_request_duration_seconds_count"); got != requests {
		t.Errorf("upstream latency observations %v, requests %v", got, requests)
	}
	// Four commands and two jobs stay far within the budget: nothing waits.
	for _, family := range []string{"supaops_api_rate_limited_total", "supaops_api_retries_total", "supaops_ratelimit_waits_total"} {
		if !m.has(family) || m.sum(family) != 0 {
			t.Errorf("%s: present %v, value %v, want 0", family, m.has(family), m.sum(family))
		}
	}
	if allowed, avail := m.sum("supaops_ratelimit_budget_allowed"), m.sum("supaops_ratelimit_budget_available"); allowed <= 0 || avail > allowed || avail < allowed-requests {
		t.Errorf("rate-limit budget: %v of %v available after %v requests", avail, allowed, requests)
	}
	// Slack: every envelope acknowledged over the socket; connected.
	if got := m.sum("supaops_slack_acks_total", `transport="socket"`, `result="ok"`); got != float64(len(script)) {
		t.Errorf("socket acks %v, want %d", got, len(script))
	}
	if got := m.sum("supaops_slack_ack_duration_seconds_count", `transport="socket"`); got != float64(len(script)) {
		t.Errorf("ack latency observations %v", got)
	}
	if m.sum("supaops_slack_connected") != 1 {
		t.Error("supaops_slack_connected is not 1")
	}
	// Jobs: both succeeded, with a last-success time; the sweep lags by
	// its configured 2 minutes.
	for _, job := range []string{"report", "sweep"} {
		if got := m.sum("supaops_job_runs_total", `job="`+job+`"`, `state="succeeded"`); got != 1 {
			t.Errorf("runs of %s: %v", job, got)
		}
		if at := m.sum("supaops_job_last_success_timestamp_seconds", `job="`+job+`"`); time.Since(time.Unix(int64(at), 0)) > time.Minute {
			t.Errorf("last success of %s: %v", job, at)
		}
	}
	if lag := m.sum("supaops_log_sweep_lag_seconds", `job="sweep"`); lag < 120 || lag > 125 {
		t.Errorf("sweep lag %vs, want about 120", lag)
	}
	// Audit: one append per record in the log, each timed.
	all, err := local.Audit.Query(ctx, audit.Filter{Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	entries := len(all)
	if got := m.sum("supaops_audit_appends_total", `result="ok"`); got != float64(entries) || entries == 0 {
		t.Errorf("audit appends %v, entries in the log %d", got, entries)
	}
	if got := m.sum("supaops_audit_append_duration_seconds_count"); got != float64(entries) {
		t.Errorf("audit latency observations %v, entries %d", got, entries)
	}
	if m.sum("supaops_build_info", `program="supaops-slackbot"`) != 1 {
		t.Error("no supaops_build_info")
	}

	// The store locked by another process past the check's timeout.
	other, err := store.Open(ctx, storeFile, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	locked, release := make(chan struct{}), make(chan struct{})
	go func() {
		_ = other.Update(ctx, func(*bbolt.Tx) error { close(locked); <-release; return nil })
	}()
	<-locked
	code, rep := readyz(t, base+health.ReadyPath)
	close(release)
	if code != http.StatusServiceUnavailable || strings.Join(failing(rep), ",") != "store" {
		t.Errorf("store locked: %d, failing %v", code, failing(rep))
	}
	for _, c := range rep.Checks {
		if c.Name == "store" && !strings.Contains(c.Error, "lock timeout") {
			t.Errorf("the store check says %q", c.Error)
		}
	}
	eventually(t, "ready again", func() bool { code, _ := readyz(t, base+health.ReadyPath); return code == http.StatusOK })

	// Slack goes away: unready, naming the slack check.
	fake.RefuseSocket(true)
	if err := fake.Disconnect("test"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "unready without Slack", func() bool {
		code, rep := readyz(t, base+health.ReadyPath)
		return code == http.StatusServiceUnavailable && strings.Join(failing(rep), ",") == "slack"
	})
	if m := scrape(t, metricsURL); m.sum("supaops_slack_connected") != 0 {
		t.Error("supaops_slack_connected is not 0")
	}
	fake.RefuseSocket(false)
	stopBot()

	checkLogs(t, logs.String(), botToken, appToken)
}

// secretShaped matches what the sandbox hands out as secrets: API keys
// and JWTs.
var secretShaped = regexp.MustCompile(`sb_secret_[A-Za-z0-9_]+|sb_publishable_[A-Za-z0-9_]+|eyJ[A-Za-z0-9_-]{10,}\.`)

// checkLogs: every line is JSON, every call and envelope line has a
// req_id, and no secret appears.
func checkLogs(t *testing.T, logs string, secrets ...string) {
	t.Helper()
	lines := 0
	for line := range strings.Lines(logs) {
		lines++
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Errorf("not a JSON line: %q", line)
			continue
		}
		switch ev["message"] {
		case "call", "management api attempt", "slack envelope":
			if id, _ := ev["req_id"].(string); id == "" {
				t.Errorf("no req_id: %s", line)
			}
		}
		for _, s := range secrets {
			if strings.Contains(line, s) {
				t.Errorf("a secret in the log: %s", line)
			}
		}
		if s := secretShaped.FindString(line); s != "" {
			t.Errorf("a sandbox secret %q in the log: %s", s, line)
		}
	}
	if lines < 10 {
		t.Errorf("only %d log lines: %q", lines, logs)
	}
}
