package mcphttp

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
)

// TestSessionsBoundToPrincipal: a legacy session ID is a capability for
// answering elicitations, so another token holder must not be able to use it.
func TestSessionsBoundToPrincipal(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	url := f.serve(t, Config{Tokens: testTokens})

	status, hdr, body := post(t, url, legacyInit, bearer(tokenCI))
	sid := hdr.Get("Mcp-Session-Id")
	if status != http.StatusOK || !strings.HasPrefix(sid, sessionPrefix) {
		t.Fatalf("initialize: %d %q (%s)", status, sid, body)
	}
	const list = `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`

	tests := []struct {
		name   string
		method string
		token  string
		sid    string
		want   int
	}{
		{name: "owner lists tools", method: http.MethodPost, token: tokenCI, sid: sid, want: http.StatusOK},
		{name: "other principal POST", method: http.MethodPost, token: tokenOps, sid: sid, want: http.StatusNotFound},
		{name: "other principal GET stream", method: http.MethodGet, token: tokenOps, sid: sid, want: http.StatusNotFound},
		{name: "other principal DELETE", method: http.MethodDelete, token: tokenOps, sid: sid, want: http.StatusNotFound},
		{name: "unknown session POST", method: http.MethodPost, token: tokenCI, sid: sessionPrefix + "AAAAAAAAAAAAAAAAAAAAAAAAAA", want: http.StatusNotFound},
		{name: "unknown session GET", method: http.MethodGet, token: tokenCI, sid: sessionPrefix + "AAAAAAAAAAAAAAAAAAAAAAAAAA", want: http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rb *strings.Reader
			if tt.method == http.MethodPost {
				rb = strings.NewReader(list)
			} else {
				rb = strings.NewReader("")
			}
			req, _ := http.NewRequestWithContext(t.Context(), tt.method, url+Path, rb)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			req.Header.Set("Authorization", "Bearer "+tt.token)
			req.Header.Set("Mcp-Session-Id", tt.sid)
			if status, _, body := do(t, req); status != tt.want {
				t.Fatalf("status = %d (%s), want %d", status, body, tt.want)
			}
		})
	}

	// The owner can end it; afterwards it is gone for everyone.
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodDelete, url+Path, http.NoBody)
	req.Header.Set("Authorization", "Bearer "+tokenCI)
	req.Header.Set("Mcp-Session-Id", sid)
	if status, _, body := do(t, req); status != http.StatusOK {
		t.Fatalf("owner DELETE: %d (%s)", status, body)
	}
	if status, _, _ := post(t, url, list, map[string]string{"Authorization": "Bearer " + tokenCI, "Mcp-Session-Id": sid}); status != http.StatusNotFound {
		t.Fatalf("POST after DELETE: %d, want 404", status)
	}
}

// recorder is a registry's drop func that records what it dropped.
type recorder struct {
	mu    sync.Mutex
	drops []string // "id reason"
}

func (r *recorder) drop(s *session, reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.drops = append(r.drops, s.id+" "+reason)
}

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	d := r.drops
	r.drops = nil
	return d
}

