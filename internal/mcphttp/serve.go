package mcphttp

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"time"

	"github.com/mark3labs/mcp-go/server"
)

// Serve listens on cfg.Addr and serves s at /mcp until ctx is cancelled. It
// then stops accepting connections, lets calls in flight finish and deliver
// their responses for up to cfg.ShutdownGrace, and returns nil if they did.
func Serve(ctx context.Context, s *server.MCPServer, cfg Config) error {
	cfg = cfg.withDefaults()
	if err := Validate(cfg); err != nil {
		return err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("mcphttp: %w", err)
	}
	return ServeListener(ctx, ln, s, cfg)
}

// ServeListener is Serve on a listener the caller opened (tests use port 0).
// The loopback rule is checked against the listener's actual address.
func ServeListener(ctx context.Context, ln net.Listener, s *server.MCPServer, cfg Config) error {
	cfg.Addr = ln.Addr().String()
	h, err := newHandler(s, cfg)
	if err != nil {
		_ = ln.Close()
		return err
	}
	return serve(ctx, ln, h, cfg.withDefaults())
}

// serve runs h on ln until ctx is cancelled, then drains.
func serve(ctx context.Context, ln net.Listener, h *handler, cfg Config) error {
	srv := &http.Server{
		Handler: h,
		// Slow headers: a connection gets this long to send a request's
		// headers. Bodies are bounded per request by the handler (a
		// connection-wide ReadTimeout would also cut long-lived streams).
		// At shutdown net/http gives a new connection still sending its
		// first headers up to 5 s more, so such a client delays Serve by
		// that much at most, well within the grace period.
		ReadHeaderTimeout: 10 * time.Second,
		// A keep-alive connection is closed after this long without a
		// request; Shutdown closes idle ones at once.
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: 64 << 10,
		// Requests must outlive ctx: cancelling it starts the drain, it must
		// not cancel the tool calls being drained.
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
		ErrorLog:    log.New(cfg.Logger.With().Str("component", "http").Logger(), "", 0),
	}

	auth := "tokens"
	if h.auth.local {
		auth = "none (loopback, principal mcp:local)"
	}
	cfg.Logger.Info().Str("addr", "http://"+cfg.Addr+Path).Str("auth", auth).
		Int("principals", len(h.auth.entries)).Strs("allowed_origins", cfg.AllowedOrigins).
		Msg("mcp http listening")

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		h.close(context.WithoutCancel(ctx))
		return fmt.Errorf("mcphttp: serving %s: %w", cfg.Addr, err)
	case <-ctx.Done():
	}

	cfg.Logger.Info().Dur("grace", cfg.ShutdownGrace).Msg("mcp http draining")
	graceCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownGrace)
	defer cancel()
	// Listening streams would hold Shutdown for the whole grace period, and
	// so would a body still arriving (the request has started nothing yet).
	h.stop()
	shutdownErr := srv.Shutdown(graceCtx) // closes the listener first: new connections are refused
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		cfg.Logger.Warn().Err(err).Msg("mcp http serve")
	}
	h.close(graceCtx)
	if shutdownErr != nil {
		_ = srv.Close()
		return fmt.Errorf("mcphttp: requests still in flight after %s shutdown grace: %w", cfg.ShutdownGrace, shutdownErr)
	}
	cfg.Logger.Info().Msg("mcp http stopped")
	return nil
}
