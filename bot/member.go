package bot

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/studybot/studybot/roadmap"
)

// MaxHistory is how many changes a member can undo.
const MaxHistory = 20

// Member is everything studybot keeps about one member of one Space. It is stored
// as one record, so a command reads and writes a member in one step.
type Member struct {
	Space   Space     `json:"space"`
	ID      string    `json:"id"`
	Name    string    `json:"name,omitempty"`
	Created time.Time `json:"created"`
	Seen    time.Time `json:"seen"`
	// Follow is the roadmap the member chose with roadmap follow; "" follows
	// the space's default, including later changes of it.
	Follow  string            `json:"follow,omitempty"`
	Tracks  map[string]*Track `json:"tracks,omitempty"`  // roadmap id -> marks and picks
	History []Change          `json:"history,omitempty"` // newest last, at most MaxHistory
	Nudge   Nudge             `json:"nudge"`
	Streak  Streak            `json:"streak"`
	// DMClosed is set when the platform refused a direct message (Discord 50007);
	// nudges stop until the member uses the bot again.
	DMClosed bool `json:"dm_closed,omitempty"`
	// ProfileZone is the zone the member's platform profile gave on their
	// last change (Slack has one); streak days use it until they set one.
	ProfileZone string `json:"profile_zone,omitempty"`
	// Hidden keeps the member off the leaderboard (leaderboard hide).
	Hidden bool `json:"hidden,omitempty"`
	// Buddy is set by buddy on: the member may be suggested by buddy find
	// and named among the week's finishers in group. Unset, neither ever
	// shows them.
	Buddy bool `json:"buddy,omitempty"`
	// Answered is how many of the space's challenges the member has a
	// submission on. The store counts it beside the challenges (their
	// submissions are the record) and fills it on every read; it is not
	// part of the member record.
	Answered int `json:"-"`
}

// Mark is a member's status on one topic, and their private note.
type Mark struct {
	Status  roadmap.Status `json:"status,omitempty"`
	Started time.Time      `json:"started,omitzero"` // first marked learning
	At      time.Time      `json:"at,omitzero"`      // last status change
	Note    string         `json:"note,omitempty"`
}

// Change is one undoable step: the topic's (or pick's) previous value.
type Change struct {
	// Roadmap is the roadmap of Topic and Pick; "" in records from before
	// roadmaps were per space, which means BuiltinRoadmap.
	Roadmap  string         `json:"roadmap,omitempty"`
	Topic    string         `json:"topic,omitempty"`
	Prev     roadmap.Status `json:"prev,omitempty"`
	PrevAt   time.Time      `json:"prev_at,omitzero"`
	Pick     string         `json:"pick,omitempty"` // pick group id when a pick changed
	PrevPick string         `json:"prev_pick,omitempty"`
	At       time.Time      `json:"at"`
	// PrevStreak is the streak before the change counted its day, so that
	// undoing a day's only change takes the day back off; nil when the
	// change did not move the streak.
	PrevStreak *Streak `json:"prev_streak,omitempty"`
	// PrevReview is the topic's review before the change replaced or
	// dropped it, so undo brings it back.
	PrevReview *Review `json:"prev_review,omitempty"`
}

// Nudge is a member's daily reminder setting.
type Nudge struct {
	On     bool   `json:"on,omitempty"`
	Hour   int    `json:"hour,omitempty"`
	Minute int    `json:"minute,omitempty"`
	Zone   string `json:"zone,omitempty"` // IANA name
	// Next and LastDate are the store's schedule, not settings: the store
	// fills them from its nudge schedule whenever it reads a member with the
	// nudge on (Store.Member, inside UpdateMember), so they are facts as of
	// that read, never a stale copy. Next is the UTC instant the member's
	// slot comes due next; the engine sets it when it changes the settings
	// (a slot nobody else is in starts there). It is not kept in the member
	// record.
	Next time.Time `json:"-"`
	// LastDate is the member's local date (DateLayout) of their last nudge as
	// the schedule tells it (see nudge.Slot.LastDate). While the nudge is off
	// the member record keeps the date it had when it was turned off, so
	// turning it on again the same date sends no second nudge.
	LastDate string `json:"last_date,omitempty"`
}

