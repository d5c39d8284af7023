package sandbox

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"sort"
	"strconv"
	"strings"
	"time"
)

type function struct {
	id            string
	slug          string
	name          string
	version       int
	status        string
	verifyJWT     bool
	entrypoint    string
	importMap     bool
	importMapPath string
	ezbrSha256    string
	createdAt     time.Time
	updatedAt     time.Time
	body          []byte            // last uploaded bundle or source
	files         map[string][]byte // deploy: uploaded source files by name
}

// functionResponse is FunctionResponse / FunctionSlugResponse /
// DeployFunctionResponse (times are Unix milliseconds).
type functionResponse struct {
	CreatedAt      int64  `json:"created_at"`
	EntrypointPath string `json:"entrypoint_path,omitempty"`
	EzbrSha256     string `json:"ezbr_sha256,omitempty"`
	ID             string `json:"id"`
	ImportMap      bool   `json:"import_map"`
	ImportMapPath  string `json:"import_map_path,omitempty"`
	Name           string `json:"name"`
	Slug           string `json:"slug"`
	Status         string `json:"status"`
	UpdatedAt      int64  `json:"updated_at"`
	VerifyJwt      bool   `json:"verify_jwt"`
	Version        int    `json:"version"`
}

func (f *function) response() functionResponse {
	return functionResponse{
		CreatedAt:      f.createdAt.UnixMilli(),
		EntrypointPath: f.entrypoint,
		EzbrSha256:     f.ezbrSha256,
		ID:             f.id,
		ImportMap:      f.importMap,
		ImportMapPath:  f.importMapPath,
		Name:           f.name,
		Slug:           f.slug,
		Status:         f.status,
		UpdatedAt:      f.updatedAt.UnixMilli(),
		VerifyJwt:      f.verifyJWT,
		Version:        f.version,
	}
}

func sortedFunctions(p *project) []*function {
	out := make([]*function, 0, len(p.functions))
	for _, f := range p.functions {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].slug < out[j].slug })
	return out
}

func (s *Sandbox) requireFunction(c *call) (*project, *function, error) {
	p, err := s.requireProject(c)
	if err != nil {
		return nil, nil, err
	}
	f, ok := p.functions[c.params["function_slug"]]
	if !ok {
		return nil, nil, errNotFound("Function not found: %s", c.params["function_slug"])
	}
	return p, f, nil
}

func (s *Sandbox) listFunctions(c *call) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.requireProject(c)
	if err != nil {
		return reply{}, err
	}
	out := []functionResponse{}
	for _, f := range sortedFunctions(p) {
		out = append(out, f.response())
	}
	return reply{body: out}, nil
}

func (s *Sandbox) getFunction(c *call) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, f, err := s.requireFunction(c)
	if err != nil {
		return reply{}, err
	}
	return reply{body: f.response()}, nil
}

// functionUpload is what POST/PATCH /functions carry, in a JSON body or, for
// an eszip body, in query parameters.
type functionUpload struct {
	Slug          string `json:"slug"`
	Name          string `json:"name"`
	Body          string `json:"body"`
	VerifyJWT     *bool  `json:"verify_jwt"`
	ImportMap     *bool  `json:"-"`
	Entrypoint    string `json:"-"`
	ImportMapPath string `json:"-"`
	EzbrSha256    string `json:"-"`
	raw           []byte
}

func parseFunctionUpload(c *call) (functionUpload, error) {
	var up functionUpload
	q := c.query
	ct, _, _ := mime.ParseMediaType(c.r.Header.Get("Content-Type"))
	if ct == "application/json" {
		if err := json.Unmarshal(c.body, &up); err != nil {
			return up, errBadRequest("Invalid request body: %v", err)
		}
		up.raw = []byte(up.Body)
	} else {
		up.raw = c.body
	}
	if v := q.Get("slug"); v != "" && up.Slug == "" {
		up.Slug = v
	}
	if v := q.Get("name"); v != "" && up.Name == "" {
		up.Name = v
	}
	if v := q.Get("verify_jwt"); v != "" && up.VerifyJWT == nil {
		b := v == "true"
		up.VerifyJWT = &b
	}
	if v := q.Get("import_map"); v != "" {
		b := v == "true"
		up.ImportMap = &b
	}
	up.Entrypoint = q.Get("entrypoint_path")
	up.ImportMapPath = q.Get("import_map_path")
	up.EzbrSha256 = q.Get("ezbr_sha256")
	return up, nil
}

