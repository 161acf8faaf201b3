package store

import (
	"context"
	"sync"

	bolt "go.etcd.io/bbolt"

	"github.com/studybot/studybot/bot"
)

// readRingSize is how many recent MemberInSpace reads UpdateMemberAfter can
// take over: enough for every member with a command in flight at once.
const readRingSize = 512

// readRing remembers, for the members MemberInSpace decoded last, the
// record each was decoded from, so that UpdateMemberAfter (done, skip and
// start write right after reading) can hand fn the member already decoded
// instead of decoding it a second time. A done used to decode its member
// twice, once of them inside the write transaction every update of the
// commit waits on.
//
// It keeps no copy: a binary record is copied once into a string when
// decoded and every string of the member is cut from it, so the record
// stays alive with the member anyway. The ring holds at most readRingSize
// members; an entry is taken once (fn changes the member) and an older
// read simply falls back to a fresh decode.
type readRing struct {
	mu    sync.Mutex
	slots [readRingSize]readEntry
	next  int
	index map[*bot.Member]int
}

type readEntry struct {
	m   *bot.Member
	raw string
}

func newReadRing() *readRing { return &readRing{index: make(map[*bot.Member]int, readRingSize)} }

// put remembers that m was decoded from the binary record raw.
func (r *readRing) put(m *bot.Member, raw string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	s := &r.slots[r.next]
	if s.m != nil {
		delete(r.index, s.m)
	}
	*s = readEntry{m, raw}
	r.index[m] = r.next
	r.next = (r.next + 1) % readRingSize
	r.mu.Unlock()
}

// take returns the record m was decoded from and forgets it.
func (r *readRing) take(m *bot.Member) (string, bool) {
	if r == nil {
		return "", false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	i, ok := r.index[m]
	if !ok {
		return "", false
	}
	raw := r.slots[i].raw
	r.slots[i] = readEntry{}
	delete(r.index, m)
	return raw, true
}

// UpdateMemberAfter implements bot.UpdateAfterRead. When read came from
// MemberInSpace, fn runs on read, with the fields of the record's head
// decoded again (but the nudge's last date as the read's schedule gave
// it), and the result is encoded, both outside the write transaction;
// inside, the write only checks that the stored record is still byte for
// byte the one read was decoded from and puts the new one. Every update
// of a commit waits on what runs inside it, and fn plus the encoding were
// most of that (done with 64 members: about 45 per commit, each ~20 µs of
// the single writer's time). When the record changed meanwhile, fn
// refused, or fn changed the nudge settings (whose schedule must be read
// inside the write), it is UpdateMember: fn runs again on a fresh decode.
func (db *DB) UpdateMemberAfter(ctx context.Context, sp bot.Space, id string, read *bot.Member, fn func(*bot.Member) error) (*bot.Member, error) {
	if read == nil || read.Space != sp || read.ID != id {
		return db.UpdateMember(ctx, sp, id, fn)
	}
	raw, ok := db.reads.take(read)
	if !ok {
		return db.UpdateMember(ctx, sp, id, fn)
	}
	// The head as stored, but the nudge's last date as MemberInSpace's
	// schedule read gave it: no schedule is read inside this write, and
	// the record should not keep an older date than the schedule had.
	lastDate := read.Nudge.LastDate
	r := newReader(raw)
	r.head(read)
	if r.err != nil {
		return db.UpdateMember(ctx, sp, id, fn)
	}
	read.Nudge.LastDate = lastDate
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	oldNudge, oldDM := read.Nudge, read.DMClosed
	if err := fn(read); err != nil {
		// A refusal decided on the read stands if the record is still
		// that read's; otherwise decide again on the current one.
		if db.recordIs(sp, id, raw) {
			return nil, err
		}
		return db.UpdateMember(ctx, sp, id, fn)
	}
	if read.Nudge != oldNudge || read.DMClosed != oldDM {
		return db.UpdateMember(ctx, sp, id, fn)
	}
	read.Space, read.ID = sp, id // the key decides who this is
	buf, err := encodeMemberSize(read, len(raw))
	if err != nil {
		return nil, err
	}
	var stale bool
	var wrote uint64 // the write's transaction
	var answered int
	err = db.batch.do(func(tx *bolt.Tx) error {
		stale = false
		sb, err := spaceBucket(tx, sp, false)
		if err != nil {
			return err
		}
		var b *bolt.Bucket
		if sb != nil {
			b = sb.Bucket(bucketMembers)
		}
		if b == nil {
			stale = true
			return nil
		}
		if v := b.Get([]byte(id)); string(v) != raw {
			stale = true
			return nil
		}
		// The nudge settings are unchanged: this puts back a nudges
		// record a claim removed, as UpdateMember would, and nothing else.
		if err := putSchedule(tx, oldNudge, oldDM, read); err != nil {
			return err
		}
		if err := b.Put([]byte(id), buf); err != nil {
			return err
		}
		db.invalidateMember(sp, id, uint64(tx.ID()))
		wrote = uint64(tx.ID())
		answered = int(answeredIn(sb.Bucket(bucketAnswered), id))
		return nil
	})
	if err != nil {
		return nil, wrap("update member", err)
	}
	if stale {
		return db.UpdateMember(ctx, sp, id, fn)
	}
	// The member as written goes into the member cache, as of the write
	// (a later write's tombstone keeps it out): the next read, nearly
	// always the member's next command, is then served from the cache
	// without a transaction, where it decoded the record again. A copy,
	// since the caller keeps read; with the answered count read in the
	// write, since one may have changed since the read.
	if db.full != nil {
		kept := cloneMember(read)
		kept.Answered = answered
		db.full.put(cacheKey(sp, id), kept, string(buf), wrote, len(buf))
	}
	return read, nil
}

// recordIs reports whether the member's stored record is raw.
func (db *DB) recordIs(sp bot.Space, id, raw string) bool {
	same := false
	db.bolt.View(func(tx *bolt.Tx) error {
		if b, _ := child(tx, sp, bucketMembers, false); b != nil {
			same = string(b.Get([]byte(id))) == raw
		}
		return nil
	})
	return same
}

var _ bot.UpdateAfterRead = (*DB)(nil)
