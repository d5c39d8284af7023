package redact

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"
)

func TestValue(t *testing.T) {
	tests := []struct {
		name   string
		fields []string
		in     string
		want   string
	}{
		{"always secret", nil, `{"db_pass":"hunter2","name":"x"}`, `{"db_pass":"[REDACTED]","name":"x"}`},
		{"action field nested in list", []string{"value"}, `[{"name":"A","value":"s3cret"}]`, `[{"name":"A","value":"[REDACTED]"}]`},
		{"action field only for that action", nil, `[{"name":"A","value":"s3cret"}]`, `[{"name":"A","value":"s3cret"}]`},
		{"null and empty stay", []string{"smtp_pass"}, `{"smtp_pass":null,"password":""}`, `{"smtp_pass":null,"password":""}`},
		{"object secret", nil, `{"private_jwk":{"d":"x","kty":"RSA"}}`, `{"private_jwk":"[REDACTED]"}`},
		{"token shape in text", nil, `{"log":"used sbp_0123456789abcdef0123 ok"}`, `{"log":"used [REDACTED] ok"}`},
		{"jwt in text", nil, `["key eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiJ9.c2lnbmF0dXJlMTIz"]`, `["key [REDACTED]"]`},
		{"url password", nil, `{"uri":"postgres://postgres:pw@db.example.com:5432/postgres"}`, `{"uri":"postgres://postgres:[REDACTED]@db.example.com:5432/postgres"}`},
		{"numbers kept", []string{"n"}, `{"n":0,"m":1.5}`, `{"n":"[REDACTED]","m":1.5}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in, want any
			if err := json.Unmarshal([]byte(tt.in), &in); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(tt.want), &want); err != nil {
				t.Fatal(err)
			}
			before, _ := json.Marshal(in)
			got := New(tt.fields).Value(in)
			if !reflect.DeepEqual(got, want) {
				g, _ := json.Marshal(got)
				t.Errorf("got %s, want %s", g, tt.want)
			}
			after, _ := json.Marshal(in)
			if string(before) != string(after) {
				t.Errorf("input was changed: %s", after)
			}
		})
	}
}

func TestZeroRedactorMasksAlwaysSecret(t *testing.T) {
	var r Redactor
	got := r.Value(map[string]any{"jwt_secret": "x", "ok": "y"})
	want := map[string]any{"jwt_secret": Mask, "ok": "y"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v", got)
	}
}

func TestSecret(t *testing.T) {
	if got := Secret("token abc leaked abc", "abc"); got != "token [REDACTED] leaked [REDACTED]" {
		t.Errorf("got %q", got)
	}
	if got := Secret("nothing", ""); got != "nothing" {
		t.Errorf("got %q", got)
	}
}

// Secret field names are matched in every spelling, for the always-secret
// names and for an action's own list alike.
func TestFieldSpellings(t *testing.T) {
	tests := []struct {
		name   string
		fields []string
		field  string
		want   bool
	}{
		{"capitalised", nil, "Password", true},
		{"camel", nil, "serviceRoleKey", true},
		{"screaming snake", nil, "SERVICE_ROLE_KEY", true},
		{"kebab", nil, "service-role-key", true},
		{"header name apikey", nil, "apikey", true},
		{"echoed Authorization header", nil, "Authorization", true},
		{"action list in camel, field in snake", []string{"connectionString"}, "connection_string", true},
		{"action list in snake, field in camel", []string{"connection_string"}, "connectionString", true},
		{"action list, field capitalised", []string{"value"}, "Value", true},
		{"not secret", nil, "name", false},
		{"prefix is not enough", nil, "password_min_length", false},
		{"action field not in another action", nil, "value", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New(tt.fields)
			if got := r.IsSecretField(tt.field); got != tt.want {
				t.Errorf("IsSecretField(%q) = %v, want %v", tt.field, got, tt.want)
			}
			got, _ := r.Value(map[string]any{tt.field: "some-value"}).(map[string]any)
			if masked := got[tt.field] == Mask; masked != tt.want {
				t.Errorf("Value masked %q: %v, want %v", tt.field, masked, tt.want)
			}
			if tt.fields == nil {
				var zero Redactor
				if got := zero.IsSecretField(tt.field); got != tt.want {
					t.Errorf("zero Redactor: IsSecretField(%q) = %v, want %v", tt.field, got, tt.want)
				}
			}
		})
	}
}

func TestFieldKey(t *testing.T) {
	for _, in := range []string{"service_role_key", "serviceRoleKey", "SERVICE_ROLE_KEY", "service-role-key", "Service Role.Key"} {
		if got := FieldKey(in); got != "servicerolekey" {
			t.Errorf("FieldKey(%q) = %q", in, got)
		}
	}
}

// Credential shapes are caught in free text; public values are kept.
func TestTextShapes(t *testing.T) {
	const hex40 = "0123456789abcdef0123456789abcdef01234567"
	tests := []struct {
		name, in, want string
	}{
		{"personal access token", "token sbp_" + hex40 + " used", "token [REDACTED] used"},
		{"oauth access token", "got sbp_oauth_" + hex40, "got [REDACTED]"},
		{"v0 personal token", "got sbp_v0_" + hex40 + ".", "got [REDACTED]."},
		{"token after an encoded space", "Bearer%20sbp_v0_" + hex40, "Bearer%20[REDACTED]"},
		{"secret key", "key sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz!", "key [REDACTED]!"},
		{"publishable key is public", "key sb_publishable_ZpVn2kXJ0hDt8Jq", "key sb_publishable_ZpVn2kXJ0hDt8Jq"},
		{"jwt", "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiJ9.c2lnbmF0dXJlMTIz", "[REDACTED]"},
		{"webhook secret", "v1,whsec_c2FuZGJveC1ob29rLXNlY3JldA==", "v1,[REDACTED]"},
		{"url password", "postgres://postgres:pw@db.example.com:5432/postgres", "postgres://postgres:[REDACTED]@db.example.com:5432/postgres"},
		{"url password with a raw @", "postgres://postgres:p@ss@db.example.com/postgres", "postgres://postgres:[REDACTED]@db.example.com/postgres"},
		{"url password without a user", "redis://:hunter22@cache.example:6379", "redis://:[REDACTED]@cache.example:6379"},
		{"url without a password", "https://api.supabase.com/v1/projects", "https://api.supabase.com/v1/projects"},
		{"keyword password", "host=db user=postgres password=hunter22 dbname=x", "host=db user=postgres password=[REDACTED] dbname=x"},
		{"environment password", "DB_PASSWORD=hunter22", "DB_PASSWORD=[REDACTED]"},
		{"bearer header", "Authorization: Bearer abc.def-123", "Authorization: Bearer [REDACTED]"},
		{"basic header", "Authorization: Basic dXNlcjpwYXNz", "Authorization: Basic [REDACTED]"},
		{"bearer in prose", "expected a Bearer token", "expected a Bearer token"},
		{"input error wording", "password: must be at least 8 characters long", "password: must be at least 8 characters long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Text(tt.in); got != tt.want {
				t.Errorf("Text(%q) =\n %q, want\n %q", tt.in, got, tt.want)
			}
		})
	}
}

// Known secret values are masked wherever they appear, in the forms an API
// echoes them; values too short to be told apart from ordinary text are not.
func TestWithValues(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		in     string
		want   string
	}{
		{"echoed in an error", []string{"hunter2-Secret"}, `password "hunter2-Secret" is too weak`, `password "[REDACTED]" is too weak`},
		{"every occurrence", []string{"s3cr3t-value"}, "s3cr3t-value and s3cr3t-value", "[REDACTED] and [REDACTED]"},
		{"json-escaped form", []string{`pa"ss\word`}, `{"message":"bad pa\"ss\\word"}`, `{"message":"bad [REDACTED]"}`},
		{"json html-escaped form", []string{`a<b>&c-secret`}, `{"message":"bad a\u003cb\u003e\u0026c-secret"}`, `{"message":"bad [REDACTED]"}`},
		{"url-encoded form", []string{"p@ss word/1"}, "GET /x?password=p%40ss+word%2F1 failed", "GET /x?password=[REDACTED] failed"},
		{"path-escaped form", []string{"a b/c?d"}, "/v1/x/a%20b%2Fc%3Fd/y", "/v1/x/[REDACTED]/y"},
		{"longest first", []string{"abcdef", "abcdefghij"}, "abcdefghij", "[REDACTED]"},
		{"too short is ignored", []string{"12345", "on"}, "port 12345 is on", "port 12345 is on"},
		{"minimum length is masked", []string{"123456"}, "pin 123456", "pin [REDACTED]"},
		{"empty is ignored", []string{""}, "text", "text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New(nil).WithValues(tt.values...)
			if got := r.Text(tt.in); got != tt.want {
				t.Errorf("Text(%q) =\n %q, want\n %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestWithValuesInValues(t *testing.T) {
	base := New([]string{"value"})
	r := base.WithValues("my-db-password").WithValues("sbp-like-token-xyz")
	in := map[string]any{
		"message": "could not set my-db-password",
		"items":   []any{"sbp-like-token-xyz", map[string]any{"value": "x", "note": "ok"}},
	}
	got := r.Value(in)
	want := map[string]any{
		"message": "could not set [REDACTED]",
		"items":   []any{"[REDACTED]", map[string]any{"value": Mask, "note": "ok"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	// WithValues returns a copy: the redactor it started from is unchanged.
	if s := base.Text("my-db-password"); s != "my-db-password" {
		t.Errorf("base redactor changed: %q", s)
	}
}

// The secret arguments of a call are found at any depth, by field name in
// any spelling; everything else is left out.
func TestSecretValues(t *testing.T) {
	var args map[string]any
	raw := `{
		"ref": "abcdefghijklmnopqrst",
		"Password": "top-level-pw",
		"body": [{"name": "STRIPE_KEY", "value": "sk_live_123456"}, {"name": "N", "value": 42}],
		"private_jwk": {"kty": "RSA", "d": "private-exponent-d"},
		"nested": {"deeper": {"clientSecret": "client-secret-1"}},
		"name": "not-a-secret"
	}`
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&args); err != nil {
		t.Fatal(err)
	}
	got := New([]string{"value"}).SecretValues(args)
	sort.Strings(got)
	want := []string{"42", "RSA", "client-secret-1", "private-exponent-d", "sk_live_123456", "top-level-pw"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("SecretValues = %q, want %q", got, want)
	}
	r := New([]string{"value"}).WithSecretsOf(args)
	text := "echo: top-level-pw sk_live_123456 private-exponent-d client-secret-1 not-a-secret RSA 42"
	if got, want := r.Text(text), "echo: [REDACTED] [REDACTED] [REDACTED] [REDACTED] not-a-secret RSA 42"; got != want {
		t.Errorf("WithSecretsOf Text =\n %q, want\n %q", got, want)
	}
}
