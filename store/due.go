package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/studybot/studybot/bot"
)

// The nudge schedule lives apart from the member record so that a claim (700
// members a minute at 1,000,000 subscribed) touches a few clustered pages of
// small values instead of decoding and rewriting one 4 KB record per member:
//
//	nudges/<hour><minute><2-byte zone length><zone><space key>0x00<member id>
//	    -> 9 bytes: flags (on, DM closed), 8-byte generation
//	due/<8-byte unix second><space key>0x00<member id>
//	    -> 8-byte generation, 4-byte nanoseconds, hour, minute, zone, last date
//
// The nudges key leads with the local time and zone, not the member: everyone
// due at one instant shares one of a few (time, zone) prefixes, so the claim's
// lookups read a few neighbouring pages instead of one random page per member
// (measured: ~4 µs a lookup on a cold 1,000,000-member file, most of a tick).
// The settings a claim needs travel in the due value; the member record keeps
// them too (they never go stale there), so writers and DeleteMember can build
// the key.
//
// Every schedule change (UpdateMember moving On, Hour, Minute, Zone or Next)
// bumps the generation, moves the nudges record to its new key, deletes the
// due entry at the member record's old Nudge.Next when it is still there, and
// inserts one at the new Next. A claim moves an entry forward without touching
// the member record, so an entry of an older generation may survive elsewhere
// in the index; it is stale (no nudges record at its key, or another
// generation there), and ClaimDue drops it when it comes due, without calling
// fn.

// nudgeRec is the value in the nudges bucket.
type nudgeRec struct {
	Gen          uint64
	On, DMClosed bool
}

const (
	flagOn       = 1 << 0
	flagDMClosed = 1 << 1
	nudgeRecLen  = 9
)

func (r nudgeRec) encode() []byte {
	var flags byte
	if r.On {
		flags |= flagOn
	}
	if r.DMClosed {
		flags |= flagDMClosed
	}
	return binary.BigEndian.AppendUint64([]byte{flags}, r.Gen)
}

func decodeNudgeRec(v []byte) (nudgeRec, bool) {
	if len(v) != nudgeRecLen {
		return nudgeRec{}, false
	}
	return nudgeRec{On: v[0]&flagOn != 0, DMClosed: v[0]&flagDMClosed != 0, Gen: binary.BigEndian.Uint64(v[1:])}, true
}

// slot is the part of a member's settings that leads their nudges key.
type slot struct {
	Hour, Minute int
	Zone         string
}

func slotOf(n bot.Nudge) slot { return slot{n.Hour, n.Minute, n.Zone} }

// appendSlot appends hour, minute, the zone's length and the zone. Hours and
// minutes beyond a byte (never stored by the engine) wrap; they only place the
// key, and the same settings always give the same key.
func appendSlot(buf []byte, s slot) []byte {
	buf = append(buf, byte(s.Hour), byte(s.Minute))
	buf = binary.BigEndian.AppendUint16(buf, uint16(len(s.Zone)))
	return append(buf, s.Zone...)
}

// nudgeKey is a member's key in the nudges bucket; tail is memberKey's.
func nudgeKey(s slot, tail []byte) []byte {
	return append(appendSlot(make([]byte, 0, 4+len(s.Zone)+len(tail)), s), tail...)
}

// dueVal is the value of a due entry: the generation it belongs to, the
// sub-second part of its instant (the key holds whole seconds), the member's
// slot (to find their nudges record) and the local date of their last nudge.
type dueVal struct {
	Gen      uint64
	Nsec     int64
	Slot     slot
	LastDate string
}

func (v dueVal) encode() []byte {
	buf := make([]byte, 0, 16+len(v.Slot.Zone)+len(v.LastDate))
	buf = binary.BigEndian.AppendUint64(buf, v.Gen)
	buf = binary.BigEndian.AppendUint32(buf, uint32(v.Nsec))
	buf = appendSlot(buf, v.Slot)
	return append(buf, v.LastDate...)
}

func decodeDueVal(b []byte) (dueVal, bool) {
	h, ok := decodeDueHead(b)
	if !ok {
		return dueVal{}, false
	}
	return dueVal{Gen: h.Gen, Nsec: h.Nsec, Slot: slot{h.Hour, h.Minute, string(b[16:h.zoneEnd])}, LastDate: string(b[h.zoneEnd:])}, true
}

