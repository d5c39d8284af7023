package mcphttp

import "testing"

// peekRPC reads what the handler needs in one pass, and still reads the
// envelope when params are of another shape than it expects.
func TestPeekRPC(t *testing.T) {
	tests := []struct {
		name, body         string
		valid              bool
		id, method, tool   string
		cancelled, hasMeta bool
	}{
		{"a tool call", `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"project_get","arguments":{"ref":"x"}}}`,
			true, "7", "tools/call", "project_get", false, false},
		{"a cancellation", `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"a1"}}`,
			true, "", "notifications/cancelled", "", true, false},
		{"with _meta", `{"jsonrpc":"2.0","id":"x","method":"tools/list","params":{"_meta":{"protocolVersion":"2026-07-28"}}}`,
			true, `"x"`, "tools/list", "", false, true},
		{"params an array", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":[1,2]}`,
			true, "1", "tools/call", "", false, false},
		{"a name that is not a string", `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":5}}`,
			true, "2", "tools/call", "", false, false},
		{"not JSON", `{"jsonrpc":`, false, "", "", "", false, false},
	}
	for _, tt := range tests {
		p := peekRPC([]byte(tt.body))
		if p.valid != tt.valid || string(p.ID) != tt.id || p.Method != tt.method || p.tool() != tt.tool ||
			(len(p.cancelledID()) > 0) != tt.cancelled || (len(p.Params.Meta) > 0) != tt.hasMeta {
			t.Errorf("%s: got valid %v id %s method %q tool %q cancelled %s meta %s", tt.name, p.valid, p.ID, p.Method, p.tool(), p.cancelledID(), p.Params.Meta)
		}
	}
}
