package bot

import (
	"context"
	"time"
)

// Store keeps members, spaces and challenges durably. store.DB implements it on
// bbolt. Every write is durable before the method returns, so a member is never
// told "done" for a change that a crash could lose.
//
// Error codes: NotFound as documented per method; Invalid for a zero Space or empty
// member id; Internal for storage failures. Values returned are copies the caller
// owns.
type Store interface {
	// Member returns a member, with Nudge.Next and Nudge.LastDate filled from
	// the nudge schedule as of this read (see Nudge). NotFound if the member
	// has no record.
	Member(ctx context.Context, sp Space, id string) (*Member, error)

	// UpdateMember loads the member (a new Member with Space, ID and Created set
	// when absent; Nudge.Next and LastDate filled from the schedule inside the
	// same transaction, so fn decides on facts no claim can change under it), calls fn, and stores the result unless fn returns an error,
	// which UpdateMember then returns unchanged. Concurrent updates may share one
	// commit, so fn may be called more than once: it must compute its change from
	// the member it is given and nothing else it mutated before. The store keeps its
	// nudge schedule in step when Member.Nudge or DMClosed change. Members who share
	// a slot (Hour, Minute, Zone) share its schedule: a member joining a slot
	// nobody else is in starts it at their Next; one with members keeps its own
	// (the engine derives Next from the slot, so the two agree, and a member's
	// Nudge.LastDate, stored with them, skips a date they were already nudged on).
	UpdateMember(ctx context.Context, sp Space, id string, fn func(*Member) error) (*Member, error)

	// DeleteMember removes every trace of a member in a space: the record, its
	// place in the nudge schedule and its challenge submissions. Deleting an
	// absent member is not an error.
	DeleteMember(ctx context.Context, sp Space, id string) error

	// Members calls fn for each member of a space, in id order. fn's error stops the
	// scan and is returned. It does not fill Nudge.Next and LastDate.
	Members(ctx context.Context, sp Space, fn func(*Member) error) error

	// Space returns a space's settings; a zero record (with Space set) when none
	// are stored yet.
	Space(ctx context.Context, sp Space) (*SpaceRecord, error)

	// UpdateSpace loads, changes with fn and stores a space's settings, like
	// UpdateMember. SpaceRecord.Current belongs to OpenChallenge and
	// CloseChallenge: what fn does to it is not stored.
	UpdateSpace(ctx context.Context, sp Space, fn func(*SpaceRecord) error) (*SpaceRecord, error)

	// Spaces calls fn for every space with stored settings.
	Spaces(ctx context.Context, fn func(*SpaceRecord) error) error

	// OpenChallenge opens c as the space's current challenge, in one
	// transaction, and returns what it did. It assigns c's ID (increasing per
	// space, never reused) and stores a copy; c itself is not changed.
	//
	// A scheduled post (c.ScheduledAt not zero) opens at most one challenge per
	// space and instant: when one was already opened for c.ScheduledAt (by
	// another call, possibly in another process on the same database) it
	// changes nothing and returns that challenge with Opening.Repeat set, and
	// the caller must not post it again.
	//
	// Otherwise, when the space has an open challenge, onOpen decides:
	// CloseCurrent closes it at c.PostedAt and returns it in Opening.Closed (its
	// summary is the caller's to post); RefuseWhileOpen returns a Conflict
	// error naming it, and nothing changes. Then c is stored and becomes
	// SpaceRecord.Current. A Current that names a missing or already closed
	// challenge counts as none open.
	//
	// Error codes: Invalid for a nil c, a zero c.PostedAt (a challenge closed at
	// the zero time would look open) or a record too large; Conflict as above.
	// Calls are serialised, never batched, so each is made exactly once.
	OpenChallenge(ctx context.Context, sp Space, c *Challenge, onOpen OnOpen) (*Opening, error)

	// CloseChallenge closes the space's open challenge at at, clears
	// SpaceRecord.Current, and changes the space's settings with fn (nil for
	// no change), all in one transaction. It returns the record as stored and
	// the challenge it closed, nil when none was open. fn's error is returned
	// unchanged and nothing changes; fn is called exactly once.
	CloseChallenge(ctx context.Context, sp Space, at time.Time, fn func(*SpaceRecord) error) (*SpaceRecord, *Challenge, error)

	// Challenge returns one challenge. NotFound if there is none with that id.
	Challenge(ctx context.Context, sp Space, id uint64) (*Challenge, error)

	// UpdateChallenge changes a challenge with fn, like UpdateMember (members'
	// submissions). NotFound if there is none with that id. Opening and closing
	// go through OpenChallenge and CloseChallenge, which keep
	// SpaceRecord.Current in step.
	UpdateChallenge(ctx context.Context, sp Space, id uint64, fn func(*Challenge) error) (*Challenge, error)

	// Challenges returns up to limit challenges of a space, newest first.
	Challenges(ctx context.Context, sp Space, limit int) ([]*Challenge, error)

	// RoadmapFiles returns the roadmaps a space's moderators added, in id
	// order.
	RoadmapFiles(ctx context.Context, sp Space) ([]*RoadmapFile, error)
	// RoadmapFile returns one of them. NotFound if the space has none with
	// that id.
	RoadmapFile(ctx context.Context, sp Space, id string) (*RoadmapFile, error)
	// PutRoadmapFile adds or replaces a space's roadmap. Adding a new id to
	// a space that has max already is a Conflict, and nothing changes.
	PutRoadmapFile(ctx context.Context, sp Space, f *RoadmapFile, max int) error
	// DeleteRoadmapFile removes a space's roadmap and changes the space's
	// settings with fn (nil for none) in the same transaction. NotFound if
	// there is none with that id; fn's error is returned unchanged and
	// nothing changes.
	DeleteRoadmapFile(ctx context.Context, sp Space, id string, fn func(*SpaceRecord) error) error

	// PendingRoadmap returns the upload a moderator made with roadmap add
	// and has not applied yet. NotFound when there is none.
	PendingRoadmap(ctx context.Context, sp Space, member string) (*RoadmapFile, error)
	// SetPendingRoadmap keeps f as the moderator's pending upload, replacing
	// any; nil removes it.
	SetPendingRoadmap(ctx context.Context, sp Space, member string, f *RoadmapFile) error

	DueIndex
}

