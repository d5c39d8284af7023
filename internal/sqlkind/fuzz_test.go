package sqlkind

import (
	"context"
	"errors"
	"regexp"
	"testing"
)

var kindWord = regexp.MustCompile(`^[a-z][a-z_]*$`)

// FuzzClassify: any text is classified or refused with a typed error, and a
// classification keeps its invariants.
func FuzzClassify(f *testing.F) {
	for _, seed := range []string{
		"", "select 1", "DO $$BEGIN EXECUTE 'DR'||'OP TABLE users'; END$$", "drop table t; select 1",
		"create function f() returns int language plpgsql as $$begin return 1; end$$",
		"with d as (delete from t returning *) select * from d", "selec", "'", "$$", "\x00", "DO $a$ BEGIN DO $b$ BEGIN NULL; END $b$; END $a$",
		benchMigration,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		r, err := Classify(context.Background(), sql)
		if err != nil {
			var pe *ParseError
			var te *TooLargeError
			if !errors.As(err, &pe) && !errors.As(err, &te) {
				t.Fatalf("error %v (%T) is neither a *ParseError nor a *TooLargeError", err, err)
			}
			return
		}
		if r.Dynamic && !r.Writes {
			t.Fatalf("dynamic but not a write: %+v", r)
		}
		if r.Statements == 0 && (len(r.Kinds) > 0 || r.Writes) {
			t.Fatalf("no statements but %+v", r)
		}
		seen := map[string]bool{}
		for _, k := range r.Kinds {
			if seen[k] || !kindWord.MatchString(k) {
				t.Fatalf("bad kinds %v", r.Kinds)
			}
			seen[k] = true
		}
	})
}
