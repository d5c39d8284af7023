package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

const eszipContentType = "application/vnd.denoland.eszip"

// The eszip bundle (POST/PATCH functions) is opaque binary. kin-openapi already
// reads `format: binary` bodies raw, but registering the media type keeps it
// decodable if the schema ever loses its format. Registration mutates
// kin-openapi's registry, which is not safe concurrently with validation, so
// it happens once, at program start.
func init() {
	openapi3filter.RegisterBodyDecoder(eszipContentType, openapi3filter.FileBodyDecoder)
}

// newValidationOptions returns the options shared (read-only) by every
// request validation.
func newValidationOptions() *openapi3filter.Options {
	opts := &openapi3filter.Options{
		// Authentication is checked before validation, with the API's own
		// 401 message; the spec's security schemes are informational here.
		AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
		// The spec declares some boolean defaults as strings ("true"), which
		// kin-openapi would inject and then reject; handlers apply defaults.
		SkipSettingDefaults: true,
	}
	// Keep schema errors short: the message names the field and the rule,
	// never a dump of the schema.
	opts.WithCustomSchemaErrorFunc(func(err *openapi3.SchemaError) string {
		if err.Reason != "" {
			return err.Reason
		}
		return fmt.Sprintf("does not match the %q rule", err.SchemaField)
	})
	return opts
}

// validateRequest checks r against op's parameters and body. On success the
// request body has been replaced by the (possibly default-filled) validated
// body.
func (s *Sandbox) validateRequest(ctx context.Context, r *http.Request, op *operation, params map[string]string) error {
	input := &openapi3filter.RequestValidationInput{
		Request:    r,
		PathParams: params,
		Route:      op.route,
		Options:    s.api.validation,
	}
	if err := openapi3filter.ValidateRequest(ctx, input); err != nil {
		return &apiError{status: http.StatusBadRequest, message: describeValidationError(err)}
	}
	return nil
}

// describeValidationError turns a kin-openapi error into the API's one-line
// message, naming the parameter or the body field that is wrong.
func describeValidationError(err error) string {
	var reqErr *openapi3filter.RequestError
	if !errors.As(err, &reqErr) {
		return "Invalid request: " + err.Error()
	}
	var schemaErr *openapi3.SchemaError
	hasSchemaErr := errors.As(reqErr.Err, &schemaErr)
	switch {
	case reqErr.Parameter != nil:
		p := reqErr.Parameter
		where := fmt.Sprintf("%s parameter %q", p.In, p.Name)
		switch {
		case errors.Is(reqErr.Err, openapi3filter.ErrInvalidRequired):
			return "Missing required " + where
		case errors.Is(reqErr.Err, openapi3filter.ErrInvalidEmptyValue):
			return "Empty value for " + where
		case hasSchemaErr:
			return fmt.Sprintf("Invalid %s: %s", where, schemaReason(schemaErr))
		default:
			return fmt.Sprintf("Invalid %s: %s", where, reasonOf(reqErr))
		}
	case reqErr.RequestBody != nil:
		switch {
		case errors.Is(reqErr.Err, openapi3filter.ErrInvalidRequired):
			return "Missing request body"
		case hasSchemaErr:
			path := schemaErr.JSONPointer()
			switch {
			case schemaErr.SchemaField == "required":
				return fmt.Sprintf("Invalid request body: missing required field %q", strings.Join(path, "."))
			case strings.HasSuffix(schemaErr.Reason, "is unsupported"):
				// The reason reads `property "x" is unsupported`; the path is the parent's.
				if _, rest, ok := strings.Cut(schemaErr.Reason, `"`); ok {
					if name, _, ok := strings.Cut(rest, `"`); ok {
						path = append(path, name)
					}
				}
				return fmt.Sprintf("Invalid request body: unknown field %q", strings.Join(path, "."))
			}
			field := strings.Join(path, ".")
			if field == "" {
				return "Invalid request body: " + schemaReason(schemaErr)
			}
			return fmt.Sprintf("Invalid request body: field %q %s", field, schemaReason(schemaErr))
		default:
			return "Invalid request body: " + reasonOf(reqErr)
		}
	}
	return "Invalid request: " + reasonOf(reqErr)
}

func reasonOf(e *openapi3filter.RequestError) string {
	switch {
	case e.Reason != "" && e.Err != nil:
		return e.Reason + ": " + e.Err.Error()
	case e.Reason != "":
		return e.Reason
	case e.Err != nil:
		return e.Err.Error()
	}
	return "invalid"
}

// schemaReason explains a schema error; a `not` rule gets a readable message
// because its generic reason says nothing about the rule.
func schemaReason(e *openapi3.SchemaError) string {
	if e.SchemaField == "not" && e.Schema != nil && e.Schema.Not != nil && e.Schema.Not.Value != nil && e.Schema.Not.Value.Pattern != "" {
		return fmt.Sprintf("must not match %q", e.Schema.Not.Value.Pattern)
	}
	if e.Reason != "" {
		return e.Reason
	}
	return fmt.Sprintf("does not match the %q rule", e.SchemaField)
}

// multipartJSONParts lists the multipart parts whose schema is an object: the
// Supabase CLI sends function-deploy `metadata` as a plain form field holding
// JSON, with no Content-Type, which kin-openapi would read as text.
func multipartJSONParts(op *openapi3.Operation) map[string]bool {
	if op.RequestBody == nil || op.RequestBody.Value == nil {
		return nil
	}
	mt := op.RequestBody.Value.Content.Get("multipart/form-data")
	if mt == nil || mt.Schema == nil || mt.Schema.Value == nil {
		return nil
	}
	parts := make(map[string]bool)
	for name, prop := range mt.Schema.Value.Properties {
		if prop.Value != nil && prop.Value.Type.Is("object") {
			parts[name] = true
		}
	}
	return parts
}

// normalizeMultipart re-encodes a multipart body so that parts listed in
// jsonParts carry Content-Type application/json. It returns the new body and
// Content-Type header.
func normalizeMultipart(body []byte, contentType string, jsonParts map[string]bool) ([]byte, string, error) {
	_, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return nil, "", fmt.Errorf("parsing the multipart Content-Type: %w", err)
	}
	boundary := params["boundary"]
	if boundary == "" {
		return nil, "", errors.New("multipart Content-Type has no boundary")
	}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	var out bytes.Buffer
	mw := multipart.NewWriter(&out)
	if err := mw.SetBoundary(boundary); err != nil {
		return nil, "", fmt.Errorf("reusing the multipart boundary: %w", err)
	}
	for {
		part, err := mr.NextRawPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, "", fmt.Errorf("reading a multipart part: %w", err)
		}
		header := textproto.MIMEHeader{}
		for k, v := range part.Header {
			header[k] = v
		}
		if jsonParts[part.FormName()] && header.Get("Content-Type") == "" {
			header.Set("Content-Type", "application/json")
		}
		pw, err := mw.CreatePart(header)
		if err != nil {
			return nil, "", fmt.Errorf("writing a multipart part: %w", err)
		}
		if _, err := io.Copy(pw, part); err != nil {
			return nil, "", fmt.Errorf("copying multipart part %q: %w", part.FormName(), err)
		}
	}
	if err := mw.Close(); err != nil {
		return nil, "", fmt.Errorf("closing the multipart body: %w", err)
	}
	return out.Bytes(), mw.FormDataContentType(), nil
}
