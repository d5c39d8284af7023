package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/supaops/supaops/internal/slackbot/slackfake"
)

var built struct {
	once sync.Once
	path string
	err  error
}

// binary builds supaops-slackbot once per test run.
func binary(tb testing.TB) string {
	tb.Helper()
	built.once.Do(func() {
		dir, err := os.MkdirTemp("", "supaops-slackbot")
		if err != nil {
			built.err = err
			return
		}
		built.path = filepath.Join(dir, "supaops-slackbot")
		if out, err := exec.Command("go", "build", "-o", built.path, ".").CombinedOutput(); err != nil {
			built.err = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if built.err != nil {
		tb.Fatal(built.err)
	}
	return built.path
}

// start runs the binary on the sandbox against the fake Slack.
func start(t *testing.T, fake *slackfake.Fake, extraEnv []string, args ...string) {
	t.Helper()
	cmd := exec.Command(binary(t), append([]string{"--sandbox", "--slack-api-url", fake.APIURL()}, args...)...)
	cmd.Env = append(os.Environ(), append([]string{
		"SUPAOPS_STORE=" + filepath.Join(t.TempDir(), "s.db"), "SLACK_BOT_TOKEN=xoxb-binary", "SUPAOPS_LOG_LEVEL=error",
	}, extraEnv...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
			t.Errorf("the bot did not stop on SIGINT; stderr:\n%s", stderr.String())
		}
	})
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// The built binary over HTTP: signed commands are answered, unsigned ones
// refused before anything runs.
func TestBinaryOverHTTP(t *testing.T) {
	fake := slackfake.New(t)
	const secret = "binary-test-signing-secret"
	addr := freeAddr(t)
	start(t, fake, []string{"SLACK_SIGNING_SECRET=" + secret}, "--http", addr)
	base := "http://" + addr
	waitUp(t, base+"/healthz")

	cmd := slack.SlashCommand{
		TeamID: fake.Identity().TeamID, UserID: "U0DEV", ChannelID: "C0OPS", Command: "/supa",
		Text: "projects", ResponseURL: fake.ResponseURL("projects"), TriggerID: "trigger-1",
	}
	resp, err := http.DefaultClient.Do(slackfake.NewSlashCommandRequest(base+"/slack/commands", secret, time.Now(), cmd))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("signed command: %d", resp.StatusCode)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := fake.Wait(ctx, func() bool { return len(fake.ResponsePosts("projects")) > 0 }); err != nil {
		t.Fatalf("no answer on the response_url: %v", err)
	}
	if body := string(fake.ResponsePosts("projects")[0].Body); !strings.Contains(body, "sandbox") {
		t.Errorf("answer %s", body)
	}
	bad := slackfake.NewSlashCommandRequest(base+"/slack/commands", "wrong-secret", time.Now(), cmd)
	resp, err = http.DefaultClient.Do(bad)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a badly signed command: %d", resp.StatusCode)
	}
	// The listener faces Slack, so the internet: probes yes, metrics no.
	for path, want := range map[string]int{"/readyz": http.StatusOK, "/metrics": http.StatusNotFound} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
}

// The built binary over Socket Mode against the fake.
func TestBinaryOverSocketMode(t *testing.T) {
	fake := slackfake.New(t)
	start(t, fake, []string{"SLACK_APP_TOKEN=xapp-binary"})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := slack.SlashCommand{
		TeamID: fake.Identity().TeamID, UserID: "U0DEV", ChannelID: "C0OPS", Command: "/supa",
		Text: "help", ResponseURL: fake.ResponseURL("help"), TriggerID: "trigger-socket",
	}
	id, err := fake.SendSlashCommand(ctx, slackfake.Envelope{}, cmd)
	if err != nil {
		t.Fatal(err)
	}
	ack, err := fake.AwaitAck(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ack.Payload), "search") {
		t.Errorf("the help was not in the acknowledgement: %s", ack.Payload)
	}
}

func waitUp(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url) //nolint:gosec,noctx // the test's own server
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s never answered", url)
}
