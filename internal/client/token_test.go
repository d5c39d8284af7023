package client

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTokenFromEnv(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	good := write("token", "  sbp_fromfile\n")
	empty := write("empty", " \n\t")
	twoLines := write("two", "sbp_one\nsbp_two\n")
	huge := write("huge", strings.Repeat("x", maxTokenFileBytes+1))

	tests := []struct {
		name      string
		env       map[string]string
		want      string
		wantErrIs error  // errors.Is target
		wantInErr string // substring
	}{
		{"env", map[string]string{"SUPABASE_ACCESS_TOKEN": "sbp_env"}, "sbp_env", nil, ""},
		{"env is trimmed", map[string]string{"SUPABASE_ACCESS_TOKEN": " sbp_env\n"}, "sbp_env", nil, ""},
		{"env wins over file", map[string]string{"SUPABASE_ACCESS_TOKEN": "sbp_env", "SUPABASE_ACCESS_TOKEN_FILE": good}, "sbp_env", nil, ""},
		{"file, trimmed", map[string]string{"SUPABASE_ACCESS_TOKEN_FILE": good}, "sbp_fromfile", nil, ""},
		{"blank env falls back to file", map[string]string{"SUPABASE_ACCESS_TOKEN": "  ", "SUPABASE_ACCESS_TOKEN_FILE": good}, "sbp_fromfile", nil, ""},
		{"missing", nil, "", ErrNoToken, "https://supabase.com/dashboard/account/tokens"},
		{"blank env, no file", map[string]string{"SUPABASE_ACCESS_TOKEN": " \t"}, "", ErrNoToken, "--sandbox"},
		{"blank file", map[string]string{"SUPABASE_ACCESS_TOKEN_FILE": empty}, "", ErrNoToken, "is empty"},
		{"file does not exist", map[string]string{"SUPABASE_ACCESS_TOKEN_FILE": filepath.Join(dir, "nope")}, "", os.ErrNotExist, "SUPABASE_ACCESS_TOKEN_FILE"},
		{"file with two tokens", map[string]string{"SUPABASE_ACCESS_TOKEN_FILE": twoLines}, "", nil, "whitespace"},
		{"file too large", map[string]string{"SUPABASE_ACCESS_TOKEN_FILE": huge}, "", nil, "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := TokenFromEnv(func(k string) string { return tt.env[k] })
			if tt.wantErrIs == nil && tt.wantInErr == "" {
				if err != nil || got != tt.want {
					t.Fatalf("TokenFromEnv = %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("TokenFromEnv = %q, want an error", got)
			}
			if tt.wantErrIs != nil && !errors.Is(err, tt.wantErrIs) {
				t.Errorf("err = %v, want errors.Is %v", err, tt.wantErrIs)
			}
			if !strings.Contains(err.Error(), tt.wantInErr) {
				t.Errorf("err = %q, want it to mention %q", err, tt.wantInErr)
			}
			if strings.Contains(err.Error(), "sbp_one") {
				t.Errorf("err %q shows the token", err)
			}
		})
	}
}

func TestErrNoTokenSaysHowToFix(t *testing.T) {
	for _, want := range []string{
		"https://supabase.com/dashboard/account/tokens",
		"export SUPABASE_ACCESS_TOKEN=sbp_",
		"SUPABASE_ACCESS_TOKEN_FILE",
		"--sandbox",
	} {
		if !strings.Contains(ErrNoToken.Error(), want) {
			t.Errorf("ErrNoToken does not mention %q", want)
		}
	}
}
