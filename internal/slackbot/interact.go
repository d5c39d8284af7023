package slackbot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/supaops/supaops/internal/action"
	"github.com/supaops/supaops/internal/bindings"
	"github.com/supaops/supaops/internal/consent"
	"github.com/supaops/supaops/internal/outcome"
	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/principal"
	"github.com/supaops/supaops/internal/render"
)

// Interaction implements Handler: a button press is acknowledged at once
// and acted on after.
func (b *Bot) Interaction(ctx context.Context, cb slack.InteractionCallback) Reply {
	if cb.Type != slack.InteractionTypeBlockActions || len(cb.ActionCallback.BlockActions) == 0 {
		return Reply{}
	}
	if !b.teamAllowed(cb.Team.ID) {
		return ephemeral("This workspace is not one this supaops serves; nothing was done.")
	}
	act := cb.ActionCallback.BlockActions[0]
	switch act.ActionID {
	case ActionConfirm, ActionCancel, ActionApprove, ActionDeny, ActionJobRun, ActionJobPause:
	default:
		return Reply{}
	}
	key := requestKey("press", cb.Team.ID, cb.TriggerID, cb.User.ID+":"+act.ActionTs)
	b.background("press "+act.ActionID, func(ctx context.Context) {
		taken, err := b.app.Once.Take(ctx, key, requestKeyTTL)
		switch {
		case err != nil:
			b.say(ctx, dest{responseURL: cb.ResponseURL, channel: cb.Channel.ID, user: cb.User.ID},
				"supaops could not record this press, so it did not act on it. Press again in a moment.")
		case taken:
			b.press(ctx, cb, act)
		}
		// Not taken: a redelivery or a double click.
	})
	return Reply{}
}

func (b *Bot) press(ctx context.Context, cb slack.InteractionCallback, act *slack.BlockAction) {
	// The answer to the presser alone; replacing the pressed message is
	// asked for where it is meant.
	d := dest{responseURL: cb.ResponseURL, channel: cb.Channel.ID, user: cb.User.ID}
	who, err := b.identify(ctx, cb.Team.ID, cb.User.ID, cb.Channel.ID)
	if err != nil {
		b.say(ctx, d, fmt.Sprintf("Refused: %v. Nothing was done.", err))
		return
	}
	switch act.ActionID {
	case ActionConfirm:
		b.confirm(ctx, d, who, act.Value)
	case ActionCancel:
		b.cancelPending(ctx, d, who, act.Value)
	case ActionApprove, ActionDeny:
		b.vote(ctx, d, who, act.ActionID == ActionApprove, act.Value, "", true)
	case ActionJobRun, ActionJobPause:
		b.jobPress(ctx, d, who, cb, act.ActionID, act.Value)
	}
}

// errNotYours refuses a press by someone other than the requester.
var errNotYours = errors.New("only the person who asked can answer this")

// confirm runs a held call with its confirmation token: only its requester
// may, once.
func (b *Bot) confirm(ctx context.Context, d dest, who caller, id string) {
	pc, err := b.pending.take(ctx, id, func(p *pendingCall) error {
		if p.User != who.user || p.ApprovalID != "" {
			return errNotYours
		}
		return nil
	})
	if err != nil {
		b.recordPress(ctx, who, "confirm", id, err)
		b.say(ctx, d, fmt.Sprintf("Not confirmed: %v. Nothing was done.", err))
		return
	}
	req := pc.Request
	req.Confirmation = pc.Token
	d.replace = true
	d.public = pc.Public
	a, err := b.app.Registry.Lookup(req.Action)
	if err != nil {
		b.say(ctx, d, err.Error())
		return
	}
	b.run(ctx, d, req, a, false)
}

// cancelPending drops a held call; the press is recorded.
func (b *Bot) cancelPending(ctx context.Context, d dest, who caller, id string) {
	pc, err := b.pending.take(ctx, id, func(p *pendingCall) error {
		if p.User != who.user {
			return errNotYours
		}
		return nil
	})
	b.recordPress(ctx, who, "cancel", id, err)
	if err != nil {
		b.say(ctx, d, fmt.Sprintf("Not cancelled: %v.", err))
		return
	}
	d.replace = true
	b.say(ctx, d, fmt.Sprintf("Cancelled: %s was not run; nothing was done.", pc.Request.Action))
}

// recordPress keeps a press that is neither a call nor a vote.
func (b *Bot) recordPress(ctx context.Context, who caller, what, id string, refused error) {
	rec := pipeline.Record{
		Event: pipeline.EventPress, Time: b.opts.Now().UTC(), Principal: who.principal, Identities: who.identities,
		Surface: principal.SurfaceSlack, Action: "slack:" + what,
		Decision: pipeline.Decision{Effect: pipeline.Allow, Rule: "slack:" + what, Reason: "pressed " + what + " on request " + id},
	}
	if refused != nil {
		rec.Decision.Effect, rec.Error = pipeline.Deny, refused.Error()
	}
	if _, err := b.app.Audit.Record(context.WithoutCancel(ctx), rec); err != nil {
		b.log.Error().Err(err).Str("press", what).Msg("recording a press failed")
	}
}

