package jobstore

import (
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  string
	}{
		{"90m", 90 * time.Minute, ""},
		{"1h30m", 90 * time.Minute, ""},
		{"7d", 7 * 24 * time.Hour, ""},
		{"1d12h", 36 * time.Hour, ""},
		{"0d", 0, ""},
		{"0", 0, ""},
		{"500ms", 500 * time.Millisecond, ""},
		{"", 0, "empty"},
		{"-1h", 0, "negative"},
		{"1.5d", 0, "days are a whole number"},
		{"d", 0, "days are a whole number"},
		{"+1d", 0, "days are a whole number"},
		{"1d-1h", 0, "not a duration"},
		{"1dd", 0, "not a duration"},
		{"10", 0, "not a duration"},
		{"10 m", 0, "not a duration"},
		{"20000d", 0, "more than 10000 days"},
	}
	for _, tt := range tests {
		got, err := parseDuration(tt.in)
		switch {
		case tt.err == "" && (err != nil || got != tt.want):
			t.Errorf("parseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("parseDuration(%q) error = %v, want %q", tt.in, err, tt.err)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", 90 * time.Second: "1m30s", 26 * time.Hour: "26h", 48 * time.Hour: "2d",
		10 * time.Minute: "10m", 1500 * time.Millisecond: "1s500ms", time.Millisecond: "1ms",
		25*time.Hour + time.Second: "25h1s",
	} {
		got := formatDuration(d)
		if got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
		if back, err := parseDuration(got); err != nil || back != d {
			t.Errorf("parseDuration(%q) = %v, %v; want %v", got, back, err, d)
		}
	}
}

func TestParseTarget(t *testing.T) {
	for in, want := range map[string]Target{
		"log":                         {Kind: TargetLog},
		"slack:C0OPS":                 {Kind: TargetSlack, Value: "C0OPS"},
		"slack:g0123abc":              {Kind: TargetSlack, Value: "G0123ABC"},
		"webhook:https://h.example/x": {Kind: TargetWebhook, Value: "https://h.example/x"},
	} {
		got, err := ParseTarget(in)
		if err != nil || got != want {
			t.Errorf("ParseTarget(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for in, wantErr := range map[string]string{
		"":                            "unknown target",
		"slack:":                      "a Slack channel id",
		"slack:C":                     "a Slack channel id",
		"slack:C0-PS":                 "a Slack channel id",
		"webhook:":                    "want webhook:https://",
		"webhook:ftp://h.example/x":   "want webhook:https://",
		"webhook:https://h.example#x": "#fragment",
		"webhook:https://h.exa mple":  "not a URL",
		"webhook:" + "https://h.example/" + strings.Repeat("x", 2048): "longer than 2048",
		"http://h.example": "write a URL as webhook:",
	} {
		if _, err := ParseTarget(in); err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("ParseTarget(%q) error = %v, want %q", in, err, wantErr)
		}
	}
}

func TestCheckWhere(t *testing.T) {
	for _, ok := range []string{
		"status_code >= 500",
		"event_message like '%;%' and path != '--x'",
		`metadata.path = "a)b" or x in (select y from t where z = 1)`,
		"extract(hour from timestamp) = 3",
		`msg = 'it''s' and b = 'a\'b'`,
		"regexp_contains(event_message, '(?i)timeout')\n and x > 1",
		"`from` = 1",
	} {
		if err := checkWhere(ok); err != nil {
			t.Errorf("checkWhere(%q) = %v", ok, err)
		}
	}
	for in, want := range map[string]string{
		"a = 1; drop table x":     "not statements",
		"a = 1 -- tail":           "comments",
		"a = 1 /* x */":           "comments",
		"a = 1 # x":               "comments",
		"a = 1) or (1 = 1":        "unbalanced )",
		"((a = 1)":                "1 unclosed (",
		"a = 'x":                  "unterminated ' quote",
		"a = 1 union select 1":    "UNION is not allowed",
		"true limit 1":            "LIMIT is not allowed",
		"a = 1\x00":               "control character",
		strings.Repeat("a", 4001): "longer than 4000",
	} {
		if err := checkWhere(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("checkWhere(%q) = %v, want %q", in, err, want)
		}
	}
}
