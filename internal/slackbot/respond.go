package slackbot

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/slack-go/slack"
)

// Slack's limits on answering through a response_url.
const (
	// ResponseURLPosts is how many times one response_url may be used...
	ResponseURLPosts = 5
	// ...within ResponseURLWindow of the command.
	ResponseURLWindow = 30 * time.Minute
)

// webAPI is what the bot uses of Slack's Web API (a *slack.Client).
type webAPI interface {
	groupLister
	PostMessageContext(ctx context.Context, channelID string, options ...slack.MsgOption) (string, string, error)
	PostEphemeralContext(ctx context.Context, channelID, userID string, options ...slack.MsgOption) (string, error)
}

// dest is where an answer goes: the command's response_url while it lasts,
// else the Web API (ephemeral to the user, or in the channel).
type dest struct {
	responseURL string
	channel     string
	user        string
	public      bool
	// replace replaces the message the response_url belongs to (a button's
	// message) instead of adding one.
	replace bool
}

// message is one answer.
type message struct {
	text   string // the notification text, and what clients without blocks show
	blocks []slack.Block
}

// responder posts answers within Slack's limits: at most five posts per
// response_url in 30 minutes, then the Web API.
type responder struct {
	api  webAPI
	http *http.Client
	now  func() time.Time

	mu   sync.Mutex
	used map[string]urlUse // response_url -> its use so far
}

type urlUse struct {
	first time.Time
	posts int
}

func newResponder(api webAPI, client *http.Client, now func() time.Time) *responder {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return &responder{api: api, http: client, now: now, used: map[string]urlUse{}}
}

// take counts one post to url when its budget allows it.
func (r *responder) take(url string) bool {
	if url == "" {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	for u, use := range r.used {
		if now.Sub(use.first) >= ResponseURLWindow {
			delete(r.used, u) // expired for Slack too: forget it
		}
	}
	use, ok := r.used[url]
	switch {
	case !ok:
		use = urlUse{first: now}
	case use.posts >= ResponseURLPosts:
		return false
	}
	use.posts++
	r.used[url] = use
	return true
}

// post sends m to d.
func (r *responder) post(ctx context.Context, d dest, m message) error {
	if r.take(d.responseURL) {
		msg := &slack.WebhookMessage{Text: m.text, ReplaceOriginal: d.replace}
		if len(m.blocks) > 0 {
			msg.Blocks = &slack.Blocks{BlockSet: m.blocks}
		}
		msg.ResponseType = slack.ResponseTypeEphemeral
		if d.public {
			msg.ResponseType = slack.ResponseTypeInChannel
		}
		err := slack.PostWebhookCustomHTTPContext(ctx, d.responseURL, r.http, msg)
		if err == nil {
			return nil
		}
		// An expired or refused response_url: fall through to the Web API.
		if d.channel == "" {
			return fmt.Errorf("answering through response_url: %w", err)
		}
	}
	if d.channel == "" {
		return fmt.Errorf("no way left to answer: the response_url is used up and no channel is known")
	}
	opts := []slack.MsgOption{slack.MsgOptionText(m.text, false)}
	if len(m.blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(m.blocks...))
	}
	if d.public {
		_, _, err := r.api.PostMessageContext(ctx, d.channel, opts...)
		if err != nil {
			return fmt.Errorf("posting to %s: %w", d.channel, err)
		}
		return nil
	}
	if _, err := r.api.PostEphemeralContext(ctx, d.channel, d.user, opts...); err != nil {
		return fmt.Errorf("posting to %s for %s: %w", d.channel, d.user, err)
	}
	return nil
}

// postChannel posts m in a channel and returns the message's timestamp,
// for updates (approval requests, progress of public operations).
func (r *responder) postChannel(ctx context.Context, channel string, m message) (string, error) {
	opts := []slack.MsgOption{slack.MsgOptionText(m.text, false)}
	if len(m.blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(m.blocks...))
	}
	_, ts, err := r.api.PostMessageContext(ctx, channel, opts...)
	if err != nil {
		return "", fmt.Errorf("posting to %s: %w", channel, err)
	}
	return ts, nil
}
