package slackbot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/supaops/supaops/internal/audit"
	"github.com/supaops/supaops/internal/bindings"
	"github.com/supaops/supaops/internal/consent"
	"github.com/supaops/supaops/internal/outcome"
	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/principal"
	"github.com/supaops/supaops/internal/scope"
	"github.com/supaops/supaops/internal/search"
	"github.com/supaops/supaops/internal/textargs"
	"github.com/supaops/supaops/internal/tools"
)

// Command implements Handler: what needs only the registry (help, search,
// describe) is answered in the acknowledgement; the rest is acknowledged
// at once and answered through the response_url when it is done.
func (b *Bot) Command(ctx context.Context, cmd slack.SlashCommand) Reply {
	if cmd.Command != "" && cmd.Command != b.opts.Command {
		return ephemeral(fmt.Sprintf("This app answers %s, not %s.", b.opts.Command, cmd.Command))
	}
	if !b.teamAllowed(cmd.TeamID) {
		return ephemeral("This workspace is not one this supaops serves; nothing was done.")
	}
	c, err := parseCommand(cmd.Text)
	if err != nil {
		return ephemeral(fmt.Sprintf("I could not read that: %v. Try `%s help`.", err, b.opts.Command))
	}
	switch c.verb {
	case "", VerbHelp:
		topic := ""
		if len(c.words) > 0 {
			topic = strings.ToLower(c.words[0])
		}
		blocks, err := HelpBlocks(b.opts.Command, topic)
		if err != nil {
			return ephemeral(err.Error())
		}
		return ephemeral("supaops help", blocks...)
	case VerbSearch:
		return b.search(strings.Join(c.words, " "))
	case VerbDescribe:
		return b.describe(ctx, cmd, c)
	}
	// The request key is taken after the acknowledgement: a durable write
	// (about a millisecond, one at a time) must not hold Slack's 3 seconds.
	b.background("command "+c.verb, func(ctx context.Context) {
		taken, err := b.app.Once.Take(ctx, requestKey("command", cmd.TeamID, cmd.TriggerID, cmd.ResponseURL), requestKeyTTL)
		switch {
		case err != nil:
			// Fail closed: not knowing whether it ran is a reason not to run it.
			b.say(ctx, dest{responseURL: cmd.ResponseURL, channel: cmd.ChannelID, user: cmd.UserID},
				"supaops could not record this command, so it did not run it. Try again in a moment.")
		case taken:
			b.execute(ctx, cmd, c)
		}
		// Not taken: a retry or a redelivery of a command already running.
	})
	return ephemeral(fmt.Sprintf("Working on `%s`…", c.verb))
}

func (b *Bot) search(query string) Reply {
	if strings.TrimSpace(query) == "" {
		return ephemeral(fmt.Sprintf("Search for what? For example `%s search pause project`.", b.opts.Command))
	}
	found, err := search.Find(b.app.Registry.Actions(), search.Filter{Query: query}, nil)
	if err != nil {
		return ephemeral(err.Error())
	}
	return ephemeral("search results", SearchBlocks(b.opts.Command, query, found)...)
}

// describe shows an action; in a channel bound to a project, the project
// argument is filled in, as it will be when called.
func (b *Bot) describe(ctx context.Context, cmd slack.SlashCommand, c command) Reply {
	if len(c.words) != 1 {
		return ephemeral(fmt.Sprintf("Describe which action? For example `%s describe project_pause`.", b.opts.Command))
	}
	a, err := b.app.Registry.Lookup(c.words[0])
	if err != nil {
		o := outcome.Of(nil, err)
		return ephemeral(err.Error(), OutcomeBlocks(o, nil, b.opts.Command)...)
	}
	sc := b.scopeOf(ctx, cmd.ChannelID)
	known := map[string]any{}
	if sc.Injects(a) {
		known[a.Target.Project] = sc.Project
	}
	return ephemeral("about "+a.Name, DescribeBlocks(b.opts.Command, a, sc.Injects(a), a.Example(known))...)
}

