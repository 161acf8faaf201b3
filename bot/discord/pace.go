package discord

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/studybot/studybot/bot"
)

// pacer spaces outgoing messages (nudge fan-out, challenge posts) at
// Config.SendRate. Discord's global limit is 50 requests/s per bot and a
// per-route limiter does not see it, so fan-out to thousands of DM channels
// (each its own route) would hit 429s without this. The bucket is
// golang.org/x/time/rate's; pacer adds the global 429 hold, which a token
// bucket cannot express (Discord says "nobody sends until T").
//
// It measures real elapsed time, not bot.Clock: the rate is a promise to Discord
// about wall-clock time, and a test's frozen fake clock would stall it. Tests
// pace with a high rate or with their own now/sleep.
type pacer struct {
	lim *rate.Limiter

	mu   sync.Mutex
	held time.Time // a global 429 holds every send until then

	now   func() time.Time
	sleep func(context.Context, time.Duration) error
}

// pacerBurst is how many sends may go at once after a quiet spell.
const pacerBurst = 5

func newPacer(perSecond float64) *pacer {
	return &pacer{lim: rate.NewLimiter(rate.Limit(perSecond), pacerBurst), now: time.Now, sleep: bot.Sleep}
}

// wait takes a token, sleeping until one is available (and any global hold has
// passed) or ctx is done; a cancelled wait gives its token back.
func (p *pacer) wait(ctx context.Context) error {
	now := p.now()
	r := p.lim.ReserveN(now, 1)
	d := r.DelayFrom(now)
	p.mu.Lock()
	if h := p.held.Sub(now); h > d {
		d = h
	}
	p.mu.Unlock()
	if d <= 0 {
		return ctx.Err()
	}
	if err := p.sleep(ctx, d); err != nil {
		r.CancelAt(p.now())
		return err
	}
	return nil
}

// hold stops every send for d (a global rate limit).
func (p *pacer) hold(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if until := p.now().Add(d); until.After(p.held) {
		p.held = until
	}
}
