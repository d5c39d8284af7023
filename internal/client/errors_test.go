package client

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rs/zerolog"

	"github.com/supaops/supaops/internal/redact"
)

func TestAPIMessage(t *testing.T) {
	tests := []struct {
		name        string
		body        string
		contentType string
		want        string
	}{
		{"message", `{"message":"Project not found"}`, "application/json", "Project not found"},
		{"message list (validation)", `{"message":["name must be a string","region is required"],"error":"Bad Request"}`, "application/json", "name must be a string; region is required"},
		{"error string", `{"error":"invalid token"}`, "application/json", "invalid token"},
		{"error object", `{"error":{"message":"nested","code":42}}`, "application/json", "nested"},
		{"msg", `{"msg":"short"}`, "application/json", "short"},
		{"message wins over error", `{"error":"Bad Request","message":"ref is invalid"}`, "application/json", "ref is invalid"},
		{"blank message falls through", `{"message":"  ","error":"fallback"}`, "application/json", "fallback"},
		{"JSON without a message", `{"code":500}`, "application/json", ""},
		{"text", "  upstream connect error\n or disconnect \n", "text/plain", "upstream connect error or disconnect"},
		{"invalid JSON is text", `{"message": oops`, "application/json", `{"message": oops`},
		{"HTML error page", "<html><body>502 Bad Gateway</body></html>", "text/html", ""},
		{"empty", "", "", ""},
		{"long text is cut", strings.Repeat("a", 600), "text/plain", strings.Repeat("a", maxMessageRunes) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := apiMessage([]byte(tt.body), tt.contentType, nil); got != tt.want {
				t.Errorf("apiMessage = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRequestIDPrecedence(t *testing.T) {
	tests := []struct {
		header http.Header
		want   string
	}{
		{http.Header{"X-Request-Id": {"x"}, "Sb-Request-Id": {"sb"}, "Cf-Ray": {"ray"}}, "x"},
		{http.Header{"Sb-Request-Id": {"sb"}, "Cf-Ray": {"ray"}}, "sb"},
		{http.Header{"Cf-Ray": {"ray"}}, "ray"},
		{http.Header{}, ""},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := requestID(tt.header); got != tt.want {
			t.Errorf("requestID(%v) = %q, want %q", tt.header, got, tt.want)
		}
	}
}

func TestAPIErrorText(t *testing.T) {
	retryAt := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	tests := []struct {
		name string
		err  APIError
		want string
	}{
		{"message and id", APIError{Status: 404, Message: "Project not found", RequestID: "abc", Method: "GET", Path: "/v1/projects/x", Attempts: 1},
			"GET /v1/projects/x: 404 Not Found: Project not found (request id abc)"},
		{"no message", APIError{Status: 502, Method: "GET", Path: "/v1/projects", Attempts: 4},
			"GET /v1/projects: 502 Bad Gateway (after 4 attempts)"},
		{"message equal to status text", APIError{Status: 400, Message: "Bad Request", Method: "POST", Path: "/v1/projects"},
			"POST /v1/projects: 400 Bad Request"},
		{"rate limited", APIError{Status: 429, Message: "slow down", Method: "GET", Path: "/v1/projects", RetryAt: retryAt, RequestID: "r"},
			"GET /v1/projects: 429 Too Many Requests: slow down; retry after 2026-03-04T05:06:07Z (request id r)"},
		{"scope and permissions", APIError{Status: 403, Message: "missing permission", Method: "GET", Path: "/v1/projects/x/api-keys", Scope: "secrets:read", Permissions: []string{"api_keys_read"}},
			"GET /v1/projects/x/api-keys: 403 Forbidden: missing permission; the token needs OAuth scope secrets:read and permission api_keys_read"},
		{"alternative permissions", APIError{Status: 403, Method: "GET", Path: "/p", Permissions: []string{"a and b", "c"}},
			"GET /p: 403 Forbidden; the token needs one of the permissions a and b or c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() =\n %q, want\n %q", got, tt.want)
			}
		})
	}
}

// (7) APIError fields come from the response.
func TestAPIErrorFields(t *testing.T) {
	srv := &server{respond: func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Sb-Request-Id", "sb-123")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"message":"Project not found"}`))
	}}
	c, _ := newTestCaller(t, srv, nil)
	_, err := c.Do(newReq(t, t.Context(), c, "GET", "/v1/projects/nope?x=secret", ""))
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("err = %v, want *APIError", err)
	}
	want := APIError{Status: 404, Message: "Project not found", RequestID: "sb-123", Method: "GET", Path: "/v1/projects/nope", Attempts: 1}
	got := *apiErr
	got.Body = nil
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("APIError = %+v, want %+v", got, want)
	}
	if string(apiErr.Body) != `{"message":"Project not found"}` {
		t.Errorf("Body = %q", apiErr.Body)
	}
}