// scopeOf is the scope bound to a channel; an unreadable binding is read as
// the narrowest scope that still answers: read-only, so a store that cannot
// answer never widens what a channel may do.
func (b *Bot) scopeOf(ctx context.Context, channel string) scope.Scope {
	place, err := principal.SlackChannel(channel)
	if err != nil {
		return scope.Scope{}
	}
	bound, found, err := b.app.Bindings.Get(ctx, place)
	switch {
	case err != nil:
		b.log.Error().Err(err).Str("channel", channel).Msg("reading the channel's binding failed")
		return scope.Scope{ReadOnly: true}
	case !found:
		return scope.Scope{}
	}
	return bound.Scope
}

// execute does the work of a command after its acknowledgement.
func (b *Bot) execute(ctx context.Context, cmd slack.SlashCommand, c command) {
	d := dest{responseURL: cmd.ResponseURL, channel: cmd.ChannelID, user: cmd.UserID}
	who, err := b.identify(ctx, cmd.TeamID, cmd.UserID, cmd.ChannelID)
	if err != nil {
		b.say(ctx, d, fmt.Sprintf("Refused: %v. Nothing was done.", err))
		return
	}
	switch c.verb {
	case VerbApprovals:
		b.listApprovals(ctx, d, c)
	case VerbApprove, VerbDeny:
		b.voteCommand(ctx, d, who, c)
	case VerbAudit:
		b.auditCommand(ctx, d, c)
	case VerbBind, VerbUnbind:
		b.bindCommand(ctx, d, who, c)
	case VerbWhoami:
		b.whoami(ctx, d, who)
	case VerbJobs:
		b.jobsCommand(ctx, d, who, cmd, c)
	case VerbProjects:
		b.callAction(ctx, d, who, cmd, c, "projects_list", c.words)
	case VerbAdvisors:
		if len(c.words) > 1 {
			b.say(ctx, d, fmt.Sprintf("`%s advisors` takes one project ref (or none in a channel bound to a project).", b.opts.Command))
			return
		}
		args := refArg(c.words)
		b.callAction(ctx, d, who, cmd, c, "advisors_security_list", args)
		b.callAction(ctx, d, who, cmd, c, "advisors_performance_list", args)
	case VerbLogs:
		b.logs(ctx, d, who, cmd, c)
	default:
		b.callAction(ctx, d, who, cmd, c, c.verb, c.words)
	}
}

// refArg turns an optional bare ref into its key=value form.
func refArg(words []string) []string {
	if len(words) == 1 && !strings.Contains(words[0], "=") {
		return []string{"ref=" + words[0]}
	}
	return words
}

// logs is /supa logs [ref] <sql>: the ref is optional in a bound channel.
func (b *Bot) logs(ctx context.Context, d dest, who caller, cmd slack.SlashCommand, c command) {
	words := c.words
	var pairs []string
	if len(words) > 1 && !strings.Contains(words[0], "=") && !strings.Contains(words[0], " ") {
		pairs, words = append(pairs, "ref="+words[0]), words[1:]
	}
	if len(words) > 0 && !strings.HasPrefix(words[0], "sql=") {
		pairs = append(pairs, "sql="+strings.Join(words, " "))
	} else {
		pairs = append(pairs, words...)
	}
	b.callAction(ctx, d, who, cmd, c, "logs_query", pairs)
}

// callAction runs one registry action through the pipeline and answers.
func (b *Bot) callAction(ctx context.Context, d dest, who caller, cmd slack.SlashCommand, c command, name string, pairs []string) {
	if bad := c.unknownFlags("public", "file"); len(bad) > 0 {
		b.say(ctx, d, fmt.Sprintf("Unknown option %s: actions take --public (post in the channel) and --file (with --public: the whole result as a file).", strings.Join(bad, ", ")))
		return
	}
	a, err := b.app.Registry.Lookup(name)
	if err != nil {
		b.sayOutcome(ctx, d, outcome.Of(nil, err), nil)
		return
	}
	d.public = c.flag("public")
	if d.public && slices.Contains(b.opts.NoPublic, a.Toolset) {
		b.say(ctx, d, fmt.Sprintf("Results of the %s toolset are not posted in channels here (they may carry personal data); call it without --public.", a.Toolset))
		return
	}
	if c.flag("file") && !d.public {
		b.say(ctx, d, "--file shares the whole result as a file in the channel, so it needs --public too.")
		return
	}
	args, err := textargs.Parse(a, pairs, "")
	if err != nil {
		b.sayOutcome(ctx, d, outcome.Of(nil, err).Describe(a), a)
		return
	}
	b.run(ctx, d, requestFor(who, a.Name, args, b.scopeOf(ctx, cmd.ChannelID)), a, c.flag("file"))
}

