package sqlkind

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"

	pgparser "github.com/wasilibs/go-pgquery/parser"
)

// pgParser is the process's one PostgreSQL parser (libpg_query compiled to
// WebAssembly, run by wazero). go-pgquery compiles the module for each pooled
// instance and grows its pool whenever calls overlap, so every call goes
// through sem: the pool then holds exactly one instance, compiled once.
type pgParser struct {
	ready chan struct{} // closed once the module is compiled, or failed to be
	err   error         // why it failed; read only after ready is closed
	sem   chan struct{} // one parse at a time
}

// shared returns the process's parser, starting its compilation on the first
// call. It is package-level state on purpose: compiling costs seconds of CPU
// and a ~250 MB peak of memory, so it happens once per process, and only when
// SQL is first classified (never at init, which would slow every start).
var shared = sync.OnceValue(func() *pgParser {
	p := &pgParser{ready: make(chan struct{}), sem: make(chan struct{}, 1)}
	go p.compile()
	return p
})

// Warm starts compiling the parser in the background, if it has not started,
// and returns at once. Call it when SQL is likely soon (a SQL-bearing action
// was listed or described) so the first classification waits less.
func Warm() { shared() }

func (p *pgParser) compile() {
	defer close(p.ready)
	p.err = protect(func() error {
		_, err := pgparser.ParseToJSON("SELECT 1")
		return err
	})
	if p.err != nil {
		p.err = fmt.Errorf("starting the SQL parser: %w", p.err)
	}
	// Compiling leaves ~250 MB of garbage; hand it back to the OS now rather
	// than over the scavenger's minutes (the process's RSS falls to ~30 MB).
	debug.FreeOSMemory()
}

// do runs fn alone on the compiled parser. ctx bounds the waiting, not fn.
func (p *pgParser) do(ctx context.Context, fn func() error) error {
	select {
	case <-p.ready:
	case <-ctx.Done():
		return fmt.Errorf("waiting for the SQL parser to start: %w", context.Cause(ctx))
	}
	if p.err != nil {
		return p.err
	}
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("waiting for the SQL parser: %w", context.Cause(ctx))
	}
	defer func() { <-p.sem }()
	return protect(fn)
}

// protect turns a panic in the parser (go-pgquery panics when the wasm
// module traps, e.g. on a failed assertion in libpg_query) into a parse
// error, so a bad input is refused (or, nested, unread: dynamic) instead of
// killing the process. The module stays usable after a trap: PostgreSQL's
// parser keeps its state in memory contexts it recreates on every call.
func protect(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			msg, _, _ := strings.Cut(fmt.Sprint(r), "\n") // drop the wasm stack trace
			err = &parseError{msg: "the parser failed: " + msg}
		}
	}()
	return fn()
}

// parseError is the parser's complaint about a text.
type parseError struct {
	pos int
	msg string
}

func (e *parseError) Error() string { return e.msg }

// parse returns the raw parse tree of sql as decoded JSON.
func (p *pgParser) parse(ctx context.Context, sql string) (map[string]any, error) {
	var out string
	var perr error
	err := p.do(ctx, func() error {
		out, perr = pgparser.ParseToJSON(sql)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if perr != nil {
		return nil, asParseError(perr)
	}
	var tree map[string]any
	if err := json.Unmarshal([]byte(out), &tree); err != nil {
		return nil, fmt.Errorf("reading the parse tree: %w", err)
	}
	return tree, nil
}

// parsePlpgsql compiles the PL/pgSQL of a DO or CREATE FUNCTION statement and
// returns one tree per function found.
func (p *pgParser) parsePlpgsql(ctx context.Context, sql string) ([]any, error) {
	var out string
	var perr error
	err := p.do(ctx, func() error {
		out, perr = pgparser.ParsePlPgSqlToJSON(sql)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if perr != nil {
		return nil, asParseError(perr)
	}
	var funcs []any
	if err := json.Unmarshal([]byte(out), &funcs); err != nil {
		return nil, fmt.Errorf("reading the PL/pgSQL tree: %w", err)
	}
	return funcs, nil
}

func asParseError(err error) error {
	var pe *pgparser.Error
	if errors.As(err, &pe) {
		return &parseError{pos: pe.Cursorpos, msg: pe.Message}
	}
	return &parseError{msg: err.Error()}
}
