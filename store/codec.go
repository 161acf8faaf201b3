package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/roadmap"
)

// Member records are stored in a hand-written binary form (memberV1). JSON
// decoding was about 81% of a "next" command: ~170 allocations and 8 KB per
// read, mostly reflection, map growth and one string per key and value. A
// general binary format (gob, protobuf) would still reflect or need generated
// code and a dependency; the record is one fixed shape, so a codec of a few
// hundred lines is cheaper and has no dependency. What makes it fast:
//
//   - Every string of a decoded member is a substring of ONE copy of the
//     record (string(value) once): the copy the transaction rules require
//     anyway, and no allocation per topic id, note or date.
//   - Counts come first, so maps are made at their final size and all of a
//     track's marks live in one []Mark.
//   - Statuses are one byte, times are varints, fields have a fixed order
//     (no tags), and a track carries its length (a reader can skip it).
//   - Encoding writes in place into one buffer sized from the previous
//     record, in map order (no sorting inside the write transaction).
//
// The first byte marks the form: JSON records start with '{' (or white
// space), never with a byte below 0x09, so memberV1 (0x01) cannot be
// mistaken for one. Old JSON records keep reading through decodeMember and
// are rewritten in binary the next time they are written (UpdateMember
// always encodes the current form): a lazy migration, never one
// transaction over every member. A new field of bot.Member needs a new
// version byte (the decoder keeps reading older versions);
// TestMemberCodec_EveryField fails until the codec carries it.
//
// Layout of memberV1, in order (str = uvarint length + bytes; int =
// zig-zag varint; time = tag 0 zero | 1 UTC sec nsec | 2 sec nsec offset):
//
//	0x01 space.platform:str space.id:str id:str name:str created:time seen:time
//	follow:str flags:byte(nudge.on, dm_closed, hidden, buddy)
//	nudge.hour:int nudge.minute:int nudge.zone:str nudge.last_date:str
//	streak.days:int streak.best:int streak.last:str profile_zone:str
//	tracks:uvarint { roadmap:str nil:byte [len:4 bytes big-endian body] }
//	  body: topics:uvarint { id:str status:byte [started:time at:time note:str] }
//	        picks:uvarint { group:str option:str }
//	        reviews:uvarint { id:str nil:byte [step:int done:str due:str] }
//	history:uvarint { roadmap:str topic:str prev:status prev_at:time pick:str
//	        prev_pick:str at:time streak?:byte [days best last] review?:byte [step done due] }
//
// memberV2 (0x02, written since) is memberV1 with reviews made small, as
// they were most of a busy member's record (a review per finished topic:
// its topic id again and two dates, ~48 bytes of ~80 per topic):
//
//	track reviews: { ref:uvarint [id:str when ref is 0] nil:byte [step:int done:date due:date] }
//	history roadmap: uvarint k; 0 = a str follows, k > 0 = the k-th track written
//	history topic: uvarint k; 0 = a str follows, k > 0 = the k-th mark of
//	      the change's roadmap's track
//	history review: [step:int done:date due:date]
//	date: uvarint k; 0 = a str follows (and joins the record's table of
//	      dates while it has fewer than maxDates), k > 0 = the table's k-th
//
// ref k > 0 is the track's k-th mark's topic (marks are in topic order;
// a track whose marks are not is never referred into).
// Smaller records mean fewer pages per commit: done with 64 members
// wrote about twice the floor's bytes per commit before.
const (
	memberV1 = 0x01
	memberV2 = 0x02
)

// maxDates bounds a record's table of dates (see memberV2).
const maxDates = 64

// Status bytes. statusOther is followed by the status as a string, so a
// status this binary does not know survives a round trip; statusNil marks a
// nil *Mark (JSON null).
const (
	statusTodo byte = iota
	statusLearning
	statusDone
	statusSkipped
	statusOther
	statusNil
)

const (
	memberNudgeOn = 1 << iota
	memberDMClosed
	memberHidden
	memberBuddy
)

// isBinaryMember reports whether v is in the binary form.
func isBinaryMember(v []byte) bool { return len(v) > 0 && (v[0] == memberV1 || v[0] == memberV2) }

