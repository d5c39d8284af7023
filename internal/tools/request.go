package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"

	"github.com/supaops/supaops/internal/action"
)

// request carries validated arguments into a generated binding.
type request struct {
	action *Action
	args   map[string]any
}

// NewRequest builds the HTTP request for validated, normalized arguments.
// server is the API's base URL, with or without a path prefix (a proxy such
// as https://proxy.example/supabase) and a trailing slash. The request asks
// for the action's own media type (Accept), and is refused if its path does
// not have the shape of the action's path template, so no argument can make
// it reach another endpoint.
func (a *Action) NewRequest(ctx context.Context, server string, args map[string]any) (*http.Request, error) {
	if a.local != nil {
		return nil, fmt.Errorf("%s is a local action: it has no HTTP request", a.Name)
	}
	base, err := url.Parse(server)
	if err != nil || base.Scheme == "" || base.Host == "" {
		return nil, fmt.Errorf("building the request for %s: the API base URL %q is not an absolute URL", a.Name, server)
	}
	// The generated builders resolve "./v1/..." against the base, which
	// keeps its last path segment only if it ends in "/".
	if !strings.HasSuffix(base.Path, "/") {
		base.Path += "/"
		if base.RawPath != "" {
			base.RawPath += "/"
		}
	}
	req, err := a.binding.build(base.String(), &request{action: a, args: args})
	if err != nil {
		return nil, fmt.Errorf("building the request for %s: %w", a.Name, err)
	}
	if err := a.checkShape(base, req.URL); err != nil {
		return nil, fmt.Errorf("building the request for %s: %w", a.Name, err)
	}
	if req.Header.Get("Content-Type") == "" {
		req.Header.Del("Content-Type")
	}
	if a.OutputContentType != "" {
		// The client's default is JSON; text endpoints (branch_diff,
		// action_run_logs_get) answer in their own type.
		req.Header.Set("Accept", a.OutputContentType)
	}
	return req.WithContext(ctx), nil
}

// checkShape verifies that the built URL is the base followed by the path
// template: same segments, each literal one equal, each parameter one a
// single non-empty segment that is not "." or "..". Validate refuses such
// arguments first; this is the second line, against a builder or a value
// that resolves to another endpoint.
func (a *Action) checkShape(base, built *url.URL) error {
	// The built path is not shown: its parameters may be secrets.
	prefix := strings.TrimSuffix(base.EscapedPath(), "/")
	rest, ok := strings.CutPrefix(built.EscapedPath(), prefix+"/")
	if built.Scheme != base.Scheme || built.Host != base.Host || built.Opaque != "" || !ok {
		return fmt.Errorf("the built URL is not under the API base URL %s", base.Redacted())
	}
	got := strings.Split(rest, "/")
	want := strings.Split(strings.TrimPrefix(a.Path, "/"), "/")
	if len(got) != len(want) {
		return fmt.Errorf("the built path has %d segments where %s has %d", len(got), a.Path, len(want))
	}
	for i, w := range want {
		seg, err := url.PathUnescape(got[i])
		if err != nil {
			return fmt.Errorf("segment %d of the built path is not a valid escape: %w", i+1, err)
		}
		if strings.HasPrefix(w, "{") && strings.HasSuffix(w, "}") {
			if seg == "" || seg == "." || seg == ".." {
				return fmt.Errorf("the built path does not have the shape of %s: %s is %q, which would reach another endpoint", a.Path, w, seg)
			}
			continue
		}
		if seg != w {
			return fmt.Errorf("the built path does not have the shape of %s: segment %d is not %q", a.Path, i+1, w)
		}
	}
	return nil
}

// pathArg decodes one path argument into the type the generated builder takes.
func pathArg[T any](in *request, name string) (T, error) {
	var v T
	raw, ok := in.args[name]
	if !ok {
		return v, fmt.Errorf("missing path argument %s", name)
	}
	data, err := json.Marshal(raw)
	if err != nil {
		return v, fmt.Errorf("argument %s: %w", name, err)
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return v, fmt.Errorf("argument %s: %w", name, err)
	}
	return v, nil
}

// decodeParams fills the generated parameters struct (query and header
// parameters) from the arguments, through their wire names.
func (in *request) decodeParams(params any) error {
	wire := map[string]any{}
	for _, p := range in.action.Params {
		if p.In != action.InQuery && p.In != action.InHeader {
			continue
		}
		if v, ok := in.args[p.Name]; ok {
			wire[p.Wire] = v
		}
	}
	data, err := json.Marshal(wire)
	if err != nil {
		return fmt.Errorf("encoding parameters: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(params); err != nil {
		return fmt.Errorf("decoding parameters: %w", err)
	}
	return nil
}

// body encodes the body arguments in the action's content type. It returns a nil
// reader when no body argument was given and the body is optional.
func (in *request) body() (string, io.Reader, error) {
	b := in.action.Body
	fields := map[string]any{}
	var whole any
	hasWhole := false
	for _, p := range in.action.Params {
		v, ok := in.args[p.Name]
		if !ok {
			continue
		}
		switch p.In {
		case action.InBodyField:
			fields[p.Wire] = v
		case action.InBody:
			whole, hasWhole = v, true
		}
	}
	if !hasWhole && len(fields) == 0 {
		if !b.Required {
			return "", nil, nil
		}
		whole = map[string]any{}
	} else if !hasWhole {
		whole = fields
	}
	switch b.ContentType {
	case "application/json":
		data, err := json.Marshal(whole)
		if err != nil {
			return "", nil, fmt.Errorf("encoding the body: %w", err)
		}
		return b.ContentType, bytes.NewReader(data), nil
	case "application/x-www-form-urlencoded":
		form := url.Values{}
		for k, v := range asObject(whole) {
			form.Set(k, scalarString(v))
		}
		return b.ContentType, strings.NewReader(form.Encode()), nil
	case "multipart/form-data":
		return multipartBody(asObject(whole))
	}
	return "", nil, fmt.Errorf("content type %s is not supported", b.ContentType)
}

func asObject(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// multipartBody writes file lists ({name, content} items) as file parts and every
// other field as a form field, objects as JSON: how the API's deploy endpoint
// takes source files and metadata.
func multipartBody(fields map[string]any) (string, io.Reader, error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, name := range sortedKeys(fields) {
		v := fields[name]
		if files, ok := fileList(v); ok {
			for _, f := range files {
				part, err := w.CreateFormFile(name, f.name)
				if err != nil {
					return "", nil, fmt.Errorf("writing file %s: %w", f.name, err)
				}
				if _, err := io.WriteString(part, f.content); err != nil {
					return "", nil, fmt.Errorf("writing file %s: %w", f.name, err)
				}
			}
			continue
		}
		if err := w.WriteField(name, scalarString(v)); err != nil {
			return "", nil, fmt.Errorf("writing field %s: %w", name, err)
		}
	}
	if err := w.Close(); err != nil {
		return "", nil, fmt.Errorf("closing the multipart body: %w", err)
	}
	return w.FormDataContentType(), &buf, nil
}

type file struct{ name, content string }

func fileList(v any) ([]file, bool) {
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		return nil, false
	}
	files := make([]file, 0, len(list))
	for _, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			return nil, false
		}
		name, ok1 := m["name"].(string)
		content, ok2 := m["content"].(string)
		if !ok1 || !ok2 {
			return nil, false
		}
		files = append(files, file{name, content})
	}
	return files, true
}

// scalarString renders a value for a form: strings as they are, the rest as JSON.
func scalarString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(data)
}
