package slackbot

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"golang.org/x/sync/singleflight"

	"github.com/supaops/supaops/internal/principal"
)

// Defaults for the usergroups cache.
const (
	// DefaultGroupsTTL is how long the user groups are trusted before they
	// are read again.
	DefaultGroupsTTL = 2 * time.Minute
	// DefaultGroupsMaxStale is how long, when reading them fails, the last
	// answer may still be used; after it, commands are refused.
	DefaultGroupsMaxStale = 15 * time.Minute
)

// groupLister reads a workspace's user groups with their members (the
// slack.Client's usergroups.list, needing the usergroups:read scope).
type groupLister interface {
	GetUserGroupsContext(ctx context.Context, options ...slack.GetUserGroupsOption) ([]slack.UserGroup, error)
}

// groups caches which user groups each user is in. Policies name groups
// (slack:usergroup:S0ONCALL) and a rule may deny by them, so an unknown
// membership is an error, never an empty list: the caller refuses.
type groups struct {
	api      groupLister
	ttl      time.Duration
	maxStale time.Duration
	now      func() time.Time
	flight   singleflight.Group

	mu     sync.Mutex
	byUser map[string][]string // user id -> slack:usergroup:<id> identities
	at     time.Time           // when byUser was read; zero: never
}

func newGroups(api groupLister, ttl, maxStale time.Duration, now func() time.Time) *groups {
	if ttl <= 0 {
		ttl = DefaultGroupsTTL
	}
	if maxStale < ttl {
		maxStale = max(ttl, DefaultGroupsMaxStale)
	}
	return &groups{api: api, ttl: ttl, maxStale: maxStale, now: now}
}

// of returns the user group identities of a user.
func (g *groups) of(ctx context.Context, user string) ([]string, error) {
	g.mu.Lock()
	byUser, at := g.byUser, g.at
	g.mu.Unlock()
	age := g.now().Sub(at)
	if !at.IsZero() && age < g.ttl {
		return byUser[user], nil
	}
	_, err, _ := g.flight.Do("groups", func() (any, error) {
		// Not the caller's cancellation: others may be waiting on this read.
		return nil, g.refresh(context.WithoutCancel(ctx))
	})
	g.mu.Lock()
	byUser, at = g.byUser, g.at
	g.mu.Unlock()
	if err != nil {
		if !at.IsZero() && g.now().Sub(at) < g.maxStale {
			return byUser[user], nil // stale within bounds beats refusing everyone
		}
		return nil, fmt.Errorf("reading the Slack user groups: %w", err)
	}
	return byUser[user], nil
}

func (g *groups) refresh(ctx context.Context) error {
	list, err := g.api.GetUserGroupsContext(ctx, slack.GetUserGroupsOptionIncludeUsers(true))
	if err != nil {
		return err
	}
	byUser := map[string][]string{}
	for _, ug := range list {
		id, err := principal.SlackUsergroup(ug.ID)
		if err != nil {
			continue // not an id a policy could name
		}
		for _, u := range ug.Users {
			byUser[u] = append(byUser[u], id)
		}
	}
	g.mu.Lock()
	g.byUser, g.at = byUser, g.now()
	g.mu.Unlock()
	return nil
}

// caller is who sent a command or pressed a button, as the core names them.
type caller struct {
	user       string // Slack user id
	channel    string // Slack channel id
	principal  string // slack:user:<id>
	identities []string
}

// identify turns Slack ids into principals: the user, their groups, and
// the channel they speak in. Authorisation is on ids only, never names.
func (b *Bot) identify(ctx context.Context, team, user, channel string) (caller, error) {
	if !b.teamAllowed(team) {
		return caller{}, fmt.Errorf("this workspace (%s) is not one this supaops serves", team)
	}
	who, err := principal.SlackUser(user)
	if err != nil {
		return caller{}, fmt.Errorf("the Slack user %q: %w", user, err)
	}
	c := caller{user: user, channel: channel, principal: who}
	ids, err := b.groups.of(ctx, user)
	if err != nil {
		return caller{}, err
	}
	c.identities = append(c.identities, ids...)
	if channel != "" {
		ch, err := principal.SlackChannel(channel)
		if err != nil {
			return caller{}, fmt.Errorf("the Slack channel %q: %w", channel, err)
		}
		c.identities = append(c.identities, ch)
	}
	return c, nil
}

func (b *Bot) teamAllowed(team string) bool {
	for _, t := range b.opts.Teams {
		if t == team {
			return true
		}
	}
	return false
}
