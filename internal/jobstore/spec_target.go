package jobstore

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

const targetForms = `want slack:<channel id>, webhook:https://<host>/<path> or log`

// maxWebhookLen bounds a webhook URL: longer ones are not typed by people.
const maxWebhookLen = 2048

// ParseTarget reads a notification target: "slack:C0123ABCD" (a public (C)
// or private (G) channel id, which unlike a name does not change),
// "webhook:https://..." or "log". A Slack id is upper-cased, as Slack
// writes them.
func ParseTarget(s string) (Target, error) {
	kind, value, _ := strings.Cut(s, ":")
	switch kind {
	case TargetLog:
		if s != TargetLog {
			return Target{}, fmt.Errorf("%q: log takes nothing after it; %s", s, targetForms)
		}
		return Target{Kind: TargetLog}, nil
	case TargetSlack:
		id, err := slackChannelID(value)
		if err != nil {
			return Target{}, fmt.Errorf("%q: %w", s, err)
		}
		return Target{Kind: TargetSlack, Value: id}, nil
	case TargetWebhook:
		if err := checkWebhook(value); err != nil {
			return Target{}, fmt.Errorf("%q: %w", s, err)
		}
		return Target{Kind: TargetWebhook, Value: value}, nil
	}
	if strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://") {
		return Target{}, fmt.Errorf("%q: write a URL as webhook:%s", s, s)
	}
	return Target{}, fmt.Errorf("unknown target %q; %s", s, targetForms)
}

// slackChannelID checks a channel id: C or G, then letters and digits.
func slackChannelID(v string) (string, error) {
	if strings.HasPrefix(v, "#") {
		return "", errors.New("use the channel's id (C0123ABCD, from the channel's details), not its name: names change")
	}
	id := strings.ToUpper(v)
	ok := len(id) >= 2 && len(id) <= 64 && (id[0] == 'C' || id[0] == 'G')
	for i := 0; ok && i < len(id); i++ {
		c := id[i]
		ok = c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
	}
	if !ok {
		return "", errors.New("a Slack channel id is C (public) or G (private) followed by letters and digits, e.g. C0123ABCD")
	}
	return id, nil
}

// checkWebhook allows https URLs only: results can name projects and
// findings, and must not cross the network in clear.
func checkWebhook(v string) error {
	if len(v) > maxWebhookLen {
		return fmt.Errorf("webhook URL is longer than %d characters", maxWebhookLen)
	}
	u, err := url.Parse(v)
	switch {
	case err != nil:
		return errors.New("not a URL; want webhook:https://<host>/<path>")
	case u.Scheme == "http":
		return errors.New("http is refused: results would cross the network in clear; use https")
	case u.Scheme != "https" || u.Opaque != "":
		return errors.New("want webhook:https://<host>/<path>")
	case u.Hostname() == "":
		return errors.New("the URL has no host")
	case u.User != nil:
		return errors.New("user:password@ in a webhook URL is not supported")
	case u.Fragment != "" || strings.Contains(v, "#"):
		return errors.New("the URL has a #fragment, which is never sent; remove it")
	case strings.ContainsAny(v, " \t\r\n"):
		return errors.New("the URL contains whitespace")
	}
	return nil
}

// String is the target as written in a file: slack:C0OPS, webhook:https://..., log.
func (t Target) String() string {
	if t.Kind == TargetLog {
		return TargetLog
	}
	return t.Kind + ":" + t.Value
}

// MarshalText writes the target as String does.
func (t Target) MarshalText() ([]byte, error) {
	if t.Kind == "" {
		return nil, errors.New("target has no kind")
	}
	return []byte(t.String()), nil
}

// UnmarshalText reads a target as ParseTarget does.
func (t *Target) UnmarshalText(b []byte) error {
	v, err := ParseTarget(string(b))
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// Shown is the target as views and logs show it: a webhook's URL often
// carries its secret in the path or query (Slack and Teams incoming
// webhooks do), so only its host is shown.
func (t Target) Shown() string {
	if t.Kind != TargetWebhook {
		return t.String()
	}
	u, err := url.Parse(t.Value)
	if err != nil || u.Host == "" {
		return TargetWebhook + ":…"
	}
	return TargetWebhook + ":https://" + u.Host + "/…"
}

// ShownTarget is Shown for a target written as a string.
func ShownTarget(s string) string {
	t, err := ParseTarget(s)
	if err != nil {
		kind, _, _ := strings.Cut(s, ":")
		return kind + ":…"
	}
	return t.Shown()
}

// Masked is the spec as views show it: webhook targets as Shown.
func (s Spec) Masked() Spec {
	if len(s.Notify) == 0 {
		return s
	}
	out := s
	out.Notify = make([]Target, len(s.Notify))
	for i, t := range s.Notify {
		if t.Kind == TargetWebhook {
			t.Value = strings.TrimPrefix(t.Shown(), TargetWebhook+":")
		}
		out.Notify[i] = t
	}
	return out
}