// TestSessionRegistry pins the eviction and expiry policy: least recently
// used first, sessions in use spared, the total cap taken from the principal
// holding the most, and a session removed while in use dropped again when
// its last request ends.
func TestSessionRegistry(t *testing.T) {
	t.Parallel()
	const ci, ops = "mcp:token:ci", "mcp:token:ops"
	type step struct {
		op    string // create, use, release, tick, expire
		owner string
		ref   int  // index of a created session
		busy  bool // create: in use by its initialize
	}
	tests := []struct {
		name      string
		perOwner  int
		total     int
		steps     []step
		wantDrops []string // "ref reason", in any order
		wantLive  []int    // refs still registered
	}{
		{
			name: "principal cap evicts least recently used", perOwner: 2, total: 10,
			steps: []step{
				{op: "create", owner: ci}, {op: "create", owner: ci},
				{op: "use", ref: 0}, {op: "release", ref: 0}, // 1 is now least recently used
				{op: "create", owner: ci},
			},
			wantDrops: []string{"1 " + reasonPrincipalCap},
			wantLive:  []int{0, 2},
		},
		{
			name: "a session in use is spared", perOwner: 2, total: 10,
			steps: []step{
				{op: "create", owner: ci}, {op: "create", owner: ci},
				{op: "use", ref: 0},
				{op: "create", owner: ci},
			},
			wantDrops: []string{"1 " + reasonPrincipalCap},
			wantLive:  []int{0, 2},
		},
		{
			name: "all in use: the least recently used goes, and is dropped again when released", perOwner: 1, total: 10,
			steps: []step{
				{op: "create", owner: ci, busy: true},
				{op: "create", owner: ci},
				{op: "release", ref: 0},
			},
			wantDrops: []string{"0 " + reasonPrincipalCap, "0 "},
			wantLive:  []int{1},
		},
		{
			name: "total cap takes from the principal holding the most", perOwner: 10, total: 3,
			steps: []step{
				{op: "create", owner: ops}, // oldest overall
				{op: "create", owner: ci}, {op: "create", owner: ci},
				{op: "create", owner: ci},
			},
			wantDrops: []string{"1 " + reasonTotalCap},
			wantLive:  []int{0, 2, 3},
		},
		{
			name: "total cap tie: the longest unused goes", perOwner: 10, total: 2,
			steps: []step{
				{op: "create", owner: ops}, {op: "create", owner: ci},
				{op: "create", owner: ci},
			},
			wantDrops: []string{"0 " + reasonTotalCap},
			wantLive:  []int{1, 2},
		},
		{
			name: "idle sessions expire, those in use do not", perOwner: 10, total: 10,
			steps: []step{
				{op: "create", owner: ci}, {op: "create", owner: ci}, {op: "create", owner: ops},
				{op: "use", ref: 1},
				{op: "tick"}, {op: "expire"},
				{op: "release", ref: 1}, {op: "expire"},
			},
			wantDrops: []string{"0 " + reasonIdle, "2 " + reasonIdle},
			wantLive:  []int{1},
		},
		{
			name: "an expired session is dropped when next used, sweeper or not", perOwner: 10, total: 10,
			steps: []step{
				{op: "create", owner: ci}, {op: "tick"}, {op: "use", ref: 0},
			},
			wantDrops: []string{"0 " + reasonIdle},
			wantLive:  []int{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{}
			reg := newSessionRegistry(Config{MaxSessionsPerPrincipal: tt.perOwner, MaxSessions: tt.total, SessionIdleTimeout: time.Minute}, rec.drop)
			clock := useClock(reg)
			var created []*session
			held := map[int]*session{}
			for _, st := range tt.steps {
				clock.Add(time.Second) // distinct last-use times
				switch st.op {
				case "create":
					created = append(created, reg.create(st.owner, st.busy))
					if st.busy {
						held[len(created)-1] = created[len(created)-1]
					}
				case "use":
					s := created[st.ref]
					if got, _, _ := reg.acquire(s.id, s.owner); got != nil {
						held[st.ref] = got
					}
				case "release":
					reg.release(held[st.ref])
					delete(held, st.ref)
				case "tick":
					clock.Add(time.Minute)
				case "expire":
					reg.expire()
				}
			}
			index := map[string]int{}
			for i, s := range created {
				index[s.id] = i
			}
			var drops []string
			for _, d := range rec.take() {
				id, reason, _ := strings.Cut(d, " ")
				drops = append(drops, fmt.Sprintf("%d %s", index[id], reason))
			}
			slices.Sort(drops)
			slices.Sort(tt.wantDrops)
			if !slices.Equal(drops, tt.wantDrops) {
				t.Errorf("drops = %q, want %q", drops, tt.wantDrops)
			}
			var live []int
			for i, s := range created {
				if exists, _ := reg.owned(s.id, s.owner); exists {
					live = append(live, i)
				}
				if exists, _ := reg.owned(s.id, s.owner); !exists && s.ctx.Err() == nil {
					t.Errorf("session %d removed but its context not ended", i)
				}
			}
			if !slices.Equal(live, tt.wantLive) && len(live)+len(tt.wantLive) > 0 {
				t.Errorf("live = %v, want %v", live, tt.wantLive)
			}
		})
	}
}

