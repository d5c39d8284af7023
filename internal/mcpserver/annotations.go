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
	verbs := map[string]bool{
		"list": true, "get": true, "create": true, "update": true, "delete": true, "apply": true,
		"deploy": true, "merge": true, "reset": true, "push": true, "restore": true, "query": true,
		"generate": true, "patch": true, "remove": true, "setup": true, "check": true, "activate": true,
		"initialize": true, "reverify": true, "pause": true, "cancel": true, "upsert": true,
		"rollback": true, "authorize": true, "revoke": true, "exchange": true, "claim": true,
		"enable": true, "disable": true, "shutdown": true, "upgrade": true, "undo": true, "count": true,
	}
	if last := words[len(words)-1]; len(words) > 1 && verbs[last] {
		words = append([]string{last}, words[:len(words)-1]...)
	}
	for i, w := range words {
		words[i] = spelled(w)
	}
	title := strings.Join(words, " ")
	return strings.ToUpper(title[:1]) + title[1:]
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
