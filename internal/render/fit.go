package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"unicode/utf8"
)

// Cut says what fitting a result into a byte budget left out.
type Cut struct {
	From, To int // compact JSON bytes before and after
	// Items is how many items every cut array kept; 0 with CutArrays false
	// means no array was cut.
	Items     int
	CutArrays bool
	// Longest is the longest array that was cut.
	Longest int
	// Chars is the length long strings were cut to, when any was.
	Chars    int
	CutChars bool
	// Fields is how many fields (by name) every cut object kept; Widest is
	// the widest object cut.
	Fields    int
	CutFields bool
	Widest    int
	// Flat means the structure itself did not fit: only the start of the
	// JSON text is kept.
	Flat bool
	// Text means the result was text, cut to its first To bytes.
	Text bool
}

// charsPerStep ties string length to the array budget, so one knob (k)
// shrinks both monotonically and a binary search finds the largest fit.
const charsPerStep = 64

// Fit returns v unchanged if its compact JSON is within limit bytes;
// otherwise the largest shrunken copy that fits, and what was cut. First
// arrays are cut to their first k items and strings to 64·(k+1) characters;
// if even k = 1 is too big (an object with hundreds of fields), objects keep
// their first fields by name, with lists of one item. Every copy keeps its
// types, so it still matches the action's compact output schema. If nothing
// fits, it returns nil and a report with Flat set: only the start of the JSON
// text is kept.
func Fit(v any, limit int) (any, []byte, *Cut, error) {
	full, err := CompactJSON(v)
	if err != nil {
		return nil, nil, nil, err
	}
	if len(full) <= limit {
		return v, full, nil, nil
	}
	longestArr, longestStr, widest := extent(v)
	try := func(s *shrinker) (any, []byte, bool, error) {
		out := s.shrink(v)
		b, err := CompactJSON(out)
		return out, b, err == nil && len(b) <= limit, err
	}
	// Phase 1: lists and texts.
	// Empty lists or objects say nothing, so both phases keep at least one.
	best, bestVal, bestJSON, bestShrink, err := search(1, max(longestArr, longestStr/charsPerStep)+1, func(k int) shrinker {
		return shrinker{items: k, chars: charsPerStep * (k + 1), fields: -1}
	}, try)
	if err != nil {
		return nil, nil, nil, err
	}
	if best < 0 {
		// Phase 2: fields too.
		best, bestVal, bestJSON, bestShrink, err = search(1, widest, func(m int) shrinker {
			return shrinker{items: 1, chars: charsPerStep, fields: m}
		}, try)
		if err != nil {
			return nil, nil, nil, err
		}
	}
	rep := &Cut{From: len(full)}
	if best < 0 {
		rep.Flat = true
		cut := CutUTF8(full, limit)
		rep.To = len(cut)
		return nil, cut, rep, nil
	}
	rep.To = len(bestJSON)
	rep.Items, rep.CutArrays, rep.Longest = bestShrink.items, bestShrink.cutArrays, bestShrink.longest
	rep.Chars, rep.CutChars = bestShrink.chars, bestShrink.cutChars
	rep.Fields, rep.CutFields, rep.Widest = bestShrink.fields, bestShrink.cutFields, bestShrink.widest
	return bestVal, bestJSON, rep, nil
}

// search finds the largest knob in [lo, hi] whose shrinker fits; output size
// grows with the knob, so a binary search does. It returns -1 if none fits.
func search(lo, hi int, at func(int) shrinker, try func(*shrinker) (any, []byte, bool, error)) (int, any, []byte, shrinker, error) {
	best := -1
	var bestVal any
	var bestJSON []byte
	var bestShrink shrinker
	for lo <= hi {
		k := (lo + hi) / 2
		s := at(k)
		out, b, ok, err := try(&s)
		if err != nil {
			return -1, nil, nil, shrinker{}, err
		}
		if ok {
			best, bestVal, bestJSON, bestShrink = k, out, b, s
			lo = k + 1
		} else {
			hi = k - 1
		}
	}
	return best, bestVal, bestJSON, bestShrink, nil
}

type shrinker struct {
	items, chars int
	fields       int // fields kept per object; -1 keeps all
	cutArrays    bool
	longest      int
	cutChars     bool
	cutFields    bool
	widest       int
}

func (s *shrinker) shrink(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		// Sorted, so the same input always shrinks the same way.
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if s.fields >= 0 && len(keys) > s.fields {
			s.cutFields = true
			s.widest = max(s.widest, len(keys))
			keys = keys[:s.fields]
		}
		for _, k := range keys {
			out[k] = s.shrink(x[k])
		}
		return out
	case []any:
		n := len(x)
		if n > s.items {
			s.cutArrays = true
			s.longest = max(s.longest, n)
			n = s.items
		}
		out := make([]any, n)
		for i := range n {
			out[i] = s.shrink(x[i])
		}
		return out
	case string:
		if utf8.RuneCountInString(x) > s.chars {
			s.cutChars = true
			return string([]rune(x)[:s.chars]) + "…"
		}
		return x
	}
	return v
}

// extent finds the longest array, the longest string and the widest object in v.
func extent(v any) (arr, str, obj int) {
	switch x := v.(type) {
	case map[string]any:
		obj = len(x)
		for _, e := range x {
			a, s, o := extent(e)
			arr, str, obj = max(arr, a), max(str, s), max(obj, o)
		}
	case []any:
		arr = len(x)
		for _, e := range x {
			a, s, o := extent(e)
			arr, str, obj = max(arr, a), max(str, s), max(obj, o)
		}
	case string:
		str = utf8.RuneCountInString(x)
	}
	return arr, str, obj
}

// CutUTF8 cuts b to at most n bytes without splitting a character.
func CutUTF8(b []byte, n int) []byte {
	if len(b) <= n {
		return b
	}
	b = b[:n]
	for len(b) > 0 && !utf8.Valid(b) {
		b = b[:len(b)-1]
	}
	return b
}

// CompactJSON renders v as one line without escaping <, > and &: the text is
// for a model to read, not for a web page.
func CompactJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("rendering the result: %w", err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
