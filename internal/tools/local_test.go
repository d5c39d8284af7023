package tools

import (
	"context"
	"errors"
	"testing"

	"github.com/supaops/supaops/internal/action"
)

// TestLocalSchemaThatDoesNotCompileRefusesCalls: local actions compile their
// schema on first use, so a schema that does not compile must refuse every
// call with that error, never let arguments through unchecked.
func TestLocalSchemaThatDoesNotCompileRefusesCalls(t *testing.T) {
	a, err := NewLocal(action.Action{
		Name: "broken_get", Toolset: "test", Risk: action.Read, Summary: "s",
		InputSchema: []byte(`{"type":"object","properties":{"q":{"type":"string","pattern":"("}}}`),
	}, func(context.Context, map[string]any) (any, error) { return nil, nil })
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range []map[string]any{{}, {"q": "x"}} {
		err := a.Validate(args)
		var input *InputError
		if err == nil || errors.As(err, &input) {
			t.Errorf("Validate(%v) = %v, want the compile error", args, err)
		}
	}
}