// encodeMember returns m in the current binary form and bounds its size.
func encodeMember(m *bot.Member) ([]byte, error) { return encodeMemberSize(m, 0) }

// encodeMemberSize is encodeMember with a guess of the encoded size (the
// record's previous length, when updating), so the buffer is allocated once.
func encodeMemberSize(m *bot.Member, size int) ([]byte, error) {
	e := make([]byte, 0, max(size+64, 256+64*len(m.History)))
	e = append(e, memberV2)
	var dates dateTable
	e = putStr(e, string(m.Space.Platform))
	e = putStr(e, m.Space.ID)
	e = putStr(e, m.ID)
	e = putStr(e, m.Name)
	e = putTime(e, m.Created)
	e = putTime(e, m.Seen)
	e = putStr(e, m.Follow)
	var flags byte
	if m.Nudge.On {
		flags |= memberNudgeOn
	}
	if m.DMClosed {
		flags |= memberDMClosed
	}
	if m.Hidden {
		flags |= memberHidden
	}
	if m.Buddy {
		flags |= memberBuddy
	}
	e = append(e, flags)
	e = binary.AppendVarint(e, int64(m.Nudge.Hour))
	e = binary.AppendVarint(e, int64(m.Nudge.Minute))
	e = putStr(e, m.Nudge.Zone)
	e = putStr(e, m.Nudge.LastDate)
	e = putStreak(e, &m.Streak)
	e = putStr(e, m.ProfileZone)

	e = binary.AppendUvarint(e, uint64(len(m.Tracks)))
	var written writtenTracks // in the order written, for the history's references
	for rid, t := range m.Tracks {
		e = putStr(e, rid)
		// References into a track's marks (reviews, changes) only when
		// the reader finds them in this order: strictly in topic order,
		// as Marks keeps them (the reader sorts any other order first).
		byRef := t != nil && t.Topics.Sorted()
		written.add(rid, t, byRef)
		if t == nil {
			e = append(e, 1)
			continue
		}
		e = append(e, 0)
		// The body's length, patched in once it is written: a fixed
		// four bytes, so the body is written in place.
		at := len(e)
		e = append(e, 0, 0, 0, 0)
		e = encodeTrack(e, t, byRef, &dates)
		binary.BigEndian.PutUint32(e[at:], uint32(len(e)-at-4))
	}

	e = binary.AppendUvarint(e, uint64(len(m.History)))
	for i := range m.History {
		c := &m.History[i]
		e = written.putChange(e, c.Roadmap, c.Topic)
		e = putStatus(e, c.Prev)
		e = putTime(e, c.PrevAt)
		e = putStr(e, c.Pick)
		e = putStr(e, c.PrevPick)
		e = putTime(e, c.At)
		if c.PrevStreak == nil {
			e = append(e, 0)
		} else {
			e = append(e, 1)
			e = putStreak(e, c.PrevStreak)
		}
		if c.PrevReview == nil {
			e = append(e, 0)
		} else {
			e = append(e, 1)
			e = putReview(e, c.PrevReview, &dates)
		}
	}
	if len(e) > MaxRecordLen {
		return nil, bot.Errorf(bot.Invalid, "That is more than I can store for one member (%d bytes; the limit is %d).", len(e), MaxRecordLen)
	}
	return e, nil
}

// encodeTrack appends a track's body. Marks go in their (topic) order;
// picks and reviews in map order: sorting them would cost inside the write
// transaction that every batched update waits on, and no reader needs it.
func encodeTrack(e []byte, t *bot.Track, byRef bool, dates *dateTable) []byte {
	e = binary.AppendUvarint(e, uint64(len(t.Topics)))
	for i := range t.Topics {
		mk := &t.Topics[i]
		e = putStr(e, mk.Topic)
		e = putStatus(e, mk.Status)
		e = putTime(e, mk.Started)
		e = putTime(e, mk.At)
		e = putStr(e, mk.Note)
	}
	e = binary.AppendUvarint(e, uint64(len(t.Picks)))
	for id, o := range t.Picks {
		e = putStr(e, id)
		e = putStr(e, o)
	}
	// A review names its topic by the mark's place when byRef.
	e = binary.AppendUvarint(e, uint64(len(t.Reviews)))
	for id, r := range t.Reviews {
		if i, ok := t.Topics.Index(id); ok && byRef {
			e = binary.AppendUvarint(e, uint64(i)+1)
		} else {
			e = append(e, 0)
			e = putStr(e, id)
		}
		if r == nil {
			e = append(e, 1)
		} else {
			e = append(e, 0)
			e = putReview(e, r, dates)
		}
	}
	return e
}

