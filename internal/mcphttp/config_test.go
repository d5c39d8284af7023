package mcphttp

import (
	"maps"
	"os"
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	short := map[string]string{"tooshort": "ci"}
	tests := []struct {
		name    string
		cfg     Config
		wantErr []string // substrings; nil = valid
	}{
		{name: "zero config is loopback default", cfg: Config{}},
		{name: "loopback ipv4", cfg: Config{Addr: "127.0.0.1:0"}},
		{name: "loopback ipv6", cfg: Config{Addr: "[::1]:8080"}},
		{name: "localhost", cfg: Config{Addr: "localhost:8080"}},
		{name: "any interface with tokens", cfg: Config{Addr: "0.0.0.0:8080", Tokens: testTokens}},
		{name: "any interface without tokens", cfg: Config{Addr: "0.0.0.0:8080"}, wantErr: []string{"--tokens-file"}},
		{name: "empty host without tokens", cfg: Config{Addr: ":8080"}, wantErr: []string{"--tokens-file"}},
		{name: "ipv6 any without tokens", cfg: Config{Addr: "[::]:8080"}, wantErr: []string{"--tokens-file"}},
		{name: "LAN IP without tokens", cfg: Config{Addr: "192.168.1.10:8080"}, wantErr: []string{"--tokens-file"}},
		{name: "hostname without tokens", cfg: Config{Addr: "myhost.internal:8080"}, wantErr: []string{"--tokens-file"}},
		{name: "no port", cfg: Config{Addr: "127.0.0.1"}, wantErr: []string{"want host:port"}},
		{name: "named port", cfg: Config{Addr: "127.0.0.1:http"}, wantErr: []string{"port"}},
		{name: "port out of range", cfg: Config{Addr: "127.0.0.1:70000"}, wantErr: []string{"port"}},
		{name: "short token", cfg: Config{Tokens: short}, wantErr: []string{`token for "ci": token is 8 characters, need at least 32`}},
		{name: "token with space", cfg: Config{Tokens: map[string]string{strings.Repeat("a", 20) + " " + strings.Repeat("b", 20): "ci"}}, wantErr: []string{"not printable ASCII"}},
		{name: "bad principal name", cfg: Config{Tokens: map[string]string{tokenCI: "ci:admin"}}, wantErr: []string{"principal name"}},
		{name: "origin ok", cfg: Config{AllowedOrigins: []string{"https://app.example.com", "http://localhost:6274"}}},
		{name: "origin wildcard", cfg: Config{AllowedOrigins: []string{"*"}}, wantErr: []string{`allowed origin "*"`}},
		{name: "origin with path", cfg: Config{AllowedOrigins: []string{"https://app.example.com/mcp"}}, wantErr: []string{"no path"}},
		{name: "origin without scheme", cfg: Config{AllowedOrigins: []string{"app.example.com"}}, wantErr: []string{"scheme"}},
		{name: "origin wildcard host", cfg: Config{AllowedOrigins: []string{"https://*.example.com"}}, wantErr: []string{"allowed origin"}},
		{name: "origin null", cfg: Config{AllowedOrigins: []string{"null"}}, wantErr: []string{`allowed origin "null"`}},
		{name: "negative body", cfg: Config{MaxBodyBytes: -1}, wantErr: []string{"max body bytes"}},
		{name: "negative concurrency", cfg: Config{MaxConcurrentPerPrincipal: -1}, wantErr: []string{"concurrent"}},
		{name: "negative grace", cfg: Config{ShutdownGrace: -time.Second}, wantErr: []string{"shutdown grace"}},
		{name: "negative body read timeout", cfg: Config{BodyReadTimeout: -time.Second}, wantErr: []string{"body read timeout"}},
		{name: "negative sessions per principal", cfg: Config{MaxSessionsPerPrincipal: -1}, wantErr: []string{"max sessions per principal"}},
		{name: "negative sessions", cfg: Config{MaxSessions: -1}, wantErr: []string{"max sessions -1"}},
		{name: "negative session idle timeout", cfg: Config{SessionIdleTimeout: -time.Second}, wantErr: []string{"session idle timeout"}},
		{name: "every problem reported", cfg: Config{Addr: "0.0.0.0:1", MaxBodyBytes: -1}, wantErr: []string{"--tokens-file", "max body bytes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := Validate(tt.cfg)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate succeeded, want error containing %q", tt.wantErr)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate error %q does not contain %q", err, w)
				}
			}
			for tok := range tt.cfg.Tokens {
				if strings.Contains(err.Error(), tok) {
					t.Fatalf("error reveals a token: %v", err)
				}
			}
		})
	}
}

