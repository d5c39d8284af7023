package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/supaops/supaops/internal/interleave"
	"github.com/supaops/supaops/internal/sandbox"
)

// trivialServer builds testdata/trivialmcp, the floor start-up is measured
// against: an mcp-go stdio server with three tools and nothing else.
func trivialServer(tb testing.TB) string {
	return trivialBuilt.build(tb, "trivialmcp", "./testdata/trivialmcp")
}

// trivialLibsServer builds the same server linked with every third-party
// package supaops-mcp imports (testdata/trivialmcp/libs.go).
func trivialLibsServer(tb testing.TB) string {
	return trivialLibsBuilt.build(tb, "trivialmcplibs", "./testdata/trivialmcp", "-tags", "trivialmcplibs")
}

// coldStart is one start of a stdio server as an MCP client sees it.
type coldStart struct {
	toList    time.Duration // process start to the tools/list response
	firstCall time.Duration // the first tools/call, sent after the list
	idleRSS   float64       // MiB, once idle after the list
}

// idleAfter is how long a server is left alone after tools/list before its
// resident memory is read: long enough for work started at start-up to end.
const idleAfter = 150 * time.Millisecond

// startAndList starts bin with env, sends initialize, initialized and
// tools/list as newline-delimited JSON-RPC over pipes, and times the list's
// answer from the process start; call, if not "", is then sent as the first
// tools/call and timed.
func startAndList(tb testing.TB, bin string, args, env []string, call string) coldStart {
	tb.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = io.Discard
	in, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	lines.Buffer(make([]byte, 1<<20), 16<<20)
	await := func(id string) {
		for lines.Scan() {
			if strings.Contains(lines.Text(), `"id":`+id+`,`) {
				return
			}
		}
		tb.Fatalf("%s: no response %s: %v", filepath.Base(bin), id, lines.Err())
	}
	var res coldStart
	start := time.Now()
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	defer func() {
		in.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	io.WriteString(in, initialize+"\n")
	await("1")
	io.WriteString(in, `{"jsonrpc":"2.0","method":"notifications/initialized"}`+"\n"+`{"jsonrpc":"2.0","id":2,"method":"tools/list"}`+"\n")
	await("2")
	res.toList = time.Since(start)
	time.Sleep(idleAfter)
	res.idleRSS = residentMiB(tb, cmd.Process.Pid)
	if call != "" {
		start := time.Now()
		io.WriteString(in, `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":`+call+`}`+"\n")
		await("3")
		res.firstCall = time.Since(start)
	}
	return res
}

// BenchmarkStartupVsTrivial measures cold starts of the stdio server, process
// start → initialize → tools/list answered, alternating with a trivial
// mcp-go server (three tools) started the same way, and reports both medians
// and their ratio; then, for supaops, the first tools/call (project_get,
// which pays whatever was left to do on first use) and the idle resident
// memory after the list. real-api is the real API client with a fake
// token (start-up calls nothing; the first call goes to a sandbox on
// loopback); sandbox is --sandbox.
func BenchmarkStartupVsTrivial(b *testing.B) {
	if runtime.GOOS != "linux" {
		b.Skip("reads /proc for RSS")
	}
	ours, trivial := binary(b), trivialServer(b)
	const token = "sbp_0123456789abcdef0123456789abcdef01234567"
	sb, err := sandbox.New(sandbox.Options{Token: token, Budget: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	api := httptest.NewServer(sb)
	b.Cleanup(api.Close)
	getProject := `{"name":"project_get","arguments":{"ref":"` + sb.Seed().ProjectRef + `"}}`
	modes := []struct {
		name string
		args []string
		env  []string
	}{
		{"real-api", nil, []string{"SUPABASE_ACCESS_TOKEN=" + token, "SUPABASE_API_URL=" + api.URL}},
		{"sandbox", []string{"--sandbox"}, nil},
	}
	for _, m := range modes {
		b.Run(m.name, func(b *testing.B) {
			var first []time.Duration
			var rss []float64
			env := append([]string{"SUPAOPS_STORE=" + filepath.Join(b.TempDir(), "s.db"), "SUPAOPS_LOG_LEVEL=error"}, m.env...)
			interleave.CompareMeasured(b, "supaops", func() time.Duration {
				r := startAndList(b, ours, m.args, env, getProject)
				first, rss = append(first, r.firstCall), append(rss, r.idleRSS)
				return r.toList
			}, "trivial", func() time.Duration {
				return startAndList(b, trivial, nil, nil, "").toList
			})
			b.ReportMetric(float64(interleave.Median(first).Microseconds()), "first-call-µs")
			b.ReportMetric(medianFloat(rss), "idle-RSS-MiB")
		})
	}
}

// BenchmarkStartupLibraryFloor splits BenchmarkStartupVsTrivial's ratio in
// two, each measured alternately in one run: what linking supaops-mcp's
// third-party libraries costs a trivial server (libraries-vs-trivial:
// trivialmcplibs against trivialmcp, identical but for the imports), and
// what supaops adds on top of that floor (supaops-vs-libraries, against the
// real API client with a fake token, as real-api above). Start-up is
// process start → initialize → tools/list answered.
func BenchmarkStartupLibraryFloor(b *testing.B) {
	ours, trivial, libs := binary(b), trivialServer(b), trivialLibsServer(b)
	list := func(bin string, env []string) func() time.Duration {
		return func() time.Duration { return startAndList(b, bin, nil, env, "").toList }
	}
	b.Run("libraries-vs-trivial", func(b *testing.B) {
		interleave.CompareMeasured(b, "libraries", list(libs, nil), "trivial", list(trivial, nil))
	})
	b.Run("supaops-vs-libraries", func(b *testing.B) {
		env := []string{
			"SUPAOPS_STORE=" + filepath.Join(b.TempDir(), "s.db"), "SUPAOPS_LOG_LEVEL=error",
			"SUPABASE_ACCESS_TOKEN=sbp_0123456789abcdef0123456789abcdef01234567", "SUPABASE_API_URL=http://127.0.0.1:9",
		}
		interleave.CompareMeasured(b, "supaops", list(ours, env), "libraries", list(libs, nil))
	})
}

// maxInitBytes bounds what any one supaops package may allocate at package
// initialisation: every start of every command pays it, before main.
const maxInitBytes = 64 << 10

// TestPackageInitIsCheap runs the binary with GODEBUG=inittrace=1 and checks
// that no supaops package does heavy work at init (decoding the embedded
// spec, parsing the registry, compiling large expressions): such work is
// done on first use, or ahead of time by go generate.
func TestPackageInitIsCheap(t *testing.T) {
	cmd := exec.Command(binary(t), "version")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	var trace strings.Builder
	cmd.Stderr = &trace
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, line := range strings.Split(trace.String(), "\n") {
		// init github.com/supaops/supaops/internal/x @1.2 ms, 0.01 ms clock, 3880 bytes, 49 allocs
		f := strings.Fields(line)
		if len(f) < 10 || f[0] != "init" || !strings.HasPrefix(f[1], "github.com/supaops/supaops/") {
			continue
		}
		seen++
		var bytes int
		if _, err := fmt.Sscan(f[7], &bytes); err != nil || f[8] != "bytes," {
			t.Fatalf("unexpected inittrace line %q", line)
		}
		if bytes > maxInitBytes {
			t.Errorf("%s allocates %d bytes at init (limit %d): do it on first use", f[1], bytes, maxInitBytes)
		}
	}
	if seen == 0 {
		t.Fatalf("no supaops package in the init trace:\n%s", trace.String())
	}
}

// TestLibraryFloorLinksEveryLibrary keeps BenchmarkStartupLibraryFloor
// honest: testdata/trivialmcp/libs.go imports every third-party package a
// supaops package of this binary imports (or one that imports it), so the
// floor has all of supaops-mcp's libraries in it.
func TestLibraryFloorLinksEveryLibrary(t *testing.T) {
	goList := func(tags string, pkgs ...string) map[string]bool {
		args := append([]string{"list", "-deps", "-tags", tags, "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}"}, pkgs...)
		out, err := exec.Command("go", args...).Output()
		if err != nil {
			t.Fatalf("go %s: %v", strings.Join(args, " "), err)
		}
		set := map[string]bool{}
		for _, p := range strings.Fields(string(out)) {
			set[p] = true
		}
		return set
	}
	ours := goList("", ".")
	floor := goList("trivialmcplibs", "./testdata/trivialmcp")
	for p := range ours {
		if strings.HasPrefix(p, "github.com/supaops/supaops") || floor[p] {
			continue
		}
		t.Errorf("supaops-mcp links %s, the library floor does not: import it in testdata/trivialmcp/libs.go", p)
	}
}
