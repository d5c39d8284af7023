package sandbox

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// logSQLSubset is what the sandbox's logs.all understands of the API's SQL,
// quoted whenever it refuses a query so the caller knows what to write.
const logSQLSubset = "the sandbox's logs.all understands: " +
	"SELECT * or columns [AS name] FROM <log table> [[AS] alias] [CROSS JOIN UNNEST(x) [AS] y ...] " +
	"[WHERE condition] [ORDER BY timestamp [ASC|DESC]] [LIMIT n]; " +
	"a condition is a column compared (=, !=, <>, <, <=, >, >=) with a string, number, TRUE/FALSE or TIMESTAMP '...' literal, " +
	"column [NOT] LIKE 'pattern', column [NOT] IN (literals), column IS [NOT] NULL, REGEXP_CONTAINS(column, 'regexp'), " +
	"combined with AND, OR, NOT and parentheses; columns are named by their last part (response.status_code is status_code)"

// logQuery is a parsed logs.all query.
type logQuery struct {
	table   string
	columns []selectCol // nil = *
	where   logExpr     // nil = every row
	asc     bool        // ORDER BY timestamp ASC; the default is newest first
	limit   int         // -1 = none
}

type selectCol struct {
	field string // the row's column
	as    string // its name in the answer
}

// logSQLError is a query the sandbox refuses: a 400 naming what it
// understands.
func logSQLError(format string, args ...any) error {
	return errBadRequest("Unsupported sql: %s; %s", fmt.Sprintf(format, args...), logSQLSubset)
}

// --- tokens ---

type tokKind int

const (
	tokEOF tokKind = iota
	tokIdent
	tokQuotedIdent // `name`
	tokString
	tokNumber
	tokOp
)

type token struct {
	kind tokKind
	text string // the identifier, the string's value, the number or operator
	pos  int    // byte offset, for messages
}

func (t token) String() string {
	switch t.kind {
	case tokEOF:
		return "the end of the query"
	case tokString:
		return strconv.Quote(t.text)
	}
	return fmt.Sprintf("%q at character %d", t.text, t.pos+1)
}

func (t token) isKeyword(kw string) bool { return t.kind == tokIdent && strings.EqualFold(t.text, kw) }

func (t token) isOp(op string) bool { return t.kind == tokOp && t.text == op }

func lexLogSQL(src string) ([]token, error) {
	var toks []token
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case strings.HasPrefix(src[i:], "--"):
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case strings.HasPrefix(src[i:], "/*"):
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				return nil, logSQLError("a /* comment is not closed")
			}
			i += end + 4
		case c == '_' || unicode.IsLetter(rune(c)):
			j := i
			for j < len(src) && (src[j] == '_' || unicode.IsLetter(rune(src[j])) || unicode.IsDigit(rune(src[j]))) {
				j++
			}
			toks = append(toks, token{kind: tokIdent, text: src[i:j], pos: i})
			i = j
		case c >= '0' && c <= '9':
			j := i
			for j < len(src) && (src[j] >= '0' && src[j] <= '9' || src[j] == '.' ||
				src[j] == 'e' || src[j] == 'E' || ((src[j] == '+' || src[j] == '-') && (src[j-1] == 'e' || src[j-1] == 'E'))) {
				j++
			}
			toks = append(toks, token{kind: tokNumber, text: src[i:j], pos: i})
			i = j
		case c == '`':
			end := strings.IndexByte(src[i+1:], '`')
			if end < 0 {
				return nil, logSQLError("a `quoted name` is not closed")
			}
			toks = append(toks, token{kind: tokQuotedIdent, text: src[i+1 : i+1+end], pos: i})
			i += end + 2
		case c == '\'' || c == '"':
			var sb strings.Builder
			j := i + 1
			for ; j < len(src) && src[j] != c; j++ {
				if src[j] == '\\' && j+1 < len(src) {
					j++
					switch src[j] {
					case 'n':
						sb.WriteByte('\n')
					case 't':
						sb.WriteByte('\t')
					default:
						sb.WriteByte(src[j])
					}
					continue
				}
				sb.WriteByte(src[j])
			}
			if j >= len(src) {
				return nil, logSQLError("the string at character %d is not closed", i+1)
			}
			toks = append(toks, token{kind: tokString, text: sb.String(), pos: i})
			i = j + 1
		default:
			op := ""
			for _, o := range []string{"<=", ">=", "<>", "!=", "=", "<", ">", "(", ")", ",", ".", "*", ";", "-"} {
				if strings.HasPrefix(src[i:], o) {
					op = o
					break
				}
			}
			if op == "" {
				return nil, logSQLError("unexpected %q at character %d", string(c), i+1)
			}
			toks = append(toks, token{kind: tokOp, text: op, pos: i})
			i += len(op)
		}
	}
	return append(toks, token{kind: tokEOF, pos: len(src)}), nil
}

