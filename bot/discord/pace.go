package discord

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/studybot/studybot/bot"
)

// pacer keeps Discord's two kinds of rate limit, so that many sends can run at
// once without tripping either:
//
//   - the global limit (50 requests/s per bot): outgoing messages (nudge
//     fan-out, challenge posts) take a token from one golang.org/x/time/rate
//     bucket at Config.SendRate. A global 429 holds every paced send ("nobody
//     sends until T"), which a token bucket cannot express, so pacer adds it;
//   - per-route limits: Discord names a bucket per route in X-RateLimit-Bucket
//     and counts it per top-level resource (channel, guild, webhook: the
//     "major parameter"), telling what is left (X-RateLimit-Remaining) and
//     when it refills (X-RateLimit-Reset-After). Every request first waits for
//     its own route's bucket, and a non-global 429 empties only that bucket
//     until retry_after. So a 429 on one DM channel delays that channel's
//     sends, never the fan-out to everyone else.
//
// It measures real elapsed time, not bot.Clock: the rate is a promise to Discord
// about wall-clock time, and a test's frozen fake clock would stall it. Tests
// pace with a high rate or with their own now/sleep.
type pacer struct {
	lim *rate.Limiter

	mu      sync.Mutex
	held    time.Time          // a global 429 holds every paced send until then
	hashes  map[string]string  // route name -> Discord's bucket hash, once seen
	buckets map[string]*bucket // bucket hash (or route name) + major parameter -> state
	sweepAt int                // len(buckets) at which expired buckets are dropped

	now   func() time.Time
	sleep func(context.Context, time.Duration) error
}

// bucket is one per-route rate limit as Discord last described it.
type bucket struct {
	remaining int       // requests left before reset; meaningful until reset
	reset     time.Time // when the bucket refills; zero when unknown
}

// pacerBurst is how many sends may go at once after a quiet spell.
const pacerBurst = 5

// minSweep is the size of the bucket table before expired entries are
// dropped. A fan-out touches one DM channel per member, each its own bucket,
// so the table would otherwise grow with the member count.
const minSweep = 4096

func newPacer(perSecond float64) *pacer {
	return &pacer{
		lim:     rate.NewLimiter(rate.Limit(perSecond), pacerBurst),
		hashes:  map[string]string{},
		buckets: map[string]*bucket{},
		sweepAt: minSweep,
		now:     time.Now,
		sleep:   bot.Sleep,
	}
}

// wait takes a token of the global bucket, sleeping until one is available
// (and any global hold has passed) or ctx is done; a cancelled wait gives its
// token back.
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

// hold stops every paced send for d (a global rate limit).
func (p *pacer) hold(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if until := p.now().Add(d); until.After(p.held) {
		p.held = until
	}
}

// routeKey names the bucket of a request: Discord's bucket hash for the route
// when it has told us one (routes may share a bucket), else the route name,
// and the major parameter. The caller holds mu.
func (p *pacer) routeKey(route, major string) string {
	if h, ok := p.hashes[route]; ok {
		return h + "\x00" + major
	}
	return route + "\x00" + major
}

// waitRoute waits until the route's bucket has a request left (or has
// refilled), then counts this request against it. It returns how long it
// waited, for the rate-limit metrics.
func (p *pacer) waitRoute(ctx context.Context, route, major string) (time.Duration, error) {
	var waited time.Duration
	for {
		p.mu.Lock()
		now := p.now()
		b := p.buckets[p.routeKey(route, major)]
		if b == nil || !now.Before(b.reset) {
			// Unknown, or refilled since Discord last spoke: go, and let
			// the answer's headers tell what is left.
			p.mu.Unlock()
			return waited, ctx.Err()
		}
		if b.remaining > 0 {
			b.remaining--
			p.mu.Unlock()
			return waited, ctx.Err()
		}
		d := b.reset.Sub(now)
		p.mu.Unlock()
		if err := p.sleep(ctx, d); err != nil {
			return waited, err
		}
		waited += d
	}
}

// update records what an answer's headers say of the route's bucket; a
// non-global 429 (retryAfter > 0) empties it until retryAfter has passed.
func (p *pacer) update(route, major string, h http.Header, retryAfter time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if hash := h.Get("X-RateLimit-Bucket"); hash != "" && len(hash) <= 64 {
		p.hashes[route] = hash
	}
	key := p.routeKey(route, major)
	b := p.buckets[key]
	remaining, errR := strconv.Atoi(h.Get("X-RateLimit-Remaining"))
	resetAfter, errA := strconv.ParseFloat(h.Get("X-RateLimit-Reset-After"), 64)
	if errR == nil && errA == nil && resetAfter >= 0 {
		reset := now.Add(seconds(resetAfter))
		switch {
		case b == nil:
			b = &bucket{remaining: remaining, reset: reset}
			p.buckets[key] = b
		case reset.After(b.reset.Add(50 * time.Millisecond)):
			// A new window: Discord's count replaces ours.
			b.remaining, b.reset = remaining, reset
		default:
			// Same window: answers to concurrent requests arrive out of
			// order, so keep the lower count.
			b.remaining = min(b.remaining, remaining)
		}
	}
	if retryAfter > 0 {
		if b == nil {
			b = &bucket{}
			p.buckets[key] = b
		}
		b.remaining = 0
		if until := now.Add(retryAfter); until.After(b.reset) {
			b.reset = until
		}
	}
	if len(p.buckets) >= p.sweepAt {
		for k, b := range p.buckets {
			if !now.Before(b.reset) {
				delete(p.buckets, k)
			}
		}
		p.sweepAt = max(minSweep, 2*len(p.buckets))
	}
}

// majorParam returns the top-level resource of an API path that Discord
// counts per-route limits by: "channels/<id>", "guilds/<id>",
// "webhooks/<id>/<token>" (interactions likewise), or "" when the path has
// none. The key may hold an interaction token; it lives only in memory and is
// never logged.
func majorParam(path string) string {
	parts := strings.SplitN(strings.TrimPrefix(path, "/"), "/", 4)
	switch {
	case len(parts) >= 2 && (parts[0] == "channels" || parts[0] == "guilds"):
		return parts[0] + "/" + parts[1]
	case len(parts) >= 3 && (parts[0] == "webhooks" || parts[0] == "interactions"):
		return parts[0] + "/" + parts[1] + "/" + parts[2]
	}
	return ""
}
