package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/supaops/supaops/internal/jobstore"
	"github.com/supaops/supaops/internal/redact"
	"github.com/supaops/supaops/internal/render"
)

// deliveryLease is how long a taken alert is left to its process before
// another may deliver it.
const deliveryLease = 2 * time.Minute

// Deliver sends the alerts due in the outbox, each to its target's
// notifier, and records each outcome: a failed delivery (Slack down, a
// webhook's 5xx) is tried again later from the store, and a delivered alert
// is not sent again. Alerts for targets this process cannot reach (Slack,
// in a process without the bot) wait for one that can.
func (s *Scheduler) Deliver(ctx context.Context) {
	due, err := s.opts.Store.Take(ctx, s.canDeliver, deliveryLease)
	if err != nil {
		s.log.Warn().Err(err).Msg("reading the outbox failed")
		return
	}
	s.deliver(ctx, due)
}

// canDeliver reports a target this process has a notifier for.
func (s *Scheduler) canDeliver(target string) bool {
	kind, _, _ := strings.Cut(target, ":")
	_, ok := s.opts.Notifiers[kind]
	return ok
}

// deliver sends deliveries this process took, and records each outcome.
func (s *Scheduler) deliver(ctx context.Context, due []jobstore.Delivery) {
	for _, d := range due {
		kind, _, _ := strings.Cut(d.Alert.Target, ":")
		n, ok := s.opts.Notifiers[kind]
		if !ok {
			continue // not taken: another process delivers it
		}
		sendErr := n.Notify(ctx, d.Alert)
		if sendErr != nil {
			s.log.Warn().Err(sendErr).Str("alert", d.Alert.Key).Str("target", jobstore.ShownTarget(d.Alert.Target)).Int("attempt", d.Attempts+1).
				Msg("delivering an alert failed; it will be tried again")
		}
		gaveUp, err := s.opts.Store.Delivered(ctx, d.Alert, sendErr)
		switch {
		case err != nil:
			s.log.Error().Err(err).Str("alert", d.Alert.Key).Msg("recording a delivery failed")
		case gaveUp:
			s.log.Error().Err(sendErr).Str("alert", d.Alert.Key).Str("target", jobstore.ShownTarget(d.Alert.Target)).
				Int("attempts", d.Attempts+1).Msg("an alert could not be delivered and was dropped")
		}
	}
}

// LogNotifier writes alerts to the log: for --jobs-only without Slack, or
// as a record beside the other targets.
type LogNotifier struct{ Log zerolog.Logger }

// Notify implements Notifier.
func (l LogNotifier) Notify(_ context.Context, a jobstore.Alert) error {
	ev := l.Log.Info()
	if a.Severity == "error" || a.Severity == "warning" {
		ev = l.Log.Warn()
	}
	ev.Str("job", a.Job).Str("run", a.Run).Str("project", a.Project).Str("severity", a.Severity).
		Strs("lines", a.Lines).Bool("has_rows", a.Untrusted != "").Msg(redact.Text(a.Title))
	return nil
}

// WebhookNotifier posts alerts as JSON to the https URL of the target.
type WebhookNotifier struct {
	Client *http.Client // nil: 10 s timeout
}

// webhookBody is what a webhook receives: the alert, with the rows marked
// as untrusted for whatever reads them next.
type webhookBody struct {
	Job       string   `json:"job"`
	Run       string   `json:"run"`
	Severity  string   `json:"severity"`
	Title     string   `json:"title"`
	Text      string   `json:"text"` // title and lines, for chat webhooks (Slack, Teams...)
	Lines     []string `json:"lines,omitempty"`
	Project   string   `json:"project,omitempty"`
	Untrusted string   `json:"untrusted_rows,omitempty"`
	At        string   `json:"at"`
}

// Notify implements Notifier: a 2xx is delivered; anything else an error
// to try again.
func (w WebhookNotifier) Notify(ctx context.Context, a jobstore.Alert) error {
	url, ok := strings.CutPrefix(a.Target, "webhook:")
	if !ok || !strings.HasPrefix(url, "https://") {
		return fmt.Errorf("webhook target %s: want webhook:https://<host>/<path>", jobstore.ShownTarget(a.Target))
	}
	body, err := json.Marshal(webhookBody{
		Job: a.Job, Run: a.Run, Severity: a.Severity, Title: a.Title, Lines: a.Lines, Project: a.Project,
		Text: AlertText(a), Untrusted: a.Untrusted, At: a.At.UTC().Format(time.RFC3339),
	})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	c := w.Client
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("posting to the webhook: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("the webhook answered %d", resp.StatusCode)
	}
	return nil
}

// AlertText is an alert as plain text, rows inside an untrusted-data
// boundary: for webhooks and any surface without richer formatting.
func AlertText(a jobstore.Alert) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[%s] %s", a.Severity, a.Title)
	for _, l := range a.Lines {
		b.WriteString("\n" + l)
	}
	if a.Untrusted != "" {
		if wrapped, err := render.WrapUntrusted("job "+a.Job, a.Untrusted); err == nil {
			b.WriteString("\n" + wrapped)
		}
	}
	return b.String()
}
