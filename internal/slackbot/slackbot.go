// Package slackbot is the Slack surface: one slash command (/supa) that
// reaches every action of the registry, and buttons to confirm, cancel,
// approve and deny. It is a thin adapter: it turns a command or a press
// into a pipeline request (principal slack:user:<id>, the user's
// usergroups and the channel as further identities, the channel's bound
// scope), calls the core once, and renders the outcome as Block Kit.
// Nothing here decides, calls the Management API or redacts on its own.
//
// Transports (HTTP with signed requests, Socket Mode) deliver to a Handler
// and send back its Reply as the acknowledgement, which Slack wants within
// 3 seconds; the work goes on after, and its answer is posted through the
// command's response_url or the Web API.
package slackbot

import (
	"context"

	"github.com/slack-go/slack"
)

// Handler answers what the transports deliver. Both methods return within
// milliseconds: anything slower is started and answered later.
type Handler interface {
	// Command answers a slash command.
	Command(ctx context.Context, cmd slack.SlashCommand) Reply
	// Interaction answers a button press (block_actions).
	Interaction(ctx context.Context, cb slack.InteractionCallback) Reply
}

// Reply is the body of an acknowledgement. The zero Reply acknowledges
// with an empty 200, which shows nothing.
type Reply struct {
	ResponseType    string        `json:"response_type,omitempty"`
	Text            string        `json:"text,omitempty"`
	Blocks          []slack.Block `json:"blocks,omitempty"`
	ReplaceOriginal bool          `json:"replace_original,omitempty"`
}

// Empty reports a Reply that says nothing.
func (r Reply) Empty() bool { return r.Text == "" && len(r.Blocks) == 0 }

// Action ids of the buttons; a button's value names what it acts on (a
// pending call's id, an approval's id).
const (
	ActionConfirm = "supaops_confirm"
	ActionCancel  = "supaops_cancel"
	ActionApprove = "supaops_approve"
	ActionDeny    = "supaops_deny"
)