// Streak counts consecutive local days with at least one progress change.
type Streak struct {
	Days int    `json:"days,omitempty"`
	Best int    `json:"best,omitempty"`
	Last string `json:"last,omitempty"` // local date 2006-01-02 of the last counted day
}

// BuiltinRoadmap is the id of the deployment's own roadmap: the built-in
// backend roadmap, or the one roadmap.file names instead. Every space has it.
const BuiltinRoadmap = "backend"

// Track is a member's marks and picks on one roadmap, by topic id. A member
// keeps a track per roadmap they worked on, so switching roadmaps loses
// nothing, and marks on topics a roadmap no longer has stay (they count
// again if a later version brings the topic back).
type Track struct {
	Topics Marks             `json:"topics,omitempty"` // one mark per topic id
	Picks  map[string]string `json:"picks,omitempty"`  // pick group id -> option topic id
	// Reviews are the finished topics in spaced review, by topic id.
	Reviews map[string]*Review `json:"reviews,omitempty"`
}

// TopicMark is one topic's mark in a track.
type TopicMark struct {
	Topic string
	Mark
}

// Marks is a track's marks, sorted by topic id, at most one per topic.
//
// A sorted slice rather than a map: every command decodes its member, and
// building each track's map of marks (the map plus one Mark per topic) was
// the larger part of that decode; group and leaderboard decode a whole
// space's members. A slice of values is one allocation, walks in order
// and finds a topic by binary search (a roadmap has at most
// roadmap.MaxTopics). Marks reads and writes JSON as an object keyed by
// topic id, so `mydata export` and older JSON records keep their shape.
type Marks []TopicMark

// find is where topic is or would go.
func (ms Marks) find(topic string) (int, bool) {
	return slices.BinarySearchFunc(ms, topic, func(e TopicMark, t string) int { return strings.Compare(e.Topic, t) })
}

// Index returns where topic's mark is in ms, and whether it has one.
func (ms Marks) Index(topic string) (int, bool) { return ms.find(topic) }

// Get returns topic's mark, nil when it has none. The pointer is into ms:
// valid until the next Set or Delete.
func (ms Marks) Get(topic string) *Mark {
	if i, ok := ms.find(topic); ok {
		return &ms[i].Mark
	}
	return nil
}

// Set gives topic the mark mk, adding it in order when it has none.
func (ms *Marks) Set(topic string, mk Mark) {
	i, ok := ms.find(topic)
	if ok {
		(*ms)[i].Mark = mk
		return
	}
	*ms = slices.Insert(*ms, i, TopicMark{Topic: topic, Mark: mk})
}

// Delete removes topic's mark, if any.
func (ms *Marks) Delete(topic string) {
	if i, ok := ms.find(topic); ok {
		*ms = slices.Delete(*ms, i, i+1)
	}
}

// MarksOf builds Marks from a map (tests, JSON, the PostgreSQL store's
// rows); nil marks are left out.
func MarksOf(m map[string]*Mark) Marks {
	if len(m) == 0 {
		return nil
	}
	ms := make(Marks, 0, len(m))
	for id, mk := range m {
		if mk != nil {
			ms = append(ms, TopicMark{Topic: id, Mark: *mk})
		}
	}
	return SortMarks(ms)
}

// Sorted reports whether ms is strictly in topic order (as Set keeps it:
// no topic twice).
func (ms Marks) Sorted() bool {
	for i := 1; i < len(ms); i++ {
		if ms[i-1].Topic >= ms[i].Topic {
			return false
		}
	}
	return true
}

