package mcpserver

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	mcpclient "github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
)

// elicitor answers every elicitation with one action and counts them.
type elicitor struct {
	action  mcp.ElicitationResponseAction
	asked   atomic.Int32
	message atomic.Value
}

func (e *elicitor) Elicit(_ context.Context, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	e.asked.Add(1)
	e.message.Store(req.Params.Message)
	res := &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: e.action}}
	if e.action == mcp.ElicitationResponseActionAccept {
		res.Content = map[string]any{"confirm": true}
	}
	return res, nil
}

func TestConfirmByElicitation(t *testing.T) {
	for _, era := range eras {
		t.Run(era.name, func(t *testing.T) {
			// The projects toolset makes project_update a tool of its own.
			st := newStack(t, Options{Toolsets: []string{"projects"}})
			tests := []struct {
				action   mcp.ElicitationResponseAction
				newName  string
				renamed  bool
				isError  bool
				wantText string
			}{
				{mcp.ElicitationResponseActionAccept, "renamed-by-mcp", true, false, "renamed-by-mcp"},
				{mcp.ElicitationResponseActionDecline, "declined-name", false, false, "nothing was done"},
				{mcp.ElicitationResponseActionCancel, "cancelled-name", false, false, "nothing was done"},
			}
			for _, tt := range tests {
				t.Run(string(tt.action), func(t *testing.T) {
					e := &elicitor{action: tt.action}
					c := st.client(t, append(slices.Clone(era.opts), mcpclient.WithElicitationHandler(e))...)
					// project_update is a write: the policy wants it confirmed.
					res := call(t, c, "project_update", map[string]any{"ref": st.seed.ProjectRef, "name": tt.newName})
					if res.IsError != tt.isError || !strings.Contains(text(res), tt.wantText) {
						t.Fatalf("isError=%v text=%s", res.IsError, text(res))
					}
					if n := e.asked.Load(); n != 1 {
						t.Errorf("asked %d times, want once", n)
					}
					msg, _ := e.message.Load().(string)
					for _, want := range []string{"project_update", st.seed.ProjectRef, tt.newName, "default:write"} {
						if !strings.Contains(msg, want) {
							t.Errorf("prompt lacks %q: %s", want, msg)
						}
					}
					got := call(t, c, "project_get", map[string]any{"ref": st.seed.ProjectRef})
					if renamed := structured(t, got)["name"] == tt.newName; renamed != tt.renamed {
						t.Errorf("renamed = %v, want %v", renamed, tt.renamed)
					}
				})
			}
		})
	}
}

var tokenArg = regexp.MustCompile(`"confirm": "([^"]+)"`)

func TestConfirmByToken(t *testing.T) {
	for _, era := range eras {
		t.Run(era.name, func(t *testing.T) {
			st := newStack(t, Options{Toolsets: []string{"projects"}})
			c := st.client(t, era.opts...) // no elicitation handler: no capability
			args := map[string]any{"ref": st.seed.ProjectRef, "name": "renamed-by-token"}
			msg := mustError(t, call(t, c, "project_update", args), "needs the user's confirmation", "default:write", "Nothing was done", "Ask the user")
			m := tokenArg.FindStringSubmatch(msg)
			if m == nil {
				t.Fatalf("no token in %s", msg)
			}
			// Other arguments cannot use the token.
			mustError(t, call(t, c, "project_update", map[string]any{"ref": st.seed.ProjectRef, "name": "other", "confirm": m[1]}), "refused")

			args["confirm"] = m[1]
			res := call(t, c, "project_update", args)
			mustOK(t, res)
			if structured(t, res)["name"] != "renamed-by-token" {
				t.Errorf("not renamed: %s", text(res))
			}
			// The token is good once; call_action carries it the same way.
			mustError(t, call(t, c, CallAction, map[string]any{"name": "project_update", "arguments": map[string]any{"ref": st.seed.ProjectRef, "name": "renamed-by-token"}, "confirm": m[1]}), "already used")
		})
	}
}