// dueHead is a due value's fixed part: its zone is b[16:zoneEnd] and its last
// date b[zoneEnd:], and b[12:zoneEnd] is the slot as appendSlot encodes it.
type dueHead struct {
	Gen          uint64
	Nsec         int64
	Hour, Minute int
	zoneEnd      int
}

func decodeDueHead(b []byte) (dueHead, bool) {
	if len(b) < 16 {
		return dueHead{}, false
	}
	h := dueHead{Gen: binary.BigEndian.Uint64(b), Nsec: int64(binary.BigEndian.Uint32(b[8:])), Hour: int(b[12]), Minute: int(b[13])}
	h.zoneEnd = 16 + int(binary.BigEndian.Uint16(b[14:]))
	if h.Nsec >= 1e9 || len(b) < h.zoneEnd {
		return dueHead{}, false
	}
	return h, true
}

// memberKey is the tail of a member's nudges key and due entries: the space
// key, 0x00, the member id.
func memberKey(sp bot.Space, id string) []byte {
	key := make([]byte, 0, len(sp.Key())+1+len(id))
	key = append(key, sp.Key()...)
	key = append(key, 0)
	return append(key, id...)
}

// dueKey is the due index key of a member whose next nudge is at next: the
// big-endian unix second (instants before 1970 clamp to 0, i.e. due at once),
// the space key, 0x00, the member id. Keys sort by due time first.
func dueKey(next time.Time, sp bot.Space, id string) []byte {
	return dueKeyTail(next, memberKey(sp, id))
}

func dueKeyTail(next time.Time, tail []byte) []byte {
	sec := next.Unix()
	if sec < 0 {
		sec = 0
	}
	key := make([]byte, 0, 8+len(tail))
	key = binary.BigEndian.AppendUint64(key, uint64(sec))
	return append(key, tail...)
}

