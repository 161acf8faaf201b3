package discord

import (
	"sync"
	"time"
)

// Replay protection bounds. A signed request older than maxSkew is refused
// anyway, so ids need remembering only a little longer than that; seenTTL is
// generous. Answers are kept for replays up to seenBodyBytes in total; a replay
// whose answer was dropped gets a short "already handled" message instead.
const (
	seenTTL       = 15 * time.Minute
	seenMax       = 1 << 16
	seenBodyBytes = 8 << 20
)

// seenEntry is one interaction id the adapter has accepted.
type seenEntry struct {
	id   string
	at   time.Time
	done chan struct{} // closed when the first answer is known
	// The first answer, replayed verbatim; set before done is closed.
	status int
	ctype  string
	body   []byte
}

// seenCache remembers recent interaction ids so that a replayed (or redelivered)
// interaction never runs the engine twice. Memory is bounded by seenMax ids and
// seenBodyBytes of kept answers.
type seenCache struct {
	mu       sync.Mutex
	ttl      time.Duration
	max      int
	maxBytes int
	byID     map[string]*seenEntry
	queue    []*seenEntry // oldest first, from head
	head     int
	bodyHead int // entries before it have had their bodies dropped
	bytes    int
}

func newSeenCache(ttl time.Duration, max int) *seenCache {
	return &seenCache{ttl: ttl, max: max, maxBytes: seenBodyBytes, byID: map[string]*seenEntry{}}
}

// claim records id at now. first is true when id was not seen within the TTL;
// otherwise the earlier entry is returned (wait on its done channel).
func (c *seenCache) claim(id string, now time.Time) (e *seenEntry, first bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expire(now)
	if e, ok := c.byID[id]; ok {
		return e, false
	}
	e = &seenEntry{id: id, at: now, done: make(chan struct{})}
	c.byID[id] = e
	c.queue = append(c.queue, e)
	return e, true
}

// finish stores the first answer for replays and wakes waiters.
func (c *seenCache) finish(e *seenEntry, status int, ctype string, body []byte) {
	c.mu.Lock()
	e.status, e.ctype = status, ctype
	if len(body) <= c.maxBytes && c.byID[e.id] == e {
		e.body = body
		c.bytes += len(body)
	}
	for c.bytes > c.maxBytes && c.bodyHead < len(c.queue) {
		old := c.queue[c.bodyHead]
		c.bytes -= len(old.body)
		old.body = nil
		c.bodyHead++
	}
	c.mu.Unlock()
	close(e.done)
}

// expire drops entries older than the TTL, and the oldest beyond max.
func (c *seenCache) expire(now time.Time) {
	for c.head < len(c.queue) {
		e := c.queue[c.head]
		if len(c.queue)-c.head < c.max && now.Sub(e.at) < c.ttl {
			break
		}
		delete(c.byID, e.id)
		c.bytes -= len(e.body)
		c.queue[c.head] = nil
		c.head++
	}
	if c.bodyHead < c.head {
		c.bodyHead = c.head
	}
	if c.head > 1024 && c.head > len(c.queue)/2 {
		n := copy(c.queue, c.queue[c.head:])
		clear(c.queue[n:])
		c.queue = c.queue[:n]
		c.bodyHead -= c.head
		c.head = 0
	}
}

// len is the number of remembered ids.
func (c *seenCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.byID)
}
