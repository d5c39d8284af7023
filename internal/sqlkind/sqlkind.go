package sqlkind

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxBytes is the largest SQL text Classify parses. Larger texts are refused
// unparsed with a *TooLargeError: a bigger migration is split, or applied
// outside supaops.
const MaxBytes = 1 << 20

// Result is what a policy sees of one SQL text. The JSON names are also the
// names policy conditions use.
type Result struct {
	// Statements is how many top-level statements the text holds. Statements
	// inside DO blocks and function bodies are not counted here.
	Statements int `json:"statements"`
	// Kinds are the distinct statement kinds from the vocabulary in the
	// package documentation, in order of first appearance: statement by
	// statement, and within one statement in parse-tree order (a loop's body
	// may come before its query). Statements found inside
	// DO blocks, function bodies, data-modifying CTEs, EXPLAIN, PREPARE, rules
	// and constant strings handed to EXECUTE count too.
	Kinds []string `json:"kinds"`
	// Writes is false only when everything is provably a plain read (of what
	// a classification can see; see the package documentation).
	Writes bool `json:"writes"`
	// Dynamic reports SQL this classification cannot see: EXECUTE (prepared or
	// PL/pgSQL), functions that run SQL text, and bodies in languages or forms
	// it cannot read. Dynamic implies Writes.
	Dynamic bool `json:"dynamic"`
}

// Summary merges the SQL-bearing arguments of one call: Result over all of
// them (kinds in argument order, counts summed, flags or-ed) and Args per
// argument. An absent or null argument has no entry in Args; an empty one
// has an entry with no statements, so "in Args" means "was classified".
type Summary struct {
	Result
	Args map[string]Result `json:"args"`
}

// ParseError is SQL PostgreSQL's parser does not accept. The call carrying it
// is refused: what cannot be parsed cannot be classified.
type ParseError struct {
	Field    string // the argument, when known
	Position int    // 1-based character position PostgreSQL reports; 0 when unknown
	Message  string // PostgreSQL's message
}

func (e *ParseError) Error() string {
	var b strings.Builder
	if e.Field != "" {
		fmt.Fprintf(&b, "argument %s: ", e.Field)
	}
	b.WriteString("the SQL could not be parsed")
	if e.Position > 0 {
		fmt.Fprintf(&b, " at character %d", e.Position)
	}
	fmt.Fprintf(&b, ": %s; the call is refused because SQL that cannot be parsed cannot be checked", e.Message)
	return b.String()
}

// TooLargeError is SQL over MaxBytes, refused without parsing.
type TooLargeError struct {
	Field string // the argument, when known
	Size  int    // bytes
	Limit int    // MaxBytes
}

func (e *TooLargeError) Error() string {
	prefix := ""
	if e.Field != "" {
		prefix = "argument " + e.Field + ": "
	}
	return fmt.Sprintf("%sthe SQL is %d bytes; the limit is %d bytes; the call is refused without parsing it", prefix, e.Size, e.Limit)
}

// TypeError is a SQL-bearing argument that is not a string.
type TypeError struct {
	Field string
	Type  string // the JSON type found: number, bool, object, array
}

func (e *TypeError) Error() string {
	return fmt.Sprintf("argument %s carries SQL and must be a string, not %s", e.Field, e.Type)
}

// Classify parses sql with PostgreSQL's parser and says what it would run. An
// empty text is no statements. The first call in a process compiles the parser
// (seconds; see the package documentation); ctx bounds the wait for it, and for
// another caller's parse.
func Classify(ctx context.Context, sql string) (Result, error) {
	if len(sql) > MaxBytes {
		return Result{}, &TooLargeError{Size: len(sql), Limit: MaxBytes}
	}
	if strings.TrimSpace(sql) == "" {
		return Result{}, nil
	}
	if err := ctx.Err(); err != nil {
		return Result{}, fmt.Errorf("classifying SQL: %w", context.Cause(ctx))
	}
	// The parser reads a C string: a NUL would hide whatever follows it from
	// the classification but perhaps not from the database.
	if i := strings.IndexByte(sql, 0); i >= 0 {
		return Result{}, &ParseError{Position: utf8.RuneCountInString(sql[:i]) + 1, Message: "the text contains a NUL byte"}
	}
	if !utf8.ValidString(sql) {
		return Result{}, &ParseError{Message: "the text is not valid UTF-8"}
	}
	c := &classifier{ctx: ctx, p: shared(), seen: map[string]bool{}}
	if err := c.top(sql); err != nil {
		return Result{}, err
	}
	if c.res.Dynamic {
		c.res.Writes = true
	}
	return c.res, nil
}

// Summarize classifies the arguments named in fields (those that carry SQL)
// and merges them. A field absent from args, or null, is skipped; a value that
// is not a string is a *TypeError. Errors from Classify name the field.
func Summarize(ctx context.Context, args map[string]any, fields []string) (Summary, error) {
	var s Summary
	for _, f := range fields {
		v, ok := args[f]
		if !ok || v == nil {
			continue
		}
		if _, done := s.Args[f]; done {
			continue
		}
		text, ok := v.(string)
		if !ok {
			return Summary{}, &TypeError{Field: f, Type: jsonType(v)}
		}
		r, err := Classify(ctx, text)
		if err != nil {
			return Summary{}, withField(err, f)
		}
		if s.Args == nil {
			s.Args = make(map[string]Result, len(fields))
		}
		s.Args[f] = r
		s.merge(r)
	}
	return s, nil
}

func (s *Summary) merge(r Result) {
	s.Statements += r.Statements
	s.Writes = s.Writes || r.Writes
	s.Dynamic = s.Dynamic || r.Dynamic
	for _, k := range r.Kinds {
		if !containsString(s.Kinds, k) {
			s.Kinds = append(s.Kinds, k)
		}
	}
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// withField names the argument in Classify's errors.
func withField(err error, field string) error {
	var pe *ParseError
	if errors.As(err, &pe) {
		e := *pe
		e.Field = field
		return &e
	}
	var te *TooLargeError
	if errors.As(err, &te) {
		e := *te
		e.Field = field
		return &e
	}
	return fmt.Errorf("classifying the SQL of argument %s: %w", field, err)
}

func jsonType(v any) string {
	switch v.(type) {
	case bool:
		return "bool"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case fmt.Stringer, float64, float32, int, int64, int32, uint, uint64, uint32:
		// json.Number is a Stringer; the pipeline's numbers arrive as one.
		return "number"
	}
	return fmt.Sprintf("%T", v)
}
