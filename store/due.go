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
	"github.com/studybot/studybot/bot/nudge"
)

// The nudge schedule is kept per slot, not per member. A slot is a local time
// and a zone (08:30 Europe/Berlin); everyone who shares one is due at the same
// instants, so the store schedules the slot once and lists its members:
//
//	nudges/<slot><space key>0x00<member id> -> flags (DM closed), last date
//	slots/<slot>  -> 0x00 (scheduled), or a paused walk: 8-byte instant,
//	                 8-byte next instant, resume tail
//	due/<8-byte unix second><slot> -> 4-byte nanoseconds
//	where <slot> is hour, minute, 2-byte zone length, zone
//
// A claim reads the due slots' members in key order, straight off a few
// neighbouring pages, and moves each slot's due entry: the ~700 members of a
// normal minute at 1,000,000 subscribed cost reads and ~20 small moves at the
// two ends of the due index, not 700 deletes and inserts (measured with a
// per-member index: 23-37 pages written and fsynced a tick and a p99 of
// 10-12 ms on this VM's disk; per slot: see BenchmarkTick). Deleting a member
// deletes one record instead of scanning the index. A slot that loses its
// last member keeps its due entry until it comes due and is found empty.
//
// The slot's instant is the due entry's; members carry only what differs
// between them: DM closed, and the local date of their last nudge where it is
// not the date the slot last fired for: set when they change their nudge (a
// member moving in after today's nudge elsewhere), and by a claim only when a
// nudge sent late after local midnight counts for the next date. A slot fires
// once per local date, so no other claim writes per member. A member has a
// nudges record exactly while their nudge is on.
//
// A slot with more members due than one claim takes is walked over several
// claims: its slots record holds the last member claimed and the instant the
// claimed ones were moved to, until the walk ends and the slot moves there.

// nudgeRec is the value in the nudges bucket.
type nudgeRec struct {
	DMClosed bool
	LastDate string
}

const flagDMClosed = 1 << 1 // bit 0 meant "on" in schema version 2

func (r nudgeRec) encode() []byte {
	var flags byte
	if r.DMClosed {
		flags |= flagDMClosed
	}
	return append([]byte{flags}, r.LastDate...)
}

func decodeNudgeRec(v []byte) (nudgeRec, bool) {
	if len(v) < 1 {
		return nudgeRec{}, false
	}
	return nudgeRec{DMClosed: v[0]&flagDMClosed != 0, LastDate: string(v[1:])}, true
}

// slot is the part of a member's settings that they share with everyone due
// at the same instants.
type slot = nudge.Slot

func slotOf(n bot.Nudge) slot { return n.Slot() }

// appendSlot appends hour, minute, the zone's length and the zone. Hours and
// minutes beyond a byte (never stored by the engine) wrap; they only place the
// key, and the same settings always give the same key.
func appendSlot(buf []byte, s slot) []byte {
	buf = append(buf, byte(s.Hour), byte(s.Minute))
	buf = binary.BigEndian.AppendUint16(buf, uint16(len(s.Zone)))
	return append(buf, s.Zone...)
}

// decodeSlot is the inverse of appendSlot; n is how many bytes it took.
func decodeSlot(b []byte) (s slot, n int, ok bool) {
	if len(b) < 4 {
		return slot{}, 0, false
	}
	n = 4 + int(binary.BigEndian.Uint16(b[2:]))
	if len(b) < n {
		return slot{}, 0, false
	}
	return slot{Hour: int(b[0]), Minute: int(b[1]), Zone: string(b[4:n])}, n, true
}

// nudgeKey is a member's key in the nudges bucket; tail is memberKey's.
func nudgeKey(s slot, tail []byte) []byte {
	return append(appendSlot(make([]byte, 0, 4+len(s.Zone)+len(tail)), s), tail...)
}

