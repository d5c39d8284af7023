package main

import (
	"io"
	"os"
	"strings"

	"github.com/rs/zerolog"
	"golang.org/x/term"
)

// newLogger writes structured logs to stderr at the level SUPAOPS_LOG_LEVEL
// names (default: warn, so command output stays clean): JSON lines, or a
// console format for people with format "text", or when format is "" and
// stderr is a terminal.
func newLogger(getenv func(string) string, stderr io.Writer, format string) (zerolog.Logger, error) {
	level := zerolog.WarnLevel
	if s := strings.TrimSpace(getenv("SUPAOPS_LOG_LEVEL")); s != "" {
		l, err := zerolog.ParseLevel(strings.ToLower(s))
		if err != nil {
			return zerolog.Nop(), usagef("SUPAOPS_LOG_LEVEL=%q: want trace, debug, info, warn, error or disabled", s)
		}
		level = l
	}
	f, isFile := stderr.(*os.File)
	terminal := isFile && isTerminal(f)
	w := stderr
	switch format {
	case "json":
	case "text":
		w = zerolog.ConsoleWriter{Out: stderr, NoColor: !terminal}
	case "":
		if terminal {
			w = zerolog.ConsoleWriter{Out: stderr}
		}
	default:
		return zerolog.Nop(), usagef("--log-format %q: want json or text", format)
	}
	return zerolog.New(w).Level(level).With().Timestamp().Logger(), nil
}

// isTerminal asks the kernel whether f is a terminal. A character device
// is not enough: /dev/null is one.
func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }
