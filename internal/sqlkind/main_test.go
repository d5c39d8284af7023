package sqlkind

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// childEnv makes the test binary a helper process: "init" exits right after
// package initialisation (the parent reads GODEBUG=inittrace), "first" times
// the process's first Classify and prints it.
const childEnv = "SQLKIND_TEST_CHILD"

// firstClassify is how long this process's first Classify took. TestMain
// makes that call before any test runs, so TestLazyInit can compare it with
// later ones: if init had compiled the parser, it would be as fast.
var firstClassify time.Duration

func TestMain(m *testing.M) {
	switch os.Getenv(childEnv) {
	case "init":
		os.Exit(0)
	case "first":
		d, err := timeFirst()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Printf("first-classify-ns %d\n", d.Nanoseconds())
		os.Exit(0)
	}
	d, err := timeFirst()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	firstClassify = d
	os.Exit(m.Run())
}

func timeFirst() (time.Duration, error) {
	start := time.Now()
	_, err := Classify(context.Background(), "select 1")
	return time.Since(start), err
}

// initLine is one package's line of GODEBUG=inittrace=1 output.
var initLine = regexp.MustCompile(`^init (\S+) @[0-9.]+ ms, ([0-9.]+) ms clock, ([0-9]+) bytes, ([0-9]+) allocs`)

// TestLazyInit proves the parser is compiled on the first Classify and not
// before: initialising this package, go-pgquery and wazero costs next to
// nothing (a helper process reports it), and this process's first Classify
// was much slower than later ones.
func TestLazyInit(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=init", "GODEBUG=inittrace=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("helper process: %v\n%s", err, out)
	}
	seen := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		m := initLine.FindStringSubmatch(sc.Text())
		if m == nil || !strings.Contains(m[1], "wazero") && !strings.Contains(m[1], "go-pgquery") && !strings.HasSuffix(m[1], "/sqlkind") {
			continue
		}
		seen++
		clock, _ := strconv.ParseFloat(m[2], 64)
		allocated, _ := strconv.Atoi(m[3])
		if clock > 50 || allocated > 4<<20 {
			t.Errorf("initialising %s took %.2f ms and %d bytes: something heavy runs at init", m[1], clock, allocated)
		}
	}
	if seen == 0 {
		t.Fatalf("no init trace for the parser's packages in:\n%s", out)
	}

	steady := make([]time.Duration, 21)
	for i := range steady {
		start := time.Now()
		if _, err := Classify(context.Background(), "select 1"); err != nil {
			t.Fatal(err)
		}
		steady[i] = time.Since(start)
	}
	slices.Sort(steady)
	median := steady[len(steady)/2]
	t.Logf("first Classify in this process: %v; later ones: median %v", firstClassify, median)
	if firstClassify < 50*median {
		t.Errorf("the first Classify (%v) was not much slower than later ones (%v): was the parser compiled before it?", firstClassify, median)
	}
}
