package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/supaops/supaops/internal/slackbot/slackfake"
)

// BenchmarkServiceFootprint starts supaops-slackbot on the sandbox over
// Socket Mode and reports its resident memory idle (ready, a second
// after) and after 100 slash commands sent 10 at a time (VmRSS then, and
// the peak, VmHWM): the README's memory figures.
//
//	go test -run '^$' -bench ServiceFootprint -benchtime 1x -count 3 ./cmd/slackbot
func BenchmarkServiceFootprint(b *testing.B) {
	const commands, concurrent = 100, 10
	bin := binary(b)
	var idle, load, peak float64
	for b.Loop() {
		fake := slackfake.New(b)
		addr := freeAddr(b)
		cmd := exec.Command(bin, "--sandbox", "--slack-api-url", fake.APIURL(), "--metrics-addr", addr)
		cmd.Env = append(os.Environ(), "SUPAOPS_STORE="+filepath.Join(b.TempDir(), "s.db"),
			"SLACK_BOT_TOKEN=xoxb-bench", "SLACK_APP_TOKEN=xapp-bench", "SUPAOPS_LOG_LEVEL=warn")
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		waitReady(b, "http://"+addr+"/readyz")
		time.Sleep(time.Second)
		idle = residentMiB(b, cmd.Process.Pid)

		var wg sync.WaitGroup
		sem := make(chan struct{}, concurrent)
		for i := range commands {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				name := fmt.Sprintf("load%d", i)
				c := slack.SlashCommand{
					TeamID: fake.Identity().TeamID, UserID: "U0DEV", ChannelID: "C0OPS", Command: "/supa",
					Text: "projects", ResponseURL: fake.ResponseURL(name), TriggerID: "t-" + name,
				}
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				if _, err := fake.SendSlashCommand(ctx, slackfake.Envelope{}, c); err != nil {
					b.Error(err)
					return
				}
				if err := fake.Wait(ctx, func() bool { return len(fake.ResponsePosts(name)) > 0 }); err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()
		load = residentMiB(b, cmd.Process.Pid)
		peak = statusMiB(b, cmd.Process.Pid, "VmHWM:")
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	}
	b.ReportMetric(idle, "idle-RSS-MiB")
	b.ReportMetric(load, "load-RSS-MiB")
	b.ReportMetric(peak, "peak-RSS-MiB")
}

func waitReady(tb testing.TB, url string) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url) //nolint:gosec,noctx // the benchmark's own server
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	tb.Fatalf("%s never ready", url)
}

// statusMiB reads one kB field of /proc/PID/status.
func statusMiB(tb testing.TB, pid int, field string) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Skipf("no /proc: %v", err)
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, field); ok {
			kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			if err != nil {
				tb.Fatal(err)
			}
			return float64(kb) / 1024
		}
	}
	tb.Fatalf("no %s", field)
	return 0
}
