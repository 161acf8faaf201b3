package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
)

// TestNudgeFamiliesPresentFromStart: before any nudge or API call, every
// family is exposed with zero values, so alerts work from the first scrape.
func TestNudgeFamiliesPresentFromStart(t *testing.T) {
	body := scrape(t, New())
	for _, want := range []string{
		`studybot_nudges_total{reason="delivered",result="sent"} 0`,
		`studybot_nudges_total{reason="closed_dms",result="failed"} 0`,
		`studybot_nudges_total{reason="rate_limited",result="failed"} 0`,
		`studybot_nudges_total{reason="platform_error",result="failed"} 0`,
		`studybot_nudges_total{reason="missed",result="skipped"} 0`,
		`studybot_nudge_delay_seconds_count 0`,
		`studybot_nudge_tick_seconds_count 0`,
		`studybot_nudge_tick_due_count 0`,
		`studybot_nudge_send_rate_configured 0`,
		`studybot_nudge_send_rate_achieved 0`,
		`studybot_platform_api_calls_total{platform="discord",route="send direct message",status="429"} 0`,
		`studybot_platform_api_calls_total{platform="slack",route="chat.postMessage",status="rate_limited"} 0`,
		`studybot_platform_rate_limit_wait_seconds_count{platform="discord"} 0`,
		`studybot_platform_rate_limit_wait_seconds_count{platform="slack"} 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestNudgeMetricsCount(t *testing.T) {
	m := New()
	n, a := m.Nudges(), m.PlatformAPI()
	n.Nudge("sent", "delivered", 90*time.Second)
	n.Nudge("sent", "delivered", 3*time.Second)
	n.Nudge("failed", "rate_limited", 0)
	n.Tick(3, 2*time.Second, 45, 1.5)
	n.Tick(0, time.Millisecond, 45, 0) // a quiet tick keeps the last achieved rate
	a.APICall(bot.PlatformDiscord, "send direct message", "429")
	a.APICall(bot.PlatformDiscord, "send direct message", "2xx")
	a.RateLimitWait(bot.PlatformDiscord, "send direct message", 250*time.Millisecond)
	body := scrape(t, m)
	for _, want := range []string{
		`studybot_nudges_total{reason="delivered",result="sent"} 2`,
		`studybot_nudges_total{reason="rate_limited",result="failed"} 1`,
		`studybot_nudge_delay_seconds_bucket{le="5"} 1`,
		`studybot_nudge_delay_seconds_bucket{le="120"} 2`,
		`studybot_nudge_tick_seconds_count 2`,
		`studybot_nudge_tick_due_sum 3`,
		`studybot_nudge_send_rate_configured 45`,
		`studybot_nudge_send_rate_achieved 1.5`,
		`studybot_platform_api_calls_total{platform="discord",route="send direct message",status="429"} 1`,
		`studybot_platform_api_calls_total{platform="discord",route="send direct message",status="2xx"} 1`,
		`studybot_platform_rate_limit_wait_seconds_sum{platform="discord"} 0.25`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