// writtenTracks is the tracks a record has written, in order, so that a
// change names its roadmap and topic by reference (see memberV2).
type writtenTracks struct {
	ids    []string
	tracks []*bot.Track // nil when its marks cannot be referred to
}

func (w *writtenTracks) add(rid string, t *bot.Track, byRef bool) {
	if !byRef {
		t = nil // no reference into these marks
	}
	w.ids = append(w.ids, rid)
	w.tracks = append(w.tracks, t)
}

// putChange writes a change's roadmap, as the k-th track written or
// whole, and its topic, as the k-th mark of that track or whole.
func (w *writtenTracks) putChange(e []byte, roadmapID, topic string) []byte {
	ti := -1
	for i, id := range w.ids {
		if id == roadmapID {
			ti = i
			break
		}
	}
	if ti < 0 {
		e = putStr(append(e, 0), roadmapID)
		return putStr(e, topic)
	}
	e = binary.AppendUvarint(e, uint64(ti)+1)
	if t := w.tracks[ti]; t != nil && topic != "" {
		if i, ok := t.Topics.Index(topic); ok {
			return binary.AppendUvarint(e, uint64(i)+1)
		}
	}
	return putStr(append(e, 0), topic)
}

// dateTable is the dates a record has written so far (see memberV2).
type dateTable struct{ seen []string }

// putDate writes d as a reference to the same date written before, or
// whole (and remembers it).
func putDate(e []byte, d string, t *dateTable) []byte {
	for i, s := range t.seen {
		if s == d {
			return binary.AppendUvarint(e, uint64(i)+1)
		}
	}
	if len(t.seen) < maxDates {
		t.seen = append(t.seen, d)
	}
	return putStr(append(e, 0), d)
}

func putStr(e []byte, s string) []byte {
	e = binary.AppendUvarint(e, uint64(len(s)))
	return append(e, s...)
}

func putStatus(e []byte, s roadmap.Status) []byte {
	switch s {
	case roadmap.Todo:
		return append(e, statusTodo)
	case roadmap.Learning:
		return append(e, statusLearning)
	case roadmap.Done:
		return append(e, statusDone)
	case roadmap.Skipped:
		return append(e, statusSkipped)
	}
	return putStr(append(e, statusOther), string(s))
}

// putTime keeps what JSON kept: the instant to the nanosecond and the
// offset from UTC (not the zone's name, nor the monotonic reading).
func putTime(e []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(e, 0)
	}
	_, off := t.Zone()
	if off == 0 {
		e = append(e, 1)
	} else {
		e = append(e, 2)
	}
	e = binary.AppendVarint(e, t.Unix())
	e = binary.AppendUvarint(e, uint64(t.Nanosecond()))
	if off != 0 {
		e = binary.AppendVarint(e, int64(off))
	}
	return e
}

func putStreak(e []byte, s *bot.Streak) []byte {
	e = binary.AppendVarint(e, int64(s.Days))
	e = binary.AppendVarint(e, int64(s.Best))
	return putStr(e, s.Last)
}

func putReview(e []byte, r *bot.Review, dates *dateTable) []byte {
	e = binary.AppendVarint(e, int64(r.Step))
	e = putDate(e, r.Done, dates)
	return putDate(e, r.Due, dates)
}

// decodeMember reads a member record of any form into m. The result never
// aliases v (bbolt's memory): binary strings are cut from one copy.
func decodeMember(v []byte, m *bot.Member) error {
	_, err := decodeMemberRaw(v, m)
	return err
}

// decodeMemberRaw is decodeMember that also returns, for a binary record,
// the copy of it that m's strings are cut from ("" for a JSON record).
func decodeMemberRaw(v []byte, m *bot.Member) (string, error) {
	if !isBinaryMember(v) {
		return "", decode("member", v, m)
	}
	r := newReader(string(v))
	r.member(m, false)
	if r.err != nil {
		return "", fmt.Errorf("decode member: %w", r.err)
	}
	return r.s, nil
}

