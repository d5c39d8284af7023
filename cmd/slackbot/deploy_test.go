package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// acceptsArgs runs the bot with args and no Slack settings: it must get
// past its flags (and stop at the missing token), so every flag a
// deployment example passes exists and takes its value.
func acceptsArgs(t *testing.T, where string, args []string) {
	t.Helper()
	env := map[string]string{"SUPAOPS_STORE": t.TempDir() + "/s.db"}
	err := run(context.Background(), args, func(k string) string { return env[k] }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "SLACK_BOT_TOKEN is not set") {
		t.Errorf("%s: supaops-slackbot %v: %v (want it to get past its flags)", where, args, err)
	}
}

func readYAML(t *testing.T, path string) []map[string]any {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var docs []map[string]any
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	for {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		docs = append(docs, doc)
	}
}

// dig follows keys (string for maps, int for lists) through decoded YAML.
func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func strs(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func TestDockerCompose(t *testing.T) {
	docs := readYAML(t, "../../deploy/docker-compose.yml")
	svc := dig(docs[0], "services", "slackbot")
	if got := strs(dig(svc, "entrypoint")); len(got) != 1 || got[0] != "/supaops-slackbot" {
		t.Errorf("entrypoint %v", got)
	}
	args := strs(dig(svc, "command"))
	if args[0] != "--sandbox" {
		t.Errorf("the compose example should run on the sandbox: %v", args)
	}
	acceptsArgs(t, "docker-compose.yml", args)
	hc := strs(dig(svc, "healthcheck", "test"))
	if strings.Join(hc[:3], " ") != "CMD /supaops-mcp probe" || !strings.HasSuffix(hc[3], ":9090/readyz") {
		t.Errorf("healthcheck %v", hc)
	}
	if v := dig(svc, "volumes", 0); v != "supaops-data:/data" {
		t.Errorf("the store's volume: %v", v)
	}
}

func TestKubernetesDeployment(t *testing.T) {
	docs := readYAML(t, "../../deploy/kubernetes/slackbot.yaml")
	kinds := map[string]map[string]any{}
	for _, d := range docs {
		kinds[d["kind"].(string)] = d
	}
	pvc, dep := kinds["PersistentVolumeClaim"], kinds["Deployment"]
	if pvc == nil || dep == nil {
		t.Fatalf("kinds %v: want a PersistentVolumeClaim and a Deployment", kinds)
	}
	if dig(dep, "spec", "replicas") != 1 || dig(dep, "spec", "strategy", "type") != "Recreate" {
		t.Error("one replica at a time on the store: replicas 1, strategy Recreate")
	}
	c := dig(dep, "spec", "template", "spec", "containers", 0)
	if cmd := strs(dig(c, "command")); cmd[0] != "/supaops-slackbot" {
		t.Errorf("command %v", cmd)
	}
	args := strs(dig(c, "args"))
	acceptsArgs(t, "slackbot.yaml", args)
	if !strings.Contains(strings.Join(args, " "), "--metrics-addr 0.0.0.0:9090") || dig(c, "ports", 0, "containerPort") != 9090 {
		t.Errorf("the metrics port: args %v, ports %v", args, dig(c, "ports"))
	}
	for probe, path := range map[string]string{"livenessProbe": "/healthz", "readinessProbe": "/readyz"} {
		if got := dig(c, probe, "httpGet", "path"); got != path {
			t.Errorf("%s path %v, want %s", probe, got, path)
		}
	}
	if dig(dep, "spec", "template", "spec", "volumes", 0, "persistentVolumeClaim", "claimName") != dig(pvc, "metadata", "name") {
		t.Error("the Deployment does not mount the PVC")
	}
	if dig(c, "volumeMounts", 0, "mountPath") != "/data" || dig(c, "env", 0, "value") != "/data/supaops.db" {
		t.Error("the store is not on the volume")
	}
}

// systemdKeys are the keys the unit may use, by section (systemd.unit,
// systemd.service, systemd.exec): a misspelt one is ignored by systemd
// with a mere warning, and its hardening with it.
var systemdKeys = map[string][]string{
	"Unit":    {"Description", "Documentation", "Wants", "After", "Requires"},
	"Install": {"WantedBy"},
	"Service": {
		"Type", "DynamicUser", "User", "Group", "StateDirectory", "StateDirectoryMode", "EnvironmentFile", "Environment",
		"ExecStart", "ExecReload", "Restart", "RestartSec", "TimeoutStopSec", "NoNewPrivileges", "ProtectSystem",
		"ProtectHome", "PrivateTmp", "PrivateDevices", "ProtectKernelTunables", "ProtectKernelModules", "ProtectKernelLogs",
		"ProtectControlGroups", "ProtectClock", "ProtectHostname", "ProtectProc", "RestrictAddressFamilies", "RestrictNamespaces",
		"RestrictRealtime", "RestrictSUIDSGID", "LockPersonality", "MemoryDenyWriteExecute", "SystemCallArchitectures",
		"SystemCallFilter", "CapabilityBoundingSet", "AmbientCapabilities", "UMask",
	},
}

func TestSystemdUnit(t *testing.T) {
	f, err := os.Open("../../deploy/systemd/supaops-slackbot.service")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seen := map[string]string{}
	section := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = line[1 : len(line)-1]
			if _, ok := systemdKeys[section]; !ok {
				t.Errorf("line %d: unknown section %s", n, line)
			}
		default:
			key, value, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Errorf("line %d: not key=value in a section: %q", n, line)
				continue
			}
			known := false
			for _, k := range systemdKeys[section] {
				known = known || k == key
			}
			if !known {
				t.Errorf("line %d: %s is not a key of [%s]", n, key, section)
			}
			seen[key] = value
		}
	}
	for key, want := range map[string]string{"NoNewPrivileges": "yes", "ProtectSystem": "strict", "DynamicUser": "yes", "StateDirectory": "supaops"} {
		if seen[key] != want {
			t.Errorf("%s=%q, want %q", key, seen[key], want)
		}
	}
	fields := strings.Fields(seen["ExecStart"])
	if len(fields) == 0 || fields[0] != "/usr/local/bin/supaops-slackbot" {
		t.Fatalf("ExecStart %q", seen["ExecStart"])
	}
	acceptsArgs(t, "supaops-slackbot.service", fields[1:])
}