// memberKey is the tail of a member's nudges key: the space key, 0x00, the
// member id.
func memberKey(sp bot.Space, id string) []byte {
	key := make([]byte, 0, len(sp.Key())+1+len(id))
	key = append(key, sp.Key()...)
	key = append(key, 0)
	return append(key, id...)
}

// dueKey is a slot's key in the due index: the big-endian unix second of its
// instant (instants before 1970 clamp to 0, i.e. due at once), then the slot.
// Keys sort by due time first.
func dueKey(at time.Time, slotKey []byte) []byte {
	key := make([]byte, 0, 8+len(slotKey))
	key = binary.BigEndian.AppendUint64(key, uint64(max(at.Unix(), 0)))
	return append(key, slotKey...)
}

// dueVal is a due entry's value: the nanoseconds of its instant.
func dueVal(at time.Time) []byte {
	return binary.BigEndian.AppendUint32(nil, uint32(at.Nanosecond()))
}

// slotState is a paused walk's record in the slots bucket. A slot whose
// walk is not paused has the one-byte record slotIdle, which no claim
// rewrites: the slots of one minute lie all over the bucket (it sorts by
// local time and zone), and rewriting ~20 of them a tick cost ~20 pages
// written and fsynced (measured: 32 pages a tick instead of ~10).
type slotState struct {
	At     time.Time // the instant of the slot's due entry
	Next   time.Time // where the claimed members moved; zero if none yet
	Resume []byte    // the tail of the last member claimed
}

// slotIdle is the slots record of a slot that has a schedule and no paused
// walk.
var slotIdle = []byte{0}

func unixNano(t time.Time) uint64 {
	if t.IsZero() {
		return 0
	}
	return uint64(max(t.UnixNano(), 1))
}

func fromUnixNano(v uint64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.Unix(0, int64(v)).UTC()
}

func (s slotState) encode() []byte {
	buf := make([]byte, 0, 16+len(s.Resume))
	buf = binary.BigEndian.AppendUint64(buf, unixNano(s.At))
	buf = binary.BigEndian.AppendUint64(buf, unixNano(s.Next))
	return append(buf, s.Resume...)
}

// readSlot decodes a slots record: ok is false for none or a malformed one,
// paused tells a paused walk's state from slotIdle.
func readSlot(v []byte) (st slotState, paused, ok bool) {
	switch {
	case len(v) == 1 && v[0] == 0:
		return slotState{}, false, true
	case len(v) >= 16:
		return slotState{
			At:     fromUnixNano(binary.BigEndian.Uint64(v)),
			Next:   fromUnixNano(binary.BigEndian.Uint64(v[8:])),
			Resume: v[16:],
		}, true, true
	}
	return slotState{}, false, false
}

// ClaimDue implements bot.Store. It runs in one db.Update (never Batch, which
// could re-run fn), so fn is called exactly once per member claimed. If fn
// returns an error, nothing is committed and ClaimDue returns that error
// unchanged. limit must be positive. It returns the very *bot.Due values fn
// saw, in that order.
//
// Each due slot's members are claimed in key order; a slot moves to the
// earliest Next that fn gave its members (the scheduler gives them the same
// one unless a member skips a date they were already nudged on) once all of
// them are claimed, and is dropped when it has none left. A member whose Next
// fn clears has their nudge turned off. A LastDate that fn sets is stored only
// where the slot's next firing could fall on it (see the top of due.go). Due
// entries that do not match their slot's record, and malformed member
// records, are deleted.
//
// Per member it reads one small record and allocates one bot.Due (the Dues
// share one backing array and their strings one buffer): a normal minute at
// 1,000,000 members claims ~700, and a heap that grows by a megabyte a tick
// makes the GC, not the claim, the slow part on a 2-core machine.
func (db *DB) ClaimDue(ctx context.Context, now time.Time, limit int, fn func(*bot.Due) error) ([]*bot.Due, error) {
	if err := bot.CheckClaimLimit(limit); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []*bot.Due
	var fnErr error
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		out, fnErr = nil, nil
		c := claim{tx: tx, now: now, limit: limit, fn: fn, sc: &db.claim}
		err := c.run()
		out, fnErr = c.out, c.fnErr
		return err
	})
	return result("claim due", out, fnErr, err)
}

