package pipeline

import (
	"context"
	"fmt"

	"github.com/supaops/supaops/internal/tools"
)

// innerCaller is how a composite action calls the actions it is made of:
// back through the pipeline, as its caller, on its surface, in its scope.
// Each inner call is validated, scoped, decided by the policy and audited
// (its record names the composite, Via).
type innerCaller struct {
	p      *Pipeline
	parent *tools.Action
	req    Request
	// consented: the composite's caller confirmed it (or had it
	// approved), which covers an inner call the policy asks to confirm.
	consented bool
}

// Call implements tools.Caller.
func (c *innerCaller) Call(ctx context.Context, name string, args map[string]any) (any, error) {
	if !c.parent.MayCall(name) {
		// Its risk and redaction were worked out from the calls it
		// declares; another call would escape both.
		return nil, fmt.Errorf("%s may not call %s: it is not one of the actions it declares", c.parent.Name, name)
	}
	req := Request{
		Action: name, Args: args, Principal: c.req.Principal, Identities: c.req.Identities,
		Surface: c.req.Surface, Scope: c.req.Scope,
		// A surface that confirms an inner call the policy stopped calls the
		// composite again with that call's token: it is passed on (a token
		// only confirms the exact call it was issued for).
		Confirmation: c.req.Confirmation,
		within:       &Within{Composite: c.parent.Name, Consented: c.consented},
	}
	res, err := c.p.run(ctx, req, true)
	if err != nil {
		return nil, err
	}
	return res.Data, nil
}
