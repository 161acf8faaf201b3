package discord

import (
	"context"
	"sync"
	"time"

	"github.com/studybot/studybot/bot"
)

// pacer is a token bucket for outgoing messages (nudge fan-out, challenge posts).
// Discord's global limit is 50 requests/s per bot and discordgo's per-route
// limiter does not see it, so fan-out to thousands of DM channels (each its own
// route) would hit 429s without this.
//
// It measures real elapsed time, not bot.Clock: the rate is a promise to Discord
// about wall-clock time, and a test's frozen fake clock would stall it. Tests pace
// with a high rate or with their own now/sleep.
type pacer struct {
	mu       sync.Mutex
	interval time.Duration // one token per interval
	burst    int
	next     time.Time // the earliest start of the next send, at zero burst
	held     time.Time // a global 429 holds every send until then

	now   func() time.Time
	sleep func(context.Context, time.Duration) error
}

// pacerBurst is how many sends may go at once after a quiet spell.
const pacerBurst = 5

func newPacer(rate float64) *pacer {
	iv := time.Duration(float64(time.Second) / rate)
	if iv <= 0 {
		iv = time.Nanosecond
	}
	return &pacer{interval: iv, burst: pacerBurst, now: time.Now, sleep: bot.Sleep}
}

// wait takes a token, sleeping until one is available or ctx is done.
func (p *pacer) wait(ctx context.Context) error {
	p.mu.Lock()
	now := p.now()
	// Unused capacity accumulates up to burst tokens.
	floor := now.Add(-time.Duration(p.burst-1) * p.interval)
	t := p.next
	if t.Before(floor) {
		t = floor
	}
	if t.Before(p.held) {
		t = p.held
	}
	p.next = t.Add(p.interval)
	p.mu.Unlock()
	if d := t.Sub(now); d > 0 {
		return p.sleep(ctx, d)
	}
	return ctx.Err()
}

// hold stops every send for d (a global rate limit).
func (p *pacer) hold(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if until := p.now().Add(d); until.After(p.held) {
		p.held = until
	}
}
