package pipeline

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/supaops/supaops/internal/client"
	"github.com/supaops/supaops/internal/tools"
)

// decode turns a response into a JSON-shaped value: parsed JSON, text as a
// string, HEAD answers as their headers, binary as base64, no body as nil.
func decode(a *tools.Action, resp *client.Response) (any, string, error) {
	contentType := resp.Header.Get("Content-Type")
	mediaType, _, _ := mime.ParseMediaType(contentType)
	if a.Method == http.MethodHead {
		return headValue(resp.Header), contentType, nil
	}
	body := bytes.TrimSpace(resp.Body)
	if len(body) == 0 {
		return nil, contentType, nil
	}
	switch {
	case mediaType == "application/json" || strings.HasSuffix(mediaType, "+json") ||
		(mediaType == "" && (body[0] == '{' || body[0] == '[')):
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, contentType, fmt.Errorf("%s: the API answered invalid JSON: %w", a.Name, err)
		}
		return v, contentType, nil
	case utf8.Valid(resp.Body):
		return string(resp.Body), contentType, nil
	default:
		return map[string]any{
			"content_type": contentType,
			"size":         len(resp.Body),
			"base64":       base64.StdEncoding.EncodeToString(resp.Body),
		}, contentType, nil
	}
}

// headValue reports what a HEAD answer carries; the count of action runs comes
// as X-Total-Count.
func headValue(h http.Header) any {
	if total := h.Get("X-Total-Count"); total != "" {
		if n, err := strconv.ParseInt(total, 10, 64); err == nil {
			return map[string]any{"total_count": n}
		}
	}
	return map[string]any{}
}