// voteCommand is /supa approve <id> and /supa deny <id> [reason].
func (b *Bot) voteCommand(ctx context.Context, d dest, who caller, c command) {
	if len(c.words) < 1 {
		b.say(ctx, d, fmt.Sprintf("Which request? `%s %s <id>` (`%s approvals` lists them).", b.opts.Command, c.verb, b.opts.Command))
		return
	}
	reason := strings.Join(c.words[1:], " ")
	if r := c.flags["reason"]; r != "" {
		reason = r
	}
	b.vote(ctx, d, who, c.verb == VerbApprove, c.words[0], reason, false)
}

// vote records an approver's yes or no; when the request has what it
// needs, the call it holds runs, once.
func (b *Bot) vote(ctx context.Context, d dest, who caller, approve bool, id, reason string, onMessage bool) {
	var (
		a   consent.Approval
		err error
	)
	if approve {
		a, err = b.app.Authz.Approve(ctx, id, who.principal, who.identities, principal.SurfaceSlack)
	} else {
		a, err = b.app.Authz.Deny(ctx, id, who.principal, who.identities, principal.SurfaceSlack, reason)
	}
	if err != nil {
		b.say(ctx, d, fmt.Sprintf("Not counted: %v.", err))
		return
	}
	shown, risk := b.showApproval(a)
	status := message{text: fmt.Sprintf("approval %s: %s", a.ID, a.Status), blocks: ApprovalStatusBlocks(a, shown, risk)}
	if onMessage {
		up := d
		up.replace, up.public = true, true
		b.post(ctx, up, status)
	} else {
		b.post(ctx, d, status)
	}
	switch a.Status {
	case consent.Approved:
		b.runApproved(ctx, a)
	case consent.Denied:
		b.tellRequester(ctx, a, fmt.Sprintf("Your request %s (%s) was denied by %s%s. Nothing was done.", a.ID, a.Binding.Action, a.DeniedBy, reasonSuffix(a.DenyReason)))
	}
}

func reasonSuffix(r string) string {
	if r == "" {
		return ""
	}
	return ": " + r
}

// runApproved runs the call an approval was for, when it was asked in
// Slack: taking the pending call and consuming the approval make it run
// once. A request made elsewhere (MCP, the CLI) is run by its requester.
func (b *Bot) runApproved(ctx context.Context, a consent.Approval) {
	held, err := b.pending.byApproval(ctx, a.ID)
	if err != nil || held == nil {
		return
	}
	pc, err := b.pending.take(ctx, held.ID, nil)
	if err != nil {
		return // another press took it
	}
	d := dest{responseURL: pc.ResponseURL, channel: pc.Channel, user: pc.User, public: pc.Public}
	act, err := b.app.Registry.Lookup(pc.Request.Action)
	if err != nil {
		b.say(ctx, d, err.Error())
		return
	}
	req := pc.Request
	req.Confirmation = pc.Token
	b.run(ctx, d, req, act, false)
}

// tellRequester reaches the requester of an approval asked in Slack.
func (b *Bot) tellRequester(ctx context.Context, a consent.Approval, text string) {
	held, err := b.pending.byApproval(ctx, a.ID)
	if err != nil || held == nil {
		return
	}
	if _, err := b.pending.take(ctx, held.ID, nil); err != nil {
		return
	}
	b.say(ctx, dest{responseURL: held.ResponseURL, channel: held.Channel, user: held.User}, text)
}

// showApproval lays out an approval's redacted arguments and its action's
// risk, as the requester's challenge showed them.
func (b *Bot) showApproval(a consent.Approval) ([]consent.Shown, action.Risk) {
	var sqlArgs []string
	risk := action.Destructive // unknown: shown as the most dangerous
	if act, err := b.app.Registry.Lookup(a.Binding.Action); err == nil {
		sqlArgs, risk = act.SQL, act.Risk
	} else {
		for _, local := range bindings.Actions() {
			if local.Name == a.Binding.Action {
				risk = local.Risk
			}
		}
	}
	shown, err := consent.Display(a.Summary, sqlArgs)
	if err != nil {
		shown = []consent.Shown{{Name: "arguments", Text: err.Error()}}
	}
	return shown, risk
}

// AnnounceApproval posts a new approval request where its approvers will
// see it, once: it is the authoriser's hook, and WatchApprovals calls it
// for requests made by other processes (supaops-mcp).
func (b *Bot) AnnounceApproval(ctx context.Context, a consent.Approval) {
	ttl := time.Until(a.ExpiresAt)
	if ttl <= 0 {
		return
	}
	taken, err := b.app.Once.Take(ctx, "slack:announce:"+a.ID, ttl)
	if err != nil || !taken {
		return
	}
	shown, risk := b.showApproval(a)
	m := message{text: fmt.Sprintf("%s asks to run %s: approval needed", a.Binding.Principal, a.Binding.Action), blocks: ApprovalRequestBlocks(a, shown, risk)}
	for _, ch := range b.announceTargets(a.Approvers, a.Identities) {
		if _, err := b.respond.postChannel(ctx, ch, m); err != nil {
			b.log.Error().Err(err).Str("approval", a.ID).Msg("posting an approval request failed")
		}
	}
}