func TestSessionManager(t *testing.T) {
	t.Parallel()
	reg := newSessionRegistry(Config{MaxSessionsPerPrincipal: 4, MaxSessions: 8, SessionIdleTimeout: time.Hour}, func(*session, string) {})
	ci := sessionManager{reg: reg, principal: "mcp:token:ci", bound: true}
	ops := sessionManager{reg: reg, principal: "mcp:token:ops", bound: true}
	unbound := sessionManager{reg: reg}

	ciID, opsID := ci.Generate(), ops.Generate()
	tests := []struct {
		name    string
		m       sessionManager
		id      string
		wantErr bool
	}{
		{name: "own session", m: ci, id: ciID},
		{name: "foreign session", m: ci, id: opsID, wantErr: true},
		{name: "unbound sees all", m: unbound, id: opsID},
		{name: "empty id", m: ci, id: "", wantErr: true},
		{name: "unknown id", m: ci, id: sessionPrefix + "nope", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.m.Validate(tt.id); (err != nil) != tt.wantErr {
				t.Fatalf("Validate(%q) err = %v, wantErr %t", tt.id, err, tt.wantErr)
			}
		})
	}
	if notAllowed, _ := ci.Terminate(opsID); !notAllowed {
		t.Fatal("ci terminated ops's session")
	}
	if notAllowed, err := unbound.Terminate(opsID); notAllowed || err != nil {
		t.Fatalf("unbound Terminate: %t %v", notAllowed, err)
	}
	if _, err := ops.Validate(opsID); err == nil {
		t.Fatal("session valid after Terminate")
	}
	if _, per := reg.counts(); per["mcp:token:ops"] != 0 || len(per) != 1 {
		t.Fatalf("per-principal counts after Terminate: %v", per)
	}
	// A slot receives the session its initialize created, in use.
	slot := &sessionSlot{}
	id := sessionManager{reg: reg, principal: "mcp:token:ci", bound: true, slot: slot}.Generate()
	if slot.s == nil || slot.s.id != id || slot.s.busy != 1 {
		t.Fatalf("slot = %+v, want session %s in use", slot.s, id)
	}
}

// TestSessionsBounded: many legacy initializes (the attack was 35,000 of
// them) leave a bounded number of sessions inside mcp-go, counted through
// its register/unregister hooks, not just in our registry.
func TestSessionsBounded(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		cfg       Config
		perToken  map[string]int // token -> initializes, "" without tokens
		wantLive  int
		wantOwner int
	}{
		{name: "defaults, one principal", cfg: Config{}, perToken: map[string]int{"": 2*DefaultMaxSessionsPerPrincipal + 10}, wantLive: DefaultMaxSessionsPerPrincipal, wantOwner: DefaultMaxSessionsPerPrincipal},
		{name: "total cap below the sum of principal caps", cfg: Config{Tokens: testTokens, MaxSessionsPerPrincipal: 4, MaxSessions: 6}, perToken: map[string]int{tokenCI: 20, tokenOps: 20}, wantLive: 6, wantOwner: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			h, url := f.serveHandler(t, tt.cfg)
			for tok, n := range tt.perToken {
				for range n {
					initialize(t, url, tok)
				}
			}
			if got := f.live.Load(); got != int64(tt.wantLive) {
				t.Errorf("mcp-go holds %d sessions, want %d", got, tt.wantLive)
			}
			total, per := h.sessions.counts()
			if total != tt.wantLive {
				t.Errorf("registry holds %d sessions, want %d", total, tt.wantLive)
			}
			for p, n := range per {
				if n > tt.wantOwner {
					t.Errorf("%s holds %d sessions, cap %d", p, n, tt.wantOwner)
				}
			}
		})
	}
}

