package policy

import (
	"context"
	"errors"
	"fmt"
	"reflect"

	"cel.dev/cel-go/cel"
	celast "cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/cost"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/ext"

	"github.com/supaops/supaops/internal/sqlkind"
)

// DefaultCostLimit bounds one condition's evaluation in CEL cost units (about
// one per operation; a regex match costs by the string's length). It is far
// above what a policy condition needs and far below a noticeable CPU cost.
const DefaultCostLimit = 100_000

const (
	// maxConditionLength keeps conditions short enough to review.
	maxConditionLength = 4096
	// interruptEvery is how many comprehension iterations pass between checks
	// of the context.
	interruptEvery = 100
)

// sqlType is the CEL name of sqlkind.Summary, the type of the variable sql.
// Its fields are the JSON names: statements, kinds, writes, dynamic, and args
// (a map from argument name to the same fields but args).
const sqlType = "sqlkind.Summary"

// newConditionEnv declares the variables a condition may read. Numbers in
// args are doubles (JSON) or ints (json.Number holding an integer). sql is
// typed, so a misspelt field (sql.kind) is a load error, not a failed
// evaluation.
func newConditionEnv() (*cel.Env, error) {
	env, err := cel.NewEnv(
		ext.NativeTypes(reflect.TypeFor[sqlkind.Summary](), ext.ParseStructTag("json")),
		cel.Variable("args", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("action", cel.StringType),
		cel.Variable("toolset", cel.StringType),
		cel.Variable("risk", cel.StringType),
		cel.Variable("principal", cel.StringType),
		cel.Variable("identities", cel.ListType(cel.StringType)),
		cel.Variable("project", cel.StringType),
		cel.Variable("organization", cel.StringType),
		cel.Variable("surface", cel.StringType),
		cel.Variable("sql", cel.ObjectType(sqlType)),
		ext.Strings(),
		cel.CrossTypeNumericComparisons(true),
		cel.DefaultUTCTimeZone(true),
		cel.ParserExpressionSizeLimit(maxConditionLength),
	)
	if err != nil {
		return nil, fmt.Errorf("declaring the condition environment: %w", err)
	}
	env, err = env.Extend(cel.CustomTypeAdapter(argsAdapter{base: env.CELTypeAdapter()}))
	if err != nil {
		return nil, fmt.Errorf("declaring the condition environment: %w", err)
	}
	return env, nil
}

// condition is a compiled when: expression.
type condition struct {
	src string
	prg cel.Program
	// reads says which of the variables that cost the caller work to fill
	// (sql, project, organization) the condition reads.
	reads map[string]bool
	// tracked says prg counts cost against the limit as it runs. It does not
	// when cel-go's static estimate already bounds every evaluation within
	// the limit: counting then costs about twice the evaluation and could
	// never stop it.
	tracked bool
	// interruptible says an evaluation must watch the context. cel-go checks
	// it only between iterations of a comprehension (all, exists, map...), so
	// an expression without one runs the same either way.
	interruptible bool
}

// conditionMode is how conditions are compiled.
type conditionMode uint8

const (
	// fastConditions leaves out what cannot change a result: cost tracking
	// when the static estimate bounds the cost within the limit, and
	// watching the context when there is no comprehension to interrupt.
	fastConditions conditionMode = iota
	// referenceConditions tracks cost on every evaluation and watches every
	// cancellable context, as all conditions did before; tests decide with
	// it for reference.
	referenceConditions
)

// unknownSizes is a cost estimator that knows nothing of the input: every
// list, map and string of a call may be of any size, so an expression whose
// cost depends on one has no upper bound.
type unknownSizes struct{}

func (unknownSizes) EstimateCallCost(string, string, *cost.AstNode, []cost.AstNode) *cost.CallEstimate {
	return nil
}

func (unknownSizes) EstimateSize(cost.AstNode) *cost.SizeEstimate { return nil }

// staticallyBounded reports whether no evaluation of ast can cost more than
// limit. cel-go charges at run time by the same model it estimates with, and
// keeps the actual cost within the estimate's range, so such an expression
// could never be stopped by the limit.
func staticallyBounded(env *cel.Env, ast *cel.Ast, limit uint64) bool {
	est, err := env.EstimateCost(ast, unknownSizes{})
	return err == nil && est.Max <= limit
}

// hasComprehension reports whether a checked expression loops.
func hasComprehension(a *cel.Ast) bool {
	found := false
	celast.PreOrderVisit(a.NativeRep().Expr(), celast.NewExprVisitor(func(e celast.Expr) {
		found = found || e.Kind() == celast.ComprehensionKind
	}))
	return found
}

// conditionProblem is a compile error with its place inside the expression.
type conditionProblem struct {
	line, column int // 1-based within the expression; 0 when unknown
	reason       string
}

func compileCondition(env *cel.Env, src string, costLimit uint64, mode conditionMode) (*condition, []conditionProblem) {
	if len(src) > maxConditionLength {
		return nil, []conditionProblem{{reason: fmt.Sprintf("condition is %d bytes; the limit is %d", len(src), maxConditionLength)}}
	}
	ast, iss := env.Compile(src)
	if iss != nil && iss.Err() != nil {
		var out []conditionProblem
		for _, e := range iss.Errors() {
			p := conditionProblem{reason: e.Message}
			if e.Location != nil && e.Location.Line() > 0 {
				p.line, p.column = e.Location.Line(), e.Location.Column()+1
			}
			out = append(out, p)
		}
		return nil, out
	}
	if !ast.OutputType().IsExactType(cel.BoolType) {
		return nil, []conditionProblem{{reason: fmt.Sprintf("condition has type %s; it must be bool (compare a dyn value explicitly, e.g. args.force == true)", ast.OutputType())}}
	}
	reference := mode == referenceConditions
	tracked := reference || !staticallyBounded(env, ast, costLimit)
	opts := []cel.ProgramOption{cel.EvalOptions(cel.OptOptimize), cel.InterruptCheckFrequency(interruptEvery)}
	if tracked {
		opts = append(opts, cel.CostLimit(costLimit))
	}
	prg, err := env.Program(ast, opts...)
	if err != nil {
		// OptOptimize compiles constant regexes here, so a bad regex lands here.
		return nil, []conditionProblem{{reason: err.Error()}}
	}
	reads := map[string]bool{}
	for _, name := range []string{"sql", "project", "organization"} {
		reads[name] = references(ast, name)
	}
	return &condition{src: src, prg: prg, reads: reads, tracked: tracked, interruptible: reference || hasComprehension(ast)}, nil
}

// references reports whether a checked expression reads the variable name.
func references(ast *cel.Ast, name string) bool {
	for _, ref := range ast.NativeRep().ReferenceMap() {
		if ref.Name == name && ref.Value == nil {
			return true
		}
	}
	return false
}

// eval runs the condition. Any failure is an error for the caller to treat
// fail-closed.
func (c *condition) eval(ctx context.Context, act *activation) (bool, error) {
	var (
		out any
		err error
	)
	// ContextEval costs a cancellable context per call; skip it when there is
	// nothing that could cancel, or nowhere cel-go would look (it checks the
	// context only between iterations of a comprehension).
	if ctx.Done() == nil || !c.interruptible {
		v, _, e := c.prg.Eval(act)
		out, err = v, e
	} else {
		v, _, e := c.prg.ContextEval(ctx, act)
		out, err = v, e
	}
	if err != nil {
		return false, err
	}
	b, ok := out.(types.Bool)
	if !ok {
		return false, errors.New("condition did not evaluate to a bool")
	}
	return bool(b), nil
}
