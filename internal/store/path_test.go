package store

import "testing"

func TestDefaultPath(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    string
		wantErr bool
	}{
		{"SUPAOPS_STORE wins", map[string]string{"SUPAOPS_STORE": "/data/s.db", "XDG_STATE_HOME": "/x", "HOME": "/h"}, "/data/s.db", false},
		{"XDG_STATE_HOME", map[string]string{"XDG_STATE_HOME": "/x", "HOME": "/h"}, "/x/supaops/supaops.db", false},
		{"relative XDG_STATE_HOME is ignored", map[string]string{"XDG_STATE_HOME": "x", "HOME": "/h"}, "/h/.local/state/supaops/supaops.db", false},
		{"HOME", map[string]string{"HOME": "/h"}, "/h/.local/state/supaops/supaops.db", false},
		{"nothing set", map[string]string{}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DefaultPath(func(k string) string { return tt.env[k] })
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("got %q, %v; want %q, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}
