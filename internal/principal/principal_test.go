package principal

import (
	"context"
	"testing"
)

func TestWithFrom(t *testing.T) {
	if _, ok := From(context.Background()); ok {
		t.Error("an empty context carries no principal")
	}
	ctx := With(context.Background(), Principal{ID: "mcp:token:ci", Identities: []string{"x"}})
	p, ok := From(ctx)
	if !ok || p.ID != "mcp:token:ci" || len(p.Identities) != 1 {
		t.Errorf("got %+v %v", p, ok)
	}
	if _, ok := From(With(context.Background(), Principal{})); ok {
		t.Error("a principal without an id does not count")
	}
}
