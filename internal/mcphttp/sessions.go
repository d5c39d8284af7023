package mcphttp

import (
	"container/list"
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/server"

	"github.com/supaops/supaops/internal/principal"
)

// sessionPrefix matches mcp-go's own IDs so logs look the same.
const sessionPrefix = "mcp-session-"

var errUnknownSession = errors.New("unknown session")

// Why a session was removed, for the log.
const (
	reasonPrincipalCap = "principal session cap"
	reasonTotalCap     = "total session cap"
	reasonIdle         = "idle"
	reasonTerminated   = "terminated"
)

// sessionRegistry issues legacy-protocol session IDs, remembers which
// principal owns each, and bounds them: per principal, in total and in idle
// time. mcp-go resolves a manager per request through it, so a session ID
// presented under another principal's token does not validate.
//
// The registry is the only place that knows a session should go; drop removes
// the session's state inside mcp-go (whose own idle sweeper is off, since it
// cannot tell a session waiting on a long call from an abandoned one).
type sessionRegistry struct {
	maxPerPrincipal int
	maxTotal        int
	idle            time.Duration
	now             func() time.Time
	// drop removes what mcp-go holds for a session. It is called without mu
	// held, for every session the registry removes by itself, and once more
	// when the last request in flight on a removed session ends, because an
	// initialize still running registers the session in mcp-go only at its
	// end.
	drop func(s *session, reason string)

	mu      sync.Mutex
	byID    map[string]*session
	byOwner map[string]*list.List // of *session, least recently used first
}

// session is one legacy session. Fields other than the immutable ones are
// guarded by the registry's mu.
type session struct {
	id, owner string
	// ctx ends when the session is removed, and with it the session's
	// listening streams: mcp-go ends them only at shutdown.
	ctx    context.Context
	cancel context.CancelFunc

	lastUsed time.Time
	busy     int  // requests in flight on it, including the initialize that made it
	gone     bool // removed from the registry
	redrop   bool // removed while busy: drop again when the last request ends
	elem     *list.Element
}

func newSessionRegistry(cfg Config, drop func(*session, string)) *sessionRegistry {
	return &sessionRegistry{
		maxPerPrincipal: cfg.MaxSessionsPerPrincipal,
		maxTotal:        cfg.MaxSessions,
		idle:            cfg.SessionIdleTimeout,
		now:             time.Now,
		drop:            drop,
		byID:            make(map[string]*session),
		byOwner:         make(map[string]*list.List),
	}
}

// create issues a session for owner, first evicting what the caps require.
// busy marks it in use by the request creating it, so it is not evicted
// before that request has registered it.
func (r *sessionRegistry) create(owner string, busy bool) *session {
	s := &session{id: sessionPrefix + rand.Text(), owner: owner} // 128 random bits: the ID is a capability
	s.ctx, s.cancel = context.WithCancel(context.Background())
	if busy {
		s.busy = 1
	}
	r.mu.Lock()
	var evicted []*session
	var reasons []string
	if l := r.byOwner[owner]; l != nil {
		for l.Len() >= r.maxPerPrincipal {
			evicted = append(evicted, r.removeLocked(victim(l)))
			reasons = append(reasons, reasonPrincipalCap)
		}
	}
	for len(r.byID) >= r.maxTotal {
		evicted = append(evicted, r.removeLocked(victim(r.largestLocked())))
		reasons = append(reasons, reasonTotalCap)
	}
	s.lastUsed = r.now()
	l := r.byOwner[owner]
	if l == nil {
		l = list.New()
		r.byOwner[owner] = l
	}
	s.elem = l.PushBack(s)
	r.byID[s.id] = s
	r.mu.Unlock()

	for i, e := range evicted {
		e.cancel()
		r.drop(e, reasons[i])
	}
	return s
}

// victim picks whom to evict from a principal's sessions: the least recently
// used one without a request in flight, else the least recently used.
// Requests in flight are bounded by the concurrency limits, so with the
// default caps there is always an idle one.
func victim(l *list.List) *session {
	for e := l.Front(); e != nil; e = e.Next() {
		if s := e.Value.(*session); s.busy == 0 {
			return s
		}
	}
	return l.Front().Value.(*session)
}

// largestLocked returns the session list of the principal holding the most,
// the one with the longest unused session on a tie. Evicting there keeps a
// principal that floods the server from pushing out everyone else.
func (r *sessionRegistry) largestLocked() *list.List {
	var best *list.List
	for _, l := range r.byOwner {
		switch {
		case best == nil, l.Len() > best.Len():
			best = l
		case l.Len() == best.Len() && l.Front().Value.(*session).lastUsed.Before(best.Front().Value.(*session).lastUsed):
			best = l
		}
	}
	return best
}

func (r *sessionRegistry) removeLocked(s *session) *session {
	delete(r.byID, s.id)
	l := r.byOwner[s.owner]
	l.Remove(s.elem)
	if l.Len() == 0 {
		delete(r.byOwner, s.owner)
	}
	s.gone = true
	s.redrop = s.busy > 0
	return s
}