func (f *function) apply(up functionUpload, now time.Time) {
	if up.Name != "" {
		f.name = up.Name
	}
	if up.VerifyJWT != nil {
		f.verifyJWT = *up.VerifyJWT
	}
	if up.ImportMap != nil {
		f.importMap = *up.ImportMap
	}
	if up.Entrypoint != "" {
		f.entrypoint = up.Entrypoint
	}
	if up.ImportMapPath != "" {
		f.importMapPath = up.ImportMapPath
	}
	if len(up.raw) > 0 {
		f.body = up.raw
		f.ezbrSha256 = up.EzbrSha256
		if f.ezbrSha256 == "" {
			sum := sha256.Sum256(up.raw)
			f.ezbrSha256 = hex.EncodeToString(sum[:])
		}
	}
	f.updatedAt = now
}

func (s *Sandbox) createFunction(c *call) (reply, error) {
	up, err := parseFunctionUpload(c)
	if err != nil {
		return reply{}, err
	}
	if up.Slug == "" {
		return reply{}, errBadRequest("Missing function slug (query parameter \"slug\" or body field \"slug\")")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.requireProject(c)
	if err != nil {
		return reply{}, err
	}
	if _, exists := p.functions[up.Slug]; exists {
		return reply{}, errBadRequest("Function %q already exists; deploy or update it instead", up.Slug)
	}
	f := &function{id: s.st.newID("function"), slug: up.Slug, name: up.Slug, version: 1, status: "ACTIVE", verifyJWT: true, createdAt: c.now}
	f.apply(up, c.now)
	p.functions[f.slug] = f
	return reply{status: http.StatusCreated, body: f.response()}, nil
}

func (s *Sandbox) updateFunction(c *call) (reply, error) {
	up, err := parseFunctionUpload(c)
	if err != nil {
		return reply{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, f, err := s.requireFunction(c)
	if err != nil {
		return reply{}, err
	}
	f.apply(up, c.now)
	f.version++
	return reply{body: f.response()}, nil
}

type deployMetadata struct {
	EntrypointPath string   `json:"entrypoint_path"`
	ImportMapPath  string   `json:"import_map_path"`
	Name           string   `json:"name"`
	StaticPatterns []string `json:"static_patterns"`
	VerifyJWT      *bool    `json:"verify_jwt"`
}

// deployFunction takes the CLI's multipart upload: a `metadata` JSON part and
// `file` parts. It creates the function or bumps its version; with
// bundleOnly=true nothing is stored.
func (s *Sandbox) deployFunction(c *call) (reply, error) {
	meta, files, err := parseDeployForm(c)
	if err != nil {
		return reply{}, err
	}
	slug := c.query.Get("slug")
	if slug == "" {
		slug = meta.Name
	}
	if slug == "" {
		return reply{}, errBadRequest("Missing function slug (query parameter \"slug\" or metadata \"name\")")
	}
	bundleOnly := c.query.Get("bundleOnly") == "true"
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.requireProject(c)
	if err != nil {
		return reply{}, err
	}
	f, exists := p.functions[slug]
	if exists {
		cp := *f
		f = &cp
		f.version++
	} else {
		f = &function{id: s.st.newID("function"), slug: slug, name: slug, version: 1, status: "ACTIVE", verifyJWT: true, createdAt: c.now}
	}
	if meta.Name != "" {
		f.name = meta.Name
	}
	if meta.VerifyJWT != nil {
		f.verifyJWT = *meta.VerifyJWT
	}
	f.entrypoint = meta.EntrypointPath
	f.importMapPath = meta.ImportMapPath
	f.importMap = meta.ImportMapPath != ""
	f.files = files
	var all bytes.Buffer
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		all.WriteString(n)
		all.Write(files[n])
	}
	sum := sha256.Sum256(all.Bytes())
	f.ezbrSha256 = hex.EncodeToString(sum[:])
	f.body = all.Bytes()
	f.updatedAt = c.now
	if !bundleOnly {
		p.functions[slug] = f
	}
	return reply{status: http.StatusCreated, body: f.response()}, nil
}

func parseDeployForm(c *call) (deployMetadata, map[string][]byte, error) {
	var meta deployMetadata
	_, params, err := mime.ParseMediaType(c.r.Header.Get("Content-Type"))
	if err != nil {
		return meta, nil, errBadRequest("Invalid Content-Type: %v", err)
	}
	mr := multipart.NewReader(bytes.NewReader(c.body), params["boundary"])
	files := make(map[string][]byte)
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return meta, nil, errBadRequest("Invalid multipart body: %v", err)
		}
		data, err := io.ReadAll(part)
		if err != nil {
			return meta, nil, errBadRequest("Reading multipart part %q: %v", part.FormName(), err)
		}
		switch part.FormName() {
		case "metadata":
			if err := json.Unmarshal(data, &meta); err != nil {
				return meta, nil, errBadRequest("Invalid request body: field \"metadata\" is not JSON: %v", err)
			}
		case "file", "file[]":
			name := part.FileName()
			if name == "" {
				name = "file-" + strconv.Itoa(len(files))
			}
			files[name] = data
		}
	}
	return meta, files, nil
}

