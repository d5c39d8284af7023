package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"

	"golang.org/x/sync/singleflight"
)

// flight is the context of one collapsed upstream call. It is detached from
// the caller that started it, so that caller giving up does not fail the
// others, and canceled once every caller waiting on it has gone.
type flight struct {
	ctx     context.Context
	cancel  context.CancelFunc
	waiters int
}

func collapsible(req *http.Request) bool {
	return (req.Method == http.MethodGet || req.Method == http.MethodHead) &&
		(req.Body == nil || req.Body == http.NoBody)
}

// collapseKey identifies identical requests: method, full URL, Accept and who
// is asking. The credential enters only as a hash, so the key can never leak
// it.
func (c *Caller) collapseKey(req *http.Request) string {
	accept := req.Header.Get("Accept")
	if accept == "" {
		accept = defaultAccept
	}
	who := c.tokenKey
	if auth := req.Header.Get("Authorization"); auth != "" && auth != c.auth {
		who = hashSecret(auth)
	}
	return req.Method + " " + req.URL.String() + "\n" + accept + "\n" + who
}

func hashSecret(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:16])
}

// doCollapsed joins an identical GET or HEAD in flight, or starts one.
func (c *Caller) doCollapsed(req *http.Request, cl *call) (*Response, error) {
	ctx := req.Context()
	resp, joined, err := c.joinFlight(ctx, req, cl)
	if joined && err != nil && ctx.Err() == nil && endedByDeadline(err) {
		// The shared call ran out of the time of the caller that started
		// it; this caller allows more, so it goes alone.
		return c.doWithRetries(ctx, req, cl)
	}
	return resp, err
}

// joinFlight waits for the flight of req's key, starting it if there is none.
// joined reports that the flight's context, and so its deadline, came from
// another caller.
func (c *Caller) joinFlight(ctx context.Context, req *http.Request, cl *call) (resp *Response, joined bool, err error) {
	key := c.collapseKey(req)

	// flightMu keeps c.flightCtl in step with the singleflight group: a
	// key's flight is forgotten and canceled only when nobody waits on it.
	c.flightMu.Lock()
	if cl.bg != nil {
		// A background call joins an interactive flight, which costs
		// nothing, but never the reverse: an interactive caller must not
		// wait at background priority.
		if _, ok := c.flightCtl[key]; !ok {
			key += "\nbackground"
		}
	}
	f := c.flightCtl[key]
	joined = f != nil
	if f == nil {
		f = newFlight(ctx)
		c.flightCtl[key] = f
	}
	f.waiters++
	results := c.flights.DoChan(key, func() (any, error) {
		return c.doWithRetries(f.ctx, req, cl)
	})
	c.flightMu.Unlock()
	defer c.leaveFlight(key, f)

	select {
	case r := <-results:
		resp, err = ownCopy(r)
		return resp, joined, err
	case <-ctx.Done():
		return nil, joined, contextFailure(ctx, cl, 0, "while waiting for an identical request in flight")
	}
}

// newFlight detaches the shared call from the cancellation of the caller
// starting it, but keeps that caller's deadline (and values): the flight
// needs some bound, and callers with more time retry alone.
func newFlight(ctx context.Context) *flight {
	detached := context.WithoutCancel(ctx)
	var f flight
	if deadline, ok := ctx.Deadline(); ok {
		f.ctx, f.cancel = context.WithDeadline(detached, deadline)
	} else {
		f.ctx, f.cancel = context.WithCancel(detached)
	}
	return &f
}

// endedByDeadline reports failures caused by the deadline of the context the
// request ran under, rather than by the API or the network.
func endedByDeadline(err error) bool {
	var reqErr *RequestError
	if errors.As(err, &reqErr) {
		return reqErr.ctxEnded
	}
	var apiErr *APIError
	return errors.As(err, &apiErr) && apiErr.pastDeadline
}

func (c *Caller) leaveFlight(key string, f *flight) {
	c.flightMu.Lock()
	defer c.flightMu.Unlock()
	f.waiters--
	if f.waiters > 0 {
		return
	}
	if c.flightCtl[key] == f {
		delete(c.flightCtl, key)
		c.flights.Forget(key) // an abandoned call must not be joined by newcomers
	}
	f.cancel()
}

// ownCopy gives each caller of a shared result its own body, header and
// error, so one caller mutating them cannot affect another.
func ownCopy(r singleflight.Result) (*Response, error) {
	if r.Err != nil {
		if !r.Shared {
			return nil, r.Err
		}
		var apiErr *APIError
		if errors.As(r.Err, &apiErr) {
			return nil, apiErr.clone()
		}
		var reqErr *RequestError
		if errors.As(r.Err, &reqErr) {
			return nil, reqErr.clone()
		}
		return nil, r.Err
	}
	resp := r.Val.(*Response)
	if r.Shared {
		resp = &Response{
			Status:    resp.Status,
			Header:    resp.Header.Clone(),
			Body:      bytes.Clone(resp.Body),
			RequestID: resp.RequestID,
			Attempts:  resp.Attempts,
			Shared:    true,
		}
	}
	return resp, nil
}
