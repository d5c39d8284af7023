package mcphttp

import (
	"net/http"
	"strings"
	"testing"
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

func TestSessionRegistryEvictsOldest(t *testing.T) {
	t.Parallel()
	reg := newSessionRegistry()
	ci := sessionManager{reg: reg, principal: "mcp:token:ci", bound: true}
	ops := sessionManager{reg: reg, principal: "mcp:token:ops", bound: true}
	sweeper := sessionManager{reg: reg}

	first := ci.Generate()
	opsID := ops.Generate()
	for range maxSessionsPerPrincipal {
		ci.Generate()
	}
	tests := []struct {
		name    string
		m       sessionManager
		id      string
		wantErr bool
	}{
		{name: "oldest evicted", m: ci, id: first, wantErr: true},
		{name: "other principal keeps its session", m: ops, id: opsID},
		{name: "foreign session", m: ci, id: opsID, wantErr: true},
		{name: "sweeper sees all", m: sweeper, id: opsID},
		{name: "empty id", m: ci, id: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.m.Validate(tt.id); (err != nil) != tt.wantErr {
				t.Fatalf("Validate(%q) err = %v, wantErr %t", tt.id, err, tt.wantErr)
			}
		})
	}
	if got, want := reg.len(), maxSessionsPerPrincipal+1; got != want {
		t.Fatalf("registry holds %d sessions, want %d", got, want)
	}
	if notAllowed, _ := ci.Terminate(opsID); !notAllowed {
		t.Fatal("ci terminated ops's session")
	}
	if notAllowed, err := sweeper.Terminate(opsID); notAllowed || err != nil {
		t.Fatalf("sweeper Terminate: %t %v", notAllowed, err)
	}
	if _, err := ops.Validate(opsID); err == nil {
		t.Fatal("session valid after Terminate")
	}
	if _, ok := reg.byOwner["mcp:token:ops"]; ok {
		t.Fatalf("empty owner entry kept: %v", reg.byOwner["mcp:token:ops"])
	}
}
