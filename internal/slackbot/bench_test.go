package slackbot_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/supaops/supaops/internal/sandbox"
	"github.com/supaops/supaops/internal/slackbot"
	"github.com/supaops/supaops/internal/slackbot/slackfake"
)

// BenchmarkAckLatency measures how long Slack waits for the acknowledgement
// of a signed slash command over HTTP while the Management API takes 10 s
// to answer, 50 commands at once: the ack must not wait for the API.
func BenchmarkAckLatency(b *testing.B) {
	e := newEnv(b, envOptions{policy: allowAll})
	e.app.Sandbox.InjectFault(sandbox.Fault{Kind: sandbox.Latency, Operation: "v1-get-project", Delay: 10 * time.Second})
	const secret = "bench-signing-secret"
	h, err := slackbot.NewHTTPHandler(e.bot, slackbot.HTTPConfig{SigningSecret: secret})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	const concurrent = 50
	var lat []time.Duration
	var mu sync.Mutex
	n := 0
	b.ResetTimer()
	for b.Loop() {
		var wg sync.WaitGroup
		for range concurrent {
			n++
			cmd := slack.SlashCommand{
				TeamID: e.team, UserID: "U0DEV", ChannelID: "C0OPS", Command: "/supa",
				Text: "project_get ref=" + e.seed.ProjectRef, ResponseURL: e.fake.ResponseURL(fmt.Sprint("bench-", n)), TriggerID: fmt.Sprint("bench-trigger-", n),
			}
			req := slackfake.NewSlashCommandRequest(srv.URL+"/slack/commands", secret, time.Now(), cmd)
			wg.Go(func() {
				start := time.Now()
				resp, err := http.DefaultClient.Do(req)
				d := time.Since(start)
				if err != nil {
					b.Error(err)
					return
				}
				resp.Body.Close()
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			})
		}
		wg.Wait()
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
	e.app.Sandbox.ClearFaults()
}
