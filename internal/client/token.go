package client

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// ErrNoToken means no Management API access token was configured.
var ErrNoToken = errors.New("no Supabase access token: create a personal access token at " +
	"https://supabase.com/dashboard/account/tokens, then export SUPABASE_ACCESS_TOKEN=sbp_... " +
	"or put it in a file named by SUPABASE_ACCESS_TOKEN_FILE; or use --sandbox to try supaops without an account")

// maxTokenFileBytes guards against pointing SUPABASE_ACCESS_TOKEN_FILE at
// something that is clearly not a token.
const maxTokenFileBytes = 64 << 10

// TokenFromEnv reads the access token from SUPABASE_ACCESS_TOKEN, else from
// the file named by SUPABASE_ACCESS_TOKEN_FILE (trimmed). getenv is usually
// os.Getenv; it is a parameter so tests and callers need no process state.
func TokenFromEnv(getenv func(string) string) (string, error) {
	if token := strings.TrimSpace(getenv("SUPABASE_ACCESS_TOKEN")); token != "" {
		return token, validateToken(token)
	}
	path := strings.TrimSpace(getenv("SUPABASE_ACCESS_TOKEN_FILE"))
	if path == "" {
		return "", ErrNoToken
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("reading SUPABASE_ACCESS_TOKEN_FILE: %w", err)
	}
	defer f.Close()
	buf, err := io.ReadAll(io.LimitReader(f, maxTokenFileBytes+1))
	if err != nil {
		return "", fmt.Errorf("reading SUPABASE_ACCESS_TOKEN_FILE %s: %w", path, err)
	}
	if len(buf) > maxTokenFileBytes {
		return "", fmt.Errorf("SUPABASE_ACCESS_TOKEN_FILE %s is larger than %d KiB; it should hold only the token", path, maxTokenFileBytes>>10)
	}
	token := strings.TrimSpace(string(buf))
	if token == "" {
		return "", fmt.Errorf("SUPABASE_ACCESS_TOKEN_FILE %s is empty: %w", path, ErrNoToken)
	}
	if err := validateToken(token); err != nil {
		return "", fmt.Errorf("SUPABASE_ACCESS_TOKEN_FILE %s: %w", path, err)
	}
	return token, nil
}
