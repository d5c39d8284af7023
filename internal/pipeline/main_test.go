package pipeline_test

import (
	"os"
	"testing"

	"github.com/supaops/supaops/internal/sqlkind"
)

// TestMain starts the SQL parser outside any synctest bubble: it is one per
// process, and a channel it makes inside a bubble could not be used outside
// it (the resilience tests run in bubbles and call SQL actions).
func TestMain(m *testing.M) {
	sqlkind.Warm()
	os.Exit(m.Run())
}