// --- parser ---

type logParser struct {
	toks []token
	i    int
	// hasColumn reports whether a column may be referenced; an unknown one
	// is refused, so a typo is an error rather than an empty answer.
	hasColumn func(string) bool
	columns   func() []string
}

// parseLogSQL parses a logs.all query; hasColumn and columns describe the
// project's rows.
func parseLogSQL(src string, hasColumn func(string) bool, columns func() []string) (*logQuery, error) {
	toks, err := lexLogSQL(src)
	if err != nil {
		return nil, err
	}
	p := &logParser{toks: toks, hasColumn: hasColumn, columns: columns}
	return p.query()
}

func (p *logParser) peek() token { return p.toks[p.i] }

func (p *logParser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *logParser) keyword(kw string) bool {
	if p.peek().isKeyword(kw) {
		p.i++
		return true
	}
	return false
}

func (p *logParser) op(op string) bool {
	if p.peek().isOp(op) {
		p.i++
		return true
	}
	return false
}

func (p *logParser) expectKeyword(kw string) error {
	if !p.keyword(kw) {
		return logSQLError("expected %s, found %s", kw, p.peek())
	}
	return nil
}

func (p *logParser) expectOp(op string) error {
	if !p.op(op) {
		return logSQLError("expected %q, found %s", op, p.peek())
	}
	return nil
}

// reserved words end a FROM clause, so they are not taken for an alias.
var logSQLReserved = []string{
	"select", "from", "where", "cross", "join", "left", "right", "inner", "full", "on", "using", "order", "by",
	"group", "having", "limit", "offset", "union", "window", "qualify", "as", "and", "or", "not",
}

func (p *logParser) name() (string, bool) {
	t := p.peek()
	if t.kind == tokQuotedIdent || (t.kind == tokIdent && !isReserved(t.text)) {
		p.i++
		return t.text, true
	}
	return "", false
}

func isReserved(s string) bool {
	for _, r := range logSQLReserved {
		if strings.EqualFold(r, s) {
			return true
		}
	}
	return false
}

// path reads a dotted column reference and returns its last part, lowercased.
func (p *logParser) path() (string, token, error) {
	start := p.peek()
	n, ok := p.name()
	if !ok {
		return "", start, logSQLError("expected a column, found %s", start)
	}
	for p.op(".") {
		if n, ok = p.name(); !ok {
			return "", start, logSQLError("expected a name after \".\", found %s", p.peek())
		}
	}
	return strings.ToLower(n), start, nil
}

// column reads a column reference and checks the rows have it.
func (p *logParser) column() (string, error) {
	col, at, err := p.path()
	if err != nil {
		return "", err
	}
	if p.peek().isOp("(") {
		return "", logSQLError("function %s is not supported", at)
	}
	if slices.Contains(logNestedRecords, col) {
		// The real tables nest fields in records; the sandbox's are flat.
		return "", logSQLError("column %s is a nested record in the API's tables; the sandbox's rows are flat, so name its fields instead (response.status_code, request.path...)", at)
	}
	if !p.hasColumn(col) {
		return "", logSQLError("unknown column %s; the rows have %s", at, strings.Join(p.columns(), ", "))
	}
	return col, nil
}