// requestFor is a call by who from Slack, in a channel's scope.
func requestFor(who caller, action string, args map[string]any, sc scope.Scope) pipeline.Request {
	return pipeline.Request{
		Action: action, Args: args, Principal: who.principal, Identities: who.identities,
		Surface: principal.SurfaceSlack, Scope: sc,
	}
}

// run calls the pipeline and answers with the outcome: the result, a
// confirmation to press, an approval to wait for, or what went wrong.
func (b *Bot) run(ctx context.Context, d dest, req pipeline.Request, a *tools.Action, file bool) {
	res, err := b.app.Pipeline.Call(ctx, req)
	o := outcome.Of(res, err).Describe(a)
	switch o.Kind {
	case outcome.OK:
		b.answerResult(ctx, d, res, file)
		if res.Poll != nil && a.Poll != nil && a.Poll.Field != "" {
			b.follow(ctx, d, res)
		}
	case outcome.NeedsConfirmation, outcome.NeedsApproval:
		b.hold(ctx, d, req, o)
	default:
		b.sayOutcome(ctx, d, o, a)
	}
}

// hold keeps a call that waits for a person and asks them.
func (b *Bot) hold(ctx context.Context, d dest, req pipeline.Request, o outcome.Outcome) {
	ch := o.Challenge
	pc := &pendingCall{
		Request: req, Token: ch.Token, ApprovalID: ch.ApprovalID, User: d.user, Channel: d.channel,
		ResponseURL: d.responseURL, Public: d.public, Expires: ch.ExpiresAt,
	}
	if pc.Expires.IsZero() {
		pc.Expires = b.opts.Now().Add(10 * time.Minute)
	}
	if err := b.pending.save(ctx, pc); err != nil {
		b.say(ctx, d, fmt.Sprintf("%s needs %s, but supaops could not keep the call for it (%v). Nothing was done.", ch.Action, strings.ReplaceAll(string(o.Kind), "needs_", ""), err))
		return
	}
	d.public = false // consent is asked of the requester alone
	if o.Kind == outcome.NeedsConfirmation {
		b.post(ctx, d, message{text: ch.Action + " needs your confirmation", blocks: ConfirmBlocks(ch, pc.ID)})
		return
	}
	postedTo := b.announceTargets(ch.Approvers, req.Identities)
	b.post(ctx, d, message{text: ch.Action + " needs approval", blocks: ApprovalWaitingBlocks(ch, strings.Join(postedTo, ", "))})
	if a, err := b.app.Consent.Get(ctx, ch.ApprovalID); err == nil {
		b.AnnounceApproval(ctx, a)
	} else {
		b.log.Error().Err(err).Str("approval", ch.ApprovalID).Msg("reading the approval request to announce it failed")
	}
}

func (b *Bot) listApprovals(ctx context.Context, d dest, c command) {
	filter := consent.Filter{Status: consent.Pending}
	if v, ok := c.flags["status"]; ok && v != "all" {
		st, err := consent.ParseStatus(v)
		if err != nil {
			b.say(ctx, d, err.Error()+", or all")
			return
		}
		filter.Status = st
	} else if ok {
		filter.Status = ""
	}
	list, err := b.app.Consent.List(ctx, filter)
	if err != nil {
		b.say(ctx, d, fmt.Sprintf("Could not list the approval requests: %v", err))
		return
	}
	b.post(ctx, d, message{text: fmt.Sprintf("%d approval request(s)", len(list)), blocks: ApprovalsListBlocks(list)})
}

