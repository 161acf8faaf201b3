package store

import (
	"context"
	"sync"

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
// MemberInSpace and the stored record is byte for byte the one it was
// decoded from, fn gets read, with the fields of the record's head decoded
// again (MemberInSpace's fillSchedule may have changed the nudge's date;
// inside, fillSchedule and fillAnswered run as for any update). Otherwise
// it is UpdateMember.
func (db *DB) UpdateMemberAfter(ctx context.Context, sp bot.Space, id string, read *bot.Member, fn func(*bot.Member) error) (*bot.Member, error) {
	if read == nil || read.Space != sp || read.ID != id {
		return db.UpdateMember(ctx, sp, id, fn)
	}
	raw, ok := db.reads.take(read)
	if !ok {
		return db.UpdateMember(ctx, sp, id, fn)
	}
	r := reader{s: raw, i: 1}
	r.head(read)
	if r.err != nil {
		return db.UpdateMember(ctx, sp, id, fn)
	}
	return db.updateMember(ctx, sp, id, raw, read, fn)
}

var _ bot.UpdateAfterRead = (*DB)(nil)
