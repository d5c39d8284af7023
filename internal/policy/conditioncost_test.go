package policy

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"cel.dev/cel-go/cel"
)

func compileForTest(t *testing.T, src string, limit uint64, mode conditionMode) *condition {
	t.Helper()
	env, err := newConditionEnv()
	if err != nil {
		t.Fatal(err)
	}
	c, problems := compileCondition(env, src, limit, mode)
	if len(problems) > 0 {
		t.Fatalf("%s: %v", src, problems)
	}
	return c
}

// A condition runs without cost tracking only when its static estimate is
// within the limit; anything that scans input of unknown size is tracked.
func TestConditionCostTrackedOnlyWhenUnbounded(t *testing.T) {
	tests := []struct {
		when  string
		limit uint64
		want  bool // tracked
	}{
		{`sql.writes`, DefaultCostLimit, false},
		{`has(args.query) && args.query.startsWith("x")`, DefaultCostLimit, false},
		{`principal == "slack:user:U1" && surface == "slack"`, DefaultCostLimit, false},
		{`[1, 2, 3].exists(x, x == 2)`, DefaultCostLimit, false},
		{`"slack:channel:C1" in identities`, DefaultCostLimit, true},
		{`args.query.matches("drop")`, DefaultCostLimit, true},
		{`sql.kinds.exists(k, k == "drop")`, DefaultCostLimit, true},
		{`args.query.lowerAscii().contains("drop")`, DefaultCostLimit, true},
		// The estimate must be within the limit in force, not the default.
		{`sql.writes`, 1, true},
		{`[1, 2, 3].exists(x, x == 2)`, 20, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%d", tt.when, tt.limit), func(t *testing.T) {
			if c := compileForTest(t, tt.when, tt.limit, fastConditions); c.tracked != tt.want {
				t.Errorf("tracked = %v, want %v", c.tracked, tt.want)
			}
			if c := compileForTest(t, tt.when, tt.limit, referenceConditions); !c.tracked {
				t.Error("the reference does not track cost")
			}
		})
	}
}

// Only a comprehension can be interrupted, so only one watches the context.
func TestConditionInterruptible(t *testing.T) {
	tests := []struct {
		when string
		want bool
	}{
		{`args.l.exists(x, x == 1)`, true},
		{`[1].map(x, x + 1).size() == 1`, true},
		{`has(args.l) && args.l.all(x, x > 0)`, true},
		{`sql.kinds.exists_one(k, k == "drop")`, true},
		{`has(args.query)`, false},
		{`"drop" in sql.kinds && args.query.matches("x")`, false},
	}
	for _, tt := range tests {
		t.Run(tt.when, func(t *testing.T) {
			if c := compileForTest(t, tt.when, DefaultCostLimit, fastConditions); c.interruptible != tt.want {
				t.Errorf("interruptible = %v, want %v", c.interruptible, tt.want)
			}
			if c := compileForTest(t, tt.when, DefaultCostLimit, referenceConditions); !c.interruptible {
				t.Error("the reference does not watch the context")
			}
		})
	}
}

// An untracked condition answers as its tracked twin does, and the tracked
// twin's actual cost stays within the static estimate the choice relied on.
func TestUntrackedConditionsAgreeWithTracked(t *testing.T) {
	env, err := newConditionEnv()
	if err != nil {
		t.Fatal(err)
	}
	pool := append([]string{
		`[1, 2, 3].exists(x, x == 2)`, `args.query.size() < 3 || args.n == 3`, `has(args.n) && args.n + 1 > 3`,
		`principal.startsWith("slack:") && "x".contains(surface)`, `sql.args.query.writes`, `args.l[0] == 1`,
		`args.list[0] == 0.0`, `"a,b".split(",").size() == 2`, `args.query.split(" ").size() > 1`,
		`args.query.replace("x", "y") == "y"`, `args.query.indexOf("s") == 0`, `action.upperAscii() == "PROJECT_GET"`,
		`"  x ".trim() == principal`, `[args.query, surface].join(",") == "drop,"`,
	}, poolConditions...)
	r := rand.New(rand.NewPCG(3, 4))
	untracked := 0
	for _, limit := range []uint64{DefaultCostLimit, 4} {
		for _, src := range pool {
			fast := compileForTest(t, src, limit, fastConditions)
			if fast.tracked {
				continue
			}
			untracked++
			ref := compileForTest(t, src, limit, referenceConditions)
			ast, iss := env.Compile(src)
			if iss.Err() != nil {
				t.Fatal(iss.Err())
			}
			est, err := env.EstimateCost(ast, unknownSizes{})
			if err != nil {
				t.Fatal(err)
			}
			for range 200 {
				in := randomInput(r)
				got, gotDet, gotErr := fast.prg.Eval(newActivation(&in))
				want, wantDet, wantErr := ref.prg.Eval(newActivation(&in))
				if fmt.Sprint(got, gotErr) != fmt.Sprint(want, wantErr) {
					t.Fatalf("%s on %+v: untracked %v, %v; tracked %v, %v", src, in, got, gotErr, want, wantErr)
				}
				if cost := actualCost(wantDet); cost == nil || *cost > est.Max {
					t.Fatalf("%s on %+v: actual cost %v, estimate %+v", src, in, cost, est)
				}
				if actualCost(gotDet) != nil {
					t.Fatalf("%s: the untracked program counted cost", src)
				}
			}
		}
	}
	if untracked < 10 {
		t.Errorf("only %d conditions ran untracked", untracked)
	}
}

func actualCost(det *cel.EvalDetails) *uint64 {
	if det == nil {
		return nil
	}
	return det.ActualCost()
}
