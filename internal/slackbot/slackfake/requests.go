package slackfake

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"
)

// Sign is Slack's v0 signature of body sent at ts, the value of
// X-Slack-Signature.
func Sign(secret string, ts time.Time, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + strconv.FormatInt(ts.Unix(), 10) + ":"))
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// NewSignedRequest is a POST of a form body to target (a full URL for a
// client, or just a path for a handler's ServeHTTP), signed with secret at
// ts and with the headers Slack sends. It panics on a malformed target, as
// httptest.NewRequest does.
func NewSignedRequest(target, secret string, ts time.Time, body []byte) *http.Request {
	r, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		panic("slackfake: " + err.Error())
	}
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)")
	r.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts.Unix(), 10))
	r.Header.Set("X-Slack-Signature", Sign(secret, ts, body))
	return r
}

// NewSlashCommandRequest is cmd posted to target as Slack posts a slash
// command, signed with secret at ts.
func NewSlashCommandRequest(target, secret string, ts time.Time, cmd slack.SlashCommand) *http.Request {
	return NewSignedRequest(target, secret, ts, SlashCommandBody(cmd))
}

// NewBlockActionsRequest is a button press posted to target as Slack posts
// an interaction, signed with secret at ts.
func NewBlockActionsRequest(target, secret string, ts time.Time, b BlockActions) *http.Request {
	return NewSignedRequest(target, secret, ts, BlockActionsBody(b))
}

// slashFields are a slash command's form fields in the order Slack sends
// them.
func slashFields(cmd slack.SlashCommand) [][2]string {
	fields := [][2]string{{"token", cmd.Token}, {"team_id", cmd.TeamID}, {"team_domain", cmd.TeamDomain}}
	if cmd.EnterpriseID != "" {
		fields = append(fields, [2]string{"enterprise_id", cmd.EnterpriseID}, [2]string{"enterprise_name", cmd.EnterpriseName})
	}
	return append(fields,
		[2]string{"channel_id", cmd.ChannelID}, [2]string{"channel_name", cmd.ChannelName},
		[2]string{"user_id", cmd.UserID}, [2]string{"user_name", cmd.UserName},
		[2]string{"command", cmd.Command}, [2]string{"text", cmd.Text},
		[2]string{"api_app_id", cmd.APIAppID},
		[2]string{"is_enterprise_install", strconv.FormatBool(cmd.IsEnterpriseInstall)},
		[2]string{"response_url", cmd.ResponseURL}, [2]string{"trigger_id", cmd.TriggerID},
	)
}

// SlashCommandBody is cmd form-encoded as Slack posts it.
func SlashCommandBody(cmd slack.SlashCommand) []byte {
	var b strings.Builder
	for i, kv := range slashFields(cmd) {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(kv[0]) + "=" + url.QueryEscape(kv[1]))
	}
	return []byte(b.String())
}

// slashPayload is cmd as Slack's Socket Mode payload: the form's fields as
// a JSON object of strings, in the same order.
func slashPayload(cmd slack.SlashCommand) json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, kv := range slashFields(cmd) {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(kv[0])
		v, _ := json.Marshal(kv[1])
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// BlockActions is a press of a button in a message: what Slack sends as a
// block_actions interaction with one action. Its JSON (MarshalJSON) is
// Slack's payload.
type BlockActions struct {
	TeamID, TeamDomain     string
	UserID, UserName       string
	ChannelID, ChannelName string
	APIAppID               string
	Token                  string // the legacy verification token
	TriggerID              string
	ResponseURL            string
	// MessageTS and MessageText are the message the button is in; for an
	// ephemeral message Slack sends no message, only the container.
	MessageTS, MessageText string
	Ephemeral              bool
	// The button.
	ActionID, BlockID, Value string
	ButtonText               string
	ActionTS                 string
}

// MarshalJSON is the block_actions payload, field for field as Slack sends
// it.
func (b BlockActions) MarshalJSON() ([]byte, error) {
	type (
		user struct {
			ID       string `json:"id"`
			Username string `json:"username"`
			Name     string `json:"name"`
			TeamID   string `json:"team_id"`
		}
		container struct {
			Type        string `json:"type"`
			MessageTS   string `json:"message_ts"`
			ChannelID   string `json:"channel_id"`
			IsEphemeral bool   `json:"is_ephemeral"`
		}
		team struct {
			ID     string `json:"id"`
			Domain string `json:"domain"`
		}
		channel struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		}
		message struct {
			Type    string `json:"type"`
			Subtype string `json:"subtype"`
			Text    string `json:"text"`
			TS      string `json:"ts"`
		}
		text struct {
			Type  string `json:"type"`
			Text  string `json:"text"`
			Emoji bool   `json:"emoji"`
		}
		action struct {
			ActionID string `json:"action_id"`
			BlockID  string `json:"block_id"`
			Text     text   `json:"text"`
			Value    string `json:"value"`
			Type     string `json:"type"`
			ActionTS string `json:"action_ts"`
		}
		payload struct {
			Type                string          `json:"type"`
			User                user            `json:"user"`
			APIAppID            string          `json:"api_app_id"`
			Token               string          `json:"token"`
			Container           container       `json:"container"`
			TriggerID           string          `json:"trigger_id"`
			Team                team            `json:"team"`
			Enterprise          *struct{}       `json:"enterprise"`
			IsEnterpriseInstall bool            `json:"is_enterprise_install"`
			Channel             channel         `json:"channel"`
			Message             *message        `json:"message,omitempty"`
			State               json.RawMessage `json:"state"`
			ResponseURL         string          `json:"response_url"`
			Actions             []action        `json:"actions"`
		}
	)
	p := payload{
		Type:        string(slack.InteractionTypeBlockActions),
		User:        user{ID: b.UserID, Username: b.UserName, Name: b.UserName, TeamID: b.TeamID},
		APIAppID:    b.APIAppID,
		Token:       b.Token,
		Container:   container{Type: "message", MessageTS: b.MessageTS, ChannelID: b.ChannelID, IsEphemeral: b.Ephemeral},
		TriggerID:   b.TriggerID,
		Team:        team{ID: b.TeamID, Domain: b.TeamDomain},
		Channel:     channel{ID: b.ChannelID, Name: b.ChannelName},
		State:       json.RawMessage(`{"values":{}}`),
		ResponseURL: b.ResponseURL,
		Actions: []action{{
			ActionID: b.ActionID, BlockID: b.BlockID, Value: b.Value, Type: "button", ActionTS: b.ActionTS,
			Text: text{Type: "plain_text", Text: b.ButtonText, Emoji: true},
		}},
	}
	if !b.Ephemeral {
		p.Message = &message{Type: "message", Subtype: "bot_message", Text: b.MessageText, TS: b.MessageTS}
	}
	return json.Marshal(p)
}

// BlockActionsBody is b form-encoded as Slack posts an interaction:
// payload=<JSON>.
func BlockActionsBody(b BlockActions) []byte {
	js, err := b.MarshalJSON()
	if err != nil {
		panic("slackfake: encoding block_actions: " + err.Error()) // only strings and bools: cannot fail
	}
	return []byte("payload=" + url.QueryEscape(string(js)))
}
