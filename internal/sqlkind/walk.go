package sqlkind

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

const (
	// maxDepth bounds nesting: a DO block holding a constant EXECUTE string
	// holding a DO block... Deeper SQL is not read and counts as dynamic.
	maxDepth = 8
	// maxParses bounds the parses one text may cost (bodies and PL/pgSQL
	// expressions are parsed one by one). Beyond it, SQL counts as dynamic.
	maxParses = 10_000
)

// classifier accumulates the Result of one text.
type classifier struct {
	ctx    context.Context
	p      *pgParser
	res    Result
	seen   map[string]bool
	parses int
}

func (c *classifier) kind(k string) {
	if !c.seen[k] {
		c.seen[k] = true
		c.res.Kinds = append(c.res.Kinds, k)
	}
}

func (c *classifier) write() { c.res.Writes = true }

// dynamic marks SQL the classification cannot see.
func (c *classifier) dynamic() { c.res.Dynamic, c.res.Writes = true, true }

// top classifies the argument's own text; here a parse failure refuses it.
func (c *classifier) top(sql string) error {
	c.parses++
	tree, err := c.p.parse(c.ctx, sql)
	if err != nil {
		var pe *parseError
		if errors.As(err, &pe) {
			return &ParseError{Position: pe.pos, Message: pe.msg}
		}
		return fmt.Errorf("classifying SQL: %w", err)
	}
	stmts := list(tree["stmts"])
	c.res.Statements = len(stmts)
	return c.statements(sql, stmts, 0, false)
}

// parseNested parses SQL found inside SQL (a body, a string run by EXECUTE, a
// PL/pgSQL expression). ok is false when it cannot be read: too deep, too many
// parses, or not parseable. That SQL is then dynamic, not an error: it is
// the argument that must parse, and what it hides is what Dynamic reports.
func (c *classifier) parseNested(sql string, depth int) (tree map[string]any, ok bool, err error) {
	if depth > maxDepth || c.parses >= maxParses {
		c.dynamic()
		return nil, false, nil
	}
	if err := c.ctx.Err(); err != nil {
		return nil, false, fmt.Errorf("classifying SQL: %w", context.Cause(c.ctx))
	}
	c.parses++
	tree, err = c.p.parse(c.ctx, sql)
	if err != nil {
		var pe *parseError
		if errors.As(err, &pe) {
			c.dynamic()
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("classifying SQL: %w", err)
	}
	return tree, true, nil
}

// nested classifies SQL statements found inside SQL.
func (c *classifier) nested(sql string, depth int) error {
	tree, ok, err := c.parseNested(sql, depth)
	if !ok {
		return err
	}
	return c.statements(sql, list(tree["stmts"]), depth, false)
}

// statements classifies the top-level statements of one parsed text. wrapped
// says the text is "SELECT <expression>": that SELECT is no statement of its
// own, so it adds no kind.
func (c *classifier) statements(sql string, stmts []any, depth int, wrapped bool) error {
	for _, s := range stmts {
		raw, _ := s.(map[string]any)
		node, _ := raw["stmt"].(map[string]any)
		text := stmtText(sql, raw)
		for _, name := range slices.Sorted(maps.Keys(node)) { // one key: the statement's type
			n, _ := node[name].(map[string]any)
			if err := c.statement(name, n, text, depth, !wrapped); err != nil {
				return err
			}
		}
	}
	return nil
}

// stmtText cuts one statement out of its text, for the PL/pgSQL parser.
// Locations are byte offsets; a length of 0 means "to the end".
func stmtText(sql string, raw map[string]any) string {
	loc, _ := raw["stmt_location"].(float64)
	n, _ := raw["stmt_len"].(float64)
	start, end := int(loc), len(sql)
	if n > 0 {
		end = start + int(n)
	}
	if start < 0 || start > end || end > len(sql) {
		return ""
	}
	return sql[start:end]
}

// statement classifies one statement node and what it contains. text is the
// statement's source when it is a top-level statement of some text, else "".
// A SELECT inside another statement (a subquery) adds no kind of its own.
func (c *classifier) statement(name string, n map[string]any, text string, depth int, top bool) error {
	s, _ := statementNode(name)
	s = refine(name, s, n)
	if top || name != "SelectStmt" {
		c.kind(s.kind)
	}
	if !s.read {
		c.write()
	}
	switch name {
	case "AlterTableStmt":
		for _, cmd := range list(n["cmds"]) {
			if strField(child(cmd, "AlterTableCmd"), "subtype") == "AT_DropColumn" {
				c.kind("drop_column")
			}
		}
	case "ExecuteStmt":
		c.dynamic() // runs a statement prepared elsewhere, perhaps in an earlier call
	case "CopyStmt":
		if boolField(n, "is_program") {
			c.dynamic() // a shell command can run anything, psql included
		}
	case "DoStmt", "CreateFunctionStmt":
		if err := c.body(name, n, text, depth); err != nil {
			return err
		}
	case "CreateCastStmt", "DefineStmt", "CreateOpClassStmt", "CreateTransformStmt",
		"CreateTrigStmt", "CreateEventTrigStmt", "CreateConversionStmt":
		// These bind a function to be called implicitly later (a cast, an
		// operator, a trigger): binding a SQL runner hides dynamic SQL.
		if namesFunction(n, &sqlRunners) {
			c.dynamic()
		}
	}
	return c.walk(n, depth)
}

// walk looks through a parse tree for nested statements and function calls.
// Keys are visited sorted, so Kinds come out in the same order every time.
func (c *classifier) walk(v any, depth int) error {
	switch v := v.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			n, isNode := v[k].(map[string]any)
			if isNode && isNodeName(k) {
				if _, ok := statementNode(k); ok {
					if err := c.statement(k, n, "", depth, false); err != nil {
						return err
					}
					continue
				}
				if k == "FuncCall" {
					if err := c.funcCall(n, depth); err != nil {
						return err
					}
				}
			}
			if err := c.walk(v[k], depth); err != nil {
				return err
			}
		}
	case []any:
		for _, x := range v {
			if err := c.walk(x, depth); err != nil {
				return err
			}
		}
	}
	return nil
}

