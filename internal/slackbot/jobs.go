package slackbot

import (
	"context"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/supaops/supaops/internal/jobstore"
	"github.com/supaops/supaops/internal/render"
)

// VerbJobs manages scheduled jobs: /supa jobs list|show|runs|run|pause|resume|remove NAME.
const VerbJobs = "jobs"

// Buttons on job alerts.
const (
	ActionJobRun   = "supaops_job_run"
	ActionJobPause = "supaops_job_pause"
)

// jobVerbs maps /supa jobs verbs to the jobs' actions (decided by the
// policy, recorded, like any call).
var jobVerbs = map[string]string{
	"list": "jobs_list", "show": "job_get", "runs": "job_runs_list", "run": "job_trigger",
	"pause": "job_pause", "resume": "job_resume", "remove": "job_remove",
}

// jobsCommand is /supa jobs VERB [NAME].
func (b *Bot) jobsCommand(ctx context.Context, d dest, who caller, cmd slack.SlashCommand, c command) {
	verb := "list"
	if len(c.words) > 0 {
		verb = strings.ToLower(c.words[0])
	}
	action, ok := jobVerbs[verb]
	if !ok {
		b.say(ctx, d, fmt.Sprintf("`%s jobs` takes list, show NAME, runs [NAME], run NAME, pause NAME, resume NAME or remove NAME. To apply a jobs file: `%s job_apply spec=\"...\"`, or `supaops-mcp jobs apply FILE`.", b.opts.Command, b.opts.Command))
		return
	}
	var pairs []string
	if len(c.words) > 1 {
		pairs = append(pairs, "name="+c.words[1])
	}
	sub := c
	sub.words = nil
	b.callAction(ctx, d, who, cmd, sub, action, pairs)
}

// Notify delivers a job's alert to its Slack channel (target
// slack:<channel id>), with buttons to run the job again or pause it. It
// implements jobs.Notifier; an error makes the outbox try again later.
func (b *Bot) Notify(ctx context.Context, a jobstore.Alert) error {
	channel, ok := strings.CutPrefix(a.Target, "slack:")
	if !ok || channel == "" {
		return fmt.Errorf("not a Slack target: %q", a.Target)
	}
	blocks, err := AlertBlocks(a)
	if err != nil {
		return err
	}
	_, err = b.respond.postChannel(ctx, channel, message{text: fmt.Sprintf("[%s] %s", a.Severity, a.Title), blocks: blocks})
	return err
}

// AlertBlocks renders a job's alert: what happened, the lines, the rows
// inside the untrusted-data boundary, and Run now / Pause buttons.
func AlertBlocks(a jobstore.Alert) ([]slack.Block, error) {
	icon := map[string]string{"error": ":red_circle:", "warning": ":warning:", "info": ":information_source:"}[a.Severity]
	blocks := []slack.Block{
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, cut(fmt.Sprintf("%s *%s*", icon, esc(a.Title, false)), MaxTextLen), false, true), nil, nil),
	}
	if len(a.Lines) > 0 {
		text := strings.Join(a.Lines, "\n")
		blocks = append(blocks, slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, cut(esc(text, false), MaxTextLen), false, true), nil, nil))
	}
	if a.Untrusted != "" {
		wrapped, err := render.WrapUntrusted("job "+a.Job, a.Untrusted)
		if err != nil {
			return nil, err
		}
		blocks = append(blocks, slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType,
			"```"+cut(esc(wrapped, true), MaxTextLen-8)+"```", false, true), nil, nil))
	}
	blocks = append(blocks,
		slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, esc(fmt.Sprintf("job %s, run %s", a.Job, a.Run), false), false, true)),
		slack.NewActionBlock("job_"+a.Job,
			slack.NewButtonBlockElement(ActionJobRun, a.Job, slack.NewTextBlockObject(slack.PlainTextType, "Run now", false, false)),
			slack.NewButtonBlockElement(ActionJobPause, a.Job, slack.NewTextBlockObject(slack.PlainTextType, "Pause", false, false)),
		),
	)
	return blocks, Check(blocks)
}

// cut keeps s within n characters, saying it was cut.
func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// jobPress runs a job's button (Run now, Pause) as the presser's call.
func (b *Bot) jobPress(ctx context.Context, d dest, who caller, cb slack.InteractionCallback, actionID, job string) {
	action := "job_trigger"
	if actionID == ActionJobPause {
		action = "job_pause"
	}
	a, err := b.app.Registry.Lookup(action)
	if err != nil {
		b.say(ctx, d, fmt.Sprintf("This supaops has no %s: %v", action, err))
		return
	}
	req := requestFor(who, a.Name, map[string]any{"name": job}, b.scopeOf(ctx, cb.Channel.ID))
	b.run(ctx, d, req, a, false)
}