// decodeBrief reads a member for bot.MemberBriefs: without History,
// Track.Reviews, Mark.Note and Mark.Started.
func decodeBrief(v []byte, m *bot.Member) error {
	if !isBinaryMember(v) {
		if err := decode("member", v, m); err != nil {
			return err
		}
		m.History = nil
		for _, t := range m.Tracks {
			if t == nil {
				continue
			}
			t.Reviews = nil
			for i := range t.Topics {
				t.Topics[i].Note, t.Topics[i].Started = "", time.Time{}
			}
		}
		return nil
	}
	r := newReader(string(v))
	r.member(m, true)
	if r.err != nil {
		return fmt.Errorf("decode member: %w", r.err)
	}
	return nil
}

// errCorrupt is a binary record that ends early or holds impossible counts.
var errCorrupt = errors.New("corrupt binary record")

// reader decodes the binary form from a string, so every string it returns
// is a substring of that one copy. The first error sticks; later reads
// return zero values.
type reader struct {
	s   string
	i   int
	err error
	ver byte // the record's version byte
	// dates is the record's table of dates so far (memberV2), in a
	// buffer of its own for the usual few.
	dates    []string
	datesBuf [8]string
}

// newReader reads the binary record s (version byte first).
func newReader(s string) reader {
	r := reader{s: s, i: 1}
	if len(s) > 0 {
		r.ver = s[0]
	}
	return r
}

// date reads a date of a memberV2 record, a str before.
func (r *reader) date() string {
	if r.ver < memberV2 {
		return r.str()
	}
	k := r.uvarint()
	if k == 0 {
		d := r.str()
		if r.dates == nil {
			r.dates = r.datesBuf[:0] // set here, not in newReader, which returns a copy
		}
		if len(r.dates) < maxDates {
			r.dates = append(r.dates, d)
		}
		return d
	}
	if k > uint64(len(r.dates)) {
		r.fail()
		return ""
	}
	return r.dates[k-1]
}

func (r *reader) fail() {
	if r.err == nil {
		r.err = errCorrupt
	}
	r.i = len(r.s)
}

func (r *reader) byte() byte {
	if r.i >= len(r.s) {
		r.fail()
		return 0
	}
	b := r.s[r.i]
	r.i++
	return b
}

func (r *reader) uvarint() uint64 {
	var x uint64
	var shift uint
	for n := 0; n < binary.MaxVarintLen64; n++ {
		if r.i >= len(r.s) {
			break
		}
		b := r.s[r.i]
		r.i++
		if b < 0x80 {
			return x | uint64(b)<<shift
		}
		x |= uint64(b&0x7f) << shift
		shift += 7
	}
	r.fail()
	return 0
}

func (r *reader) uint32() uint64 {
	if len(r.s)-r.i < 4 {
		r.fail()
		return 0
	}
	x := uint64(r.s[r.i])<<24 | uint64(r.s[r.i+1])<<16 | uint64(r.s[r.i+2])<<8 | uint64(r.s[r.i+3])
	r.i += 4
	return x
}

func (r *reader) varint() int64 {
	ux := r.uvarint()
	x := int64(ux >> 1)
	if ux&1 != 0 {
		x = ^x
	}
	return x
}

func (r *reader) int() int { return int(r.varint()) }

// count reads a count of items each at least min bytes long, refusing one
// the rest of the record cannot hold (so a corrupt count allocates nothing).
func (r *reader) count(min int) int {
	n := r.uvarint()
	if n > uint64(len(r.s)-r.i)/uint64(min) {
		r.fail()
		return 0
	}
	return int(n)
}

func (r *reader) str() string {
	n := r.uvarint()
	if n > uint64(len(r.s)-r.i) {
		r.fail()
		return ""
	}
	s := r.s[r.i : r.i+int(n)]
	r.i += int(n)
	return s
}