// ClaimDue implements bot.Store. It runs in one db.Update (never Batch, which
// could re-run fn), so fn is called exactly once per entry. If fn returns an
// error, nothing is committed and ClaimDue returns that error unchanged. limit
// must be positive. It returns the very *bot.Due values fn saw, in that order.
//
// Per entry it reads the member's small nudges record and rewrites the due
// entry; the member record is neither read nor written. Stale entries (an older
// generation, a member whose record is gone, a malformed key or value) are
// deleted without calling fn.
//
// A normal minute at 1,000,000 members claims ~700 entries, and the tick's
// budget is a few milliseconds, so the loop avoids per-entry garbage: a heap
// that grows by a megabyte a tick triggers a GC every other tick, and on a
// 2-core machine that GC doubled the slow ticks (BenchmarkTick). Hence one
// buffer for the collected entries, one string that every id, zone and date
// is a slice of, reused cursors (bbolt's Get and Delete allocate a cursor
// each), and one arena for the new keys and values (bbolt keeps those slices
// until the commit, so they must not be reused within it).
func (db *DB) ClaimDue(ctx context.Context, now time.Time, limit int, fn func(*bot.Due) error) ([]*bot.Due, error) {
	if limit <= 0 {
		return nil, bot.Errorf(bot.Invalid, "ClaimDue needs a positive limit, not %d.", limit)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []*bot.Due
	var fnErr error
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		out, fnErr = nil, nil
		due, nudges := tx.Bucket(bucketDue), tx.Bucket(bucketNudges)
		// The new entries land about a day ahead, at the end of the index
		// and in key order, where bbolt's default half-full split would
		// write twice the pages (and each page is fsynced). Pack them.
		due.FillPercent = 1
		// Collect first: a bucket must not change under its cursor.
		sc := &db.claim
		entries, buf := sc.entries[:0], sc.buf[:0]
		dc := due.Cursor()
		for k, v := dc.First(); k != nil && len(entries) < limit; k, v = dc.Next() {
			if len(k) >= 8 && int64(binary.BigEndian.Uint64(k[:8])) > now.Unix() {
				break
			}
			e := claimEntry{k: len(buf)}
			buf = append(buf, k...)
			e.v = len(buf)
			buf = append(buf, v...)
			e.end = len(buf)
			entries = append(entries, e)
		}
		sc.entries, sc.buf = entries, buf
		str := string(buf)
		dues := make([]bot.Due, len(entries))
		out = make([]*bot.Due, 0, len(entries))
		var (
			nc      = nudges.Cursor()
			nkey    = sc.nkey[:0]
			arena   = sc.arena[:0]
			spKey   string
			sp      bot.Space
			spValid bool
		)
		// take returns n bytes of the arena, empty with capacity n. A full
		// arena is replaced, not grown: bbolt holds slices of the old one.
		take := func(n int) []byte {
			if cap(arena)-len(arena) < n {
				arena = make([]byte, 0, max(2*cap(arena), 32<<10, n))
			}
			b := arena[len(arena) : len(arena) : len(arena)+n]
			arena = arena[:len(arena)+n]
			return b
		}
		// bbolt is done with the arena once the transaction ends; the last
		// (largest) one is kept for the next claim.
		defer func() { sc.arena, sc.nkey = arena[:0], nkey[:0] }()
		for i, e := range entries {
			key, val := buf[e.k:e.v], buf[e.v:e.end]
			h, ok := decodeDueHead(val)
			var rec nudgeRec
			var id string
			if ok && len(key) > 8 {
				// The due value holds the slot encoded as the nudges key
				// begins, so the lookup key is two copies.
				nkey = append(append(nkey[:0], val[12:h.zoneEnd]...), key[8:]...)
				nk, nv := nc.Seek(nkey)
				rec, ok = decodeNudgeRec(nv)
				ok = ok && bytes.Equal(nk, nkey)
				// Most entries share the previous one's space: parse once.
				tail := str[e.k+8 : e.v]
				cut := strings.IndexByte(tail, 0)
				if ok = ok && cut > 0 && cut < len(tail)-1; ok {
					if !spValid || tail[:cut] != spKey {
						spKey = tail[:cut]
						sp, spValid = bot.ParseSpace(spKey)
					}
					ok, id = spValid, tail[cut+1:]
				}
			}
			if !ok || rec.Gen != h.Gen {
				if err := deleteAt(dc, key); err != nil {
					return err
				}
				continue
			}
			at := time.Unix(int64(binary.BigEndian.Uint64(key)), h.Nsec).UTC()
			if at.After(now) {
				continue // due later within this same second
			}
			d := &dues[i]
			*d = bot.Due{Space: sp, Member: id, DMClosed: rec.DMClosed, Nudge: bot.Nudge{
				On: rec.On, Hour: h.Hour, Minute: h.Minute, Zone: str[e.v+16 : e.v+h.zoneEnd],
				Next: at, LastDate: str[e.v+h.zoneEnd : e.end],
			}}
			if err := fn(d); err != nil {
				fnErr = err
				return err
			}
			// The key decides who this is; fn cannot move an entry to another
			// member, nor change settings that only UpdateMember changes.
			d.Space, d.Member = sp, id
			if !d.Nudge.Next.IsZero() && !d.Nudge.Next.After(now) {
				return fmt.Errorf("claim %s/%s: fn left the nudge at %s, not after %s", sp, id, d.Nudge.Next, now)
			}
			if err := deleteAt(dc, key); err != nil {
				return err
			}
			if next := d.Nudge.Next; !next.IsZero() {
				tail := key[8:]
				nk := binary.BigEndian.AppendUint64(take(8+len(tail)), uint64(max(next.Unix(), 0)))
				nk = append(nk, tail...)
				// Same generation and slot; a new instant and last date.
				nv := append(take(h.zoneEnd+len(d.Nudge.LastDate)), val[:h.zoneEnd]...)
				binary.BigEndian.PutUint32(nv[8:], uint32(next.Nanosecond()))
				nv = append(nv, d.Nudge.LastDate...)
				if err := due.Put(nk, nv); err != nil {
					return err
				}
			}
			out = append(out, d)
		}
		return nil
	})
	if fnErr != nil {
		return nil, fnErr
	}
	if err != nil {
		return nil, wrap("claim due", err)
	}
	return out, nil
}

// claimScratch is what ClaimDue reuses between calls instead of allocating
// anew each minute.
type claimScratch struct {
	entries []claimEntry
	buf     []byte // collected due entries, keys and values back to back
	arena   []byte // new due keys and values
	nkey    []byte
}

// claimEntry locates one collected due entry in claimScratch.buf: its key is
// buf[k:v] and its value buf[v:end].
type claimEntry struct{ k, v, end int }

