package client

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
)

// bodyTooLargeError: a body exceeded the configured cap.
type bodyTooLargeError struct {
	what  string // "response body", "request body"
	limit int64
}

func (e *bodyTooLargeError) Error() string {
	return fmt.Sprintf("%s exceeds the %s limit", e.what, formatBytes(e.limit))
}

func formatBytes(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// readCapped reads at most limit bytes and says so if there was more.
func readCapped(r io.Reader, limit int64, what string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return b, err
	}
	if int64(len(b)) > limit {
		return b[:limit], &bodyTooLargeError{what: what, limit: limit}
	}
	return b, nil
}

// replayableBody returns a function giving a fresh copy of req's body for
// every attempt (nil if there is no body). The generated builders use byte
// readers, for which http.NewRequest sets GetBody; other bodies are read
// into memory once.
func replayableBody(req *http.Request, limit int64) (func() (io.ReadCloser, error), error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	if req.GetBody != nil {
		return req.GetBody, nil
	}
	defer req.Body.Close()
	b, err := readCapped(req.Body, limit, "request body")
	if err != nil {
		return nil, fmt.Errorf("buffering the request body so it can be retried: %w", err)
	}
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }, nil
}
