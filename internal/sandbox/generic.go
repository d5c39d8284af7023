package sandbox

import (
	"net/http"
)

// The generic path answers the operations without hand-written behaviour:
// a GET returns the document stored at its path (synthesized from the
// response schema on first read), a PATCH merges its body into that document,
// a PUT replaces it, a DELETE forgets it; anything else answers a synthesized
// body. Documents are per path, hence per project.

// genericHandler picks the generic behaviour for op.
func (s *Sandbox) genericHandler(op *operation) handlerFunc {
	switch {
	case op.method == http.MethodGet && op.schema != nil && op.contentType == "application/json":
		return func(c *call) (reply, error) { return s.readDoc(c, op) }
	case (op.method == http.MethodPatch || op.method == http.MethodPut) && op.readOp != nil && op.readOp.schema != nil:
		return func(c *call) (reply, error) { return s.writeDoc(c, op, op.method == http.MethodPatch) }
	case op.method == http.MethodDelete && op.readOp != nil:
		return func(c *call) (reply, error) {
			s.mu.Lock()
			delete(s.st.docs, c.r.URL.Path)
			s.mu.Unlock()
			return s.synthReply(c, op), nil
		}
	}
	return func(c *call) (reply, error) { return s.synthReply(c, op), nil }
}

func (s *Sandbox) synthCtx(c *call) *synthCtx {
	return &synthCtx{params: c.params, salt: c.r.URL.Path}
}

// synthReply answers op's success status with a synthesized body, or none
// when the spec declares none.
func (s *Sandbox) synthReply(c *call, op *operation) reply {
	if op.schema == nil {
		return reply{}
	}
	if op.contentType == "text/plain" {
		return reply{raw: []byte("supaops sandbox: synthesized text for " + op.id + "\n"), contentType: "text/plain; charset=utf-8"}
	}
	return reply{body: s.synth.value(op.schema, "", s.synthCtx(c), 0)}
}

// loadDoc returns the document stored at key, synthesizing it from the read
// operation's schema on first use. The caller holds s.mu.
func (s *Sandbox) loadDoc(c *call, key string, readOp *operation) any {
	if doc, ok := s.st.docs[key]; ok {
		return doc
	}
	doc := s.synth.value(readOp.schema, "", s.synthCtx(c), 0)
	if d, ok := s.docDefaults[readOp.id]; ok {
		doc = s.synth.conform(mergeJSON(doc, d), readOp.schema, "", s.synthCtx(c), 0)
	}
	s.st.docs[key] = doc
	return doc
}

func (s *Sandbox) readDoc(c *call, op *operation) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	doc := s.loadDoc(c, c.r.URL.Path, op)
	return reply{body: cloneJSON(s.synth.conform(doc, op.schema, "", s.synthCtx(c), 0))}, nil
}

// writeDoc merges (PATCH) or replaces (PUT) the document read by op.readOp
// and answers it in op's response shape.
func (s *Sandbox) writeDoc(c *call, op *operation, merge bool) (reply, error) {
	body, err := decodeJSONBody(c.body)
	if err != nil {
		return reply{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	stored := s.storeDoc(c, c.r.URL.Path, op.readOp, body, merge)
	return s.docReply(c, op, stored), nil
}

// storeDoc applies body to the document at key and stores the result,
// conformed to the read schema. The caller holds s.mu.
func (s *Sandbox) storeDoc(c *call, key string, readOp *operation, body any, merge bool) any {
	base := s.loadDoc(c, key, readOp)
	var next any
	if merge {
		next = mergeJSON(base, body)
	} else {
		next = cloneJSON(body)
	}
	next = s.synth.conform(next, readOp.schema, "", s.synthCtx(c), 0)
	s.st.docs[key] = next
	return next
}

// docReply answers a stored document in op's response shape.
func (s *Sandbox) docReply(c *call, op *operation, doc any) reply {
	if op.schema == nil {
		return reply{}
	}
	return reply{body: cloneJSON(s.synth.conform(doc, op.schema, "", s.synthCtx(c), 0))}
}
