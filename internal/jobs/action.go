package jobs

import (
	"context"
	"fmt"
	"maps"

	"github.com/supaops/supaops/internal/jobstore"
	"github.com/supaops/supaops/internal/render"
)

// reportBytes bounds the result an action job reports.
const reportBytes = 3000

// actionKind calls one registry action with fixed arguments (for each of
// the job's projects, as ref, when it has any) and reports the result.
type actionKind struct{ p *jobstore.ActionParams }

func (k actionKind) run(ctx context.Context, e *env) error {
	if len(e.spec.Projects) == 0 {
		return k.once(ctx, e, "", maps.Clone(k.p.Args))
	}
	return e.forEachProject(ctx, func(ref string) error {
		args := maps.Clone(k.p.Args)
		if args == nil {
			args = map[string]any{}
		}
		args["ref"] = ref
		return k.once(ctx, e, ref, args)
	})
}

func (k actionKind) once(ctx context.Context, e *env, ref string, args map[string]any) error {
	res, err := e.call(ctx, k.p.Action, args)
	if err != nil {
		return err
	}
	body, err := render.Data(res, reportBytes)
	if err != nil {
		return err
	}
	a := jobstore.Alert{
		Key: e.run.Key + "/" + ref + "/report", Severity: "info", Project: ref,
		Title: fmt.Sprintf("%s: %s", e.spec.Name, k.p.Action),
	}
	if body.Untrusted {
		a.Untrusted = body.Text
	} else {
		a.Lines = []string{body.Text}
	}
	if body.Cut != nil {
		a.Lines = append(a.Lines, body.Cut.Note(res.Action))
	}
	e.note("%s: %s answered %d;", ref, k.p.Action, res.Status)
	e.report(a)
	return nil
}
