package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"syscall"
	"time"
)

// RoundTripper returns a transport that calls ServeHTTP directly, with no
// sockets or goroutines, so it works inside testing/synctest bubbles. A Drop
// fault surfaces as a connection-reset error.
func (s *Sandbox) RoundTripper() http.RoundTripper {
	return &memoryTransport{s: s}
}

type memoryTransport struct {
	s *Sandbox
}

func (t *memoryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		_ = req.Body.Close() // a RoundTripper must close the body, even on error
		if err != nil {
			return nil, fmt.Errorf("sandbox transport: reading the request body: %w", err)
		}
		body = b
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	// The server-side view of the request, as net/http would build it. A
	// shallow copy: the sandbox never writes to the header or URL it shares
	// with the caller (see prepareCall).
	sreq := req.WithContext(ctx)
	sreq.RequestURI = req.URL.RequestURI()
	sreq.RemoteAddr = "127.0.0.1:50000"
	if sreq.Host == "" {
		sreq.Host = req.URL.Host
	}
	sreq.Proto, sreq.ProtoMajor, sreq.ProtoMinor = "HTTP/1.1", 1, 1
	setBody(sreq, body)

	rec := &memoryResponse{header: make(http.Header)}
	if dropped := t.s.handle(rec, sreq); dropped {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return nil, connectionReset()
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	payload := rec.body.Bytes()
	if req.Method == http.MethodHead {
		payload = nil
	}
	resp := &http.Response{
		Status:        strconv.Itoa(rec.status) + " " + http.StatusText(rec.status),
		StatusCode:    rec.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        rec.header,
		Body:          io.NopCloser(bytes.NewReader(payload)),
		ContentLength: int64(len(payload)),
		Request:       req,
	}
	if req.Method == http.MethodHead {
		if n, err := strconv.ParseInt(rec.header.Get("Content-Length"), 10, 64); err == nil {
			resp.ContentLength = n
		} else {
			resp.ContentLength = -1
		}
	}
	return resp, nil
}

// memoryResponse is a minimal http.ResponseWriter that buffers the reply.
type memoryResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (m *memoryResponse) Header() http.Header { return m.header }

func (m *memoryResponse) WriteHeader(status int) {
	if m.status == 0 {
		m.status = status
	}
}

func (m *memoryResponse) Write(p []byte) (int, error) {
	if m.status == 0 {
		m.status = http.StatusOK
	}
	return m.body.Write(p)
}

// Serve answers HTTP on ln until ctx is done, then shuts down gracefully
// (in-flight requests get a few seconds). It returns nil after a shutdown
// caused by ctx.
func (s *Sandbox) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("sandbox: serving on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("sandbox: shutting down on %s: %w", ln.Addr(), err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("sandbox: serving on %s: %w", ln.Addr(), err)
	}
	return nil
}

// connectionReset is the error a client sees when the server resets the
// connection mid-request; errors.Is(err, syscall.ECONNRESET) holds.
func connectionReset() error {
	addr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 443}
	return &net.OpError{Op: "read", Net: "tcp", Addr: addr, Err: os.NewSyscallError("read", syscall.ECONNRESET)}
}