// SortMarks puts ms in topic order and returns it, for a reader that
// collected marks in another order; of duplicate topics the last one given
// stays.
func SortMarks(ms Marks) Marks {
	if ms.Sorted() {
		return ms
	}
	slices.SortStableFunc(ms, func(a, b TopicMark) int { return strings.Compare(a.Topic, b.Topic) })
	out := ms[:0]
	for i := range ms {
		if len(out) > 0 && out[len(out)-1].Topic == ms[i].Topic {
			out[len(out)-1] = ms[i]
			continue
		}
		out = append(out, ms[i])
	}
	return out
}

// MarshalJSON writes the marks as an object keyed by topic id, in the
// order (and so the bytes) encoding/json gives a map.
func (ms Marks) MarshalJSON() ([]byte, error) {
	m := make(map[string]*Mark, len(ms))
	for i := range ms {
		m[ms[i].Topic] = &ms[i].Mark
	}
	return json.Marshal(m)
}

// UnmarshalJSON reads an object keyed by topic id; null marks are left out.
func (ms *Marks) UnmarshalJSON(data []byte) error {
	var m map[string]*Mark
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	*ms = MarksOf(m)
	return nil
}

// Status implements roadmap.Learner. A nil Track has no marks.
func (t *Track) Status(topic string) roadmap.Status {
	if t == nil {
		return roadmap.Todo
	}
	if mk := t.Topics.Get(topic); mk != nil {
		return mk.Status
	}
	return roadmap.Todo
}

// Choice implements roadmap.Learner.
func (t *Track) Choice(pick string) string {
	if t == nil {
		return ""
	}
	return t.Picks[pick]
}

// Marks implements roadmap.MarkLister, so Next and Progress cost what the
// member marked rather than the roadmap's size.
func (t *Track) Marks(yield func(topic string, s roadmap.Status) bool) {
	if t == nil {
		return
	}
	for i := range t.Topics {
		if mk := &t.Topics[i]; mk.Status != roadmap.Todo && !yield(mk.Topic, mk.Status) {
			return
		}
	}
}

var (
	_ roadmap.Learner    = (*Track)(nil)
	_ roadmap.MarkLister = (*Track)(nil)
)

// Track returns the member's track on a roadmap, for reading: an empty one
// (not kept in the member) when they have none.
func (m *Member) Track(roadmapID string) *Track {
	if t := m.Tracks[roadmapID]; t != nil {
		return t
	}
	return &Track{}
}

// WriteTrack is track for code outside the engine that builds members
// (tests, the simulator).
func (m *Member) WriteTrack(roadmapID string) *Track { return m.track(roadmapID) }

// track returns the member's track on a roadmap for writing, adding it and
// its maps when missing (Topics is a slice: nil is empty).
func (m *Member) track(roadmapID string) *Track {
	if m.Tracks == nil {
		m.Tracks = map[string]*Track{}
	}
	t := m.Tracks[roadmapID]
	if t == nil {
		t = &Track{}
		m.Tracks[roadmapID] = t
	}
	if t.Picks == nil {
		t.Picks = map[string]string{}
	}
	return t
}

// UnmarshalJSON reads member records of every version. Records written
// before roadmaps were per space kept the one roadmap's marks and picks at
// the top level ("topics", "picks"); they become the built-in roadmap's
// track, and the next write stores them there.
func (m *Member) UnmarshalJSON(data []byte) error {
	type plain Member // no methods: no recursion
	aux := struct {
		*plain
		Topics map[string]*Mark  `json:"topics"`
		Picks  map[string]string `json:"picks"`
	}{plain: (*plain)(m)}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	if len(aux.Topics) > 0 || len(aux.Picks) > 0 {
		t := m.track(BuiltinRoadmap)
		for id, mk := range aux.Topics {
			if mk != nil && t.Topics.Get(id) == nil {
				t.Topics.Set(id, *mk)
			}
		}
		for id, o := range aux.Picks {
			if _, ok := t.Picks[id]; !ok {
				t.Picks[id] = o
			}
		}
	}
	return nil
}

