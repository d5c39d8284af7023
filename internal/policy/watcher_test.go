package policy

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// logBuffer is a zerolog sink the test can read while Run writes to it.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) count(s string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Count(b.buf.String(), s)
}

type watcherFixture struct {
	t     *testing.T
	path  string
	logs  *logBuffer
	w     *Watcher
	clock time.Time
}

func newWatcherFixture(t *testing.T, initial string) *watcherFixture {
	t.Helper()
	f := &watcherFixture{t: t, path: filepath.Join(t.TempDir(), "policy.yaml"), logs: &logBuffer{}, clock: time.Now().Add(-time.Hour)}
	f.write(initial)
	w, err := NewWatcher(f.path, testOpts(), zerolog.New(f.logs))
	if err != nil {
		t.Fatalf("NewWatcher: %v", err)
	}
	f.w = w
	return f
}

// write replaces the file atomically (as editors and config tools do, so a
// poll never sees half a file) and moves its mtime forward, so a change is
// visible even on file systems with coarse timestamps.
func (f *watcherFixture) write(src string) {
	f.t.Helper()
	tmp := f.path + ".tmp"
	if err := os.WriteFile(tmp, yamlDoc(src), 0o600); err != nil {
		f.t.Fatal(err)
	}
	f.clock = f.clock.Add(time.Second)
	if err := os.Chtimes(tmp, f.clock, f.clock); err != nil {
		f.t.Fatal(err)
	}
	if err := os.Rename(tmp, f.path); err != nil {
		f.t.Fatal(err)
	}
}

func (f *watcherFixture) eventually(what string, cond func() bool) {
	f.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			f.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

const (
	policyV1  = header + "rules:\n\t- name: v1\n\t\teffect: deny\n"
	policyV2  = header + "rules:\n\t- name: v2\n\t\teffect: deny\n"
	policyBad = header + "rules:\n\t- name: broken\n\t\teffect: perhaps\n"
)

// ruleOf names the rule the policy in force decides any call by: each
// fixture policy has one rule that applies to every call.
func ruleOf(w *Watcher) string {
	return w.Current().Decide(context.Background(), Input{Principal: "cli:local", Action: testActions()[0]}).Rule
}

func TestNewWatcherRefusesABadFirstFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(path, yamlDoc(policyBad), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewWatcher(path, testOpts(), zerolog.Nop()); err == nil || !strings.Contains(err.Error(), "unknown effect") {
		t.Errorf("got %v", err)
	}
	if _, err := NewWatcher(path+".missing", testOpts(), zerolog.Nop()); err == nil {
		t.Error("a missing file loaded")
	}
}

func TestWatcherReload(t *testing.T) {
	f := newWatcherFixture(t, policyV1)
	first := f.w.Current()
	tests := []struct {
		name     string
		src      string
		wantErr  string
		wantRule string
	}{
		{"bad file keeps the old policy", policyBad, "unknown effect", "v1"},
		{"good file replaces it", policyV2, "", "v2"},
		{"bad again keeps the new one", "version: 1\nrules: [", "invalid YAML", "v2"},
		{"back to v1", policyV1, "", "v1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.write(tt.src)
			err := f.w.Reload()
			if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("Reload: %v, want %q", err, tt.wantErr)
			}
			if got := ruleOf(f.w); got != tt.wantRule {
				t.Errorf("policy in force decides by %s, want %s", got, tt.wantRule)
			}
		})
	}
	if f.w.Current() == first {
		t.Error("the policy object was never replaced")
	}
	if n := f.logs.count("policy reload refused"); n != 2 {
		t.Errorf("%d refusals logged, want 2:\n%s", n, f.logs.buf.String())
	}
}

func TestWatcherPolls(t *testing.T) {
	f := newWatcherFixture(t, policyV1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); f.w.Run(ctx, 5*time.Millisecond, nil) }()
	defer func() { cancel(); <-done }()

	f.write(policyV2)
	f.eventually("the good change", func() bool { return ruleOf(f.w) == "v2" })

	f.write(policyBad)
	f.eventually("the refusal to be logged", func() bool { return f.logs.count("changed policy refused") >= 1 })
	time.Sleep(50 * time.Millisecond) // several more polls
	if got := ruleOf(f.w); got != "v2" {
		t.Errorf("after a bad change the policy decides by %s, want v2", got)
	}
	if n := f.logs.count("changed policy refused"); n != 1 {
		t.Errorf("a bad file was logged %d times, want once", n)
	}

	loads := f.logs.count("policy loaded")
	f.clock = f.clock.Add(time.Second) // touch: new mtime, same content
	if err := os.Chtimes(f.path, f.clock, f.clock); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if n := f.logs.count("policy loaded"); n != loads {
		t.Errorf("touching the file reloaded it (%d loads, want %d)", n, loads)
	}

	f.write(policyV1)
	f.eventually("the fix", func() bool { return ruleOf(f.w) == "v1" })
}

func TestWatcherReloadsOnSignal(t *testing.T) {
	f := newWatcherFixture(t, policyV1)
	sighup := make(chan os.Signal)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); f.w.Run(ctx, 0, sighup) }()

	f.write(policyV2)
	time.Sleep(20 * time.Millisecond)
	if got := ruleOf(f.w); got != "v1" {
		t.Fatalf("with polling off the file was picked up without a signal (%s)", got)
	}
	sighup <- os.Interrupt // any signal value; the channel is what counts
	f.eventually("the reload on signal", func() bool { return ruleOf(f.w) == "v2" })

	close(sighup) // a closed channel must not spin or stop Run
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

// Each policy loaded carries its own index: after a reload, calls meet the
// new rules' selectors, and none of the old ones'.
func TestWatcherReloadReindexes(t *testing.T) {
	v1 := header + `rules:
	- name: deny-u1
		effect: deny
		principals: ["slack:user:U1"]
	- name: confirm-acme
		effect: confirm
		projects: ["org:acme"]
`
	v2 := header + `rules:
	- name: deny-nightly
		effect: deny
		principals: ["job:nightly*"]
	- name: confirm-other
		effect: confirm
		projects: ["org:other"]
	- name: allow-mcp
		effect: allow
		principals: ["mcp:local"]
`
	f := newWatcherFixture(t, v1)
	calls := []struct {
		principal, org string
		want           [2]string // by v1, by v2
	}{
		{"slack:user:U1", "", [2]string{"deny-u1", "default:read"}},
		{"job:nightly-2", "", [2]string{"default:read", "deny-nightly"}},
		{"cli:local", "acme", [2]string{"confirm-acme", "default:read"}},
		{"cli:local", "other", [2]string{"default:read", "confirm-other"}},
		{"mcp:local", "", [2]string{"default:read", "allow-mcp"}},
	}
	for _, v := range []int{0, 1, 0} {
		f.write([]string{v1, v2}[v])
		if err := f.w.Reload(); err != nil {
			t.Fatal(err)
		}
		for _, c := range calls {
			in := Input{Principal: c.principal, Action: testActions()[0], Organization: c.org}
			if got := f.w.Current().Decide(context.Background(), in).Rule; got != c.want[v] {
				t.Errorf("v%d: %s in %q: decided by %s, want %s", v+1, c.principal, c.org, got, c.want[v])
			}
		}
	}
}
