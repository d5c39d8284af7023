package deptest

import (
	"bufio"
	"bytes"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/supaops/supaops"

// surfaces turn their own medium's input into pipeline requests. Each may
// use its own library; none may use another surface.
var surfaces = map[string]bool{"mcpserver": true, "mcphttp": true, "slackbot": true, "jobs": true, "cli": true}

// wiring builds the stack and may know everything below the surfaces.
var wiring = map[string]bool{"app": true}

// protocolLibraries belong to one surface each.
var protocolLibraries = map[string][]string{
	"github.com/mark3labs/mcp-go": {"mcpserver", "mcphttp"},
	"github.com/slack-go/slack":   {"slackbot"},
}

type pkg struct {
	path    string
	top     string // first element under internal/, or "" outside it
	imports []string
	deps    []string
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-f", "{{.ImportPath}}|{{join .Imports \" \"}}|{{join .Deps \" \"}}", module+"/...")
	cmd.Dir = "../.."
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []pkg
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), "|", 3)
		if len(parts) != 3 {
			continue
		}
		p := pkg{path: parts[0], imports: strings.Fields(parts[1]), deps: strings.Fields(parts[2])}
		p.top = topOf(p.path)
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 20 {
		t.Fatalf("go list found only %d packages; the test cannot see the module", len(pkgs))
	}
	return pkgs
}

// topOf names the package's first element under internal/.
func topOf(path string) string {
	rest, ok := strings.CutPrefix(path, module+"/internal/")
	if !ok {
		return ""
	}
	top, _, _ := strings.Cut(rest, "/")
	return top
}

// TestImports lists the module's packages once and checks each rule.
func TestImports(t *testing.T) {
	pkgs := listPackages(t)
	for name, check := range map[string]func([]pkg) []string{
		"surfaces do not import each other":        checkSurfacesDoNotImportEachOther,
		"the core imports no surface nor wiring":   checkCoreImportsNoSurfaceNorWiring,
		"protocol libraries stay in their surface": checkProtocolLibrariesStayInTheirSurface,
		"only the wiring knows the sandbox":        checkOnlyTheWiringKnowsTheSandbox,
		"only internal/metrics imports Prometheus": checkOnlyMetricsImportsPrometheus,
	} {
		t.Run(name, func(t *testing.T) {
			for _, v := range check(pkgs) {
				t.Error(v)
			}
		})
	}
}

func checkSurfacesDoNotImportEachOther(pkgs []pkg) (violations []string) {
	for _, p := range pkgs {
		if !surfaces[p.top] {
			continue
		}
		for _, imp := range p.imports {
			if other := topOf(imp); surfaces[other] && other != p.top {
				violations = append(violations, fmt.Sprintf("%s imports %s: surfaces must not import each other; move what both need below them", p.path, imp))
			}
		}
	}
	return violations
}

func checkCoreImportsNoSurfaceNorWiring(pkgs []pkg) (violations []string) {
	for _, p := range pkgs {
		if p.top == "" || surfaces[p.top] || wiring[p.top] || p.top == "deptest" {
			continue
		}
		for _, imp := range p.imports {
			if other := topOf(imp); (surfaces[other] || wiring[other]) && other != p.top {
				violations = append(violations, fmt.Sprintf("%s imports %s: the core must not depend on a surface or on the wiring", p.path, imp))
			}
		}
	}
	return violations
}

func checkProtocolLibrariesStayInTheirSurface(pkgs []pkg) (violations []string) {
	for _, p := range pkgs {
		if !strings.HasPrefix(p.path, module+"/internal/") {
			continue
		}
		for lib, owners := range protocolLibraries {
			if slices.Contains(owners, p.top) {
				continue
			}
			for _, dep := range p.deps {
				if dep == lib || strings.HasPrefix(dep, lib+"/") {
					violations = append(violations, fmt.Sprintf("%s depends on %s (through its imports): only %s may", p.path, dep, strings.Join(owners, ", ")))
					break
				}
			}
		}
	}
	return violations
}

func checkOnlyTheWiringKnowsTheSandbox(pkgs []pkg) (violations []string) {
	for _, p := range pkgs {
		if p.top == "" || wiring[p.top] || p.top == "sandbox" {
			continue
		}
		for _, imp := range p.imports {
			if topOf(imp) == "sandbox" {
				violations = append(violations, fmt.Sprintf("%s imports the sandbox: only the wiring (internal/app) and commands may", p.path))
			}
		}
	}
	return violations
}

// prometheusLibrary is imported by internal/metrics alone: the core
// packages define observer interfaces, and metrics implements them.
const prometheusLibrary = "github.com/prometheus/client_golang"

func checkOnlyMetricsImportsPrometheus(pkgs []pkg) (violations []string) {
	for _, p := range pkgs {
		if p.top == "metrics" || !strings.HasPrefix(p.path, module+"/") {
			continue
		}
		for _, imp := range p.imports {
			if imp == prometheusLibrary || strings.HasPrefix(imp, prometheusLibrary+"/") {
				violations = append(violations, fmt.Sprintf("%s imports %s: only internal/metrics may; observe through an Observer interface", p.path, imp))
			}
		}
	}
	return violations
}

// TestRulesCatchViolations feeds each rule a graph that breaks it, so a rule
// that stopped looking would fail here.
func TestRulesCatchViolations(t *testing.T) {
	in := func(name string) string { return module + "/internal/" + name }
	bad := []pkg{
		{path: in("mcpserver"), top: "mcpserver", imports: []string{in("slackbot")}},
		{path: in("pipeline"), top: "pipeline", imports: []string{in("app")}, deps: []string{"github.com/mark3labs/mcp-go/mcp"}},
		{path: in("render"), top: "render", imports: []string{in("sandbox")}},
		{path: in("pipeline"), top: "pipeline", imports: []string{prometheusLibrary + "/prometheus"}},
	}
	for name, check := range map[string]func([]pkg) []string{
		"surfaces":  checkSurfacesDoNotImportEachOther,
		"core":      checkCoreImportsNoSurfaceNorWiring,
		"libraries": checkProtocolLibrariesStayInTheirSurface,
		"sandbox":   checkOnlyTheWiringKnowsTheSandbox,
		"metrics":   checkOnlyMetricsImportsPrometheus,
	} {
		if len(check(bad)) == 0 {
			t.Errorf("rule %s let a violation through", name)
		}
	}
}