// claimScratch is what ClaimDue reuses between calls instead of allocating
// anew each minute. Only a write transaction touches it, and bbolt runs one at
// a time.
type claimScratch struct {
	keys []byte // due keys collected, back to back
	ends []int
	buf  []byte // member tails and records of one slot
}

// claim is one ClaimDue transaction.
type claim struct {
	tx    *bolt.Tx
	now   time.Time
	limit int
	fn    func(*bot.Due) error
	sc    *claimScratch
	out   []*bot.Due
	fnErr error
	off   [][]byte // nudges keys to delete: fn turned the nudge off, or malformed
}

func (c *claim) run() error {
	due := c.tx.Bucket(bucketDue)
	// Collect the due keys first: the bucket changes as slots move.
	keys, ends := c.sc.keys[:0], c.sc.ends[:0]
	cur := due.Cursor()
	for k, _ := cur.First(); k != nil; k, _ = cur.Next() {
		if len(k) >= 8 && int64(binary.BigEndian.Uint64(k)) > c.now.Unix() {
			break
		}
		keys = append(keys, k...)
		ends = append(ends, len(keys))
	}
	c.sc.keys, c.sc.ends = keys, ends
	start := 0
	for _, end := range ends {
		if len(c.out) >= c.limit {
			break
		}
		key := keys[start:end:end]
		start = end
		if err := c.slot(due, key); err != nil {
			return err
		}
	}
	return nil
}