// SpaceRecord holds a Space's settings.
type SpaceRecord struct {
	Space     Space             `json:"space"`
	Challenge ChallengeSchedule `json:"challenge"`
	// Current is the id of the open challenge, 0 when none is open.
	Current uint64 `json:"current,omitempty"`
	// ClosesAt is when the open challenge closes by itself, zero when it
	// stays open until closed or replaced. Like Current it belongs to
	// OpenChallenge and CloseChallenge; kept here so that finding the
	// challenges due to close reads space records only.
	ClosesAt time.Time `json:"closes_at,omitzero"`
	// Queue is the topics moderators queued for the next challenges, first
	// one first.
	Queue []TopicRef `json:"queue,omitempty"`
	// DefaultRoadmap is the roadmap members follow until they choose one;
	// "" means BuiltinRoadmap.
	DefaultRoadmap string `json:"default_roadmap,omitempty"`
	// Roadmaps lists the roadmaps moderators added (Store.PutRoadmapFile),
	// so a command learns which exist, and which version, from the record
	// it reads anyway. Like Current it belongs to the store: what
	// UpdateSpace's fn does to it is not stored.
	Roadmaps []RoadmapInfo `json:"roadmaps,omitempty"`
	// Moderators is the member ids made moderators with "moderators add",
	// on platforms without a permission gate of their own (Slack).
	Moderators []string `json:"moderators,omitempty"`
}

// ChallengeSchedule is when and where weekly challenges are posted.
type ChallengeSchedule struct {
	Channel string    `json:"channel,omitempty"`
	Spec    string    `json:"spec,omitempty"` // cron spec with CRON_TZ=, "" when none
	Text    string    `json:"text,omitempty"` // what the moderator typed, for display
	SetBy   string    `json:"set_by,omitempty"`
	SetAt   time.Time `json:"set_at,omitzero"`
	// Lasts is how long each scheduled challenge stays open; 0 until the
	// next one replaces it.
	Lasts time.Duration `json:"lasts,omitempty"`
	// Roadmap is the roadmap whose topics the schedule posts; "" means the
	// space's default roadmap at each post.
	Roadmap string `json:"roadmap,omitempty"`
}

// RoadmapInfo is what a space record says of one added roadmap.
type RoadmapInfo struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Version string `json:"version"` // changes whenever the file does
}

// roadmapInfo finds an added roadmap's info, nil when the space has none
// with that id.
func (r *SpaceRecord) roadmapInfo(id string) *RoadmapInfo {
	for i := range r.Roadmaps {
		if r.Roadmaps[i].ID == id {
			return &r.Roadmaps[i]
		}
	}
	return nil
}

// TopicRef names a topic of one roadmap: two roadmaps may share a topic id.
type TopicRef struct {
	Roadmap string `json:"roadmap"`
	Topic   string `json:"topic"`
}

// Challenge is one posted challenge and its submissions.
type Challenge struct {
	ID          uint64                 `json:"id"`
	Roadmap     string                 `json:"roadmap,omitempty"` // Topic's roadmap; "" means BuiltinRoadmap
	Topic       string                 `json:"topic,omitempty"`   // topic id, "" for a free-text challenge
	Text        string                 `json:"text"`
	Channel     string                 `json:"channel,omitempty"`
	PostedBy    string                 `json:"posted_by,omitempty"` // member id, "" when scheduled
	PostedAt    time.Time              `json:"posted_at"`
	ScheduledAt time.Time              `json:"scheduled_at,omitzero"` // the schedule's instant, zero when posted by hand
	ClosesAt    time.Time              `json:"closes_at,omitzero"`    // when it closes by itself; zero when it does not
	Zone        string                 `json:"zone,omitempty"`        // IANA zone its times are shown in; "" for UTC
	ClosedAt    time.Time              `json:"closed_at,omitzero"`
	Submissions map[string]*Submission `json:"submissions,omitempty"` // member id -> submission
}

// Submission is a member's answer to a challenge.
type Submission struct {
	Member string    `json:"member"`
	Name   string    `json:"name,omitempty"`
	Text   string    `json:"text"`
	At     time.Time `json:"at"`
}

