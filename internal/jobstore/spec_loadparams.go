package jobstore

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/supaops/supaops/internal/suggest"
)

// paramKeys are the keys params takes, by kind.
func paramKeys(kind string) []string {
	switch kind {
	case KindBackup:
		return []string{"restore_point", "max_age"}
	case KindAdvisors:
		return []string{"types", "level"}
	case KindLogSweep:
		return []string{"source", "where", "lag", "window", "start", "samples"}
	case KindAction:
		return []string{"action", "args"}
	}
	return nil
}

// params reads the parameters of the job's kind. Without a known kind the
// keys cannot be checked; the kind is reported instead.
func (r *jobReader) params(f map[string]yamlField, s *Spec) {
	n := r.value(f, "params", "params")
	keys := paramKeys(s.Kind)
	if keys == nil {
		r.bad["params"] = true
		return
	}
	pf := map[string]yamlField{}
	if n != nil {
		if pf = r.ps.Fields(n, r.what+": params (kind "+s.Kind+")", keys...); pf == nil {
			r.bad["params"] = true
			return
		}
	}
	switch s.Kind {
	case KindBackup:
		s.Backup = &BackupParams{
			RestorePoint: r.boolean(pf, "restore_point", "params.restore_point", true),
			MaxAge:       r.duration(pf, "max_age", "params.max_age"),
		}
	case KindAdvisors:
		s.Advisors = &AdvisorsParams{
			Types: r.strings(pf, "types", "params.types"),
			Level: r.str(pf, "level", "params.level"),
		}
	case KindLogSweep:
		s.LogSweep = &LogSweepParams{
			Source:  r.str(pf, "source", "params.source"),
			Where:   r.str(pf, "where", "params.where"),
			Lag:     r.duration(pf, "lag", "params.lag"),
			Window:  r.duration(pf, "window", "params.window"),
			Start:   r.start(pf),
			Samples: r.integer(pf, "samples", "params.samples"),
		}
	case KindAction:
		s.Action = &ActionParams{Action: r.str(pf, "action", "params.action"), Args: r.args(pf)}
	}
}

// start reads a log sweep's start: "now" (the zero time) or an RFC 3339
// time, kept in UTC so that one instant has one spelling.
func (r *jobReader) start(pf map[string]yamlField) time.Time {
	s := r.str(pf, "start", "params.start")
	if s == "" || s == "now" || r.bad["params.start"] {
		if s == "" && r.given["params.start"] && !r.bad["params.start"] {
			r.fail("params.start", r.lines["params.start"], `empty; want now or an RFC 3339 time such as 2025-01-31T00:00:00Z`)
		}
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		r.fail("params.start", r.lines["params.start"], `%s: want now or an RFC 3339 time such as 2025-01-31T00:00:00Z`, suggest.Quote(s, 60))
		return time.Time{}
	}
	return t.UTC()
}

// args reads an action's arguments as JSON values, as encoding/json with
// UseNumber would decode them, so args from a file and from the store are
// the same values.
func (r *jobReader) args(pf map[string]yamlField) map[string]any {
	n := r.value(pf, "args", "params.args")
	if n == nil {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		r.fail("params.args", n.Line, "must be a mapping of argument names to values")
		return nil
	}
	out := map[string]any{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" {
			r.fail("params.args", k.Line, "argument names must be strings")
			continue
		}
		field := "params.args." + k.Value
		if _, dup := out[k.Value]; dup {
			r.fail(field, k.Line, "given twice")
			continue
		}
		r.lines[field] = v.Line
		val, err := yamlArg(v, 0)
		if err != nil {
			r.fail(field, err.line, "%s", err.reason)
			continue
		}
		out[k.Value] = val
	}
	return out
}

// argError is a problem inside an argument, with its own line.
type argError struct {
	line   int
	reason string
}

func yamlArg(n *yaml.Node, depth int) (any, *argError) {
	if depth > maxArgDepth {
		return nil, &argError{n.Line, fmt.Sprintf("nested deeper than %d levels", maxArgDepth)}
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" {
				return nil, &argError{k.Line, "object keys must be strings"}
			}
			if _, dup := m[k.Value]; dup {
				return nil, &argError{k.Line, fmt.Sprintf("key %q given twice", k.Value)}
			}
			v, err := yamlArg(n.Content[i+1], depth+1)
			if err != nil {
				return nil, err
			}
			m[k.Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		l := make([]any, 0, len(n.Content))
		for _, item := range n.Content {
			v, err := yamlArg(item, depth+1)
			if err != nil {
				return nil, err
			}
			l = append(l, v)
		}
		return l, nil
	case yaml.ScalarNode:
		return yamlScalarArg(n)
	}
	return nil, &argError{n.Line, "not a JSON value"}
}

func yamlScalarArg(n *yaml.Node) (any, *argError) {
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!bool":
		var b bool
		if n.Decode(&b) == nil {
			return b, nil
		}
	case "!!int":
		// YAML ints may be written 0x1F, 0o17 or 1_000; JSON has decimals.
		var i big.Int
		var v int64
		if n.Decode(&v) == nil {
			return json.Number(strconv.FormatInt(v, 10)), nil
		}
		if _, ok := i.SetString(n.Value, 0); ok {
			return json.Number(i.String()), nil
		}
		return nil, &argError{n.Line, fmt.Sprintf("%s is not a number JSON can carry", suggest.Quote(n.Value, 60))}
	case "!!float":
		// An integer too large for int64 resolves as a float; keep its digits.
		if isDecimalInteger(n.Value) {
			var i big.Int
			if _, ok := i.SetString(n.Value, 10); ok {
				return json.Number(i.String()), nil
			}
		}
		var f float64
		if n.Decode(&f) == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return json.Number(strconv.FormatFloat(f, 'g', -1, 64)), nil
		}
		return nil, &argError{n.Line, fmt.Sprintf("%s is not a number JSON can carry", suggest.Quote(n.Value, 60))}
	case "!!str", "!!timestamp":
		// A date is what its text says; JSON has no date type.
		return n.Value, nil
	}
	return nil, &argError{n.Line, fmt.Sprintf("%s (%s) is not a JSON value; quote it to pass a string", suggest.Quote(n.Value, 60), n.ShortTag())}
}

// isDecimalInteger reports whether s is an optional sign and digits.
func isDecimalInteger(s string) bool {
	s = strings.TrimLeft(s, "+-")
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
