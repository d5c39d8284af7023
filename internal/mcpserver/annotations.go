package mcpserver

import (
	"net/http"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/supaops/supaops/internal/action"
)

// annotationsFor sets every hint explicitly: mcp-go's defaults call every tool
// destructive, and clients prompt on what is left unset.
func annotationsFor(title string, risk action.Risk, method string) mcp.ToolAnnotation {
	readOnly := risk == action.Read
	idempotent := readOnly || method == http.MethodPut || method == http.MethodDelete
	return mcp.ToolAnnotation{
		Title:           title,
		ReadOnlyHint:    mcp.ToBoolPtr(readOnly),
		DestructiveHint: mcp.ToBoolPtr(risk == action.Destructive),
		IdempotentHint:  mcp.ToBoolPtr(idempotent),
		// Every action reaches the Management API, outside this process.
		OpenWorldHint: mcp.ToBoolPtr(true),
	}
}

// titleFor turns an action name into a short title, verb first:
// projects_list → "List projects".
func titleFor(name string) string {
	words := strings.Split(name, "_")
	if last := words[len(words)-1]; len(words) > 1 && isVerb(last) {
		words = append([]string{last}, words[:len(words)-1]...)
	}
	for i, w := range words {
		words[i] = spelled(w)
	}
	title := strings.Join(words, " ")
	return strings.ToUpper(title[:1]) + title[1:]
}

// isVerb recognises the verbs action names end with (a switch: no map to
// build for every title).
func isVerb(w string) bool {
	switch w {
	case "list", "get", "create", "update", "delete", "apply",
		"deploy", "merge", "reset", "push", "restore", "query",
		"generate", "patch", "remove", "setup", "check", "activate",
		"initialize", "reverify", "pause", "cancel", "upsert",
		"rollback", "authorize", "revoke", "exchange", "claim",
		"enable", "disable", "shutdown", "upgrade", "undo", "count":
		return true
	}
	return false
}

// spelled writes the words a title spells the way their owners do.
func spelled(w string) string {
	switch w {
	case "api", "sql", "jit", "ssl", "sso", "pitr":
		return strings.ToUpper(w)
	case "oauth":
		return "OAuth"
	case "typescript":
		return "TypeScript"
	case "postgrest":
		return "PostgREST"
	case "pgbouncer":
		return "PgBouncer"
	case "openapi":
		return "OpenAPI"
	case "postgres":
		return "Postgres"
	}
	return w
}