// announceTargets are the channels an approval request goes to: those
// the policy's approvers name, else the requester's channel, else the
// bot's approvals channel.
func (b *Bot) announceTargets(approvers, requester []string) []string {
	var out []string
	for _, p := range approvers {
		if strings.ContainsAny(p, "*?[") || principal.Kind(p) != principal.KindSlackChannel {
			continue
		}
		ch := strings.TrimPrefix(p, principal.KindSlackChannel+":")
		if !slices.Contains(out, ch) {
			out = append(out, ch)
		}
	}
	if len(out) > 0 {
		return out
	}
	for _, id := range requester {
		if principal.Kind(id) == principal.KindSlackChannel {
			return []string{strings.TrimPrefix(id, principal.KindSlackChannel+":")}
		}
	}
	if b.opts.ApprovalsChannel != "" {
		return []string{b.opts.ApprovalsChannel}
	}
	return nil
}

// WatchApprovals announces, every interval until ctx ends, the pending
// approval requests no one has announced yet: those made by other
// supaops processes sharing the store.
func (b *Bot) WatchApprovals(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		list, err := b.app.Consent.List(ctx, consent.Filter{Status: consent.Pending})
		if err != nil {
			b.log.Warn().Err(err).Msg("listing approval requests failed")
		}
		for _, a := range list {
			b.AnnounceApproval(ctx, a)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// answerResult posts a successful call's result, or uploads it whole.
func (b *Bot) answerResult(ctx context.Context, d dest, res *pipeline.Result, file bool) {
	if file {
		if err := b.upload(ctx, d, res); err != nil {
			b.say(ctx, d, fmt.Sprintf("%s ran, but uploading its result failed: %v", res.Action.Name, err))
		}
		return
	}
	blocks, err := ResultBlocks(res, b.opts.MaxResultBytes)
	if err != nil {
		b.say(ctx, d, fmt.Sprintf("%s ran (HTTP %d) but its result could not be shown: %v", res.Action.Name, res.Status, err))
		return
	}
	b.post(ctx, d, message{text: res.Action.Name + " done", blocks: blocks})
}

// uploader is what --file needs of the Web API.
type uploader interface {
	UploadFileContext(ctx context.Context, params slack.UploadFileParameters) (*slack.FileSummary, error)
}

// upload shares the whole (redacted) result as a file in the channel.
func (b *Bot) upload(ctx context.Context, d dest, res *pipeline.Result) error {
	up, ok := b.api.(uploader)
	if !ok {
		return errors.New("this Slack client cannot upload files")
	}
	body, err := render.Data(res, 1<<30) // the whole result: a file has room
	if err != nil {
		return err
	}
	name := res.Action.Name + ".txt"
	_, err = up.UploadFileContext(ctx, slack.UploadFileParameters{
		Channel: d.channel, Filename: name, Title: res.Action.Name, Content: body.Text, FileSize: len(body.Text),
		InitialComment: fmt.Sprintf("%s, requested by <@%s>", res.Action.Name, d.user),
	})
	return err
}

// follow watches a long-running operation, replacing the answer as its
// state changes (at most twice, within the response_url's five posts) and
// with the final state, or saying how to follow it after the timeout.
func (b *Bot) follow(ctx context.Context, d dest, res *pipeline.Result) {
	ctx, cancel := context.WithTimeout(ctx, b.opts.PollTimeout)
	defer cancel()
	d.replace = true
	start, last, updates := b.opts.Now(), "", 0
	t := time.NewTicker(b.opts.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			b.post(ctx, d, message{text: res.Action.Name + " still running", blocks: ProgressBlocks(res.Action.Name, last, false, false, b.opts.Now().Sub(start),
				fmt.Sprintf("Still running after %s; follow it with `%s %s`.", b.opts.PollTimeout, b.opts.Command, pollCommand(res)))})
			return
		case <-t.C:
		}
		pr, err := b.app.Pipeline.Poll(ctx, res)
		if err != nil {
			b.sayOutcome(ctx, d, outcome.Of(nil, err), nil)
			return
		}
		if pr.Done || pr.Failed {
			b.post(ctx, d, message{text: fmt.Sprintf("%s: %s", res.Action.Name, pr.State), blocks: ProgressBlocks(res.Action.Name, pr.State, pr.Done, pr.Failed, b.opts.Now().Sub(start), "")})
			return
		}
		if pr.State != last && updates < 2 {
			updates++
			b.post(ctx, d, message{text: fmt.Sprintf("%s: %s", res.Action.Name, pr.State), blocks: ProgressBlocks(res.Action.Name, pr.State, false, false, b.opts.Now().Sub(start), "")})
		}
		last = pr.State
	}
}

// pollCommand is the command that looks at a long-running operation again.
func pollCommand(res *pipeline.Result) string {
	var parts []string
	parts = append(parts, res.Poll.Action)
	for k, v := range res.Poll.Args {
		parts = append(parts, fmt.Sprintf("%s=%v", k, v))
	}
	slices.Sort(parts[1:])
	return strings.Join(parts, " ")
}
