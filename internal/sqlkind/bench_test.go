package sqlkind

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

const benchMigration = `
create table public.todos (id bigint generated always as identity primary key, user_id uuid not null references auth.users, title text not null, done boolean not null default false);
create index todos_user_id on public.todos (user_id);
alter table public.todos enable row level security;
create policy "own todos" on public.todos for all using (auth.uid() = user_id);
create function public.touch() returns trigger language plpgsql as $$begin new.updated_at := now(); return new; end$$;
do $$begin if not exists (select 1 from pg_roles where rolname = 'reporter') then execute format('create role %I', 'reporter'); end if; end$$;
`

// BenchmarkClassify is the steady state: the parser is compiled (TestMain).
func BenchmarkClassify(b *testing.B) {
	ctx := context.Background()
	for _, bc := range []struct{ name, sql string }{
		{"select", "select id, title from public.todos where done = false order by id limit 10"},
		{"migration", benchMigration},
		{"do-execute", `DO $$BEGIN EXECUTE 'DR'||'OP TABLE users'; END$$`},
		{"1MiB", strings.Repeat("insert into t (a, b) values (1, 'x');\n", MaxBytes/38)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			if _, err := Classify(ctx, bc.sql); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(bc.sql)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Classify(ctx, bc.sql); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkClassifyFirst is the first Classify of a process, which compiles
// the parser: each iteration starts a process (this test binary) that makes
// one call and reports how long it took, as first-ms.
func BenchmarkClassifyFirst(b *testing.B) {
	var total time.Duration
	n := 0
	for b.Loop() {
		cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
		cmd.Env = append(os.Environ(), childEnv+"=first")
		out, err := cmd.Output()
		if err != nil {
			b.Fatalf("helper process: %v\n%s", err, out)
		}
		ns, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(string(out)), "first-classify-ns "), 10, 64)
		if err != nil {
			b.Fatalf("helper process said %q", out)
		}
		total += time.Duration(ns)
		n++
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(n), "first-ms")
}
