package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkJobsOnly starts supaops-slackbot --jobs-only on a store of no
// jobs and of 10,000, and measures, per start, the time until its first
// tick has loaded and scheduled them all, and the process's resident memory
// then.
func BenchmarkJobsOnly(b *testing.B) {
	for _, n := range []int{0, 10_000} {
		b.Run(fmt.Sprintf("jobs=%d", n), func(b *testing.B) { benchmarkJobsOnly(b, n) })
	}
}

func benchmarkJobsOnly(b *testing.B, jobs int) {
	schedules := []string{"0 3 * * *", "30 4 * * 1-5", "0 8 * * 1", "15 2 1 * *", "0 */6 * * *", "45 23 * * 0"}
	kinds := []string{"kind: advisors", "kind: backup", "kind: log_sweep\n    params: {where: \"status_code >= 500\"}"}
	var files []string
	for file := range jobs / 1000 {
		var sb strings.Builder
		sb.WriteString("version: 1\njobs:\n")
		for i := file * 1000; i < (file+1)*1000; i++ {
			fmt.Fprintf(&sb, "  - name: job-%05d\n    schedule: %q\n    timezone: Europe/Berlin\n    projects: [sandboxprodxxxxxxxxx]\n    notify: [log]\n    %s\n",
				i, schedules[i%len(schedules)], kinds[i%len(kinds)])
		}
		files = append(files, sb.String())
	}
	storeFile, _ := storeWithJobs(b, files...)
	bin := binary(b)
	var rss float64
	for b.Loop() {
		cmd := exec.Command(bin, "--jobs-only", "--sandbox")
		cmd.Env = append(os.Environ(), "SUPAOPS_STORE="+storeFile, "SUPAOPS_LOG_LEVEL=info")
		stderr, err := cmd.StderrPipe()
		if err != nil {
			b.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		sc := bufio.NewScanner(stderr)
		loaded := false
		for sc.Scan() {
			if strings.Contains(sc.Text(), `"jobs loaded"`) {
				if !strings.Contains(sc.Text(), fmt.Sprintf(`"jobs":%d`, jobs)) {
					b.Fatalf("loaded: %s", sc.Text())
				}
				loaded = true
				break
			}
		}
		if !loaded {
			b.Fatal("the scheduler never loaded its jobs")
		}
		rss = residentMiB(b, cmd.Process.Pid)
		_ = cmd.Process.Signal(os.Interrupt)
		go func() { _, _ = bufio.NewReader(stderr).WriteTo(devNull{}) }()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			b.Fatal("did not stop")
		}
	}
	b.ReportMetric(rss, "RSS-MiB")
}

type devNull struct{}

func (devNull) Write(p []byte) (int, error) { return len(p), nil }

// residentMiB reads a process's resident set size from /proc.
func residentMiB(tb testing.TB, pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			if err != nil {
				tb.Fatal(err)
			}
			return float64(kb) / 1024
		}
	}
	tb.Fatal("no VmRSS")
	return 0
}
