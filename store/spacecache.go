package store

import (
	"slices"
	"sync"

	"github.com/studybot/studybot/bot"
)

// maxCachedSpaces bounds spaceCache: a self-hosted bot serves a few
// servers; past this many the cache starts over rather than track use.
const maxCachedSpaces = 4096

// spaceCache keeps each space's settings record as last decoded, beside
// the bytes it was decoded from. Nearly every command reads its space's
// settings (which roadmap, which moderators), and decoding the JSON of a
// configured space (a challenge schedule, roadmaps, moderators) took about
// 6 µs, as much as the rest of next. An entry is used only when the stored
// bytes are still the same, compared inside the reading transaction, so
// it needs no invalidation and is never stale, on any write path.
type spaceCache struct {
	mu      sync.Mutex
	entries map[string]spaceEntry // by space key
}

type spaceEntry struct {
	raw string           // the settings record's bytes
	rec *bot.SpaceRecord // their decode, never handed out (see cloneSpace)
}

func newSpaceCache() *spaceCache { return &spaceCache{entries: map[string]spaceEntry{}} }

// decode fills rec from the settings record v of the space keyed key.
func (c *spaceCache) decode(key string, v []byte, rec *bot.SpaceRecord) error {
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && e.raw == string(v) {
		cloneSpace(rec, e.rec)
		return nil
	}
	if err := decode("space", v, rec); err != nil {
		return err
	}
	keep := new(bot.SpaceRecord)
	cloneSpace(keep, rec)
	c.mu.Lock()
	if len(c.entries) >= maxCachedSpaces {
		clear(c.entries)
	}
	c.entries[key] = spaceEntry{raw: string(v), rec: keep}
	c.mu.Unlock()
	return nil
}

// cloneSpace copies src into dst, sharing nothing but strings.
func cloneSpace(dst, src *bot.SpaceRecord) {
	*dst = *src
	dst.Queue = slices.Clone(src.Queue)
	dst.Roadmaps = slices.Clone(src.Roadmaps)
	dst.Moderators = slices.Clone(src.Moderators)
}
