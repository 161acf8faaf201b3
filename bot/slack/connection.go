package slack

import (
	"time"

	"github.com/studybot/studybot/bot"
)

// Connection reports whether the adapter is connected to Slack (or, in HTTP
// mode, serving), since when and how often it reconnected. cmd/studybot
// answers /readyz and fills /metrics from it.
func (b *Bot) Connection() bot.ConnStatus { return b.link.Status() }

// Ready is the readiness check: Socket Mode connected (or lost for less than
// grace after having been connected), or HTTP mode serving.
func (b *Bot) Ready(now time.Time, grace time.Duration) error {
	return b.link.Status().Ready(now, grace)
}

func (b *Bot) linkUp() { b.link.Up(b.clock.Now()) }

// linkDown records the loss; err's text becomes the reason /readyz shows, so
// callers pass errors that carry no secret (the adapter's logs show the same).
func (b *Bot) linkDown(err error) {
	reason := "disconnected"
	if err != nil {
		reason = err.Error()
	}
	b.link.Down(b.clock.Now(), reason)
}
