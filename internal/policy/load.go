package policy

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	"cel.dev/cel-go/cel"
	"go.yaml.in/yaml/v3"

	"github.com/supaops/supaops/internal/action"
	"github.com/supaops/supaops/internal/yamlfile"
)

// LoadOptions is what a policy is checked against when it is loaded.
type LoadOptions struct {
	// Actions are the valid actions. Action names, globs and toolset:
	// selectors must match at least one of them.
	Actions []*action.Action
	// CostLimit bounds each condition's evaluation; 0 means DefaultCostLimit.
	CostLimit uint64
}

const (
	// maxPolicySize refuses files no one could review, before YAML sees them.
	maxPolicySize = 1 << 20

	defaultConfirmTTL  = 10 * time.Minute
	defaultApprovalTTL = 24 * time.Hour
)

// LoadFile reads and compiles a policy file.
func LoadFile(path string, opts LoadOptions) (*Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading policy: %w", err)
	}
	return Parse(path, data, opts)
}

// Parse compiles a policy. name is used in problems (file:line: reason). A
// file with problems is refused whole, with a *LoadError listing all of them.
func Parse(name string, data []byte, opts LoadOptions) (*Policy, error) {
	return parse(name, data, opts, fastConditions)
}

func parse(name string, data []byte, opts LoadOptions, mode conditionMode) (*Policy, error) {
	ps := &problems{yamlfile.Problems{File: name}}
	l := &loader{ps: ps, cat: newCatalogue(opts.Actions), costLimit: opts.CostLimit, mode: mode}
	if l.costLimit == 0 {
		l.costLimit = DefaultCostLimit
	}
	root := l.document(data)
	if root == nil {
		return nil, ps.err()
	}
	p := l.policy(root)
	if err := ps.err(); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	p.name, p.digest = name, hex.EncodeToString(sum[:])
	return p, nil
}

// loader holds what compiling one file needs.
type loader struct {
	ps        *problems
	cat       *catalogue
	costLimit uint64
	mode      conditionMode
	env       *cel.Env // built on the first condition
	envErr    error
}

func (l *loader) conditionEnv() (*cel.Env, error) {
	if l.env == nil && l.envErr == nil {
		l.env, l.envErr = newConditionEnv()
	}
	return l.env, l.envErr
}

// document parses the YAML and returns the top-level mapping, or nil.
func (l *loader) document(data []byte) *yaml.Node {
	if len(data) > maxPolicySize {
		l.ps.add(0, "policy is %d bytes; the limit is %d", len(data), maxPolicySize)
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			l.ps.add(1, "empty policy: want at least version: 1")
		} else {
			line, reason := yamlfile.ErrorLine(err)
			l.ps.add(line, "invalid YAML: %s", reason)
		}
		return nil
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		l.ps.add(next.Line, "a policy file holds one YAML document; remove the second (---)")
	case !errors.Is(err, io.EOF):
		line, reason := yamlfile.ErrorLine(err)
		l.ps.add(line, "invalid YAML: %s", reason)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		l.ps.add(1, "empty policy: want at least version: 1")
		return nil
	}
	root := doc.Content[0]
	if !l.ps.NoAliases(root) {
		return nil
	}
	return root
}

func (l *loader) policy(root *yaml.Node) *Policy {
	ps := l.ps
	f := ps.Fields(root, "policy", "version", "defaults", "confirm_ttl", "approval_ttl", "rules")
	if f == nil {
		return nil
	}
	p := &Policy{confirmTTL: defaultConfirmTTL, approvalTTL: defaultApprovalTTL}
	if v, ok := f["version"]; !ok {
		ps.add(root.Line, "version: required; add version: 1")
	} else if n, ok := ps.integer(v.Value, "version"); ok && n != 1 {
		ps.add(v.Value.Line, "version: %d is not supported; this build reads version 1", n)
	}
	p.defaults = l.defaults(f["defaults"].Value)
	if v, ok := f["confirm_ttl"]; ok {
		p.confirmTTL = l.ttl(v.Value, "confirm_ttl")
	}
	if v, ok := f["approval_ttl"]; ok {
		p.approvalTTL = l.ttl(v.Value, "approval_ttl")
	}
	if v, ok := f["rules"]; ok {
		p.rules = l.rules(v.Value)
	}
	p.ordered = append([]*rule(nil), p.rules...)
	sort.SliceStable(p.ordered, func(i, j int) bool {
		return p.ordered[i].effect.strength() > p.ordered[j].effect.strength()
	})
	p.idx = newIndex(p.ordered, l.cat.actions)
	return p
}

// defaults reads the effect per risk class. A class left out is denied:
// forgetting a line must not open anything.
func (l *loader) defaults(n *yaml.Node) map[action.Risk]Decision {
	effects := map[action.Risk]Effect{}
	if n != nil {
		for key, fl := range l.ps.Fields(n, "defaults", "read", "write", "destructive") {
			s, ok := l.ps.str(fl.Value, "defaults: "+key)
			if !ok {
				continue
			}
			e, err := parseEffect(s)
			switch {
			case err != nil:
				l.ps.add(fl.Value.Line, "defaults: %s: %v", key, err)
			case e == Approve:
				l.ps.add(fl.Value.Line, "defaults: %s: approve needs approvers; write a rule with effect approve instead", key)
			default:
				effects[action.Risk(key)] = e
			}
		}
	}
	out := map[action.Risk]Decision{}
	for _, r := range action.Risks() {
		e, set := effects[r]
		reason := fmt.Sprintf("no rule applies; %s actions default to %s", r, e)
		if !set {
			e = Deny
			reason = fmt.Sprintf("no rule applies and the policy sets no default for %s actions, so they are denied", r)
		}
		out[r] = Decision{Effect: e, Rule: "default:" + string(r), Reason: reason}
	}
	return out
}

func (l *loader) ttl(n *yaml.Node, what string) time.Duration {
	s, ok := l.ps.str(n, what)
	if !ok {
		return 0
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		l.ps.add(n.Line, "%s: %q is not a duration (e.g. 10m, 24h)", what, s)
	case d <= 0:
		l.ps.add(n.Line, "%s: must be positive", what)
	}
	return d
}

func (l *loader) rules(n *yaml.Node) []*rule {
	if n.Kind != yaml.SequenceNode {
		l.ps.add(n.Line, "rules: must be a list of rules")
		return nil
	}
	var out []*rule
	seen := map[string]int{}
	for i, item := range n.Content {
		r := l.rule(item, i)
		if r == nil || r.name == "" {
			continue
		}
		if first, dup := seen[r.name]; dup {
			l.ps.add(r.line, "rule %q: name already used by the rule at line %d", r.name, first)
			continue
		}
		seen[r.name] = r.line
		out = append(out, r)
	}
	return out
}