// getFunctionBody answers the function's source. The spec declares a JSON
// object (StreamableFile); the real API streams an eszip bundle, or multipart
// source files when asked with Accept: multipart/form-data. The sandbox does
// multipart on request and otherwise a JSON object describing the source, so
// the default answer validates against the spec.
func (s *Sandbox) getFunctionBody(c *call) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, f, err := s.requireFunction(c)
	if err != nil {
		return reply{}, err
	}
	files := f.files
	if len(files) == 0 {
		files = map[string][]byte{"index.ts": f.body}
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	if strings.Contains(c.r.Header.Get("Accept"), "multipart/form-data") {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		for _, n := range names {
			h := textproto.MIMEHeader{}
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, n))
			h.Set("Content-Type", "application/typescript")
			pw, err := mw.CreatePart(h)
			if err != nil {
				return reply{}, fmt.Errorf("writing function source part: %w", err)
			}
			_, _ = pw.Write(files[n])
		}
		if err := mw.Close(); err != nil {
			return reply{}, fmt.Errorf("closing function source: %w", err)
		}
		return reply{raw: buf.Bytes(), contentType: mw.FormDataContentType()}, nil
	}
	src := make(map[string]string, len(files))
	for _, n := range names {
		src[n] = string(files[n])
	}
	return reply{body: map[string]any{
		"sandbox":         true,
		"note":            "supaops sandbox: function source as JSON; ask with Accept: multipart/form-data for files",
		"slug":            f.slug,
		"version":         f.version,
		"entrypoint_path": f.entrypoint,
		"files":           src,
	}}, nil
}

func (s *Sandbox) deleteFunction(c *call) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, f, err := s.requireFunction(c)
	if err != nil {
		return reply{}, err
	}
	delete(p.functions, f.slug)
	return reply{}, nil
}

type bulkFunction struct {
	CreatedAt      *int64 `json:"created_at"`
	EntrypointPath string `json:"entrypoint_path"`
	EzbrSha256     string `json:"ezbr_sha256"`
	ID             string `json:"id"`
	ImportMap      *bool  `json:"import_map"`
	ImportMapPath  string `json:"import_map_path"`
	Name           string `json:"name"`
	Slug           string `json:"slug"`
	Status         string `json:"status"`
	VerifyJwt      *bool  `json:"verify_jwt"`
	Version        int    `json:"version"`
}

// bulkUpdateFunctions upserts the listed functions with the versions the
// caller set (the API expects the caller to bump them).
func (s *Sandbox) bulkUpdateFunctions(c *call) (reply, error) {
	var body []bulkFunction
	if err := json.Unmarshal(c.body, &body); err != nil {
		return reply{}, errBadRequest("Invalid request body: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.requireProject(c)
	if err != nil {
		return reply{}, err
	}
	out := make([]functionResponse, 0, len(body))
	for _, b := range body {
		f, ok := p.functions[b.Slug]
		if !ok {
			f = &function{id: b.ID, slug: b.Slug, createdAt: c.now}
			if b.CreatedAt != nil {
				f.createdAt = time.UnixMilli(*b.CreatedAt)
			}
			p.functions[b.Slug] = f
		}
		f.name, f.status, f.version = b.Name, b.Status, b.Version
		if b.VerifyJwt != nil {
			f.verifyJWT = *b.VerifyJwt
		}
		if b.ImportMap != nil {
			f.importMap = *b.ImportMap
		}
		if b.EntrypointPath != "" {
			f.entrypoint = b.EntrypointPath
		}
		if b.ImportMapPath != "" {
			f.importMapPath = b.ImportMapPath
		}
		if b.EzbrSha256 != "" {
			f.ezbrSha256 = b.EzbrSha256
		}
		f.updatedAt = c.now
		out = append(out, f.response())
	}
	return reply{body: map[string]any{"functions": out}}, nil
}
