package main

import (
	"bufio"
	"fmt"
	"os"
	"path"
	"regexp"
	"strings"

	"github.com/supaops/supaops/internal/action"
)

// entry is one curated row of catalogue.tsv.
type entry struct {
	line        int
	operationID string
	name        string
	toolset     string
	risk        action.Risk
	secrets     []string // globs over field names
	poll        string
	sql         []string // arguments that carry PostgreSQL
	untrusted   bool
	narrow      string
	note        string
}

var (
	namePattern    = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)+$`)
	toolsetPattern = regexp.MustCompile(`^[a-z][a-z_]*$`)
)

const catalogueColumns = "operation_id\tname\ttoolset\trisk\tsecrets\tpoll\tsql\tuntrusted\tnarrow\tnote"

// columnCount is how many columns catalogueColumns names.
const columnCount = 10

// readCatalogue parses the curated TSV and checks each row on its own; checks
// that need the spec happen in build.
func readCatalogue(file string) ([]entry, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("opening catalogue: %w", err)
	}
	defer f.Close()
	var (
		entries    []entry
		sawHeader  bool
		scanner    = bufio.NewScanner(f)
		lineNumber int
	)
	for scanner.Scan() {
		lineNumber++
		line := scanner.Text()
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		if !sawHeader {
			if line != catalogueColumns {
				return nil, fmt.Errorf("%s:%d: header must be %q", file, lineNumber, catalogueColumns)
			}
			sawHeader = true
			continue
		}
		e, err := parseEntry(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", file, lineNumber, err)
		}
		e.line = lineNumber
		entries = append(entries, e)
	}
	if err := scanner.Err(); err != nil {
		return nil, fmt.Errorf("reading catalogue: %w", err)
	}
	return entries, nil
}

func parseEntry(line string) (entry, error) {
	cols := strings.Split(line, "\t")
	if len(cols) != columnCount {
		return entry{}, fmt.Errorf("want %d tab-separated columns (%s), got %d", columnCount, strings.ReplaceAll(catalogueColumns, "\t", ", "), len(cols))
	}
	e := entry{operationID: cols[0], name: cols[1], toolset: cols[2], poll: cols[5], narrow: cols[8], note: cols[9]}
	if cols[6] != "" {
		e.sql = strings.Split(cols[6], ",")
	}
	switch cols[7] {
	case "":
	case "yes":
		e.untrusted = true
	default:
		return entry{}, fmt.Errorf("untrusted %q: want yes or nothing", cols[7])
	}
	if !namePattern.MatchString(e.name) {
		return entry{}, fmt.Errorf("name %q is not snake_case <resource>_<verb>", e.name)
	}
	if !toolsetPattern.MatchString(e.toolset) {
		return entry{}, fmt.Errorf("toolset %q is not snake_case", e.toolset)
	}
	risk, err := action.ParseRisk(cols[3])
	if err != nil {
		return entry{}, err
	}
	e.risk = risk
	if cols[4] != "" {
		for _, glob := range strings.Split(cols[4], ",") {
			if _, err := path.Match(glob, ""); err != nil {
				return entry{}, fmt.Errorf("secret pattern %q: %w", glob, err)
			}
			e.secrets = append(e.secrets, glob)
		}
	}
	return e, nil
}

// parsePoll reads "ACTION [arg=in.X|out.Y ...] [field=v1|v2] [!f1|f2]".
func parsePoll(s string) (*action.Poll, error) {
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return nil, nil
	}
	p := &action.Poll{Action: fields[0]}
	for _, f := range fields[1:] {
		switch {
		case strings.HasPrefix(f, "!"):
			p.Failed = strings.Split(f[1:], "|")
		case strings.Contains(f, "="):
			key, value, _ := strings.Cut(f, "=")
			if strings.HasPrefix(value, "in.") || strings.HasPrefix(value, "out.") {
				if p.Args == nil {
					p.Args = map[string]string{}
				}
				p.Args[key] = value
				continue
			}
			if p.Field != "" {
				return nil, fmt.Errorf("poll %q: two terminal conditions", s)
			}
			p.Field, p.Done = key, strings.Split(value, "|")
		default:
			return nil, fmt.Errorf("poll %q: cannot read %q", s, f)
		}
	}
	if len(p.Failed) > 0 && p.Field == "" {
		return nil, fmt.Errorf("poll %q: failed values without a field", s)
	}
	return p, nil
}