// TestEvictedClientReinitializes: the evicted session's client gets 404 and
// can start a new session, with the mcp-go client as with a raw one.
func TestEvictedClientReinitializes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	url := f.serve(t, Config{Tokens: testTokens, MaxSessionsPerPrincipal: 2})

	c, err := newClient(t, url, bearer(tokenCI), client.WithProtocolVersion(mcp.ProtocolVersion20251125))
	if err != nil {
		t.Fatal(err)
	}
	raw := initialize(t, url, tokenCI)
	if onSession(t, url, tokenCI, raw, toolsList) != http.StatusOK {
		t.Fatal("raw session does not work")
	}
	initialize(t, url, tokenCI) // evicts c's session (least recently used) ...
	initialize(t, url, tokenCI) // ... then raw's

	if got := onSession(t, url, tokenCI, raw, toolsList); got != http.StatusNotFound {
		t.Fatalf("evicted raw session: status %d, want 404", got)
	}
	if _, err := callText(t.Context(), c, "whoami"); err == nil {
		t.Fatal("call on an evicted session succeeded")
	}
	req := mcp.InitializeRequest{}
	req.Params.ProtocolVersion = mcp.ProtocolVersion20251125
	req.Params.ClientInfo = mcp.Implementation{Name: "mcphttp-test", Version: "0"}
	if _, err := c.Initialize(t.Context(), req); err != nil {
		t.Fatalf("re-initialize: %v", err)
	}
	if got, err := callText(t.Context(), c, "whoami"); err != nil || !strings.HasPrefix(got, "principal=mcp:token:ci") {
		t.Fatalf("whoami after re-initialize = %q, %v", got, err)
	}
}

// TestSessionInUseSurvives: a flood of new sessions from the same principal
// does not evict a session whose call is still running (e.g. waiting on a
// human), and idle expiry does not either.
func TestSessionInUseSurvives(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	h, url := f.serveHandler(t, Config{Tokens: testTokens, MaxSessionsPerPrincipal: 3, SessionIdleTimeout: time.Minute})
	clock := useClock(h.sessions)

	c, err := newClient(t, url, bearer(tokenCI), client.WithProtocolVersion(mcp.ProtocolVersion20251125))
	if err != nil {
		t.Fatal(err)
	}
	res := callAsync(c, "sleep")
	f.waitStarted(t, 1)
	for range 10 {
		initialize(t, url, tokenCI)
	}
	clock.Add(time.Hour)
	h.sessions.expire()
	f.releaseAll()
	if got := <-res; got != "slept" {
		t.Fatalf("call in flight = %q, want slept", got)
	}
	if got, err := callText(t.Context(), c, "whoami"); err != nil || !strings.HasPrefix(got, "principal=mcp:token:ci") {
		t.Fatalf("whoami after the flood = %q, %v", got, err)
	}
}

// TestIdleSessionExpires: a session idle for SessionIdleTimeout is gone from
// mcp-go too, its client gets 404, and a new initialize works.
func TestIdleSessionExpires(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	h, url := f.serveHandler(t, Config{Tokens: testTokens, SessionIdleTimeout: time.Minute})
	clock := useClock(h.sessions)

	idle := initialize(t, url, tokenCI)
	used := initialize(t, url, tokenOps)
	clock.Add(50 * time.Second)
	if onSession(t, url, tokenOps, used, toolsList) != http.StatusOK {
		t.Fatal("used session does not work")
	}
	clock.Add(20 * time.Second)
	h.sessions.expire()
	if got := f.live.Load(); got != 1 {
		t.Fatalf("mcp-go holds %d sessions after expiry, want 1", got)
	}
	if got := onSession(t, url, tokenCI, idle, toolsList); got != http.StatusNotFound {
		t.Fatalf("expired session: status %d, want 404", got)
	}
	if got := onSession(t, url, tokenOps, used, toolsList); got != http.StatusOK {
		t.Fatalf("session used 20s ago: status %d, want 200", got)
	}
	again := initialize(t, url, tokenCI)
	if got := onSession(t, url, tokenCI, again, toolsList); got != http.StatusOK {
		t.Fatalf("new session: status %d", got)
	}
}

