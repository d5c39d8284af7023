package jobstore

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/supaops/supaops/internal/tools"
)

var examplePath = filepath.Join("..", "..", "examples", "jobs.yaml")

func readExample(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The example parses against the real action registry and shows every kind.
func TestExampleFile(t *testing.T) {
	reg, err := tools.Load()
	if err != nil {
		t.Fatal(err)
	}
	opts := LoadOptions{Actions: func(name string) bool {
		_, err := reg.Lookup(name)
		return err == nil
	}}
	specs, err := ParseFile(examplePath, opts)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, s := range specs {
		kinds[s.Kind]++
		if err := s.Validate(opts); err != nil {
			t.Errorf("%s: %v", s.Name, err)
		}
		if _, err := s.ParsedSchedule(); err != nil {
			t.Errorf("%s: %v", s.Name, err)
		}
	}
	for _, k := range Kinds() {
		if kinds[k] != 1 {
			t.Errorf("the example has %d jobs of kind %s, want 1", kinds[k], k)
		}
	}
}

func TestParseFileMissing(t *testing.T) {
	if _, err := ParseFile(filepath.Join(t.TempDir(), "none.yaml"), testOpts()); err == nil {
		t.Fatal("no error for a missing file")
	}
}