// (7) The token never appears in errors, even if the server or the transport
// echo it; nor does the query string.
func TestTokenNeverInErrors(t *testing.T) {
	echo := func(w http.ResponseWriter, r *http.Request, n int) {
		w.WriteHeader(http.StatusUnauthorized)
		json.NewEncoder(w).Encode(map[string]string{"message": "bad credentials: " + r.Header.Get("Authorization")})
	}
	c, _ := newTestCaller(t, &server{respond: echo}, nil)
	_, err := c.Do(newReq(t, t.Context(), c, "GET", "/v1/projects", ""))
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("err = %v, want *APIError", err)
	}
	if strings.Contains(err.Error(), testToken) || bytes.Contains(apiErr.Body, []byte(testToken)) || strings.Contains(apiErr.Message, testToken) {
		t.Errorf("the token leaked: %v / %s", err, apiErr.Body)
	}
	if !strings.Contains(err.Error(), redacted) {
		t.Errorf("error %q should show where the token was removed", err)
	}

	// A transport whose error repeats the request.
	leaky := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return nil, fmt.Errorf("proxy said no to %s with %s", r.URL, r.Header.Get("Authorization"))
	})
	c2, _ := newTestCaller(t, &server{}, func(cfg *Config) { cfg.Transport = leaky })
	_, err = c2.Do(newReq(t, t.Context(), c2, "POST", "/v1/projects/abc/database/query?sql=select+secret", `{}`))
	if err == nil || strings.Contains(err.Error(), testToken) || strings.Contains(err.Error(), "select+secret") {
		t.Errorf("err = %v, want an error without the token or query", err)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// (8) One structured debug line per attempt, without the token or the query.
func TestAttemptLogs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var buf bytes.Buffer
		srv := &server{respond: func(w http.ResponseWriter, r *http.Request, n int) {
			if n == 1 {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			okJSON(w, r, n)
		}}
		c, _ := newTestCaller(t, srv, func(cfg *Config) {
			cfg.Logger = zerolog.New(&buf).Level(zerolog.DebugLevel)
		})
		path := "/v1/projects/abc/analytics/endpoints/logs.all?sql=select+password+from+users"
		if _, err := c.Do(newReq(t, t.Context(), c, "GET", path, "")); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		for _, leak := range []string{testToken, "password", "sql="} {
			if strings.Contains(out, leak) {
				t.Errorf("logs contain %q:\n%s", leak, out)
			}
		}
		var lines []map[string]any
		for line := range strings.Lines(out) {
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatalf("log line %q is not JSON: %v", line, err)
			}
			lines = append(lines, m)
		}
		if len(lines) != 2 {
			t.Fatalf("%d log lines, want one per attempt (2):\n%s", len(lines), out)
		}
		for i, m := range lines {
			if m["level"] != "debug" || m["method"] != "GET" || m["path"] != "GET /v1/projects/{ref}/analytics/endpoints/logs.all" ||
				m["attempt"] != float64(i+1) || m["waited"] == nil {
				t.Errorf("line %d = %v, want level, method, path template, attempt, waited", i, m)
			}
		}
		if lines[0]["status"] != float64(503) || lines[1]["status"] != float64(200) || lines[1]["request_id"] != "req-ok" {
			t.Errorf("statuses/request id wrong: %v", lines)
		}
	})
}

// The zero Logger logs nothing and costs nothing.
func TestZeroLoggerIsDisabled(t *testing.T) {
	c, _ := newTestCaller(t, &server{}, nil)
	if c.log.Debug() != nil {
		t.Error("the zero Logger is enabled")
	}
}

// No field of an APIError holds the configured token, or a part of it: not
// the path, the request id, nor a message or body cut right through it.
func TestTokenNeverInAPIErrorFields(t *testing.T) {
	tests := []struct {
		name    string
		path    string
		respond func(w http.ResponseWriter, r *http.Request, n int)
	}{
		{"token in the path", "/v1/projects/abc/functions/" + testToken, func(w http.ResponseWriter, r *http.Request, n int) {
			w.WriteHeader(http.StatusNotFound)
		}},
		{"token as the request id", "/v1/projects", func(w http.ResponseWriter, r *http.Request, n int) {
			w.Header().Set("X-Request-Id", strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
			w.WriteHeader(http.StatusBadRequest)
		}},
		{"token across the body cut", "/v1/projects", func(w http.ResponseWriter, r *http.Request, n int) {
			w.Header().Set("Content-Type", "application/octet-stream")
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, strings.Repeat("x", maxErrorBodyBytes-20)+r.Header.Get("Authorization"))
		}},
		{"token across the message cut", "/v1/projects", func(w http.ResponseWriter, r *http.Request, n int) {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, strings.Repeat("a", maxMessageRunes-30)+" "+r.Header.Get("Authorization"))
		}},
	}
	part := testToken[:12] // enough of it to matter
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newTestCaller(t, &server{respond: tt.respond}, nil)
			_, err := c.Do(newReq(t, t.Context(), c, "GET", tt.path, ""))
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("err is %T, want *APIError", err)
			}
			for field, text := range map[string]string{
				"Error()": err.Error(), "Message": apiErr.Message, "Path": apiErr.Path,
				"RequestID": apiErr.RequestID, "Body": string(apiErr.Body),
			} {
				if strings.Contains(text, part) {
					t.Errorf("%s holds part of the token", field)
				}
			}
		})
	}
}