// member reads the requester's record and touches it (see Touch): a member
// who never wrote anything gets a fresh, unsaved one; one whose direct
// messages were closed is written once, re-opening them. Handlers declared
// TouchInHandler read the requester through here.
func (e *Engine) member(ctx context.Context, req *Request) (*Member, error) {
	m, err := e.Store.Member(ctx, req.Space, req.Member)
	if ErrorCode(err) == NotFound {
		m, err = nil, nil
	}
	if err != nil {
		return nil, Wrap(err, "read member")
	}
	return e.touched(ctx, req, m)
}

// memberIn is member that also returns the space's settings, read with
// the member in one transaction when the store can (MemberInSpace).
func (e *Engine) memberIn(ctx context.Context, req *Request) (*Member, *SpaceRecord, error) {
	mis, ok := e.Store.(MemberInSpace)
	if !ok {
		m, err := e.member(ctx, req)
		if err != nil {
			return nil, nil, err
		}
		rec, err := e.Store.Space(ctx, req.Space)
		if err != nil {
			return nil, nil, Wrap(err, "read space")
		}
		return m, rec, nil
	}
	m, rec, err := mis.MemberInSpace(ctx, req.Space, req.Member)
	if err != nil {
		return nil, nil, Wrap(err, "read member")
	}
	if m, err = e.touched(ctx, req, m); err != nil {
		return nil, nil, err
	}
	return m, rec, nil
}

// touched finishes member's read of m (nil when there is no record).
func (e *Engine) touched(ctx context.Context, req *Request, m *Member) (*Member, error) {
	switch {
	case m == nil:
		req.newcomer = true // Handle welcomes them above the answer
		return &Member{Space: req.Space, ID: req.Member, Name: req.Name}, nil
	case m.DMClosed:
		return e.update(ctx, req, func(*Member) error { return nil })
	}
	return m, nil
}

// update changes the requester's record with fn in one durable write and
// touches it in the same write: name and Seen refreshed, direct messages
// re-opened. fn may run more than once (the store batches commits), so it must
// only derive its change from the member it is given.
func (e *Engine) update(ctx context.Context, req *Request, fn func(m *Member) error) (*Member, error) {
	now := e.now()
	return e.writeMember(ctx, req.Space, req.Member, func(m *Member) error {
		e.touch(req, m, now)
		return fn(m)
	})
}

// updateAfter is update for a command that read the member (read, from
// learner) just before and does not use it again: a store that can
// (UpdateAfterRead) hands fn that member rather than decoding the record a
// second time. read nil, or a store without it, is update.
func (e *Engine) updateAfter(ctx context.Context, req *Request, read *Member, fn func(m *Member) error) (*Member, error) {
	ua, ok := e.Store.(UpdateAfterRead)
	if !ok || read == nil {
		return e.update(ctx, req, fn)
	}
	now := e.now()
	m, err := ua.UpdateMemberAfter(ctx, req.Space, req.Member, read, func(m *Member) error {
		e.touch(req, m, now)
		return fn(m)
	})
	if err != nil {
		return nil, Wrap(err, "update member")
	}
	return m, nil
}

// touch is update's refresh of the member: name and Seen, direct messages
// re-opened, the platform's zone.
func (e *Engine) touch(req *Request, m *Member, now time.Time) {
	if req.Name != "" {
		m.Name = req.Name
	}
	m.Seen = now
	m.DMClosed = false
	if req.Zone != "" {
		m.ProfileZone = req.Zone // Slack's profile: streak days until nudge zone
	}
}

// writeMember is the one path by which the engine writes a member: update for
// the member's own commands, and delivery marking closed direct messages.
func (e *Engine) writeMember(ctx context.Context, sp Space, id string, fn func(m *Member) error) (*Member, error) {
	m, err := e.Store.UpdateMember(ctx, sp, id, fn)
	if err != nil {
		return nil, Wrap(err, "update member")
	}
	return m, nil
}