// TestSessionEndEndsStream: mcp-go leaves a session's GET stream open when
// the session is deleted; it must end with the session.
func TestSessionEndEndsStream(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		end  func(t *testing.T, h *handler, url, sid string)
	}{
		{name: "client DELETE", end: func(t *testing.T, _ *handler, url, sid string) {
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodDelete, url+Path, http.NoBody)
			req.Header.Set("Authorization", "Bearer "+tokenCI)
			req.Header.Set("Mcp-Session-Id", sid)
			if status, _, body := do(t, req); status != http.StatusOK {
				t.Fatalf("DELETE: %d (%s)", status, body)
			}
		}},
		{name: "evicted while streaming", end: func(t *testing.T, _ *handler, url, _ string) {
			initialize(t, url, tokenCI) // cap 1: the streaming session, the only one, goes
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			h, url := f.serveHandler(t, Config{Tokens: testTokens, MaxSessionsPerPrincipal: 1})
			sid := initialize(t, url, tokenCI)
			ended := openStream(t, url, tokenCI, sid)
			tt.end(t, h, url, sid)
			select {
			case <-ended:
			case <-time.After(10 * time.Second):
				t.Fatal("stream still open after its session ended")
			}
			if got := f.live.Load(); got > 1 {
				t.Fatalf("mcp-go holds %d sessions", got)
			}
		})
	}
}

// openStream opens a legacy GET stream on sid and returns a channel closed
// when the server ends it.
func openStream(t *testing.T, url, tok, sid string) <-chan struct{} {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, url+Path, http.NoBody)
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Mcp-Session-Id", sid)
	resp, err := http.DefaultClient.Do(req) //nolint:bodyclose // the goroutine below reads the stream to its end and closes it
	if err != nil {
		t.Fatalf("GET stream: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		t.Fatalf("GET stream: status %d", resp.StatusCode)
	}
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
	}()
	return ended
}

func TestStreamNeedsSession(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	url := f.serve(t, Config{Tokens: testTokens})
	for _, method := range []string{http.MethodGet, http.MethodDelete} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			req, _ := http.NewRequestWithContext(t.Context(), method, url+Path, http.NoBody)
			req.Header.Set("Accept", "text/event-stream")
			req.Header.Set("Authorization", "Bearer "+tokenCI)
			if status, _, body := do(t, req); status != http.StatusBadRequest || !strings.Contains(body, "Mcp-Session-Id") {
				t.Fatalf("%s without session: %d (%s), want 400", method, status, body)
			}
		})
	}
	if got := f.live.Load(); got != 0 {
		t.Fatalf("mcp-go holds %d sessions", got)
	}
}

// TestReinitializeOnSession: an initialize carrying a session ID still makes
// a new session; it counts against the caps like any other.
func TestReinitializeOnSession(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	h, url := f.serveHandler(t, Config{Tokens: testTokens, MaxSessionsPerPrincipal: 2})
	sid := initialize(t, url, tokenCI)
	for range 5 {
		status, hdr, body := post(t, url, legacyInit, map[string]string{"Authorization": "Bearer " + tokenCI, "Mcp-Session-Id": sid})
		if status != http.StatusOK || hdr.Get("Mcp-Session-Id") == "" {
			t.Fatalf("initialize on a session: %d (%s)", status, body)
		}
		sid = hdr.Get("Mcp-Session-Id")
	}
	if total, _ := h.sessions.counts(); total != 2 || f.live.Load() != 2 {
		t.Fatalf("registry %d, mcp-go %d sessions; want 2 and 2", total, f.live.Load())
	}
}
