package pipeline

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/supaops/supaops/internal/tools"
)

// pollRequest builds the call that follows a long-running operation, taking
// its arguments from the original call (in.X) or its result (out.Y). It returns
// nil when the action has nothing to poll or an argument is missing.
func pollRequest(a *tools.Action, args map[string]any, data any, orig Request) *Request {
	if a.Poll == nil {
		return nil
	}
	pollArgs := map[string]any{}
	for name, from := range a.Poll.Args {
		var v any
		if field, ok := strings.CutPrefix(from, "in."); ok {
			v = args[field]
		} else if field, ok := strings.CutPrefix(from, "out."); ok {
			v = lookup(data, field)
		}
		if v == nil {
			return nil
		}
		pollArgs[name] = v
	}
	return &Request{Action: a.Poll.Action, Args: pollArgs, Principal: orig.Principal, Identities: orig.Identities, Surface: orig.Surface, Scope: orig.Scope}
}

// lookup reads a dotted path from a JSON value.
func lookup(v any, path string) any {
	for _, part := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[part]
	}
	return v
}

// ErrOperationFailed is returned by Wait when the operation reached a failed state.
var ErrOperationFailed = errors.New("operation failed")

// Wait follows a long-running operation started by res until its poll field
// reaches a terminal value, calling the poll action through the pipeline every
// interval. It returns the last poll result.
func (p *Pipeline) Wait(ctx context.Context, res *Result, interval time.Duration) (*Result, error) {
	if res.Poll == nil || res.Action.Poll == nil || res.Action.Poll.Field == "" {
		return nil, fmt.Errorf("%s has no state to wait for", res.Action.Name)
	}
	spec := res.Action.Poll
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		polled, err := p.Call(ctx, *res.Poll)
		if err != nil {
			return nil, fmt.Errorf("polling %s: %w", spec.Action, err)
		}
		state := fmt.Sprint(lookup(polled.Data, spec.Field))
		switch {
		case slices.Contains(spec.Done, state):
			return polled, nil
		case slices.Contains(spec.Failed, state):
			return polled, fmt.Errorf("%s: %s is %s: %w", res.Action.Name, spec.Field, state, ErrOperationFailed)
		}
		select {
		case <-ctx.Done():
			return polled, fmt.Errorf("waiting for %s (%s is %s): %w", res.Action.Name, spec.Field, state, ctx.Err())
		case <-ticker.C:
		}
	}
}
