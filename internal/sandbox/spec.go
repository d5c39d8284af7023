package sandbox

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/supaops/supaops/internal/client"
)

// Spec is the compiled Management API spec: the loaded document, one
// operation per (method, path) with its response plan, the router and the
// validation options. Loading it is most of New's cost (a few hundred ms), so
// callers that create many sandboxes (tests) can load it once with LoadSpec
// and share it through Options.Spec. It is immutable and safe for
// concurrent use.
type Spec struct {
	api *apiSpec
}

// LoadSpec loads and compiles the spec embedded in the generated client.
func LoadSpec() (*Spec, error) {
	doc, err := client.GetSpec()
	if err != nil {
		return nil, fmt.Errorf("sandbox: loading the embedded Management API spec: %w", err)
	}
	api, err := compileSpec(doc)
	if err != nil {
		return nil, fmt.Errorf("sandbox: compiling the spec: %w", err)
	}
	return &Spec{api: api}, nil
}

// apiSpec is the compiled form of the spec, with everything a request needs
// precomputed so serving does no spec lookups.
type apiSpec struct {
	doc        *openapi3.T
	ops        []*operation
	byID       map[string]*operation
	router     *router
	validation *openapi3filter.Options
}

// operation is one spec operation plus the plan for answering it.
type operation struct {
	index    int // position in apiSpec.ops; indexes per-sandbox tables
	id       string
	method   string
	path     string // template, e.g. /v1/projects/{ref}
	segments []string
	route    *routers.Route

	// success is the first 2xx status the spec declares; the sandbox answers
	// with it unless a handler says otherwise.
	success int
	// contentType of the success body; "" when the spec declares no content.
	contentType string
	// schema of the success body; nil when the spec declares none.
	schema *openapi3.Schema

	// jsonParts are multipart parts that hold JSON (see normalizeMultipart).
	jsonParts map[string]bool

	// readOp is the GET operation on the same path, if any, so generic
	// writes (PATCH/PUT) share stored state with it.
	readOp *operation
}

func compileSpec(doc *openapi3.T) (*apiSpec, error) {
	if doc.Paths == nil {
		return nil, fmt.Errorf("spec has no paths")
	}
	tightenUUIDs(doc)
	api := &apiSpec{doc: doc, byID: make(map[string]*operation), validation: newValidationOptions()}
	paths := doc.Paths.Keys()
	sort.Strings(paths)
	for _, path := range paths {
		item := doc.Paths.Value(path)
		methods := make([]string, 0, 4)
		for m := range item.Operations() {
			methods = append(methods, m)
		}
		sort.Strings(methods)
		for _, method := range methods {
			specOp := item.GetOperation(method)
			op, err := compileOperation(doc, path, item, method, specOp)
			if err != nil {
				return nil, fmt.Errorf("operation %s %s: %w", method, path, err)
			}
			if _, dup := api.byID[op.id]; dup {
				return nil, fmt.Errorf("duplicate operationId %q", op.id)
			}
			op.index = len(api.ops)
			api.ops = append(api.ops, op)
			api.byID[op.id] = op
		}
	}
	// Link writes to the read on the same path.
	reads := make(map[string]*operation)
	for _, op := range api.ops {
		if op.method == http.MethodGet {
			reads[op.path] = op
		}
	}
	for _, op := range api.ops {
		if op.method != http.MethodGet {
			op.readOp = reads[op.path]
		}
	}
	rt, err := newRouter(api.ops)
	if err != nil {
		return nil, fmt.Errorf("building the router: %w", err)
	}
	api.router = rt
	return api, nil
}

func compileOperation(doc *openapi3.T, path string, item *openapi3.PathItem, method string, specOp *openapi3.Operation) (*operation, error) {
	if specOp.OperationID == "" {
		return nil, fmt.Errorf("missing operationId")
	}
	op := &operation{
		id:       specOp.OperationID,
		method:   method,
		path:     path,
		segments: splitPath(path),
		route: &routers.Route{
			Spec:      doc,
			Path:      path,
			PathItem:  item,
			Method:    method,
			Operation: specOp,
		},
		jsonParts: multipartJSONParts(specOp),
	}
	codes := make([]int, 0, 2)
	for code := range specOp.Responses.Map() {
		n, err := strconv.Atoi(code)
		if err == nil && n >= 200 && n < 300 {
			codes = append(codes, n)
		}
	}
	if len(codes) == 0 {
		return nil, fmt.Errorf("no 2xx response declared")
	}
	sort.Ints(codes)
	op.success = codes[0]
	resp := specOp.Responses.Status(op.success)
	if resp == nil || resp.Value == nil {
		return nil, fmt.Errorf("response %d is not resolved", op.success)
	}
	if op.success == http.StatusNoContent {
		return op, nil
	}
	// Prefer JSON when an operation declares several media types.
	for _, ct := range []string{"application/json", "text/plain"} {
		if mt := resp.Value.Content.Get(ct); mt != nil {
			op.contentType = ct
			if mt.Schema != nil {
				op.schema = mt.Schema.Value
			}
			break
		}
	}
	if op.contentType == "" && len(resp.Value.Content) > 0 {
		return nil, fmt.Errorf("response %d has an unsupported media type", op.success)
	}
	return op, nil
}

// splitPath splits "/v1/projects/{ref}" into ["v1", "projects", "{ref}"].
func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// uuidPattern is what `format: uuid` means.
const uuidPattern = `^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`

// tightenUUIDs gives every `format: uuid` string schema the equivalent
// pattern. kin-openapi does not check the uuid format unless it is defined
// globally, and then `branch_id_or_ref` (oneOf: a 20-letter ref or a UUID)
// matches both branches for every ref and is rejected. A pattern on our own
// copy of the document fixes both without touching global state.
func tightenUUIDs(doc *openapi3.T) {
	seen := make(map[*openapi3.Schema]bool)
	var visit func(ref *openapi3.SchemaRef)
	visit = func(ref *openapi3.SchemaRef) {
		if ref == nil || ref.Value == nil || seen[ref.Value] {
			return
		}
		s := ref.Value
		seen[s] = true
		if s.Type.Is("string") && s.Format == "uuid" && s.Pattern == "" {
			s.Pattern = uuidPattern
		}
		for _, p := range s.Properties {
			visit(p)
		}
		visit(s.Items)
		visit(s.AdditionalProperties.Schema)
		visit(s.Not)
		for _, group := range []openapi3.SchemaRefs{s.OneOf, s.AnyOf, s.AllOf} {
			for _, sub := range group {
				visit(sub)
			}
		}
	}
	if doc.Components != nil {
		for _, s := range doc.Components.Schemas {
			visit(s)
		}
	}
	visitContent := func(c openapi3.Content) {
		for _, mt := range c {
			visit(mt.Schema)
		}
	}
	for _, item := range doc.Paths.Map() {
		params := slices.Clone(item.Parameters)
		for _, op := range item.Operations() {
			params = append(params, op.Parameters...)
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				visitContent(op.RequestBody.Value.Content)
			}
			for _, resp := range op.Responses.Map() {
				if resp.Value != nil {
					visitContent(resp.Value.Content)
				}
			}
		}
		for _, p := range params {
			if p.Value != nil {
				visit(p.Value.Schema)
			}
		}
	}
}
