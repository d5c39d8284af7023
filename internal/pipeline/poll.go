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

// Progress is one look at a long-running operation.
type Progress struct {
	Result *Result // the poll action's result
	State  string  // the value of the poll field
	Done   bool    // State is a terminal success
	Failed bool    // State is a terminal failure
}

// Poll looks once at the operation res started, through the pipeline (so
// the policy and the audit log see it like any call).
func (p *Pipeline) Poll(ctx context.Context, res *Result) (Progress, error) {
	if res.Poll == nil || res.Action.Poll == nil || res.Action.Poll.Field == "" {
		return Progress{}, fmt.Errorf("%s has no state to wait for", res.Action.Name)
	}
	spec := res.Action.Poll
	polled, err := p.Call(ctx, *res.Poll)
	if err != nil {
		return Progress{}, fmt.Errorf("polling %s: %w", spec.Action, err)
	}
	state := fmt.Sprint(lookup(polled.Data, spec.Field))
	return Progress{
		Result: polled, State: state,
		Done: slices.Contains(spec.Done, state), Failed: slices.Contains(spec.Failed, state),
	}, nil
}

// Wait follows a long-running operation started by res until its poll field
// reaches a terminal value, calling the poll action through the pipeline every
// interval. It returns the last poll result.
func (p *Pipeline) Wait(ctx context.Context, res *Result, interval time.Duration) (*Result, error) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		pr, err := p.Poll(ctx, res)
		if err != nil {
			return nil, err
		}
		polled, state, spec := pr.Result, pr.State, res.Action.Poll
		switch {
		case pr.Done:
			return polled, nil
		case pr.Failed:
			return polled, fmt.Errorf("%s: %s is %s: %w", res.Action.Name, spec.Field, state, ErrOperationFailed)
		}
		select {
		case <-ctx.Done():
			return polled, fmt.Errorf("waiting for %s (%s is %s): %w", res.Action.Name, spec.Field, state, ctx.Err())
		case <-ticker.C:
		}
	}
}
