package policy

import (
	"cmp"
	"math/bits"
	"slices"

	"github.com/supaops/supaops/internal/action"
)

// ruleSet is a set of rules, one bit per position in Policy.ordered, so that
// walking it in bit order walks the rules in precedence order.
type ruleSet []uint64

func newRuleSet(n int) ruleSet { return make(ruleSet, (n+63)/64) }

func (s ruleSet) add(i int) { s[i/64] |= 1 << (i % 64) }

func (s ruleSet) or(o ruleSet) {
	for i := range s {
		s[i] |= o[i]
	}
}

// and keeps what o also holds and reports whether anything is left.
func (s ruleSet) and(o ruleSet) bool {
	var left uint64
	for i := range s {
		s[i] &= o[i]
		left |= s[i]
	}
	return left != 0
}

// next is the first member at or after i, or -1.
func (s ruleSet) next(i int) int {
	for w := i / 64; w < len(s); w++ {
		word := s[w]
		if w == i/64 {
			word &= ^uint64(0) << (i % 64)
		}
		if word != 0 {
			return w*64 + bits.TrailingZeros64(word)
		}
	}
	return -1
}

// stackWords sizes the per-decision sets kept on the stack: up to 512 rules
// decide without allocating.
const stackWords = 8

// index narrows a call to the rules whose action, principal and project
// selectors could match it. It only over-approximates: every rule it yields
// is still checked in full, in Policy.ordered's order, and a rule it leaves
// out is one whose selectors cannot match, which would have been skipped
// without evaluating its condition. So a decision, warnings included, is the
// same as a scan of every rule. Except lists narrow nothing here.
type index struct {
	all ruleSet
	// byAction holds, per action known at load, the rules whose actions and
	// except_actions admit it. It holds only for the toolset and risk seen at
	// load; another action meets every rule.
	byAction   map[string]actionRules
	principals principalIndex
	projects   projectIndex
}

type actionRules struct {
	toolset string
	risk    action.Risk
	rules   ruleSet
}

// principalIndex finds the rules a caller's identities could match.
type principalIndex struct {
	// open: the index narrows nothing (every rule matches any caller).
	open   bool
	always ruleSet // no principals, or a lone "*"
	ids    keyIndex
}

// projectIndex finds the rules a call's project, branch and organization
// could match.
type projectIndex struct {
	open   bool
	always ruleSet // no projects, or a lone "*" (which matches no project too)
	refs   keyIndex
	orgs   keyIndex
}

// keyIndex maps a key (an identity, a ref, an organization) to the rules with
// a pattern that could match it: literals by the key itself, other globs by
// their literal prefix, which a matching key must start with.
type keyIndex struct {
	exact    map[string]ruleSet
	anyKey   ruleSet // the empty prefix: patterns such as "*:local"
	prefixes map[string]ruleSet
	lens     []int     // the other prefix lengths in use, ascending
	first    [4]uint64 // the first bytes of those prefixes, to skip the lookups
}

// maxPrefixLens bounds the lookups per key; beyond it, prefixes are cut to a
// length in use, which only widens what they admit.
const maxPrefixLens = 8

// collect adds to dst the rules that could match key.
func (k *keyIndex) collect(dst ruleSet, key string) {
	if s, ok := k.exact[key]; ok {
		dst.or(s)
	}
	if k.anyKey != nil {
		dst.or(k.anyKey)
	}
	if len(key) == 0 || k.first[key[0]/64]&(1<<(key[0]%64)) == 0 {
		return
	}
	for _, n := range k.lens {
		if n > len(key) {
			return
		}
		if s, ok := k.prefixes[key[:n]]; ok {
			dst.or(s)
		}
	}
}

// keyIndexBuilder gathers one keyIndex's entries before the prefix lengths
// are chosen.
type keyIndexBuilder struct {
	words    int
	exact    map[string]ruleSet
	prefixes []prefixEntry
}

type prefixEntry struct {
	prefix string
	rule   int
}

func (b *keyIndexBuilder) add(g *glob, rule int) {
	if g.kind == globLiteral {
		if b.exact == nil {
			b.exact = map[string]ruleSet{}
		}
		s, ok := b.exact[g.text]
		if !ok {
			s = make(ruleSet, b.words)
			b.exact[g.text] = s
		}
		s.add(rule)
		return
	}
	// globAny has the empty prefix: it admits every key it is asked about.
	b.prefixes = append(b.prefixes, prefixEntry{g.literalPrefix(), rule})
}

