package mcpserver

import (
	"cmp"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"

	"github.com/supaops/supaops/internal/action"
	"github.com/supaops/supaops/internal/tools"
)

// compactSet is an action's schemas as tools/list gives them, JSON text.
type compactSet struct {
	in       string // compactInputSchema, not scoped to a project
	inScoped string // scoped to a project; "" when the action takes none
	out      string // compactOutputSchema; "" when there is none
}

// precomputedSet is an action's compactSet worked out ahead of time, with
// the digest of what it was worked out from (schemaDigest).
type precomputedSet struct {
	name   string
	digest uint64
	compactSet
}

// compactSchemasOf returns a's compact schemas: the ones worked out ahead
// of time (compact.gen.go, kept current by TestCompactSchemasAreCurrent)
// when they were worked out from exactly a's schemas and attributes, else
// worked out now. A start then parses no schema for tools/list.
func compactSchemasOf(a *tools.Action) (compactSet, error) {
	if c, ok := precomputed(a); ok {
		return c, nil
	}
	return computeCompactSchemas(a)
}

// precomputed finds a's compact schemas in the ahead-of-time table, if they
// were worked out from exactly a's schemas and attributes.
func precomputed(a *tools.Action) (compactSet, bool) {
	i, found := slices.BinarySearchFunc(precomputedSchemas[:], a.Name, func(p precomputedSet, name string) int {
		return cmp.Compare(p.name, name)
	})
	if !found || precomputedSchemas[i].digest != schemaDigest(a) {
		return compactSet{}, false
	}
	return precomputedSchemas[i].compactSet, true
}

// computeCompactSchemas works out a's compact schemas.
func computeCompactSchemas(a *tools.Action) (compactSet, error) {
	var c compactSet
	text := func(scoped bool) (string, error) {
		in, err := compactInputSchema(a, scoped, a.Risk != action.Read)
		if err != nil {
			return "", err
		}
		raw, err := json.Marshal(in)
		if err != nil {
			return "", fmt.Errorf("input schema of %s: %w", a.Name, err)
		}
		return string(raw), nil
	}
	var err error
	if c.in, err = text(false); err != nil {
		return compactSet{}, err
	}
	if a.Target != nil && a.Target.Project != "" {
		if c.inScoped, err = text(true); err != nil {
			return compactSet{}, err
		}
	}
	if out := compactOutputSchema(a); out != nil {
		raw, err := json.Marshal(out)
		if err != nil {
			return compactSet{}, fmt.Errorf("output schema of %s: %w", a.Name, err)
		}
		c.out = string(raw)
	}
	return c, nil
}

// schemaDigest digests everything the compact schemas are worked out from:
// the schemas, and the attributes the functions read (risk, project
// argument, secrets, result type and media type, untrusted).
func schemaDigest(a *tools.Action) uint64 {
	h := fnv.New64a()
	field := func(b []byte) {
		h.Write(b)
		h.Write([]byte{0})
	}
	field(a.InputSchema)
	field(a.OutputSchema)
	project := ""
	if a.Target != nil {
		project = a.Target.Project
	}
	flags := fmt.Sprintf("%s|%s|%s|%s|%t|%t", a.Risk, project, strings.Join(a.Secrets, ","), a.OutputContentType, a.Untrusted, a.OutputType() != nil)
	field([]byte(flags))
	return h.Sum64()
}