// slot claims the members of the slot whose due entry is key, up to the limit.
func (c *claim) slot(due *bolt.Bucket, key []byte) error {
	slots, nudges := c.tx.Bucket(bucketSlots), c.tx.Bucket(bucketNudges)
	if len(key) <= 8 {
		return due.Delete(key) // malformed
	}
	slotKey := key[8:]
	sl, _, slotOK := decodeSlot(slotKey)
	st, paused, ok := readSlot(slots.Get(slotKey))
	if !ok || !slotOK {
		// No schedule (or a malformed one) for this entry.
		if err := slots.Delete(slotKey); err != nil {
			return err
		}
		return due.Delete(key)
	}
	sec := binary.BigEndian.Uint64(key)
	if paused && uint64(max(st.At.Unix(), 0)) != sec {
		return due.Delete(key) // not the paused walk's entry
	}
	if !paused {
		var nsec int64
		if v := due.Get(key); len(v) == 4 {
			nsec = int64(min(binary.BigEndian.Uint32(v), 999_999_999))
		}
		st.At = time.Unix(int64(sec), nsec).UTC()
	}
	if st.At.After(c.now) {
		return nil // due later within this same second
	}
	// Copy the members out first (a bucket must not change under its cursor),
	// into one buffer that the Dues' strings then share.
	type member struct{ tail, rec [2]int }
	var members []member
	buf := c.sc.buf[:0]
	cur := nudges.Cursor()
	seek := append(append(make([]byte, 0, len(slotKey)+len(st.Resume)+1), slotKey...), st.Resume...)
	k, v := cur.Seek(seek)
	if len(st.Resume) > 0 && bytes.Equal(k, seek) {
		k, v = cur.Next()
	}
	done := true
	for ; k != nil && bytes.HasPrefix(k, slotKey); k, v = cur.Next() {
		if len(c.out)+len(members) >= c.limit {
			done = false
			break
		}
		var m member
		m.tail[0] = len(buf)
		buf = append(buf, k[len(slotKey):]...)
		m.tail[1], m.rec[0] = len(buf), len(buf)
		buf = append(buf, v...)
		m.rec[1] = len(buf)
		members = append(members, m)
	}
	c.sc.buf = buf
	str := string(buf)
	dues := make([]bot.Due, len(members))
	var (
		spKey   string
		sp      bot.Space
		spValid bool
		next    = st.Next
		atDate  string // the slot instant's local date, worked out when needed
	)
	if !next.IsZero() && !next.After(c.now) {
		// A walk paused before downtime: the instant its first members were
		// moved to has passed. The rest decide where the slot goes; the first
		// ones skip the days the bot was down, like everyone else.
		next = time.Time{}
	}
	for i, m := range members {
		tail := str[m.tail[0]:m.tail[1]]
		rec, recOK := decodeNudgeRec(buf[m.rec[0]:m.rec[1]])
		cut := strings.IndexByte(tail, 0)
		if recOK && cut > 0 && cut < len(tail)-1 && (!spValid || tail[:cut] != spKey) {
			// Most members share the previous one's space: parse it once.
			spKey = tail[:cut]
			sp, spValid = bot.ParseSpace(spKey)
		}
		if !recOK || cut <= 0 || cut == len(tail)-1 || !spValid {
			// Malformed: nobody can be nudged from it.
			c.off = append(c.off, append(bytes.Clone(slotKey), tail...))
			continue
		}
		id := tail[cut+1:]
		d := &dues[i]
		*d = bot.Due{Space: sp, Member: id, DMClosed: rec.DMClosed, Nudge: bot.Nudge{
			On: true, Hour: sl.Hour, Minute: sl.Minute, Zone: sl.Zone,
			Next: st.At, LastDate: str[m.rec[0]+1 : m.rec[1]],
		}}
		if err := c.fn(d); err != nil {
			c.fnErr = err
			return err
		}
		// The key decides who this is.
		d.Space, d.Member = sp, id
		switch n := d.Nudge.Next; {
		case n.IsZero():
			c.off = append(c.off, append(bytes.Clone(slotKey), tail...))
		case !n.After(c.now):
			return fmt.Errorf("claim %s/%s: fn left the nudge at %s, not after %s", sp, id, n, c.now)
		case next.IsZero() || n.Before(next):
			next = n
		}
		c.out = append(c.out, d)
		// The slot fires once per local date, so a member's own last date
		// need not be stored while it is the date the slot fired for (the
		// usual case, and no write). A nudge sent late after local midnight
		// counts for the next date, on which the slot fires again, and a
		// member who came from a zone ahead carries a date the slot has not
		// reached: those dates are stored, so the claim on that date skips.
		if ld := d.Nudge.LastDate; ld != rec.LastDate && !d.Nudge.Next.IsZero() {
			if atDate == "" {
				atDate = st.At.In(sl.Loc()).Format(bot.DateLayout)
			}
			if ld > atDate || rec.LastDate > ld {
				rec.LastDate = ld
				if err := nudges.Put(append(bytes.Clone(slotKey), tail...), rec.encode()); err != nil {
					return err
				}
			}
		}
	}
	for _, k := range c.off {
		if err := nudges.Delete(k); err != nil {
			return err
		}
	}
	c.off = c.off[:0]
	if !done {
		// Pause: a rare write, for a slot with more members due than a batch.
		st.Next = next
		last := members[len(members)-1]
		st.Resume = append([]byte(nil), buf[last.tail[0]:last.tail[1]]...)
		return slots.Put(slotKey, st.encode())
	}
	if err := due.Delete(key); err != nil {
		return err
	}
	if next.IsZero() {
		if k, _ := nudges.Cursor().Seek(slotKey); !bytes.HasPrefix(k, slotKey) {
			return slots.Delete(slotKey) // nobody left to nudge
		}
		// Members remain that no batch moved (they joined behind a paused
		// walk, and the bot was down past where its first batch went):
		// walk the slot again at once, from the instant it was due, so the
		// grace window still judges how late they would be.
		next = st.Next
		if next.IsZero() {
			next = st.At
		}
	}
	if err := due.Put(dueKey(next, slotKey), dueVal(next)); err != nil {
		return err
	}
	if paused {
		return slots.Put(slotKey, slotIdle)
	}
	return nil
}

