package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// reply is what a handler answers. Exactly one of body (JSON-encoded) or raw
// (sent with contentType) is used; neither means an empty body.
type reply struct {
	status      int
	body        any
	raw         []byte
	contentType string
	header      map[string]string
}

// apiError is an error answered as {"message": ...} with its status, the
// shape the real API uses for 4xx/5xx.
type apiError struct {
	status  int
	message string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d: %s", e.status, e.message) }

func errBadRequest(format string, args ...any) error {
	return &apiError{status: http.StatusBadRequest, message: fmt.Sprintf(format, args...)}
}

func errNotFound(format string, args ...any) error {
	return &apiError{status: http.StatusNotFound, message: fmt.Sprintf(format, args...)}
}

func errConflict(format string, args ...any) error {
	return &apiError{status: http.StatusConflict, message: fmt.Sprintf(format, args...)}
}

type messageBody struct {
	Message string `json:"message"`
}

const jsonContentType = "application/json; charset=utf-8"

// writeMessage answers {"message": msg} with status.
func writeMessage(w http.ResponseWriter, status int, msg string) {
	b, _ := json.Marshal(messageBody{Message: msg})
	h := w.Header()
	h.Set("Content-Type", jsonContentType)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeReply encodes rep for op. A handler that returns no body for an
// operation whose spec declares one is a sandbox bug, reported as 500 so the
// conformance test catches it.
func writeReply(w http.ResponseWriter, op *operation, rep reply) (int, error) {
	status := rep.status
	if status == 0 {
		status = op.success
	}
	h := w.Header()
	for k, v := range rep.header {
		h.Set(k, v)
	}
	var payload []byte
	switch {
	case rep.raw != nil:
		payload = rep.raw
		ct := rep.contentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		h.Set("Content-Type", ct)
	case rep.body != nil:
		b, err := json.Marshal(rep.body)
		if err != nil {
			return http.StatusInternalServerError, fmt.Errorf("encoding the %s response: %w", op.id, err)
		}
		payload = b
		h.Set("Content-Type", jsonContentType)
	case op.schema != nil && status == op.success:
		return http.StatusInternalServerError, fmt.Errorf("handler for %s returned no body but the spec declares one", op.id)
	}
	if status == http.StatusNoContent {
		payload = nil
	} else {
		h.Set("Content-Length", strconv.Itoa(len(payload)))
	}
	w.WriteHeader(status)
	if len(payload) > 0 {
		_, _ = w.Write(payload)
	}
	return status, nil
}