var approvalIDIn = regexp.MustCompile(`Pending approval id: ([a-z0-9]+)\.`)

func TestApproval(t *testing.T) {
	st := newStack(t, Options{})
	c := st.client(t)
	args := map[string]any{"name": "project_pause", "arguments": map[string]any{"ref": st.seed.ProjectRef}}
	msg := mustError(t, call(t, c, CallAction, args), "needs approval by 1 approver(s)", "pausing-needs-a-lead", "slack:user:ULEAD", "supaops-mcp approvals approve")
	id := approvalIDIn.FindStringSubmatch(msg)
	token := tokenArg.FindStringSubmatch(msg)
	if id == nil || token == nil {
		t.Fatalf("no approval id or token in %s", msg)
	}
	if !strings.Contains(msg, "approve "+id[1]+" --as") {
		t.Errorf("the command does not name the id: %s", msg)
	}
	args["confirm"] = token[1]
	mustError(t, call(t, c, CallAction, args), "still waiting", id[1])

	if _, err := st.authz.Approve(context.Background(), id[1], "slack:user:ULEAD", nil, "slack"); err != nil {
		t.Fatal(err)
	}
	res := call(t, c, CallAction, args)
	mustOK(t, res)
	if !strings.Contains(text(res), "long-running operation") || !strings.Contains(text(res), "project_get") {
		t.Errorf("no poll note: %s", text(res))
	}
}

// The user is never asked to confirm what they are not shown: every
// argument is in the prompt, a long one with exactly what is hidden, SQL
// whole; what cannot be shown is refused, not asked.
func TestConfirmShowsWhatItRuns(t *testing.T) {
	st := newStack(t, Options{})
	e := &elicitor{action: mcp.ElicitationResponseActionDecline}
	c := st.client(t, mcpclient.WithElicitationHandler(e))
	source := "export default () => new Response('hi')\n" + strings.Repeat("// padding\n", 1000)
	res := call(t, c, CallAction, map[string]any{"name": "function_deploy", "arguments": map[string]any{
		"ref": st.seed.ProjectRef, "slug": "hello", "metadata": map[string]any{"entrypoint_path": "index.ts"},
		"file": []any{map[string]any{"name": "index.ts", "content": source}},
	}})
	if res.IsError {
		t.Fatalf("want the prompt, got %s", text(res))
	}
	msg, _ := e.message.Load().(string)
	for _, want := range []string{"function_deploy", "slug: hello", "more bytes not shown", "sha256"} {
		if !strings.Contains(msg, want) {
			t.Errorf("prompt lacks %q:\n%.600s", want, msg)
		}
	}
	sql := "create table t (id int);\n" + strings.Repeat("insert into t values (1);\n", 300) + "drop table users;"
	res = call(t, c, CallAction, map[string]any{"name": "migration_upsert", "arguments": map[string]any{"ref": st.seed.ProjectRef, "query": sql}})
	if res.IsError {
		t.Fatalf("want the prompt, got %s", text(res))
	}
	msg, _ = e.message.Load().(string)
	if !strings.Contains(msg, "drop table users;") {
		t.Errorf("the SQL's end is not shown:\n%.300s", msg)
	}
	if !strings.Contains(msg, "302 statement(s): create_table, insert, drop; writes") {
		t.Errorf("the prompt does not say what the SQL runs:\n%s", msg[len(msg)-300:])
	}
	huge := strings.Repeat("insert into t values (1);\n", 2000)
	before := e.asked.Load()
	res = call(t, c, CallAction, map[string]any{"name": "migration_upsert", "arguments": map[string]any{"ref": st.seed.ProjectRef, "query": huge}})
	mustError(t, res, "too-large-to-show", "Nothing was done")
	if e.asked.Load() != before {
		t.Error("asked to confirm SQL too large to show")
	}
}
