package main

import (
	"io"
	"net/url"
	"os"
	"strings"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"golang.org/x/term"
)

// slackConfig is what the bot needs of Slack, read from the environment
// and checked before anything starts.
type slackConfig struct {
	botToken      string
	appToken      string
	signingSecret string
	apiURL        string // "" means Slack's own
}

// slackSettings reads and checks the Slack settings: what would fail later
// (slack-go retrying a wrong app token forever) is refused now, naming the
// setting.
func slackSettings(getenv func(string) string, httpAddr, apiURL string) (slackConfig, error) {
	c := slackConfig{
		botToken:      strings.TrimSpace(getenv("SLACK_BOT_TOKEN")),
		appToken:      strings.TrimSpace(getenv("SLACK_APP_TOKEN")),
		signingSecret: strings.TrimSpace(getenv("SLACK_SIGNING_SECRET")),
	}
	switch {
	case c.botToken == "":
		return c, usagef("SLACK_BOT_TOKEN is not set: create the app from deploy/slack-app.yaml, install it, and export its Bot User OAuth Token (xoxb-...)")
	case !strings.HasPrefix(c.botToken, "xoxb-"):
		return c, usagef("SLACK_BOT_TOKEN does not start with xoxb-: it must be the Bot User OAuth Token")
	case c.appToken != "" && !strings.HasPrefix(c.appToken, "xapp-"):
		return c, usagef("SLACK_APP_TOKEN does not start with xapp-: it must be an app-level token with connections:write")
	case c.appToken == "" && httpAddr == "":
		return c, usagef("neither SLACK_APP_TOKEN (Socket Mode) nor --http ADDR (Slack calls a public URL) is set")
	case httpAddr != "" && c.signingSecret == "":
		return c, usagef("--http needs SLACK_SIGNING_SECRET (Basic Information > Signing Secret) to verify requests")
	}
	if apiURL != "" {
		u, err := url.Parse(apiURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return c, usagef("--slack-api-url %q: want an http(s) URL", apiURL)
		}
		// slack-go appends method names to it.
		if !strings.HasSuffix(apiURL, "/") {
			apiURL += "/"
		}
		c.apiURL = apiURL
	}
	return c, nil
}

func (c slackConfig) clientOptions() []slack.Option {
	var opts []slack.Option
	if c.appToken != "" {
		opts = append(opts, slack.OptionAppLevelToken(c.appToken))
	}
	if c.apiURL != "" {
		opts = append(opts, slack.OptionAPIURL(c.apiURL))
	}
	// Retry 429s (honouring Retry-After), never a post that may have landed.
	return append(opts, slack.OptionRetry(3))
}

func (c slackConfig) apiURLOrDefault() string {
	if c.apiURL != "" {
		return c.apiURL
	}
	return slack.APIURL
}

// newLogger writes JSON logs (format "json", what log collectors read) or
// a console format for people ("text") at the level SUPAOPS_LOG_LEVEL
// names (default info: a service's log).
func newLogger(getenv func(string) string, stderr io.Writer, format string) (zerolog.Logger, error) {
	level := zerolog.InfoLevel
	if s := strings.TrimSpace(getenv("SUPAOPS_LOG_LEVEL")); s != "" {
		l, err := zerolog.ParseLevel(strings.ToLower(s))
		if err != nil {
			return zerolog.Nop(), usagef("SUPAOPS_LOG_LEVEL=%q: want trace, debug, info, warn, error or disabled", s)
		}
		level = l
	}
	w := stderr
	switch format {
	case "json":
	case "text":
		w = zerolog.ConsoleWriter{Out: stderr, NoColor: !isTerminal(stderr)}
	default:
		return zerolog.Nop(), usagef("--log-format %q: want json or text", format)
	}
	return zerolog.New(w).Level(level).With().Timestamp().Logger(), nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
