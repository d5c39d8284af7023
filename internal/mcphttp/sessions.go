package mcphttp

import (
	"crypto/rand"
	"errors"
	"net/http"
	"slices"
	"sync"

	"github.com/mark3labs/mcp-go/server"

	"github.com/supaops/supaops/internal/principal"
)

const (
	// sessionPrefix matches mcp-go's own IDs so logs look the same.
	sessionPrefix = "mcp-session-"
	// maxSessionsPerPrincipal bounds memory a client that never sends DELETE
	// can pin between idle sweeps; the oldest session is evicted first.
	maxSessionsPerPrincipal = 64
)

var errUnknownSession = errors.New("unknown session")

// sessionRegistry issues legacy-protocol session IDs and remembers which
// principal owns each. mcp-go resolves a manager per request through it, so a
// session ID presented under another principal's token does not validate.
type sessionRegistry struct {
	mu      sync.Mutex
	owner   map[string]string   // session ID -> principal ID
	byOwner map[string][]string // principal ID -> session IDs, oldest first
}

func newSessionRegistry() *sessionRegistry {
	return &sessionRegistry{owner: make(map[string]string), byOwner: make(map[string][]string)}
}

// ResolveSessionIdManager implements server.SessionIdManagerResolver. A nil
// request comes from mcp-go's idle sweeper, which may end any session.
func (r *sessionRegistry) ResolveSessionIdManager(req *http.Request) server.SessionIdManager {
	if req == nil {
		return sessionManager{reg: r}
	}
	p, _ := principal.From(req.Context())
	return sessionManager{reg: r, principal: p.ID, bound: true}
}

// ownedBy reports whether id exists and, if so, whether p owns it.
func (r *sessionRegistry) ownedBy(id, p string) (exists, owned bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	o, ok := r.owner[id]
	return ok, ok && o == p
}

func (r *sessionRegistry) add(id, p string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ids := r.byOwner[p]
	if len(ids) >= maxSessionsPerPrincipal {
		delete(r.owner, ids[0])
		ids = slices.Delete(ids, 0, 1)
	}
	r.owner[id] = p
	r.byOwner[p] = append(ids, id)
}

func (r *sessionRegistry) remove(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p, ok := r.owner[id]
	if !ok {
		return
	}
	delete(r.owner, id)
	ids := slices.DeleteFunc(r.byOwner[p], func(s string) bool { return s == id })
	if len(ids) == 0 {
		delete(r.byOwner, p)
	} else {
		r.byOwner[p] = ids
	}
}

func (r *sessionRegistry) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.owner)
}

// sessionManager is the registry seen from one request's principal.
type sessionManager struct {
	reg       *sessionRegistry
	principal string
	bound     bool
}

func (m sessionManager) Generate() string {
	// 128 random bits; the ID is a bearer capability for the session.
	id := sessionPrefix + rand.Text()
	m.reg.add(id, m.principal)
	return id
}

func (m sessionManager) Validate(id string) (isTerminated bool, err error) {
	exists, owned := m.reg.ownedBy(id, m.principal)
	if !exists || (m.bound && !owned) {
		// Terminated and foreign sessions look alike: 404, start a new one.
		return false, errUnknownSession
	}
	return false, nil
}

func (m sessionManager) Terminate(id string) (isNotAllowed bool, err error) {
	exists, owned := m.reg.ownedBy(id, m.principal)
	if !exists {
		return false, nil
	}
	if m.bound && !owned {
		return true, nil
	}
	m.reg.remove(id)
	return false, nil
}