// deleteAt deletes key through c, a reused cursor (bbolt's Bucket.Delete makes
// a new one per call).
func deleteAt(c *bolt.Cursor, key []byte) error {
	if k, _ := c.Seek(key); bytes.Equal(k, key) {
		return c.Delete()
	}
	return nil
}

// NextDue implements bot.Store: the instant of the first due index entry, zero
// when none is scheduled. The entry may be stale (ClaimDue drops it), so a
// caller may find nothing to claim at that instant.
func (db *DB) NextDue(ctx context.Context) (time.Time, error) {
	if err := ctx.Err(); err != nil {
		return time.Time{}, err
	}
	var next time.Time
	err := db.bolt.View(func(tx *bolt.Tx) error {
		k, v := tx.Bucket(bucketDue).Cursor().First()
		if k == nil {
			return nil
		}
		if len(k) < 8 {
			return fmt.Errorf("malformed due key %q", k)
		}
		sec := int64(binary.BigEndian.Uint64(k[:8]))
		dv, ok := decodeDueVal(v)
		if !ok {
			dv.Nsec = 0 // malformed: due at once, so that ClaimDue repairs it
		}
		next = time.Unix(sec, dv.Nsec).UTC()
		return nil
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("next due: %w", err)
	}
	return next, nil
}

// putSchedule keeps the nudges record and due index in step with a member
// record being stored: old is the stored member's nudge and DMClosed (zero
// when new), m the member about to be stored. Nothing is touched when neither
// changed, so most updates (progress, notes) cost no extra page.
func putSchedule(tx *bolt.Tx, old bot.Nudge, oldDM bool, m *bot.Member) error {
	n := m.Nudge
	moved := old.On != n.On || slotOf(old) != slotOf(n) || !old.Next.Equal(n.Next)
	if !moved && oldDM == m.DMClosed {
		return nil
	}
	nudges, due := tx.Bucket(bucketNudges), tx.Bucket(bucketDue)
	tail := memberKey(m.Space, m.ID)
	oldKey := nudgeKey(slotOf(old), tail)
	v := nudges.Get(oldKey)
	if v == nil && !moved {
		return nil // DMClosed alone matters only to a member with a schedule
	}
	rec, _ := decodeNudgeRec(v)
	if moved {
		rec.Gen++
		if !old.Next.IsZero() {
			// There unless a claim has moved it; a moved one is now stale.
			if err := due.Delete(dueKeyTail(old.Next, tail)); err != nil {
				return err
			}
		}
		if n.On && !n.Next.IsZero() {
			dv := dueVal{Gen: rec.Gen, Nsec: int64(n.Next.Nanosecond()), Slot: slotOf(n), LastDate: n.LastDate}
			if err := due.Put(dueKeyTail(n.Next, tail), dv.encode()); err != nil {
				return err
			}
		}
	}
	newKey := nudgeKey(slotOf(n), tail)
	if v != nil && !bytes.Equal(oldKey, newKey) {
		if err := nudges.Delete(oldKey); err != nil {
			return err
		}
	}
	rec.On, rec.DMClosed = n.On, m.DMClosed
	return nudges.Put(newKey, rec.encode())
}

// forgetSchedule removes a member's nudges record (n is their stored nudge,
// whose settings place it) and every due entry of theirs. Entries of older
// generations may sit anywhere a claim moved them, so it scans the whole due
// index: O(members), ~40 ms at 1,000,000 (BenchmarkDeleteMember; more with a
// slow disk), but deleting is rare and member-initiated. (A past-due entry is
// claimed within a minute, so little precedes the stored Next; but an entry
// moved by claims and then left stale by a schedule change can, so the scan
// starts at the first key.)
func forgetSchedule(tx *bolt.Tx, sp bot.Space, id string, n bot.Nudge) error {
	tail := memberKey(sp, id)
	nudges := tx.Bucket(bucketNudges)
	key := nudgeKey(slotOf(n), tail)
	if nudges.Get(key) == nil {
		return nil // never scheduled: no due entry was ever written
	}
	if err := nudges.Delete(key); err != nil {
		return err
	}
	due := tx.Bucket(bucketDue)
	var found [][]byte
	c := due.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		// The tail must be exactly the member's, after the 8-byte second.
		if len(k) == 8+len(tail) && bytes.Equal(k[8:], tail) {
			found = append(found, bytes.Clone(k))
		}
	}
	for _, k := range found {
		if err := due.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