// The API echoing a secret argument back in its error: a redactor given with
// WithRedactor, or applied with Redact, masks it in every field.
func TestAPIErrorRedactsCallersSecrets(t *testing.T) {
	const password = "hunter2-Secret" // the secret argument the caller sent
	echo := func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "req-1")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"message":"password \"hunter2-Secret\" is too weak","password":"hunter2-Secret","hint":"pwd=hunter2-Secret"}`)
	}
	r := redact.New(nil).WithValues(password)
	check := func(t *testing.T, err error) {
		t.Helper()
		var apiErr *APIError
		if !errors.As(err, &apiErr) {
			t.Fatalf("err is %T, want *APIError", err)
		}
		if strings.Contains(err.Error(), password) || bytes.Contains(apiErr.Body, []byte(password)) || strings.Contains(apiErr.Message, password) {
			t.Error("the password is still in the error")
		}
		if !strings.Contains(apiErr.Message, "is too weak") || !json.Valid(apiErr.Body) {
			t.Errorf("the rest of the error was lost: message %q, body valid JSON: %v", apiErr.Message, json.Valid(apiErr.Body))
		}
	}
	t.Run("WithRedactor", func(t *testing.T) {
		c, _ := newTestCaller(t, &server{respond: echo}, nil)
		_, err := c.Do(newReq(t, WithRedactor(t.Context(), r), c, "PATCH", "/v1/projects/abc/database/password", `{}`))
		check(t, err)
	})
	t.Run("Redact", func(t *testing.T) {
		c, _ := newTestCaller(t, &server{respond: echo}, nil)
		_, err := c.Do(newReq(t, t.Context(), c, "PATCH", "/v1/projects/abc/database/password", `{}`))
		var apiErr *APIError
		if !errors.As(err, &apiErr) || !strings.Contains(apiErr.Message, password) {
			t.Fatalf("without a redactor the message should be the API's as is (the test relies on it)")
		}
		apiErr.Redact(r)
		check(t, err)
	})
	t.Run("collapsed GETs each use their own redactor", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			slowEcho := func(w http.ResponseWriter, req *http.Request, n int) {
				time.Sleep(time.Second)
				echo(w, req, n)
			}
			srv := &server{respond: slowEcho}
			c, _ := newTestCaller(t, srv, nil)
			errs := make([]error, 2)
			var wg sync.WaitGroup
			for i := range errs {
				wg.Go(func() {
					ctx := t.Context()
					if i == 1 {
						ctx = WithRedactor(ctx, r)
					}
					_, errs[i] = c.Do(newReq(t, ctx, c, "GET", "/v1/projects/abc", ""))
				})
			}
			wg.Wait()
			if srv.count() != 1 {
				t.Fatalf("%d requests reached the server, want 1 (collapsed)", srv.count())
			}
			if !strings.Contains(errs[0].Error(), password) {
				t.Error("the caller without a redactor got a redacted error: callers share one error")
			}
			check(t, errs[1])
		})
	})
}

// A transport error that repeats a secret: RequestError is masked too.
func TestRequestErrorRedactsCallersSecrets(t *testing.T) {
	leaky := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return nil, errors.New("proxy refused body with password hunter2-Secret")
	})
	c, _ := newTestCaller(t, &server{}, func(cfg *Config) { cfg.Transport = leaky })
	ctx := WithRedactor(t.Context(), redact.New(nil).WithValues("hunter2-Secret"))
	_, err := c.Do(newReq(t, ctx, c, "POST", "/v1/projects/abc/database/query", `{}`))
	var reqErr *RequestError
	if !errors.As(err, &reqErr) {
		t.Fatalf("err is %T, want *RequestError", err)
	}
	if strings.Contains(err.Error(), "hunter2-Secret") || !strings.Contains(err.Error(), redacted) {
		t.Errorf("the secret is not masked in %T", err)
	}
}