// acquire marks session id in use by a request of owner, unless it is
// unknown, expired (then it is removed) or owned by someone else. release
// must follow a returned session.
func (r *sessionRegistry) acquire(id, owner string) (s *session, exists, owned bool) {
	r.mu.Lock()
	s = r.byID[id]
	switch {
	case s == nil:
		r.mu.Unlock()
		return nil, false, false
	case s.owner != owner:
		r.mu.Unlock()
		return nil, true, false
	}
	now := r.now()
	if s.busy == 0 && now.Sub(s.lastUsed) >= r.idle {
		// Expired but not swept yet: expiry does not depend on the sweeper's
		// tick.
		r.removeLocked(s)
		r.mu.Unlock()
		s.cancel()
		r.drop(s, reasonIdle)
		return nil, false, false
	}
	s.busy++
	s.lastUsed = now
	r.byOwner[owner].MoveToBack(s.elem)
	r.mu.Unlock()
	return s, true, true
}

// release ends a request's use of s.
func (r *sessionRegistry) release(s *session) {
	r.mu.Lock()
	s.busy--
	redrop := s.gone && s.busy == 0 && s.redrop
	if redrop {
		s.redrop = false
	}
	if !s.gone {
		s.lastUsed = r.now()
		r.byOwner[s.owner].MoveToBack(s.elem)
	}
	r.mu.Unlock()
	if redrop {
		r.drop(s, "")
	}
}

// expire removes the sessions idle for the idle timeout.
func (r *sessionRegistry) expire() {
	r.mu.Lock()
	now := r.now()
	var expired []*session
	for _, l := range r.byOwner {
		for e := l.Front(); e != nil; {
			s := e.Value.(*session)
			e = e.Next()
			if now.Sub(s.lastUsed) < r.idle {
				break // least recently used first: the rest are newer
			}
			if s.busy == 0 {
				expired = append(expired, s)
			}
		}
	}
	for _, s := range expired {
		r.removeLocked(s)
	}
	r.mu.Unlock()
	for _, s := range expired {
		s.cancel()
		r.drop(s, reasonIdle)
	}
}

// sweep calls expire until ctx ends; expire also runs on every lookup, so
// the tick only decides how soon an abandoned session's memory comes back.
func (r *sessionRegistry) sweep(ctx context.Context) {
	t := time.NewTicker(min(max(r.idle/4, time.Second), time.Minute))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r.expire()
		}
	}
}

// owned reports whether id exists and is owned by owner.
func (r *sessionRegistry) owned(id, owner string) (exists, owned bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.byID[id]
	return s != nil, s != nil && s.owner == owner
}

// terminate removes id on the owner's request (or any principal's, when
// unbound). It reports whether that is not allowed.
func (r *sessionRegistry) terminate(id, owner string, bound bool) (notAllowed bool) {
	r.mu.Lock()
	s := r.byID[id]
	switch {
	case s == nil:
		r.mu.Unlock()
		return false
	case bound && s.owner != owner:
		r.mu.Unlock()
		return true
	}
	r.removeLocked(s)
	r.mu.Unlock()
	s.cancel()
	return false
}

// counts returns the number of sessions in total and per principal.
func (r *sessionRegistry) counts() (total int, perOwner map[string]int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	perOwner = make(map[string]int, len(r.byOwner))
	for o, l := range r.byOwner {
		perOwner[o] = l.Len()
	}
	return len(r.byID), perOwner
}

// sessionSlot lets the initialize request that creates a session hold it in
// use until the request ends: the request has no Mcp-Session-Id to acquire
// it by.
type sessionSlot struct{ s *session }

type slotKey struct{}

// internalKey marks the requests the handler sends mcp-go itself, to drop a
// session.
type internalKey struct{}

// ResolveSessionIdManager implements server.SessionIdManagerResolver. A nil
// request comes from mcp-go's shutdown and an internal one from dropping a
// session: both may end any session.
func (r *sessionRegistry) ResolveSessionIdManager(req *http.Request) server.SessionIdManager {
	if req == nil || req.Context().Value(internalKey{}) != nil {
		return sessionManager{reg: r}
	}
	p, _ := principal.From(req.Context())
	slot, _ := req.Context().Value(slotKey{}).(*sessionSlot)
	return sessionManager{reg: r, principal: p.ID, bound: true, slot: slot}
}

// sessionManager is the registry seen from one request's principal.
type sessionManager struct {
	reg       *sessionRegistry
	principal string
	bound     bool
	slot      *sessionSlot
}

func (m sessionManager) Generate() string {
	s := m.reg.create(m.principal, m.slot != nil)
	if m.slot != nil {
		m.slot.s = s
	}
	return s.id
}

func (m sessionManager) Validate(id string) (isTerminated bool, err error) {
	exists, owned := m.reg.owned(id, m.principal)
	if !exists || (m.bound && !owned) {
		// Terminated and foreign sessions look alike: 404, start a new one.
		return false, errUnknownSession
	}
	return false, nil
}

func (m sessionManager) Terminate(id string) (isNotAllowed bool, err error) {
	return m.reg.terminate(id, m.principal, m.bound), nil
}
