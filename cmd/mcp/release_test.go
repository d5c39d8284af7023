package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// make release for one platform that is not this machine's: a tarball per
// platform, holding both binaries, and its SHA-256 in checksums.txt.
// Cross-compiling everything takes over a minute on a cold cache, so it
// runs only when asked: SUPAOPS_TEST_RELEASE=1 go test -run TestRelease ./cmd/mcp
func TestRelease(t *testing.T) {
	if os.Getenv("SUPAOPS_TEST_RELEASE") == "" {
		t.Skip("set SUPAOPS_TEST_RELEASE=1 to cross-build a release")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dist := filepath.Join(root, "dist")
	t.Cleanup(func() { _ = os.RemoveAll(dist) })
	cmd := exec.Command("make", "release", "PLATFORMS=darwin/arm64", "VERSION=0.0.0-test")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make release: %v\n%s", err, b)
	}
	const tarball = "supaops_0.0.0-test_darwin_arm64.tar.gz"
	sums, err := os.ReadFile(filepath.Join(dist, "checksums.txt"))
	if err != nil || !strings.Contains(string(sums), tarball) {
		t.Fatalf("checksums.txt: %v %s", err, sums)
	}
	check := exec.Command("sha256sum", "-c", "checksums.txt")
	check.Dir = dist
	if b, err := check.CombinedOutput(); err != nil {
		t.Errorf("sha256sum -c: %v\n%s", err, b)
	}
	list, err := exec.Command("tar", "-tzf", filepath.Join(dist, tarball)).Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, bin := range []string{"supaops-mcp", "supaops-slackbot"} {
		if !strings.Contains(string(list), "/"+bin+"\n") {
			t.Errorf("the tarball lacks %s: %s", bin, list)
		}
	}
}