// NextDue implements bot.Store: the instant of the first due index entry, zero
// when none is scheduled. The entry may belong to a slot with nobody left in it
// (ClaimDue drops it), so a caller may find nothing to claim at that instant.
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
		var nsec int64
		if len(v) == 4 {
			nsec = int64(binary.BigEndian.Uint32(v)) // else malformed: due at once, so that ClaimDue repairs it
		}
		next = time.Unix(int64(binary.BigEndian.Uint64(k)), min(nsec, 999_999_999)).UTC()
		return nil
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("next due: %w", err)
	}
	return next, nil
}

// putSchedule keeps the member's nudges record, and their slot's schedule, in
// step with a member record being stored: old is the stored member's nudge and
// DMClosed (zero when new), m the member about to be stored. Nothing is touched
// when neither changed, so most updates (progress, notes) cost no extra page.
//
// A slot that already has a schedule keeps it: its members share one instant,
// which the scheduler computes from the slot alone (a member's own Next can
// only differ by skipping a date they were already nudged on, and their
// LastDate makes the claim skip that date anyway).
func putSchedule(tx *bolt.Tx, old bot.Nudge, oldDM bool, m *bot.Member) error {
	n := m.Nudge
	tail := memberKey(m.Space, m.ID)
	key := nudgeKey(slotOf(n), tail)
	rec := nudgeRec{DMClosed: m.DMClosed, LastDate: n.LastDate}.encode()
	nudges := tx.Bucket(bucketNudges)
	if old.On == n.On && slotOf(old) == slotOf(n) {
		if !n.On {
			return nil
		}
		// Same slot: the record changes in place and the slot keeps its
		// schedule (a sole member's slot must not move back to the member
		// record's Next, which lags behind the claims).
		// (A record a claim removed, fn having turned the nudge off, is put
		// back too.)
		if old.LastDate != n.LastDate || oldDM != m.DMClosed || nudges.Get(key) == nil {
			if err := nudges.Put(key, rec); err != nil {
				return err
			}
		}
		if old.Next.Equal(n.Next) || n.Next.IsZero() {
			return nil
		}
		return scheduleSlot(tx, key[:len(key)-len(tail)], key, n.Next)
	}
	if old.On {
		if err := forgetSchedule(tx, m.Space, m.ID, old); err != nil {
			return err
		}
	}
	if !n.On {
		return nil
	}
	if err := nudges.Put(key, rec); err != nil {
		return err
	}
	if n.Next.IsZero() {
		return nil
	}
	return scheduleSlot(tx, key[:len(key)-len(tail)], key, n.Next)
}

// scheduleSlot gives a slot a schedule at at for the member whose nudges key
// is key, unless others in the slot have one.
//
// A slot nobody else is in may still have the due entry its last member left
// behind, at an instant that suited them (a member who moved in after
// today's nudge elsewhere skips today); it is replaced. Its instant is not
// known here, so the new schedule is written as a walk not yet begun at at,
// which names its instant, and the claim drops the old entry as not the walk's.
func scheduleSlot(tx *bolt.Tx, slotKey, key []byte, at time.Time) error {
	slots := tx.Bucket(bucketSlots)
	rec := slotIdle
	if _, _, ok := readSlot(slots.Get(slotKey)); ok {
		if othersIn(tx.Bucket(bucketNudges), slotKey, key) {
			return nil
		}
		rec = slotState{At: at}.encode()
	}
	if err := tx.Bucket(bucketDue).Put(dueKey(at, slotKey), dueVal(at)); err != nil {
		return err
	}
	return slots.Put(slotKey, rec)
}

// othersIn reports whether the slot has a member other than the one whose
// nudges key is key.
func othersIn(nudges *bolt.Bucket, slotKey, key []byte) bool {
	c := nudges.Cursor()
	k, _ := c.Seek(slotKey)
	if bytes.Equal(k, key) {
		k, _ = c.Next()
	}
	return bytes.HasPrefix(k, slotKey)
}