func (r *reader) status() (roadmap.Status, bool) {
	switch r.byte() {
	case statusTodo:
		return roadmap.Todo, true
	case statusLearning:
		return roadmap.Learning, true
	case statusDone:
		return roadmap.Done, true
	case statusSkipped:
		return roadmap.Skipped, true
	case statusOther:
		return roadmap.Status(r.str()), true
	case statusNil:
		return "", false
	}
	r.fail()
	return "", true
}

func (r *reader) time() time.Time {
	switch r.byte() {
	case 0:
		return time.Time{}
	case 1:
		sec := r.varint()
		nsec := r.uvarint()
		return time.Unix(sec, int64(nsec%1e9)).UTC()
	case 2:
		sec := r.varint()
		nsec := r.uvarint()
		off := r.int()
		return time.Unix(sec, int64(nsec%1e9)).In(fixedZone(sec, off))
	}
	r.fail()
	return time.Time{}
}

// fixedZones caches the zones of times stored with an offset (a clock not
// in UTC), so decoding them does not allocate a zone each time.
var fixedZones sync.Map // int offset -> *time.Location

// fixedZone is the location JSON gave a time with this offset: Local when
// Local had it at that instant, else an unnamed fixed zone.
func fixedZone(sec int64, off int) *time.Location {
	if _, lo := time.Unix(sec, 0).In(time.Local).Zone(); lo == off {
		return time.Local
	}
	if l, ok := fixedZones.Load(off); ok {
		return l.(*time.Location)
	}
	l, _ := fixedZones.LoadOrStore(off, time.FixedZone("", off))
	return l.(*time.Location)
}

func (r *reader) streak(s *bot.Streak) {
	s.Days = r.int()
	s.Best = r.int()
	s.Last = r.str()
}

func (r *reader) review(v *bot.Review) {
	v.Step = r.int()
	v.Done = r.date()
	v.Due = r.date()
}

// change reads a history entry's roadmap and topic: by reference to the
// tracks read (memberV2), or whole.
func (r *reader) change(ids []string, tracks []*bot.Track) (string, string) {
	if r.ver < memberV2 {
		return r.str(), r.str()
	}
	k := r.uvarint()
	if k == 0 {
		return r.str(), r.str()
	}
	if k > uint64(len(ids)) {
		r.fail()
		return "", ""
	}
	rid, t := ids[k-1], tracks[k-1]
	j := r.uvarint()
	if j == 0 {
		return rid, r.str()
	}
	if t == nil || j > uint64(len(t.Topics)) {
		r.fail()
		return "", ""
	}
	return rid, t.Topics[j-1].Topic
}

// reviewTopic reads a track review's topic id: by reference to the
// track's marks (memberV2), or whole.
func (r *reader) reviewTopic(t *bot.Track) string {
	if r.ver < memberV2 {
		return r.str()
	}
	k := r.uvarint()
	if k == 0 {
		return r.str()
	}
	if k > uint64(len(t.Topics)) {
		r.fail()
		return ""
	}
	return t.Topics[k-1].Topic
}

// head reads the fields before the tracks.
func (r *reader) head(m *bot.Member) {
	m.Space.Platform = bot.Platform(r.str())
	m.Space.ID = r.str()
	m.ID = r.str()
	m.Name = r.str()
	m.Created = r.time()
	m.Seen = r.time()
	m.Follow = r.str()
	flags := r.byte()
	m.Nudge.On = flags&memberNudgeOn != 0
	m.DMClosed = flags&memberDMClosed != 0
	m.Hidden = flags&memberHidden != 0
	m.Buddy = flags&memberBuddy != 0
	m.Nudge.Hour = r.int()
	m.Nudge.Minute = r.int()
	m.Nudge.Zone = r.str()
	m.Nudge.LastDate = r.str()
	r.streak(&m.Streak)
	m.ProfileZone = r.str()
}

