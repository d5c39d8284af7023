package redact

import "testing"

// sample is typical result text: mostly plain strings, one connection string.
var sample = []string{"ACTIVE_HEALTHY", "2024-01-01T00:00:00Z", "us-east-1", "my project name", "postgres://postgres:[YOUR-PASSWORD]@db.abcdefghijklmnopqrst.supabase.co:5432/postgres", "abcdefghijklmnopqrst", "Some longer description text of a function that does things and more things"}

func BenchmarkText(b *testing.B) {
	for b.Loop() {
		for _, s := range sample {
			Text(s)
		}
	}
}

func BenchmarkValue(b *testing.B) {
	r := New([]string{"value"}).WithValues("hunter2-Secret", "sbp_0123456789abcdef0123456789abcdef01234567")
	items := make([]any, 0, 50)
	for i := range 50 {
		items = append(items, map[string]any{"name": sample[i%len(sample)], "status": sample[0], "value": "x", "n": i})
	}
	v := map[string]any{"items": items}
	for b.Loop() {
		r.Value(v)
	}
}