func (p *logParser) query() (*logQuery, error) {
	q := &logQuery{limit: -1}
	if err := p.expectKeyword("select"); err != nil {
		return nil, err
	}
	if p.keyword("distinct") {
		return nil, logSQLError("SELECT DISTINCT is not supported")
	}
	if !p.op("*") {
		q.columns = []selectCol{}
		for {
			col, err := p.column()
			if err != nil {
				return nil, err
			}
			as := col
			if p.keyword("as") {
				if as, _ = p.name(); as == "" {
					return nil, logSQLError("expected a name after AS, found %s", p.peek())
				}
			} else if n, ok := p.name(); ok {
				as = n
			}
			q.columns = append(q.columns, selectCol{field: col, as: as})
			if !p.op(",") {
				break
			}
		}
	}
	if err := p.expectKeyword("from"); err != nil {
		return nil, err
	}
	t := p.peek()
	table, ok := p.name()
	if !ok {
		return nil, logSQLError("expected a log table after FROM, found %s", t)
	}
	if !isLogSource(table) {
		return nil, logSQLError("unknown log table %s; the tables are %s", t, strings.Join(logSources, ", "))
	}
	q.table = strings.ToLower(table)
	if err := p.alias(); err != nil {
		return nil, err
	}
	// Rows are flat, so unnesting metadata changes nothing: its fields are
	// already columns.
	for p.keyword("cross") {
		if err := p.expectKeyword("join"); err != nil {
			return nil, err
		}
		if err := p.expectKeyword("unnest"); err != nil {
			return nil, logSQLError("only CROSS JOIN UNNEST(...) is supported, found %s", p.peek())
		}
		if err := p.expectOp("("); err != nil {
			return nil, err
		}
		if _, _, err := p.path(); err != nil {
			return nil, err
		}
		if err := p.expectOp(")"); err != nil {
			return nil, err
		}
		if err := p.alias(); err != nil {
			return nil, err
		}
	}
	if p.keyword("where") {
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		q.where = e
	}
	if p.keyword("order") {
		if err := p.expectKeyword("by"); err != nil {
			return nil, err
		}
		col, at, err := p.path()
		if err != nil {
			return nil, err
		}
		if col != "timestamp" {
			return nil, logSQLError("ORDER BY %s: only ORDER BY timestamp is supported", at)
		}
		switch {
		case p.keyword("asc"):
			q.asc = true
		case p.keyword("desc"):
		}
	}
	if p.keyword("limit") {
		t := p.next()
		n, err := strconv.Atoi(t.text)
		if t.kind != tokNumber || err != nil || n < 0 {
			return nil, logSQLError("LIMIT wants a whole number, found %s", t)
		}
		q.limit = n
	}
	p.op(";")
	if t := p.peek(); t.kind != tokEOF {
		return nil, logSQLError("unexpected %s", t)
	}
	return q, nil
}

// alias skips an optional [AS] name after a table or UNNEST(...).
func (p *logParser) alias() error {
	if p.keyword("as") {
		if _, ok := p.name(); !ok {
			return logSQLError("expected an alias after AS, found %s", p.peek())
		}
		return nil
	}
	p.name()
	return nil
}

func isLogSource(s string) bool {
	for _, src := range logSources {
		if strings.EqualFold(src, s) {
			return true
		}
	}
	return false
}

// or := and {OR and}
func (p *logParser) or() (logExpr, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.keyword("or") {
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = orExpr{l, r}
	}
	return l, nil
}

// and := not {AND not}
func (p *logParser) and() (logExpr, error) {
	l, err := p.not()
	if err != nil {
		return nil, err
	}
	for p.keyword("and") {
		r, err := p.not()
		if err != nil {
			return nil, err
		}
		l = andExpr{l, r}
	}
	return l, nil
}

// not := NOT not | '(' or ')' | predicate
func (p *logParser) not() (logExpr, error) {
	if p.keyword("not") {
		e, err := p.not()
		if err != nil {
			return nil, err
		}
		return notExpr{e}, nil
	}
	if p.op("(") {
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if err := p.expectOp(")"); err != nil {
			return nil, err
		}
		return e, nil
	}
	return p.predicate()
}

// flipped is the comparison with its sides swapped: 500 <= x is x >= 500.
var flipped = map[string]string{"=": "=", "!=": "!=", "<>": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}