// forgetSchedule removes a member's nudges record (n is their stored nudge,
// whose settings place it). Their slot keeps its schedule; the claim that
// finds nobody left drops it (finding its due entry here would take a record
// that every claim rewrites, see slotState).
func forgetSchedule(tx *bolt.Tx, sp bot.Space, id string, n bot.Nudge) error {
	if !n.On {
		return nil
	}
	tail := memberKey(sp, id)
	key := nudgeKey(slotOf(n), tail)
	nudges := tx.Bucket(bucketNudges)
	if err := nudges.Delete(key); err != nil {
		return err
	}
	// A walk paused at this member resumes after the one before them
	// instead, so that no key keeps the id.
	slotKey := key[:len(key)-len(tail)]
	slots := tx.Bucket(bucketSlots)
	st, paused, _ := readSlot(slots.Get(slotKey))
	if !paused || !bytes.Equal(st.Resume, tail) {
		return nil
	}
	c := nudges.Cursor()
	prev, _ := c.Seek(key)
	if prev == nil {
		prev, _ = c.Last()
	} else {
		prev, _ = c.Prev()
	}
	st.Resume = nil
	if bytes.HasPrefix(prev, slotKey) {
		st.Resume = bytes.Clone(prev[len(slotKey):])
	}
	return slots.Put(slotKey, st.encode())
}

// fillSchedule sets the member's Nudge.Next and LastDate from the schedule as
// it stands in tx (see bot.Nudge): the instant their slot comes due for them,
// and their last nudge date from their own record and the slot's last firing.
// A member whose nudge is off keeps the LastDate of their record.
func fillSchedule(tx *bolt.Tx, m *bot.Member, now time.Time) {
	n := &m.Nudge
	n.Next = time.Time{}
	if !n.On {
		return
	}
	s := slotOf(*n)
	tail := memberKey(m.Space, m.ID)
	key := nudgeKey(s, tail)
	rec, ok := decodeNudgeRec(tx.Bucket(bucketNudges).Get(key))
	if !ok {
		return // not scheduled (a claim dropped a malformed record); the next change puts it back
	}
	n.Next = slotDue(tx, key[:len(key)-len(tail)], tail, s, now)
	n.LastDate = s.LastDate(n.Next, rec.LastDate)
}

// slotDue finds the instant at which the slot comes due for the member whose
// nudges tail is tail: a paused walk's, or the slot's due entry. Due entries
// sit at the slot's firings, so a few point reads around now find it without
// scanning the index: the coming firing (the usual case), the last one (due
// and not yet claimed), the one after next (a member who skips a date), then
// the two days before. Zero when it has none.
func slotDue(tx *bolt.Tx, slotKey, tail []byte, s slot, now time.Time) time.Time {
	st, paused, ok := readSlot(tx.Bucket(bucketSlots).Get(slotKey))
	switch {
	case !ok:
		return time.Time{}
	case paused && len(st.Resume) > 0 && bytes.Compare(tail, st.Resume) <= 0 && !st.Next.IsZero():
		return st.Next // claimed in the walk's first batches
	case paused:
		return st.At
	}
	due := tx.Bucket(bucketDue)
	loc := s.Loc()
	at := func(t time.Time) bool { return !t.IsZero() && due.Get(dueKey(t, slotKey)) != nil }
	coming := nudge.Next(now, s.Hour, s.Minute, loc)
	for _, t := range []time.Time{coming, nudge.LastAt(now, s.Hour, s.Minute, loc), nudge.Next(coming, s.Hour, s.Minute, loc)} {
		if at(t) {
			return t.UTC()
		}
	}
	for t := nudge.Next(now.Add(-49*time.Hour), s.Hour, s.Minute, loc); !t.After(now); t = nudge.Next(t, s.Hour, s.Minute, loc) {
		if at(t) {
			return t.UTC()
		}
	}
	return time.Time{}
}
