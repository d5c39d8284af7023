package slackbot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	"github.com/supaops/supaops/internal/app"
	"github.com/supaops/supaops/internal/render"
)

// Defaults for Options.
const (
	DefaultCommand      = "/supa"
	DefaultPollInterval = 5 * time.Second
	DefaultPollTimeout  = 30 * time.Minute
	// requestKeyTTL outlives Slack's retries (immediately, 1 min, 5 min).
	requestKeyTTL = 15 * time.Minute
)

// Options configure a Bot.
type Options struct {
	// Command is the slash command's name; "" means DefaultCommand.
	Command string
	// Teams are the workspaces (team ids) served; a command from any other
	// is refused. At least one is required.
	Teams []string
	// ApprovalsChannel is where approval requests go when neither the
	// policy's approvers nor the requester name a channel (a request made
	// over MCP, say). "" posts them nowhere: approvers use /supa approvals.
	ApprovalsChannel string
	// NoPublic lists toolsets whose results are never posted in a channel
	// (--public is refused for them): their results may carry personal data.
	NoPublic []string
	// MaxResultBytes is the budget of a rendered result; 0: render's default.
	MaxResultBytes int
	// GroupsTTL and GroupsMaxStale bound the usergroups cache.
	GroupsTTL, GroupsMaxStale time.Duration
	// PollInterval and PollTimeout bound following a long-running operation.
	PollInterval, PollTimeout time.Duration
	// HTTPClient posts to response_url; nil: a client with a 10 s timeout.
	HTTPClient *http.Client
	Now        func() time.Time
	Logger     zerolog.Logger
}

// Bot is the Slack surface over one stack. It implements Handler.
type Bot struct {
	app     *app.App
	api     webAPI
	opts    Options
	log     zerolog.Logger
	groups  *groups
	respond *responder
	pending pendingStore

	// Work started by commands and presses outlives their acknowledgement;
	// Close waits for it.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

var _ Handler = (*Bot)(nil)

// New returns a Bot answering through api (a *slack.Client with the bot
// token) over the stack a, which must have a store and a pipeline.
func New(a *app.App, api webAPI, opts Options) (*Bot, error) {
	if a == nil || a.Pipeline == nil || a.Store == nil {
		return nil, errors.New("slackbot: the stack needs a pipeline and a store")
	}
	if api == nil {
		return nil, errors.New("slackbot: no Slack Web API client")
	}
	if len(opts.Teams) == 0 {
		return nil, errors.New("slackbot: no workspace to serve: give at least one team id")
	}
	if opts.Command == "" {
		opts.Command = DefaultCommand
	}
	if !strings.HasPrefix(opts.Command, "/") || strings.ContainsAny(opts.Command, " \t") {
		return nil, fmt.Errorf("slackbot: command %q: want a slash command such as /supa", opts.Command)
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = DefaultPollInterval
	}
	if opts.PollTimeout <= 0 {
		opts.PollTimeout = DefaultPollTimeout
	}
	var err error
	if opts.MaxResultBytes, err = render.CheckMaxBytes(opts.MaxResultBytes); err != nil {
		return nil, fmt.Errorf("slackbot: %w", err)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	b := &Bot{
		app: a, api: api, opts: opts, log: opts.Logger,
		groups:  newGroups(api, opts.GroupsTTL, opts.GroupsMaxStale, opts.Now),
		respond: newResponder(api, opts.HTTPClient, opts.Now),
		pending: pendingStore{store: a.Store, now: opts.Now},
	}
	b.ctx, b.cancel = context.WithCancel(context.Background())
	return b, nil
}

// Close stops accepting background work and waits, until ctx ends, for the
// calls in flight; then it cancels them.
func (b *Bot) Close(ctx context.Context) error {
	done := make(chan struct{})
	go func() { b.wg.Wait(); close(done) }()
	select {
	case <-done:
		b.cancel()
		return nil
	case <-ctx.Done():
		b.cancel()
		<-done
		return fmt.Errorf("slackbot: calls still running when the grace period ended: %w", ctx.Err())
	}
}

// background runs fn after the acknowledgement, bounded by the bot's life
// rather than the request's.
func (b *Bot) background(name string, fn func(ctx context.Context)) {
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		defer func() {
			if r := recover(); r != nil {
				b.log.Error().Str("work", name).Interface("panic", r).Msg("slack work panicked")
			}
		}()
		fn(b.ctx)
	}()
}

// ephemeral is a Reply only the caller sees.
func ephemeral(text string, blocks ...slack.Block) Reply {
	return Reply{ResponseType: slack.ResponseTypeEphemeral, Text: text, Blocks: blocks}
}

// requestKey names one command or press for dedupe: Slack's trigger id,
// which a retry or a redelivery carries again.
func requestKey(kind, team, trigger, fallback string) string {
	id := trigger
	if id == "" {
		id = fallback
	}
	return "slack:" + kind + ":" + team + ":" + id
}