// MemberBriefs is an optional extension of Store for the views that read
// every member of a space (group, leaderboard): they need each member's
// marks and settings, never the undo history, reviews or notes, which can
// be most of a record. The engine uses it when the store has it and
// Members otherwise, so a store without it stays correct, only slower.
type MemberBriefs interface {
	// Briefs is Members (same order, same fn contract, Answered filled)
	// with these left empty in every Member it gives: History, each
	// Track's Reviews, and each Mark's Note and Started. Everything else
	// is as Members gives it. The Member is fn's to keep and its fields
	// to set, but what they point to (Tracks and the maps and marks in
	// them) may be shared with a cache and must not be changed.
	Briefs(ctx context.Context, sp Space, fn func(*Member) error) error
}

// MemberInSpace is an optional extension of Store: a space's settings and
// one member of it as of one read, for the commands that need both (next,
// progress, done and most others: the space says which roadmap a member
// follows). The engine uses it when the store has it and Space plus Member
// otherwise.
type MemberInSpace interface {
	// MemberInSpace returns what Space(sp) and Member(sp, id) would, from
	// one consistent read. m is nil, with no error, when the member has no
	// record (where Member says NotFound); rec is never nil.
	MemberInSpace(ctx context.Context, sp Space, id string) (m *Member, rec *SpaceRecord, err error)
}

// UpdateAfterRead is an optional extension of Store for the change that
// follows a read of the same member (done, skip and start read the member
// to find their roadmap, then mark a topic): the store may hand fn the
// member it already decoded rather than decode the record again inside
// the write.
type UpdateAfterRead interface {
	// UpdateMemberAfter is UpdateMember for a caller that got read from
	// MemberInSpace, has not changed it, and gives it up: fn may be given
	// read itself (with the record's fields as stored, Nudge.Next and
	// Answered as UpdateMember fills them) when the stored record is still
	// the one read came from, and a fresh decode otherwise.
	UpdateMemberAfter(ctx context.Context, sp Space, id string, read *Member, fn func(*Member) error) (*Member, error)
}

// RoadmapFile is a roadmap a space's moderators added: the file as they
// uploaded it, which is what export gives back.
type RoadmapFile struct {
	ID      string    `json:"id"`
	Title   string    `json:"title"`
	TOML    string    `json:"toml"`
	AddedBy string    `json:"added_by,omitempty"`
	AddedAt time.Time `json:"added_at"`
	// Base is, on a pending update, the version (RoadmapInfo.Version) the
	// moderator saw the changes against; apply refuses if it moved.
	Base string `json:"base,omitempty"`
}

// DueIndex is the nudge schedule as the scheduler sees it: claim what is due,
// and tell when the next is. It is all bot/schedule needs of the store.
type DueIndex interface {
	// ClaimDue finds up to limit due nudges (over all spaces) whose instant is at or
	// before now, in due order, and calls fn for each inside one write transaction;
	// fn must move d.Nudge.Next past now or clear it (turning the nudge off), and
	// the moved entries are committed before ClaimDue returns them. The caller sends
	// after the commit, so a crash loses at most one nudge and never doubles one. fn
	// is called exactly once per entry. Returns the entries as committed: the
	// very *Due values fn was given, in the order it was given them.
	//
	// ClaimDue never reads or writes the member record: a claim touches only the
	// small nudge schedule, so Member.Nudge.Next lags behind once a member has
	// been claimed (see Due). The members of one slot are due together; a slot
	// moves to the earliest Next fn gives its members once all are claimed.
	ClaimDue(ctx context.Context, now time.Time, limit int, fn func(*Due) error) ([]*Due, error)

	// NextDue returns the earliest instant in the due index, zero when it is
	// empty. It may belong to a slot nobody is left in, or a malformed entry,
	// which ClaimDue drops without calling fn.
	NextDue(ctx context.Context) (time.Time, error)
}