func (b *Bot) auditCommand(ctx context.Context, d dest, c command) {
	if bad := c.unknownFlags("since", "action", "project", "principal", "limit"); len(bad) > 0 {
		b.say(ctx, d, fmt.Sprintf("Unknown option %s: audit takes --since 1h, --action A, --project REF, --principal P, --limit N.", strings.Join(bad, ", ")))
		return
	}
	f := audit.Filter{Action: c.flags["action"], Project: c.flags["project"], Principal: c.flags["principal"], Limit: 20}
	if v := c.flags["since"]; v != "" {
		age, err := time.ParseDuration(v)
		if err != nil || age < 0 {
			b.say(ctx, d, fmt.Sprintf("--since %q: want a duration such as 30m or 24h", v))
			return
		}
		f.Since = b.opts.Now().Add(-age)
	}
	if v := c.flags["limit"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			b.say(ctx, d, "--limit: want a number from 1 to 100")
			return
		}
		f.Limit = n
	}
	entries, err := b.app.Audit.Query(ctx, f)
	if err != nil {
		b.say(ctx, d, fmt.Sprintf("Could not read the audit log: %v", err))
		return
	}
	b.post(ctx, d, message{text: fmt.Sprintf("%d audit entries", len(entries)), blocks: AuditBlocks(entries)})
}

// bindCommand binds (or unbinds) the channel, as the policy lets.
func (b *Bot) bindCommand(ctx context.Context, d dest, who caller, c command) {
	place, err := principal.SlackChannel(who.channel)
	if err != nil {
		b.say(ctx, d, "Bind works in a channel.")
		return
	}
	req := bindings.Request{
		Place: place, Principal: who.principal, Identities: who.identities, Surface: principal.SurfaceSlack,
		ReadOnly: c.flag("read-only"), Confirmation: c.flags["confirm"],
	}
	if c.verb == VerbUnbind {
		err = b.app.Bindings.Unbind(ctx, req)
		if err == nil {
			b.say(ctx, d, "This channel is no longer bound to a project.")
			return
		}
	} else {
		if len(c.words) != 1 {
			b.say(ctx, d, fmt.Sprintf("Bind to which project? `%s bind <ref> [--read-only]`", b.opts.Command))
			return
		}
		req.Project = c.words[0]
		var bound bindings.Binding
		if bound, err = b.app.Bindings.Bind(ctx, req); err == nil {
			b.say(ctx, d, fmt.Sprintf("This channel is now bound to %s: calls here are about it, and other projects are refused.", bound.Scope))
			return
		}
	}
	var na *pipeline.NotAllowedError
	if errors.As(err, &na) && na.Decision.Effect == pipeline.Confirm && na.Decision.Token != "" {
		b.say(ctx, d, fmt.Sprintf("Rule %s asks you to confirm (%s). To go ahead, run `%s %s %s --confirm=%s`.",
			na.Decision.Rule, na.Decision.Reason, b.opts.Command, c.verb, strings.Join(c.words, " "), na.Decision.Token))
		return
	}
	b.sayOutcome(ctx, d, outcome.Of(nil, err), nil)
}

func (b *Bot) whoami(ctx context.Context, d dest, who caller) {
	sc := b.scopeOf(ctx, who.channel)
	b.say(ctx, d, fmt.Sprintf("You are %s. Further identities: %s. This channel's scope: %s.",
		who.principal, strings.Join(who.identities, ", "), sc))
}

// say posts a line of text.
func (b *Bot) say(ctx context.Context, d dest, text string) {
	b.post(ctx, d, message{text: text, blocks: []slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, esc(text, false), false, false), nil, nil)}})
}

func (b *Bot) sayOutcome(ctx context.Context, d dest, o outcome.Outcome, a *tools.Action) {
	b.post(ctx, d, message{text: o.Advice(), blocks: OutcomeBlocks(o, a, b.opts.Command)})
}

// post sends a message, logging what could not be sent: the caller has
// no one left to tell.
func (b *Bot) post(ctx context.Context, d dest, m message) {
	if err := Check(m.blocks); err != nil {
		b.log.Error().Err(err).Msg("a message broke Slack's limits; sending its text only")
		m.blocks = nil
	}
	if m.text == "" {
		m.text = "supaops"
	}
	if err := b.respond.post(ctx, d, m); err != nil {
		b.log.Error().Err(err).Str("channel", d.channel).Msg("answering in Slack failed")
	}
}
