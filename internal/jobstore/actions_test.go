package jobstore

import (
	"errors"
	"testing"

	"github.com/supaops/supaops/internal/tools"
)

// TestActionSchemasCompile: the jobs' actions compile their input schemas
// on first use (not at start), so each must be known to compile here.
func TestActionSchemasCompile(t *testing.T) {
	list, err := Actions(nil, func(string) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range list {
		// Missing or wrong arguments are input errors; a schema that does
		// not compile is any other error.
		err := a.Validate(map[string]any{})
		var input *tools.InputError
		if err != nil && !errors.As(err, &input) {
			t.Errorf("%s: %v", a.Name, err)
		}
	}
}