// Due is one claimed nudge: who, and their schedule as the store has it.
// Nudge.Next is the instant their slot came due (newer than the member record's
// copy, which only changes when the member changes their nudge); Nudge.LastDate
// is the record's, the local date of their last nudge as of that change (a
// slot fires once per local date, so only a member who moved slots that day
// needs it). Hour, Minute, Zone and On are the member's current settings.
type Due struct {
	Space    Space
	Member   string
	Nudge    Nudge
	DMClosed bool
}

// Messenger delivers replies outside a command's own response: nudges and
// challenge posts.
//
// Error codes: Unreachable when the member cannot receive direct messages (the
// caller marks the member and stops nudging); Gone from Direct only when the
// platform says it no longer knows the member (the caller removes their
// data, so nothing weaker may return it); NotFound for an unknown channel;
// Internal otherwise.
type Messenger interface {
	// Direct sends r privately to a member of the space.
	Direct(ctx context.Context, sp Space, member string, r *Reply) error
	// Post sends r to a channel of the space, visible to everyone there.
	Post(ctx context.Context, sp Space, channel string, r *Reply) error
}

// Messengers routes by Space.Platform to each adapter's Messenger.
type Messengers map[Platform]Messenger

// Direct implements Messenger.
func (ms Messengers) Direct(ctx context.Context, sp Space, member string, r *Reply) error {
	m, ok := ms[sp.Platform]
	if !ok {
		return Errorf(NotFound, "No %s connection is running.", sp.Platform)
	}
	return m.Direct(ctx, sp, member, r)
}

// Post implements Messenger.
func (ms Messengers) Post(ctx context.Context, sp Space, channel string, r *Reply) error {
	m, ok := ms[sp.Platform]
	if !ok {
		return Errorf(NotFound, "No %s connection is running.", sp.Platform)
	}
	return m.Post(ctx, sp, channel, r)
}

var _ Messenger = Messengers(nil)

// DMChannels keeps each member's direct-message channel id on a platform that
// needs one (Discord opens a DM channel before the first message), so a nudge
// after a restart is one request rather than two. The bbolt and PostgreSQL
// stores implement it beside Store; DeleteMember forgets the channel too.
//
// Error codes: Invalid for a zero Space or empty member id; Internal for
// storage failures.
type DMChannels interface {
	// DMChannel returns the stored channel id, "" when none is stored.
	DMChannel(ctx context.Context, sp Space, member string) (string, error)
	// SetDMChannel stores the channel id; "" forgets it (the platform said
	// the channel is gone).
	SetDMChannel(ctx context.Context, sp Space, member, channel string) error
}

// Deliveries remembers which platform deliveries (Slack Events API event ids,
// interaction ids) were handled, so a retry or a redelivery, possibly after a
// restart or on another process sharing the database, has no second effect,
// while one whose first delivery was never handled still is. Keys are the
// adapter's own ("slack:event:Ev123"); they are kept until pruned.
//
// The adapter checks Delivered before handling and marks after the effect:
// a crash between the two repeats the effect at most once, which is the
// platform's own retry promise; marking first would lose the event.
type Deliveries interface {
	// Delivered reports whether key was marked.
	Delivered(ctx context.Context, key string) (bool, error)
	// MarkDelivered records key as handled at at. Marking twice is not an
	// error; the later time is kept, so a key stays for the window after its
	// last mark (storetest checks this on every store).
	MarkDelivered(ctx context.Context, key string, at time.Time) error
	// PruneDeliveries forgets keys marked before before, and says how many.
	PruneDeliveries(ctx context.Context, before time.Time) (int, error)
}

// DueFilter is the claim filter of a process that shares its database with
// others: it claims only the nudges of the platforms it serves, so a
// Slack-only process never claims (and so never loses) a Discord member's
// nudge. The zero filter claims every platform.
type DueFilter struct {
	Platforms []Platform
}

// Allows reports whether the filter claims nudges of platform p.
func (f DueFilter) Allows(p Platform) bool {
	if len(f.Platforms) == 0 {
		return true
	}
	for _, q := range f.Platforms {
		if q == p {
			return true
		}
	}
	return false
}

// DueSharer is implemented by a store several processes can share
// (PostgreSQL): DueFor is its due index as seen by a process serving f's
// platforms, whose ClaimDue and NextDue skip every other platform's nudges.
// A store one process owns (bbolt) has no need of it: that process claims
// everything in it.
type DueSharer interface {
	DueFor(f DueFilter) DueIndex
}