// funcCall checks a call against the functions known to run SQL or to have
// side effects. A constant SQL text handed to a SQL runner is classified too,
// so its kinds show (it stays dynamic: the text could come from elsewhere).
func (c *classifier) funcCall(n map[string]any, depth int) error {
	names := nameList(n["funcname"])
	if sideEffects.match(names) {
		c.write()
	}
	if !sqlRunners.match(names) {
		return nil
	}
	c.dynamic()
	for _, a := range list(n["args"]) {
		if s, ok := fold(a); ok && strings.TrimSpace(s) != "" {
			if err := c.nested(s, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// body classifies the code of a DO block or a function: SQL and PL/pgSQL are
// read; any other language is opaque, so dynamic.
func (c *classifier) body(name string, n map[string]any, text string, depth int) error {
	opts := list(n["options"])
	if name == "DoStmt" {
		opts = list(n["args"])
	}
	var lang string
	var src []string
	for _, o := range opts {
		d := child(o, "DefElem")
		switch strField(d, "defname") {
		case "language":
			lang = strings.ToLower(strField(child(d["arg"], "String"), "sval"))
		case "as":
			arg, _ := d["arg"].(map[string]any)
			if s, ok := arg["String"].(map[string]any); ok {
				src = append(src, strField(s, "sval"))
			}
			for _, item := range list(child(arg, "List")["items"]) {
				src = append(src, strField(child(item, "String"), "sval"))
			}
		}
	}
	switch {
	case n["sql_body"] != nil:
		return nil // BEGIN ATOMIC or RETURN: already parsed, the walk reads it
	case (lang == "" && name == "DoStmt" || lang == "plpgsql") && len(src) == 0:
		return nil // no body: PostgreSQL refuses the statement, nothing runs
	case lang == "" && name == "DoStmt", lang == "plpgsql":
		if text == "" || len(src) != 1 {
			c.dynamic()
			return nil
		}
		return c.plpgsql(text, depth+1)
	case lang == "sql" && len(src) == 1:
		return c.nested(src[0], depth+1)
	}
	c.dynamic() // plpython, plv8, C...: code that may run any SQL
	return nil
}

// plpgsql compiles a DO block or function in PL/pgSQL and classifies the SQL
// in it.
func (c *classifier) plpgsql(text string, depth int) error {
	if depth > maxDepth || c.parses >= maxParses {
		c.dynamic()
		return nil
	}
	c.parses++
	funcs, err := c.p.parsePlpgsql(c.ctx, text)
	if err != nil {
		var pe *parseError
		if errors.As(err, &pe) {
			// libpg_query compiles without a catalogue and refuses some
			// bodies PostgreSQL accepts; unread, the body is dynamic.
			c.dynamic()
			return nil
		}
		return fmt.Errorf("classifying PL/pgSQL: %w", err)
	}
	if len(funcs) == 0 {
		c.dynamic()
		return nil
	}
	return c.plWalk(funcs, depth)
}

// PL/pgSQL expression parse modes (PostgreSQL's RawParseMode).
const (
	modeDefault = 0 // a whole statement
	modeType    = 1 // a type name
	modeExpr    = 2 // an expression
	modeAssign1 = 3 // "target := expression", target of 1 to 3 names
	modeAssign3 = 5
)

// plWalk reads a PL/pgSQL tree: every SQL statement and expression in it
// (PLpgSQL_expr) is parsed and classified, and EXECUTE in its forms
// (EXECUTE, FOR ... IN EXECUTE, OPEN ... FOR EXECUTE, RETURN QUERY EXECUTE)
// is dynamic.
func (c *classifier) plWalk(v any, depth int) error {
	switch v := v.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			val := v[k]
			switch k {
			case "PLpgSQL_stmt_dynexecute", "PLpgSQL_stmt_dynfors":
				c.kind("execute")
				c.dynamic()
				n, _ := val.(map[string]any)
				for _, f := range slices.Sorted(maps.Keys(n)) {
					var err error
					if f == "query" {
						err = c.plExpr(n[f], depth, true)
					} else {
						err = c.plWalk(n[f], depth)
					}
					if err != nil {
						return err
					}
				}
				continue
			case "dynquery":
				c.kind("execute")
				c.dynamic()
				if err := c.plExpr(val, depth, true); err != nil {
					return err
				}
				continue
			case "PLpgSQL_expr":
				if err := c.plExpr(v, depth, false); err != nil {
					return err
				}
				continue
			}
			if err := c.plWalk(val, depth); err != nil {
				return err
			}
		}
	case []any:
		for _, x := range v {
			if err := c.plWalk(x, depth); err != nil {
				return err
			}
		}
	}
	return nil
}

// plExpr classifies one PL/pgSQL expression node ({"PLpgSQL_expr": {...}}).
// executed says its value is SQL text run by EXECUTE: when that text is a
// constant, its statements are classified too.
func (c *classifier) plExpr(v any, depth int, executed bool) error {
	e := child(v, "PLpgSQL_expr")
	if e == nil {
		return c.plWalk(v, depth)
	}
	q := strField(e, "query")
	mode, _ := e["parseMode"].(float64)
	switch m := int(mode); {
	case m == modeDefault:
		return c.nested(q, depth)
	case m == modeType:
		return nil
	case m >= modeAssign1 && m <= modeAssign3:
		q = assignment(q)
	case m != modeExpr:
		c.dynamic()
		return nil
	}
	tree, ok, err := c.parseNested("SELECT "+q, depth)
	if !ok {
		return err
	}
	stmts := list(tree["stmts"])
	if err := c.statements("SELECT "+q, stmts, depth, true); err != nil {
		return err
	}
	if !executed || len(stmts) != 1 {
		return nil
	}
	sel := child(child(stmts[0], "stmt"), "SelectStmt")
	targets := list(sel["targetList"])
	if len(targets) != 1 {
		return nil
	}
	if s, ok := fold(child(targets[0], "ResTarget")["val"]); ok {
		return c.nested(s, depth+1)
	}
	return nil
}

// assignment turns "target := value" into "target, value": both parts are
// expressions (a target's subscripts may call functions), and "SELECT " in
// front makes them parse. A text it cannot split fails to parse: dynamic.
func assignment(q string) string {
	if i := strings.Index(q, ":="); i >= 0 {
		return q[:i] + "," + q[i+2:]
	}
	if i := strings.Index(q, "="); i >= 0 {
		return q[:i] + "," + q[i+1:]
	}
	return q
}

// fold evaluates a constant string expression: literals (escapes already
// decoded by the parser), || of constants, and casts of them.
func fold(v any) (string, bool) {
	m, _ := v.(map[string]any)
	if a := child(m, "A_Const"); a != nil {
		sv, ok := a["sval"].(map[string]any)
		if !ok {
			return "", false
		}
		return strField(sv, "sval"), true
	}
	if e := child(m, "A_Expr"); e != nil {
		names := nameList(e["name"])
		if strField(e, "kind") != "AEXPR_OP" || len(names) != 1 || names[0] != "||" {
			return "", false
		}
		l, ok := fold(e["lexpr"])
		if !ok {
			return "", false
		}
		r, ok := fold(e["rexpr"])
		return l + r, ok
	}
	if t := child(m, "TypeCast"); t != nil {
		return fold(t["arg"])
	}
	if n := child(m, "NamedArgExpr"); n != nil {
		return fold(n["arg"])
	}
	return "", false
}

// namesFunction reports whether any function name list in the tree (the
// functions a CREATE CAST, OPERATOR, TRIGGER... binds) is in l.
func namesFunction(v any, l *funcList) bool {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if (k == "objname" || k == "names" || k == "funcname") && l.match(nameList(x)) {
				return true
			}
			if namesFunction(x, l) {
				return true
			}
		}
	case []any:
		for _, x := range v {
			if namesFunction(x, l) {
				return true
			}
		}
	}
	return false
}

// isNodeName reports whether a key is a node type (CamelCase), not a field.
func isNodeName(k string) bool { return k != "" && k[0] >= 'A' && k[0] <= 'Z' }

// nameList reads a list of String nodes: ["public", "dblink_exec"].
func nameList(v any) []string {
	var out []string
	for _, item := range list(v) {
		if s, ok := child(item, "String")["sval"].(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

// child returns the object under key k of v, or nil.
func child(v any, k string) map[string]any {
	m, _ := v.(map[string]any)
	c, _ := m[k].(map[string]any)
	return c
}