func (b *keyIndexBuilder) build() keyIndex {
	k := keyIndex{exact: b.exact}
	if len(b.prefixes) == 0 {
		return k
	}
	count := map[int]int{}
	for _, e := range b.prefixes {
		count[len(e.prefix)]++
	}
	lens := make([]int, 0, len(count))
	for n := range count {
		lens = append(lens, n)
	}
	if len(lens) > maxPrefixLens {
		// Keep the most used lengths, and 0 so every prefix can be cut to one.
		slices.SortFunc(lens, func(a, b int) int { return cmp.Or(cmp.Compare(count[b], count[a]), cmp.Compare(a, b)) })
		lens = append(lens[:maxPrefixLens-1], 0)
	}
	slices.Sort(lens)
	lens = slices.Compact(lens)
	k.prefixes = map[string]ruleSet{}
	for _, e := range b.prefixes {
		p := e.prefix
		for i := len(lens) - 1; i >= 0; i-- {
			if lens[i] <= len(p) {
				p = p[:lens[i]]
				break
			}
		}
		if p == "" {
			if k.anyKey == nil {
				k.anyKey = make(ruleSet, b.words)
			}
			k.anyKey.add(e.rule)
			continue
		}
		s, ok := k.prefixes[p]
		if !ok {
			s = make(ruleSet, b.words)
			k.prefixes[p] = s
		}
		s.add(e.rule)
		k.first[p[0]/64] |= 1 << (p[0] % 64)
	}
	if len(lens) > 0 && lens[0] == 0 {
		lens = lens[1:]
	}
	k.lens = lens
	return k
}

// newIndex indexes ordered, checking actions against the catalogue.
func newIndex(ordered []*rule, actions []*action.Action) *index {
	n := len(ordered)
	words := (n + 63) / 64
	x := &index{all: newRuleSet(n), byAction: make(map[string]actionRules, len(actions))}
	for i := range ordered {
		x.all.add(i)
	}
	for _, a := range actions {
		c := actionRules{toolset: a.Toolset, risk: a.Risk, rules: newRuleSet(n)}
		for i, r := range ordered {
			if r.actionsMatch(a) {
				c.rules.add(i)
			}
		}
		x.byAction[a.Name] = c
	}
	x.principals = newPrincipalIndex(ordered, words)
	x.projects = newProjectIndex(ordered, words)
	return x
}

func newPrincipalIndex(ordered []*rule, words int) principalIndex {
	pi := principalIndex{always: make(ruleSet, words)}
	ids := keyIndexBuilder{words: words}
	open := true
	for i, r := range ordered {
		if r.principals == nil {
			pi.always.add(i)
			continue
		}
		for j := range r.principals {
			g := &r.principals[j]
			if g.kind == globAny {
				pi.always.add(i)
				continue
			}
			open = false
			ids.add(g, i)
		}
	}
	pi.open = open
	pi.ids = ids.build()
	return pi
}

func newProjectIndex(ordered []*rule, words int) projectIndex {
	pi := projectIndex{always: make(ruleSet, words)}
	refs, orgs := keyIndexBuilder{words: words}, keyIndexBuilder{words: words}
	open := true
	for i, r := range ordered {
		if r.projects == nil {
			pi.always.add(i)
			continue
		}
		for j := range r.projects {
			sel := &r.projects[j]
			switch {
			case sel.org:
				// org:* needs an organization, so it is a prefix, not "any".
				orgs.add(&sel.g, i)
				open = false
			case sel.g.kind == globAny:
				pi.always.add(i)
			default:
				refs.add(&sel.g, i)
				open = false
			}
		}
	}
	pi.open = open
	pi.refs, pi.orgs = refs.build(), orgs.build()
	return pi
}

// candidates is the set of rules worth checking for in. buf and tmp are
// scratch space the caller may keep on its stack; the result may alias buf.
func (x *index) candidates(in *Input, buf, tmp []uint64) ruleSet {
	s := ruleSet(append(buf[:0], x.forAction(in.Action)...))
	if !x.principals.open {
		t := ruleSet(append(tmp[:0], x.principals.always...))
		x.principals.ids.collect(t, in.Principal)
		for _, id := range in.Identities {
			x.principals.ids.collect(t, id)
		}
		if !s.and(t) {
			return s
		}
	}
	if !x.projects.open {
		t := ruleSet(append(tmp[:0], x.projects.always...))
		if in.Project != "" {
			x.projects.refs.collect(t, in.Project)
		}
		if in.Branch != "" {
			x.projects.refs.collect(t, in.Branch)
		}
		if in.Organization != "" {
			x.projects.orgs.collect(t, in.Organization)
		}
		s.and(t)
	}
	return s
}

func (x *index) forAction(a *action.Action) ruleSet {
	if c, ok := x.byAction[a.Name]; ok && c.toolset == a.Toolset && c.risk == a.Risk {
		return c.rules
	}
	return x.all
}
