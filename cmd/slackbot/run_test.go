package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/supaops/supaops/internal/slackbot/slackfake"
)

func TestStartRefusesWhatWouldFailLater(t *testing.T) {
	fake := slackfake.New(t)
	fake.RefuseToken("xoxb-refused")
	base := map[string]string{"SUPAOPS_STORE": t.TempDir() + "/s.db"}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"no bot token", map[string]string{}, []string{"--sandbox"}, "SLACK_BOT_TOKEN is not set"},
		{"a user token as the bot token", map[string]string{"SLACK_BOT_TOKEN": "xoxp-1", "SLACK_APP_TOKEN": "xapp-1"}, []string{"--sandbox"}, "xoxb-"},
		{"a bot token as the app token", map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-2"}, []string{"--sandbox"}, "SLACK_APP_TOKEN does not start with xapp-"},
		{"no way to receive commands", map[string]string{"SLACK_BOT_TOKEN": "xoxb-1"}, []string{"--sandbox"}, "neither SLACK_APP_TOKEN"},
		{"http without a signing secret", map[string]string{"SLACK_BOT_TOKEN": "xoxb-1"}, []string{"--sandbox", "--http", "127.0.0.1:0"}, "SLACK_SIGNING_SECRET"},
		{"a Slack URL that is not one", map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}, []string{"--sandbox", "--slack-api-url", "ftp://x"}, "--slack-api-url"},
		{"a refused bot token", map[string]string{"SLACK_BOT_TOKEN": "xoxb-refused", "SLACK_APP_TOKEN": "xapp-1"}, []string{"--sandbox", "--slack-api-url", strings.TrimSuffix(fake.APIURL(), "/")}, "auth.test"},
		{"sandbox and api url", map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}, []string{"--sandbox", "--api-url", "http://x"}, "exclude"},
		{"an unknown flag", map[string]string{}, []string{"--bogus"}, "bogus"},
		{"a bad rate limit", map[string]string{}, []string{"--sandbox", "--rate-limit", "0"}, "-rate-limit: want a whole number of requests per minute from 1 to 1000000"},
		{"a bad rate limit for the jobs alone", map[string]string{}, []string{"--jobs-only", "--sandbox", "--rate-limit", "x"}, "-rate-limit: want a whole number"},
		{"a bad SUPAOPS_RATE_LIMIT", map[string]string{"SUPAOPS_RATE_LIMIT": "1e3", "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}, []string{"--sandbox"}, `SUPAOPS_RATE_LIMIT="1e3": want a whole number`},
		{"a bad SUPAOPS_RATE_LIMIT for the jobs alone", map[string]string{"SUPAOPS_RATE_LIMIT": "0"}, []string{"--jobs-only", "--sandbox"}, `SUPAOPS_RATE_LIMIT="0"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range base {
				env[k] = v
			}
			for k, v := range tt.env {
				env[k] = v
			}
			var out, errOut bytes.Buffer
			err := run(context.Background(), tt.args, func(k string) string { return env[k] }, &out, &errOut)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
			for _, secret := range []string{"xoxb-refused", "xapp-1", "xoxp-1"} {
				if strings.Contains(err.Error()+errOut.String(), secret) {
					t.Errorf("a token in the output: %v %s", err, errOut.String())
				}
			}
		})
	}
}

func TestVersion(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"version"}, func(string) string { return "" }, &out, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "supaops-slackbot ") {
		t.Errorf("%q", out.String())
	}
	var usage *usageError
	if err := run(context.Background(), []string{"extra"}, func(string) string { return "" }, &out, &out); !errors.As(err, &usage) {
		t.Errorf("an argument: %v", err)
	}
}
