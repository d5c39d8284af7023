package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// probeTimeout bounds a probe: a container runtime's health check must end.
const probeTimeout = 5 * time.Second

// runProbe GETs a health URL and succeeds on 200: the container image's
// HEALTHCHECK, since a distroless image has no curl.
func runProbe(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) != 1 {
		return usagef("usage: supaops-mcp probe URL (e.g. http://127.0.0.1:9090/readyz)")
	}
	u, err := url.Parse(args[0])
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usagef("probe %q: want an http(s) URL", args[0])
	}
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	// The URL is the operator's own (the image's HEALTHCHECK line).
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil) //nolint:gosec // G704: the operator's URL

	if err != nil {
		return fmt.Errorf("probe %s: %w", u, err)
	}
	resp, err := http.DefaultClient.Do(req) //nolint:gosec // G704: the operator's URL
	if err != nil {
		return fmt.Errorf("probe %s: %w", u, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("probe %s: %s: %s", u, resp.Status, body)
	}
	_, _ = stdout.Write(body)
	return nil
}