func (p *logParser) predicate() (logExpr, error) {
	if p.peek().isKeyword("regexp_contains") && p.toks[p.i+1].isOp("(") {
		p.i += 2
		col, err := p.column()
		if err != nil {
			return nil, err
		}
		if err := p.expectOp(","); err != nil {
			return nil, err
		}
		t := p.next()
		if t.kind != tokString {
			return nil, logSQLError("REGEXP_CONTAINS wants a string pattern, found %s", t)
		}
		re, err := regexp.Compile(t.text)
		if err != nil {
			return nil, logSQLError("REGEXP_CONTAINS pattern %s: %v", t, err)
		}
		if err := p.expectOp(")"); err != nil {
			return nil, err
		}
		return matchExpr{col: col, re: re, what: "REGEXP_CONTAINS"}, nil
	}
	// A literal first: 500 <= status_code.
	if lit, ok, err := p.literal(); err != nil {
		return nil, err
	} else if ok {
		t := p.next()
		op, known := flipped[t.text]
		if t.kind != tokOp || !known {
			return nil, logSQLError("expected a comparison after a literal, found %s", t)
		}
		col, err := p.column()
		if err != nil {
			return nil, err
		}
		if lit == nil {
			return nil, logSQLError("NULL %s %s is never true: use IS NULL or IS NOT NULL", t.text, col)
		}
		return cmpExpr{col: col, op: op, lit: lit}, nil
	}
	col, err := p.column()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	switch {
	case t.kind == tokOp && flipped[t.text] != "":
		p.i++
		op := t.text
		if op == "<>" {
			op = "!="
		}
		lit, ok, err := p.literal()
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, logSQLError("%s %s wants a literal on its right, found %s", col, op, p.peek())
		}
		if lit == nil {
			return nil, logSQLError("%s %s NULL is never true: use IS NULL or IS NOT NULL", col, op)
		}
		return cmpExpr{col: col, op: op, lit: lit}, nil
	case t.isKeyword("is"):
		p.i++
		neg := p.keyword("not")
		if err := p.expectKeyword("null"); err != nil {
			return nil, err
		}
		return nullExpr{col: col, not: neg}, nil
	}
	neg := p.keyword("not")
	switch {
	case p.keyword("like"):
		t := p.next()
		if t.kind != tokString {
			return nil, logSQLError("LIKE wants a string pattern, found %s", t)
		}
		var e logExpr = matchExpr{col: col, re: likeRegexp(t.text), what: "LIKE"}
		if neg {
			e = notExpr{e}
		}
		return e, nil
	case p.keyword("in"):
		if err := p.expectOp("("); err != nil {
			return nil, err
		}
		var e logExpr
		for {
			lit, ok, err := p.literal()
			if err != nil {
				return nil, err
			}
			if !ok || lit == nil {
				return nil, logSQLError("IN wants a list of literals, found %s", p.peek())
			}
			var c logExpr = cmpExpr{col: col, op: "=", lit: lit}
			if e == nil {
				e = c
			} else {
				e = orExpr{e, c}
			}
			if !p.op(",") {
				break
			}
		}
		if err := p.expectOp(")"); err != nil {
			return nil, err
		}
		if neg {
			e = notExpr{e}
		}
		return e, nil
	}
	return nil, logSQLError("expected a comparison, LIKE, IN or IS after %s, found %s", col, p.peek())
}

// literal reads a string, number, TRUE/FALSE, NULL or TIMESTAMP '...'; ok is
// false (and nothing is read) when the next token is not one. NULL is a nil
// value.
func (p *logParser) literal() (v any, ok bool, err error) {
	t := p.peek()
	switch {
	case t.kind == tokString:
		p.i++
		return t.text, true, nil
	case t.kind == tokNumber, t.isOp("-") && p.toks[p.i+1].kind == tokNumber:
		text := t.text
		if t.isOp("-") {
			p.i++
			text = "-" + p.peek().text
		}
		p.i++
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return nil, false, logSQLError("number %s: %v", t, err)
		}
		return f, true, nil
	case t.isKeyword("true"), t.isKeyword("false"):
		p.i++
		return strings.EqualFold(t.text, "true"), true, nil
	case t.isKeyword("null"):
		p.i++
		return nil, true, nil
	case t.isKeyword("timestamp") && p.toks[p.i+1].kind == tokString:
		p.i += 2
		ts, err := parseSQLTime(p.toks[p.i-1].text)
		if err != nil {
			return nil, false, logSQLError("TIMESTAMP %s: %v", p.toks[p.i-1], err)
		}
		return ts, true, nil
	}
	return nil, false, nil
}

// parseSQLTime reads RFC 3339 and BigQuery's "2006-01-02 15:04:05[.f][+zone]".
func parseSQLTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("want an RFC 3339 time such as 2025-01-06T09:00:00Z")
}

