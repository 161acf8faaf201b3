package store

import (
	"slices"
	"sync"

	bolt "go.etcd.io/bbolt"

	"github.com/studybot/studybot/bot"
)

// maxCachedSpaces bounds spaceCache: a self-hosted bot serves a few
// servers; past this many the cache starts over rather than track use.
const maxCachedSpaces = 4096

// spaceCache keeps each space's settings record as last decoded, beside
// the bytes it was decoded from. Nearly every command reads its space's
// settings (which roadmap, which moderators), and decoding the JSON of a
// configured space (a challenge schedule, roadmaps, moderators) took about
// 6 µs, as much as the rest of next.
//
// Inside a read transaction (decode), an entry is used only when the
// stored bytes are still the same, so that use needs no invalidation. A
// read without a transaction (MemberInSpace's cached path, current) also
// needs to know the entry is the last committed record: every write of
// the settings goes through put, which notes its transaction id (as the
// member cache's tombstones do), and an entry counts as current only when
// read at or after the space's last write. TestSettingsWritesGoThroughPut
// holds every write of the record to put.
type spaceCache struct {
	mu      sync.Mutex
	entries map[string]spaceEntry // by space key
	written map[string]uint64     // by space key: the last write's transaction id
	floor   uint64                // no entry read before this is current (see clearLocked)
}

type spaceEntry struct {
	raw  string           // the settings record's bytes ("" when absent)
	rec  *bot.SpaceRecord // their decode, never handed out (see cloneSpace); nil when absent
	txid uint64           // the transaction it was last read in
}

func newSpaceCache() *spaceCache {
	return &spaceCache{entries: map[string]spaceEntry{}, written: map[string]uint64{}}
}

// decode fills rec from the settings record v of the space keyed key, read
// in transaction txid.
func (c *spaceCache) decode(key string, v []byte, rec *bot.SpaceRecord, txid uint64) error {
	c.mu.Lock()
	e, ok := c.entries[key]
	if ok && e.rec != nil && e.raw == string(v) {
		if txid > e.txid {
			e.txid = txid // the same bytes at a later snapshot
			c.entries[key] = e
		}
		c.mu.Unlock()
		cloneSpace(rec, e.rec)
		return nil
	}
	c.mu.Unlock()
	if err := decode("space", v, rec); err != nil {
		return err
	}
	keep := new(bot.SpaceRecord)
	cloneSpace(keep, rec)
	c.store(key, spaceEntry{raw: string(v), rec: keep, txid: txid})
	return nil
}

// absent notes that the space keyed key had no settings record in
// transaction txid.
func (c *spaceCache) absent(key string, txid uint64) {
	c.store(key, spaceEntry{txid: txid})
}

func (c *spaceCache) store(key string, e spaceEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.entries[key]; ok && old.txid > e.txid {
		return // read later than this snapshot
	}
	if len(c.entries) >= maxCachedSpaces {
		c.clearLocked()
	}
	c.entries[key] = e
}

// clearLocked starts over. Forgetting when spaces were written must not
// make an older read current: floor keeps every read before the last
// write of any space out. c.mu is held.
func (c *spaceCache) clearLocked() {
	for _, w := range c.written {
		c.floor = max(c.floor, w)
	}
	clear(c.entries)
	clear(c.written)
}

// current fills rec from the space's settings as last committed, without
// a transaction, and reports whether it could: the entry was read at or
// after the space's last write (a write in progress has noted its id, so
// until it commits the entry is not current either).
func (c *spaceCache) current(key string, rec *bot.SpaceRecord) bool {
	c.mu.Lock()
	e, ok := c.entries[key]
	ok = ok && e.txid >= c.written[key] && e.txid >= c.floor
	c.mu.Unlock()
	if !ok {
		return false
	}
	if e.rec == nil {
		*rec = bot.SpaceRecord{}
	} else {
		cloneSpace(rec, e.rec)
	}
	return true
}

// put writes a space's settings record, noting the write first: it runs
// inside the write transaction, before the commit, so until the commit
// every reader's snapshot is older than the write and no read without a
// transaction takes the cached record for current.
func (c *spaceCache) put(sb *bolt.Bucket, key string, buf []byte) error {
	txid := uint64(sb.Tx().ID())
	c.mu.Lock()
	c.written[key] = max(c.written[key], txid)
	c.mu.Unlock()
	return sb.Put(keySettings, buf)
}

// cloneSpace copies src into dst, sharing nothing but strings.
func cloneSpace(dst, src *bot.SpaceRecord) {
	*dst = *src
	dst.Queue = slices.Clone(src.Queue)
	dst.Roadmaps = slices.Clone(src.Roadmaps)
	dst.Moderators = slices.Clone(src.Moderators)
}
