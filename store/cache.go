package store

import (
	"sync"
	"sync/atomic"

	"github.com/studybot/studybot/bot"
)

// DefaultBriefCacheBytes bounds the cache of decoded briefs (see
// memberCache): about 10,000 members with 65 marks each.
const DefaultBriefCacheBytes = 64 << 20

// DefaultMemberCacheBytes bounds the cache of whole decoded members that
// commands read (MemberInSpace): the members active lately, a few
// thousand.
const DefaultMemberCacheBytes = 32 << 20

// memberCache keeps decoded members. The store has two: briefs, as Briefs
// decoded them, so group and leaderboard over a space nobody wrote to since
// the last view decode nothing again; and full, whole members as
// MemberInSpace decoded them, so a member's next command does not decode
// their record again (decoding was most of what next and progress cost).
// It lives in the bbolt store only: bbolt's file lock makes this process
// the only writer, so every write passes through invalidate. (A PostgreSQL
// store shared by several processes could not know of another's writes.)
//
// Entries are shared and never changed: Briefs hands fn a shallow copy
// (Answered is filled per read) whose maps are the entry's (bot.MemberBriefs
// says fn must not change them); MemberInSpace hands out a deep copy
// (cloneMember), which the engine may change.
//
// Staleness: a reader's snapshot may predate a write that invalidated the
// key while it was decoding. Each entry carries the transaction id it was
// read at, and invalidation leaves a tombstone with the writing
// transaction's id: a reader only stores what it read at or after the last
// write of that key. Evicting any entry raises floor, below which no
// reader stores anything, so eviction never lets a stale read back in.
type memberCache struct {
	mu      sync.Mutex
	max     int64
	bytes   int64
	floor   uint64 // no entry read before this transaction is stored
	entries map[string]cacheEntry

	hits, misses, evictions atomic.Uint64
}

type cacheEntry struct {
	m    *bot.Member // nil for a tombstone or a mark
	raw  string      // the binary record m was decoded from (full cache only)
	read bool        // a mark: read at txid, not kept (see seen)
	txid uint64      // read at (entry) or written at (tombstone)
	size int64
}

// tombstoneSize is what a tombstone counts against the bound.
const tombstoneSize = 64

func newMemberCache(max int64) *memberCache {
	if max <= 0 {
		return nil
	}
	return &memberCache{max: max, entries: map[string]cacheEntry{}}
}

func cacheKey(sp bot.Space, id string) string { return sp.Key() + "\x00" + id }

// get returns the member cached under key, and the record it was decoded
// from, when cached and read at or after the last write (any entry is); nil
// otherwise. key is a []byte so that a lookup builds no string.
func (c *memberCache) get(key []byte) (*bot.Member, string) {
	if c == nil {
		return nil, ""
	}
	c.mu.Lock()
	e, ok := c.entries[string(key)]
	c.mu.Unlock()
	if !ok || e.m == nil {
		c.misses.Add(1)
		return nil, ""
	}
	c.hits.Add(1)
	return e.m, e.raw
}

// peek is get without counting a hit or a miss: a cached read that turns
// out not to be possible counts once, where it is made.
func (c *memberCache) peek(key []byte) (*bot.Member, string) {
	if c == nil {
		return nil, ""
	}
	c.mu.Lock()
	e := c.entries[string(key)]
	c.mu.Unlock()
	return e.m, e.raw
}

// put stores a member read in the read transaction txid (decoded from raw,
// or from a record of recordLen bytes), unless a write at a later
// transaction invalidated the key (or may have: floor).
func (c *memberCache) put(key string, m *bot.Member, raw string, txid uint64, recordLen int) {
	if c == nil {
		return
	}
	// Decoded, a member takes about four times its binary record (marks
	// are 80-byte structs with map slots), plus the key.
	size := int64(4*recordLen + len(key) + 256)
	c.mu.Lock()
	defer c.mu.Unlock()
	if txid < c.floor {
		return
	}
	old, ok := c.entries[key]
	if ok && old.txid > txid {
		return // written (or read) later than this snapshot
	}
	c.bytes += size - old.size
	c.entries[key] = cacheEntry{m: m, raw: raw, txid: txid, size: size}
	c.evict()
}

// seen reports whether key was read before, since its last write, and
// otherwise marks this read (in transaction txid) so the next one is. The
// full cache keeps a member read from a record from its second read after
// a write on: a member who writes (done after done) reads once between
// writes, and caching that read would cost a copy for nothing. (A write
// after a read, UpdateMemberAfter, puts the member it wrote itself.)
func (c *memberCache) seen(key []byte, txid uint64) bool {
	if c == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old, ok := c.entries[string(key)]
	switch {
	case ok && old.read:
		return true
	case ok && old.txid > txid, txid < c.floor:
		return false // written after this snapshot: this read is stale
	}
	c.bytes += tombstoneSize - old.size
	c.entries[string(key)] = cacheEntry{read: true, txid: txid, size: tombstoneSize}
	c.evict()
	return false
}

// invalidate drops key for a write in transaction txid, leaving a tombstone.
// It is called inside the write transaction, before the commit: until the
// commit every reader's snapshot is older than txid, so none stores it.
func (c *memberCache) invalidate(key string, txid uint64) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.entries[key]
	c.bytes += tombstoneSize - old.size
	c.entries[key] = cacheEntry{txid: max(txid, old.txid), size: tombstoneSize}
	c.evict()
}

// evict drops random entries (map order) until the cache is under its
// bound: a view scans a whole space, so no entry is much hotter than
// another. c.mu is held.
func (c *memberCache) evict() {
	for key, e := range c.entries {
		if c.bytes <= c.max {
			return
		}
		// Any entry's txid is at least its key's last write (a tombstone
		// is the write, a member or mark was read at or after it):
		// forgetting it must keep every older reader out.
		c.floor = max(c.floor, e.txid)
		delete(c.entries, key)
		c.bytes -= e.size
		c.evictions.Add(1)
	}
}

// CacheStats are counters of one of the store's caches of decoded members,
// for /metrics.
type CacheStats struct {
	Hits, Misses, Evictions uint64 // since Open
	Entries                 int    // now, tombstones included
	Bytes, MaxBytes         int64  // estimated size now, and the bound
}

// CacheStats returns the counters of the cache of briefs (group and
// leaderboard); zero when it is off (Options.BriefCacheBytes < 0).
func (db *DB) CacheStats() CacheStats { return db.briefs.stats() }

// MemberCacheStats returns the counters of the cache of whole members
// (commands); zero when it is off (Options.MemberCacheBytes < 0).
func (db *DB) MemberCacheStats() CacheStats { return db.full.stats() }

func (c *memberCache) stats() CacheStats {
	if c == nil {
		return CacheStats{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return CacheStats{
		Hits: c.hits.Load(), Misses: c.misses.Load(), Evictions: c.evictions.Load(),
		Entries: len(c.entries), Bytes: c.bytes, MaxBytes: c.max,
	}
}

// invalidateMember drops a member from both caches; called inside the
// write transaction txid that writes or deletes the record.
func (db *DB) invalidateMember(sp bot.Space, id string, txid uint64) {
	key := cacheKey(sp, id)
	db.briefs.invalidate(key, txid)
	db.full.invalidate(key, txid)
}
