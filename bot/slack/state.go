package slack

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// profile is what users.info tells us about a member.
type profile struct {
	name  string
	zone  string
	admin bool // workspace admin or owner
	at    time.Time
}

// userCache keeps users.info answers for userTTL, so a burst of commands costs
// one API call and a demoted admin loses moderator rights within minutes.
type userCache struct {
	mu sync.Mutex
	m  map[string]profile // team + "/" + user
}

func newUserCache() *userCache { return &userCache{m: map[string]profile{}} }

func (c *userCache) get(key string, now time.Time) (profile, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.m[key]
	if !ok || now.Sub(p.at) >= userTTL || now.Before(p.at) {
		return profile{}, false
	}
	return p, true
}

func (c *userCache) put(key string, p profile) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= 10000 { // bound memory: drop expired entries, or all if none are
		for k, v := range c.m {
			if p.at.Sub(v.at) >= userTTL {
				delete(c.m, k)
			}
		}
		if len(c.m) >= 10000 {
			clear(c.m)
		}
	}
	c.m[key] = p
}

// pacer spaces messages twice over: all of them at Config.SendRate (a
// golang.org/x/time/rate bucket holding one second's worth, for Slack's
// workspace-wide limit), and those to one channel postInterval apart (Slack's
// per-channel rule for chat.postMessage). Both run on the adapter's clock, so
// tests step them. reserve hands out slots, so concurrent senders queue
// instead of bursting.
type pacer struct {
	all *rate.Limiter

	mu   sync.Mutex
	next map[string]time.Time // channel -> earliest time of its next message
}

func newPacer(perSecond float64) *pacer {
	burst := max(1, int(math.Ceil(perSecond)))
	return &pacer{all: rate.NewLimiter(rate.Limit(perSecond), burst), next: map[string]time.Time{}}
}

// reserve returns how long to wait before sending to channel at now, and books
// the slot after it. cancel gives the adapter-wide token back when the send
// does not happen; the channel's slot stays booked, which only delays that
// channel's next message.
func (p *pacer) reserve(channel string, now time.Time) (wait time.Duration, cancel func()) {
	r := p.all.ReserveN(now, 1)
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.next) >= 10000 {
		for k, t := range p.next {
			if !t.After(now) {
				delete(p.next, k)
			}
		}
	}
	at := now
	if t, ok := p.next[channel]; ok && t.After(now) {
		at = t
	}
	p.next[channel] = at.Add(postInterval)
	return max(at.Sub(now), r.DelayFrom(now)), func() { r.CancelAt(now) }
}

// dedup remembers the last n keys (envelope ids, event ids, request
// signatures) so a redelivery is acknowledged without a second side effect.
type dedup struct {
	mu   sync.Mutex
	set  map[string]struct{}
	ring []string
	pos  int
}

func newDedup(n int) *dedup {
	return &dedup{set: make(map[string]struct{}, n), ring: make([]string, n)}
}

// has reports whether key is remembered, without recording it.
func (d *dedup) has(key string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, ok := d.set[key]
	return ok
}

// first records key and reports whether it is new. Empty keys are always new.
func (d *dedup) first(key string) bool {
	if key == "" {
		return true
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.set[key]; ok {
		return false
	}
	if old := d.ring[d.pos]; old != "" {
		delete(d.set, old)
	}
	d.ring[d.pos] = key
	d.pos = (d.pos + 1) % len(d.ring)
	d.set[key] = struct{}{}
	return true
}
