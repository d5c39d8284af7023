package redact

import (
	"encoding/json"
	"reflect"
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