func TestLoadTokensFile(t *testing.T) {
	t.Parallel()
	long := func(c string) string { return strings.Repeat(c, 40) }
	tests := []struct {
		name    string
		content string
		mode    os.FileMode
		want    map[string]string
		wantErr string
	}{
		{
			name:    "both forms, comments, blank lines, CRLF",
			content: "# supaops tokens\n\nci " + long("a") + "\r\nops:  " + long("b") + "\n  # indented comment\nbot:" + long("c") + "\n",
			want:    map[string]string{long("a"): "ci", long("b"): "ops", long("c"): "bot"},
		},
		{name: "tab separated", content: "ci\t" + long("a") + "\n", want: map[string]string{long("a"): "ci"}},
		{name: "owner read-only", content: "ci " + long("a"), mode: 0o400, want: map[string]string{long("a"): "ci"}},
		{name: "group readable", content: "ci " + long("a"), mode: 0o640, wantErr: "mode 0640 lets group or others access it; run `chmod 600"},
		{name: "world readable", content: "ci " + long("a"), mode: 0o604, wantErr: "chmod 600"},
		{name: "bad line", content: "# x\nci " + long("a") + "\njust-a-name\n", wantErr: `:3: want "name token" or "name: token"`},
		{name: "three fields", content: "ci " + long("a") + " extra\n", wantErr: ":1: want"},
		{name: "name only with colon", content: "ci:\n", wantErr: ":1: want"},
		{name: "duplicate name", content: "ci " + long("a") + "\nci " + long("b") + "\n", wantErr: `:2: name "ci" already defined on line 1`},
		{name: "names differing only in case", content: "ci " + long("a") + "\nCI " + long("b") + "\n", wantErr: `:2: name "CI" already defined on line 1`},
		{name: "duplicate token", content: "ci " + long("a") + "\nops " + long("a") + "\n", wantErr: `:2: token for "ops" is the same as the token on line 1`},
		{name: "short token", content: "\nci short-token-1234\n", wantErr: `:2: token for "ci": token is 16 characters, need at least 32`},
		{name: "bad name", content: "c/i " + long("a") + "\n", wantErr: ":1: principal name"},
		{name: "empty", content: "# nothing yet\n", wantErr: "no tokens"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mode := tt.mode
			if mode == 0 {
				mode = 0o600
			}
			path := writeFile(t, tt.content, mode)
			got, err := LoadTokensFile(path)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				for _, c := range []string{"a", "b", "c"} {
					if strings.Contains(err.Error(), long(c)) {
						t.Fatalf("error reveals a token: %v", err)
					}
				}
				if strings.Contains(err.Error(), "short-token-1234") {
					t.Fatalf("error reveals a token: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadTokensFile: %v", err)
			}
			if !maps.Equal(got, tt.want) {
				t.Fatalf("tokens = %v, want %v", got, tt.want)
			}
			if err := Validate(Config{Addr: "0.0.0.0:8080", Tokens: got}); err != nil {
				t.Fatalf("loaded tokens do not validate: %v", err)
			}
		})
	}

	t.Run("missing file", func(t *testing.T) {
		t.Parallel()
		if _, err := LoadTokensFile(t.TempDir() + "/nope"); err == nil {
			t.Fatal("no error for a missing file")
		}
	})
	t.Run("directory", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		if err := os.Chmod(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadTokensFile(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Fatalf("err = %v, want not a regular file", err)
		}
	})
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	a := newAuthenticator(testTokens)
	tests := []struct {
		header string
		want   string
		err    error
	}{
		{header: "Bearer " + tokenCI, want: "mcp:token:ci"},
		{header: "Bearer " + tokenOps, want: "mcp:token:ops"},
		{header: "BEARER  " + tokenOps + " ", want: "mcp:token:ops"},
		{header: "", err: errNoCredentials},
		{header: "Bearer", err: errNoCredentials},
		{header: "Token " + tokenCI, err: errNoCredentials},
		{header: "Bearer " + tokenCI + "x", err: errBadCredentials},
		{header: "Bearer " + strings.ToUpper(tokenCI), err: errBadCredentials},
	}
	for _, tt := range tests {
		p, err := a.authenticate(tt.header)
		if p.ID != tt.want || err != tt.err { //nolint:errorlint // sentinel identity is the point
			t.Errorf("authenticate(%.12q…) = %q, %v; want %q, %v", tt.header, p.ID, err, tt.want, tt.err)
		}
	}
}