// member reads a whole member after the version byte. brief leaves out what
// views over a whole space never show (see bot.Store.Briefs): history,
// reviews and notes.
func (r *reader) member(m *bot.Member, brief bool) {
	r.head(m)
	var ids []string      // the tracks' roadmap ids in record order
	var read []*bot.Track // and the tracks (nil for a nil one)
	if n := r.count(3); n > 0 {
		m.Tracks = make(map[string]*bot.Track, n)
		tracks := make([]bot.Track, n)
		ids, read = make([]string, 0, n), make([]*bot.Track, 0, n)
		for i := range n {
			rid := r.str()
			ids = append(ids, rid)
			if r.byte() != 0 {
				m.Tracks[rid] = nil
				read = append(read, nil)
				continue
			}
			read = append(read, &tracks[i])
			size := r.uint32()
			if size > uint64(len(r.s)-r.i) {
				r.fail()
				return
			}
			end := r.i + int(size)
			r.track(&tracks[i], brief)
			if r.i != end {
				r.fail()
				return
			}
			m.Tracks[rid] = &tracks[i]
		}
	}
	if brief || r.err != nil {
		return
	}
	if n := r.count(9); n > 0 {
		m.History = make([]bot.Change, n)
		// The previous streaks and reviews come from two slabs: two
		// allocations, not one per change (a full history has 20).
		var streaks []bot.Streak
		var reviews []bot.Review
		for i := range m.History {
			c := &m.History[i]
			c.Roadmap, c.Topic = r.change(ids, read)
			c.Prev, _ = r.status()
			c.PrevAt = r.time()
			c.Pick = r.str()
			c.PrevPick = r.str()
			c.At = r.time()
			if r.byte() != 0 {
				if streaks == nil {
					streaks = make([]bot.Streak, 0, n-i)
				}
				streaks = append(streaks, bot.Streak{})
				c.PrevStreak = &streaks[len(streaks)-1]
				r.streak(c.PrevStreak)
			}
			if r.byte() != 0 {
				if reviews == nil {
					reviews = make([]bot.Review, 0, n-i)
				}
				reviews = append(reviews, bot.Review{})
				c.PrevReview = &reviews[len(reviews)-1]
				r.review(c.PrevReview)
			}
		}
	}
	if r.i != len(r.s) {
		r.fail()
	}
}

func (r *reader) track(t *bot.Track, brief bool) {
	if n := r.count(2); n > 0 {
		// One slab of marks, no map (see bot.Marks). A brief leaves out
		// Note and Started. Records written before marks were sorted
		// hold them in map order: SortMarks puts them in order.
		t.Topics = make(bot.Marks, 0, n)
		for range n {
			id := r.str()
			st, ok := r.status()
			if !ok {
				continue // a nil mark: there is none
			}
			var mk bot.TopicMark
			mk.Topic, mk.Status = id, st
			if brief {
				r.time() // started
				mk.At = r.time()
				r.str() // note
			} else {
				mk.Started = r.time()
				mk.At = r.time()
				mk.Note = r.str()
			}
			t.Topics = append(t.Topics, mk)
		}
		t.Topics = bot.SortMarks(t.Topics)
	}
	if n := r.count(2); n > 0 {
		t.Picks = make(map[string]string, n)
		for range n {
			k := r.str()
			t.Picks[k] = r.str()
		}
	}
	if n := r.count(2); n > 0 {
		if brief {
			for range n {
				r.reviewTopic(t)
				if r.byte() == 0 {
					var skip bot.Review
					r.review(&skip) // keeps the table of dates in step
				}
			}
			return
		}
		t.Reviews = make(map[string]*bot.Review, n)
		reviews := make([]bot.Review, n)
		for i := range n {
			id := r.reviewTopic(t)
			if r.byte() != 0 {
				t.Reviews[id] = nil
				continue
			}
			r.review(&reviews[i])
			t.Reviews[id] = &reviews[i]
		}
	}
}

// nudgeOf reads only a record's nudge settings (DeleteMember needs them to
// find the member's nudges record), from either form.
func nudgeOf(v []byte) (bot.Nudge, error) {
	if !isBinaryMember(v) {
		var old struct {
			Nudge bot.Nudge `json:"nudge"`
		}
		if err := json.Unmarshal(v, &old); err != nil {
			return bot.Nudge{}, fmt.Errorf("decode member: %w", err)
		}
		return old.Nudge, nil
	}
	var m bot.Member
	r := newReader(string(v))
	r.head(&m)
	if r.err != nil {
		return bot.Nudge{}, fmt.Errorf("decode member: %w", r.err)
	}
	return m.Nudge, nil
}