// likeRegexp translates a LIKE pattern: % is any run, _ one character, \
// escapes the next.
func likeRegexp(pattern string) *regexp.Regexp {
	var sb strings.Builder
	sb.WriteString("(?s)^")
	rs := []rune(pattern)
	for i := 0; i < len(rs); i++ {
		switch r := rs[i]; {
		case r == '%':
			sb.WriteString(".*")
		case r == '_':
			sb.WriteString(".")
		case r == '\\' && i+1 < len(rs):
			i++
			sb.WriteString(regexp.QuoteMeta(string(rs[i])))
		default:
			sb.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	sb.WriteString("$")
	return regexp.MustCompile(sb.String())
}

// --- evaluation, with SQL's three-valued logic: a missing or null column
// makes a comparison unknown, and only true keeps a row ---

type tri int8

const (
	triFalse tri = iota
	triTrue
	triUnknown
)

func triOf(b bool) tri {
	if b {
		return triTrue
	}
	return triFalse
}

type logExpr interface {
	eval(r *logRow) (tri, error)
}

type andExpr struct{ l, r logExpr }

func (e andExpr) eval(row *logRow) (tri, error) {
	l, err := e.l.eval(row)
	if err != nil || l == triFalse {
		return triFalse, err
	}
	r, err := e.r.eval(row)
	if err != nil || r == triFalse {
		return triFalse, err
	}
	if l == triUnknown || r == triUnknown {
		return triUnknown, nil
	}
	return triTrue, nil
}

type orExpr struct{ l, r logExpr }

func (e orExpr) eval(row *logRow) (tri, error) {
	l, err := e.l.eval(row)
	if err != nil || l == triTrue {
		return l, err
	}
	r, err := e.r.eval(row)
	if err != nil || r == triTrue {
		return r, err
	}
	if l == triUnknown || r == triUnknown {
		return triUnknown, nil
	}
	return triFalse, nil
}

type notExpr struct{ e logExpr }

func (e notExpr) eval(row *logRow) (tri, error) {
	v, err := e.e.eval(row)
	switch {
	case err != nil:
		return triFalse, err
	case v == triUnknown:
		return triUnknown, nil
	}
	return triOf(v == triFalse), nil
}

type nullExpr struct {
	col string
	not bool
}

func (e nullExpr) eval(row *logRow) (tri, error) {
	v, _ := row.value(e.col)
	return triOf((v == nil) != e.not), nil
}

type matchExpr struct {
	col  string
	re   *regexp.Regexp
	what string
}

func (e matchExpr) eval(row *logRow) (tri, error) {
	v, _ := row.value(e.col)
	switch s := v.(type) {
	case nil:
		return triUnknown, nil
	case string:
		if e.what == "LIKE" {
			return triOf(e.re.MatchString(s)), nil
		}
		return triOf(e.re.FindStringIndex(s) != nil), nil
	}
	return triFalse, logSQLError("%s on %s, which is a %s in row %s, not a string", e.what, e.col, typeName(v), row.id)
}

type cmpExpr struct {
	col string
	op  string // =, !=, <, <=, >, >=
	lit any    // string, float64, bool or time.Time
}

func (e cmpExpr) eval(row *logRow) (tri, error) {
	v, _ := row.value(e.col)
	if v == nil {
		return triUnknown, nil
	}
	var c int
	switch a := v.(type) {
	case time.Time:
		// The timestamp column compares with a time, a string holding one,
		// or microseconds since the epoch.
		var b time.Time
		switch l := e.lit.(type) {
		case time.Time:
			b = l
		case string:
			t, err := parseSQLTime(l)
			if err != nil {
				return triFalse, logSQLError("timestamp %s %q: %v", e.op, l, err)
			}
			b = t
		case float64:
			b = time.UnixMicro(int64(l))
		default:
			return triFalse, e.mismatch(v, row)
		}
		c = a.Compare(b)
	case string:
		b, ok := e.lit.(string)
		if !ok {
			return triFalse, e.mismatch(v, row)
		}
		c = strings.Compare(a, b)
	case float64:
		b, ok := e.lit.(float64)
		if !ok {
			return triFalse, e.mismatch(v, row)
		}
		c = compareFloat(a, b)
	case bool:
		b, ok := e.lit.(bool)
		if !ok || (e.op != "=" && e.op != "!=") {
			return triFalse, e.mismatch(v, row)
		}
		c = compareFloat(boolNum(a), boolNum(b))
	default:
		return triFalse, e.mismatch(v, row)
	}
	switch e.op {
	case "=":
		return triOf(c == 0), nil
	case "!=":
		return triOf(c != 0), nil
	case "<":
		return triOf(c < 0), nil
	case "<=":
		return triOf(c <= 0), nil
	case ">":
		return triOf(c > 0), nil
	}
	return triOf(c >= 0), nil // >=
}

func (e cmpExpr) mismatch(v any, row *logRow) error {
	return logSQLError("%s %s %s compares a %s (in row %s) with a %s", e.col, e.op, formatLiteral(e.lit), typeName(v), row.id, typeName(e.lit))
}

func compareFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func boolNum(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func typeName(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	case time.Time:
		return "timestamp"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

func formatLiteral(v any) string {
	switch t := v.(type) {
	case string:
		return "'" + t + "'"
	case time.Time:
		return "TIMESTAMP '" + t.Format(time.RFC3339Nano) + "'"
	}
	return fmt.Sprint(v)
}
