package main

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// dockerfile reads the repository's Dockerfile, its continuation lines
// joined.
func dockerfile(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	var cur strings.Builder
	for line := range strings.Lines(string(raw)) {
		line = strings.TrimRight(line, "\n")
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		if rest, cont := strings.CutSuffix(line, "\\"); cont {
			cur.WriteString(rest)
			continue
		}
		cur.WriteString(line)
		if s := strings.TrimSpace(cur.String()); s != "" {
			lines = append(lines, s)
		}
		cur.Reset()
	}
	return lines
}

// The image's build, run where Docker is not: the Dockerfile's RUN line
// that builds is run as it is, with its build args given, and the binaries
// it makes say the version and commit stamped into them. The rest of the
// image's promises are checked line by line: static non-root final stage,
// the store on a volume, a HEALTHCHECK this binary can answer.
func TestDockerfileBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds both binaries")
	}
	lines := dockerfile(t)
	var build string
	args := map[string]string{}
	for _, l := range lines {
		if rest, ok := strings.CutPrefix(l, "ARG "); ok {
			name, def, _ := strings.Cut(rest, "=")
			args[name] = def
		}
		if strings.HasPrefix(l, "RUN ") && strings.Contains(l, "scripts/build.sh") {
			build = strings.TrimPrefix(l, "RUN ")
		}
	}
	if build == "" {
		t.Fatal("no RUN line calls scripts/build.sh")
	}
	for _, name := range []string{"VERSION", "COMMIT"} {
		if _, ok := args[name]; !ok {
			t.Errorf("no ARG %s", name)
		}
	}
	out := t.TempDir()
	// The build stage's paths: /src is the repository, /out a scratch folder.
	build = strings.ReplaceAll(build, "/out", out)
	cmd := exec.Command("sh", "-ec", build)
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), "VERSION=9.8.7-test", "COMMIT=c0ffee123456")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the Dockerfile's build: %v\n%s", err, b)
	}
	for _, bin := range []string{"supaops-mcp", "supaops-slackbot"} {
		b, err := exec.Command(filepath.Join(out, bin), "version").CombinedOutput()
		if err != nil {
			t.Fatalf("%s version: %v\n%s", bin, err, b)
		}
		if want := bin + " 9.8.7-test (commit c0ffee123456)\n"; string(b) != want {
			t.Errorf("%s version says %q, want %q", bin, b, want)
		}
		if runtime.GOOS == "linux" {
			// Static: no interpreter to find in a distroless image.
			if f, err := os.ReadFile(filepath.Join(out, bin)); err == nil && strings.Contains(string(f[:min(len(f), 4096)]), "ld-linux") {
				t.Errorf("%s is dynamically linked", bin)
			}
		}
	}

	text := strings.Join(lines, "\n")
	froms := regexp.MustCompile(`(?m)^FROM (\S+)`).FindAllStringSubmatch(text, -1)
	if len(froms) < 2 || !strings.Contains(froms[len(froms)-1][1], "distroless/static") || !strings.HasSuffix(froms[len(froms)-1][1], ":nonroot") {
		t.Errorf("the final stage is %v, want distroless static, nonroot", froms)
	}
	for _, want := range []string{"USER nonroot", `VOLUME ["/data"]`, "ENV SUPAOPS_STORE=/data/", "COPY --from=build /out/supaops-mcp", "COPY --from=build /out/supaops-slackbot"} {
		if !strings.Contains(text, want) {
			t.Errorf("the Dockerfile has no %q", want)
		}
	}
	// The HEALTHCHECK probes the port the image serves its health on.
	hc := regexp.MustCompile(`HEALTHCHECK .*CMD \["/supaops-mcp", "probe", "http://127\.0\.0\.1:(\d+)/healthz"\]`).FindStringSubmatch(text)
	addr := regexp.MustCompile(`ENV SUPAOPS_METRICS_ADDR=\S+:(\d+)`).FindStringSubmatch(text)
	if hc == nil || addr == nil || hc[1] != addr[1] {
		t.Errorf("HEALTHCHECK %v does not probe SUPAOPS_METRICS_ADDR %v", hc, addr)
	}
	if b, err := exec.Command(filepath.Join(out, "supaops-mcp"), "probe").CombinedOutput(); err == nil || !strings.Contains(string(b), "usage: supaops-mcp probe URL") {
		t.Errorf("the probe command: %v %s", err, b)
	}
}

// The Kubernetes CronJob's command is one supaops-mcp takes: its flags
// parse (a mistake there is a usage error), and only the job's absence
// from an empty store stops it.
func TestKubernetesCronJob(t *testing.T) {
	raw, err := os.ReadFile("../../deploy/kubernetes/cronjob.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cj struct {
		Kind string `yaml:"kind"`
		Spec struct {
			Schedule    string `yaml:"schedule"`
			JobTemplate struct {
				Spec struct {
					Template struct {
						Spec struct {
							Containers []struct {
								Command []string `yaml:"command"`
								Args    []string `yaml:"args"`
							} `yaml:"containers"`
						} `yaml:"spec"`
					} `yaml:"template"`
				} `yaml:"spec"`
			} `yaml:"jobTemplate"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal(raw, &cj); err != nil {
		t.Fatal(err)
	}
	if cj.Kind != "CronJob" || len(strings.Fields(cj.Spec.Schedule)) != 5 {
		t.Errorf("kind %q schedule %q", cj.Kind, cj.Spec.Schedule)
	}
	c := cj.Spec.JobTemplate.Spec.Template.Spec.Containers[0]
	if len(c.Command) != 1 || c.Command[0] != "/supaops-mcp" || len(c.Args) < 3 || c.Args[0] != "jobs" || c.Args[1] != "run" {
		t.Fatalf("command %v args %v: want /supaops-mcp jobs run NAME", c.Command, c.Args)
	}
	env := map[string]string{"SUPAOPS_STORE": t.TempDir() + "/s.db"}
	err = run(context.Background(), append(c.Args, "--sandbox"), func(k string) string { return env[k] }, strings.NewReader(""), io.Discard, io.Discard)
	var usage *usageError
	if err == nil || errors.As(err, &usage) || !strings.Contains(err.Error(), c.Args[2]) {
		t.Errorf("supaops-mcp %v: %v (want: no such job %s)", c.Args, err, c.Args[2])
	}
}
