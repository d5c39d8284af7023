package mcphttp

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// maxDiscardBytes is how much of an unread body (a refused request's) is
// read and thrown away so the connection can serve the next request; net/http
// uses the same figure. Beyond it the connection is closed instead.
const maxDiscardBytes = 256 << 10

// bodyGuard bounds how long a request body may take to arrive, from the
// handler's start to its end and through net/http's own discarding of an
// unread body after the handler returns, which on its own has no deadline.
//
// The read deadline is on the connection, so it must be lifted once the body
// is complete: net/http then reads the connection in the background to notice
// a client hanging up, and a deadline there would cancel a long call or
// stream. An incomplete body never lifts it.
type bodyGuard struct {
	rc             *http.ResponseController
	body           *countingBody
	expectContinue bool
	stopCut        func() bool
	pending        *atomic.Int64

	mu   sync.Mutex
	done bool
}

// guardBody starts guarding r's body, if it has one, and replaces r.Body with
// a wrapper that records how much was read. The deadline counts from start.
// finish must be called before the handler returns.
func (h *handler) guardBody(w http.ResponseWriter, r *http.Request, start time.Time) *bodyGuard {
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	g := &bodyGuard{
		rc:             http.NewResponseController(w),
		body:           &countingBody{ReadCloser: r.Body},
		expectContinue: strings.EqualFold(r.Header.Get("Expect"), "100-continue"),
		pending:        &h.pendingBodies,
	}
	r.Body = g.body
	g.pending.Add(1)
	_ = g.rc.SetReadDeadline(start.Add(h.bodyTimeout)) // writers that cannot just skip it
	// At shutdown a body still arriving is cut at once: the request has not
	// started anything to drain.
	g.stopCut = context.AfterFunc(h.stopping, g.cut)
	return g
}

// cut makes a read still waiting for the body fail now.
func (g *bodyGuard) cut() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.done {
		_ = g.rc.SetReadDeadline(time.Now())
	}
}

// complete records that the body was read to its end and lifts the deadline.
func (g *bodyGuard) complete() {
	if g == nil {
		return
	}
	g.mu.Lock()
	g.done = true
	g.mu.Unlock()
	_ = g.rc.SetReadDeadline(time.Time{})
}

// finish runs as the handler returns. A body the handler never read (a
// refused request) is discarded within the deadline so the connection can be
// reused; any other incomplete body gets an expired deadline, so net/http's
// discard fails at once and it closes the connection.
func (g *bodyGuard) finish() {
	if g == nil {
		return
	}
	defer g.pending.Add(-1)
	g.mu.Lock()
	done := g.done
	g.mu.Unlock()
	if !done && !g.body.eof {
		complete := false
		// A client waiting for 100 Continue has sent nothing: reading would
		// ask it for a body nobody wants.
		if g.body.n == 0 && g.body.err == nil && !g.expectContinue {
			_, err := io.CopyN(io.Discard, g.body, maxDiscardBytes)
			complete = errors.Is(err, io.EOF)
		}
		if !complete {
			_ = g.rc.SetReadDeadline(time.Now())
		}
	}
	g.mu.Lock()
	g.done = true
	g.mu.Unlock()
	g.stopCut()
}

// countingBody records how much of a body was read and how reading ended.
type countingBody struct {
	io.ReadCloser
	n   int64
	eof bool
	err error
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	switch {
	case errors.Is(err, io.EOF):
		b.eof = true
	case err != nil && b.err == nil:
		b.err = err
	}
	return n, err
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}
