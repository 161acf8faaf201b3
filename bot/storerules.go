package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The rules below are part of the Store contract rather than of one backend:
// store.DB (bbolt) and store/postgres both call them, so the two cannot
// drift apart on what they accept, what they keep and when a challenge is
// open. Each store still does its own reading and writing.

// MaxIDLen is the most bytes of a member id, a space key, a roadmap id or a
// delivery key any store keeps.
const MaxIDLen = 256

// CheckSpace tells whether a store can keep sp: it needs a platform and an
// id, a key of at most MaxIDLen bytes, no ':' in the platform (it separates
// platform from id in Space.Key) and no NUL anywhere (it ends a space in the
// bbolt due index's keys).
func CheckSpace(sp Space) error {
	if sp.Platform == "" || sp.ID == "" {
		return Errorf(Invalid, "I could not tell which server or workspace this is.")
	}
	if len(sp.Key()) > MaxIDLen {
		return Errorf(Invalid, "That server or workspace id is too long (%d bytes; the limit is %d).", len(sp.Key()), MaxIDLen)
	}
	if strings.ContainsAny(string(sp.Platform), ":\x00") || strings.ContainsRune(sp.ID, 0) {
		return Errorf(Invalid, "That server or workspace id contains characters I cannot store.")
	}
	return nil
}

// CheckMember tells whether a store can keep member id of sp: CheckSpace's
// rules, and an id of 1 to MaxIDLen bytes without NUL.
func CheckMember(sp Space, id string) error {
	if err := CheckSpace(sp); err != nil {
		return err
	}
	if id == "" {
		return Errorf(Invalid, "I could not tell who you are.")
	}
	if len(id) > MaxIDLen {
		return Errorf(Invalid, "That member id is too long (%d bytes; the limit is %d).", len(id), MaxIDLen)
	}
	if strings.ContainsRune(id, 0) {
		return Errorf(Invalid, "That member id contains characters I cannot store.")
	}
	return nil
}

// CheckRoadmapFile tells whether a store can keep f: it needs an id of 1 to
// MaxIDLen bytes.
func CheckRoadmapFile(f *RoadmapFile) error {
	if f == nil || f.ID == "" || len(f.ID) > MaxIDLen {
		return Errorf(Invalid, "A roadmap needs an id.")
	}
	return nil
}

// ApplySpaceUpdate runs a caller's fn (Store.UpdateSpace, CloseChallenge,
// DeleteRoadmapFile) on rec, then puts back the fields that belong to the
// store's own methods: Space, Current, ClosesAt and Roadmaps. Whatever fn does
// to them is not stored. A nil fn changes nothing; fn's error comes back
// as it is, and rec is then not to be stored.
func ApplySpaceUpdate(rec *SpaceRecord, fn func(*SpaceRecord) error) error {
	if fn == nil {
		return nil
	}
	// Roadmaps is cloned so fn cannot reach the kept copy through the slice.
	space, current, closesAt, roadmaps := rec.Space, rec.Current, rec.ClosesAt, slices.Clone(rec.Roadmaps)
	if err := fn(rec); err != nil {
		return err
	}
	rec.Space = space
	rec.Current, rec.ClosesAt = current, closesAt
	rec.Roadmaps = roadmaps
	return nil
}

// PutRoadmapInfo lists f on the space, replacing the entry with its id, in id
// order, with the version of its TOML (what Store.PutRoadmapFile keeps).
func (r *SpaceRecord) PutRoadmapInfo(f *RoadmapFile) {
	info := RoadmapInfo{ID: f.ID, Title: f.Title, Version: RoadmapVersion(f.TOML)}
	if i := slices.IndexFunc(r.Roadmaps, func(ri RoadmapInfo) bool { return ri.ID == f.ID }); i >= 0 {
		r.Roadmaps[i] = info
		return
	}
	r.Roadmaps = append(r.Roadmaps, info)
	slices.SortFunc(r.Roadmaps, func(a, b RoadmapInfo) int { return strings.Compare(a.ID, b.ID) })
}

// RoadmapLimit is Store.PutRoadmapFile's refusal: a space with have roadmaps
// (exists: f's id among them) may add a new one only below max.
func RoadmapLimit(have int, exists bool, max int) error {
	if !exists && have >= max {
		return Errorf(Conflict, "This group has %d roadmaps, the most it can have; remove one first.", max)
	}
	return nil
}

// CheckOpening tells whether Store.OpenChallenge can open c: it needs a
// challenge with the time it was posted, and a known OnOpen. An unknown
// OnOpen is the caller's bug, not the member's, so it is a plain error.
func CheckOpening(c *Challenge, onOpen OnOpen) error {
	if c == nil {
		return Errorf(Invalid, "There is no challenge to store.")
	}
	if c.PostedAt.IsZero() {
		return Errorf(Invalid, "A challenge needs the time it was posted.")
	}
	if onOpen != CloseCurrent && onOpen != RefuseWhileOpen {
		return fmt.Errorf("open challenge: unknown OnOpen %d", onOpen)
	}
	return nil
}

// IsOpen tells whether c, the challenge a SpaceRecord.Current names, is still
// open: a Current naming a missing challenge (nil) or a closed one (left by
// older versions, which closed and cleared in separate commits) counts as
// none open.
func (c *Challenge) IsOpen() bool {
	return c != nil && c.ClosedAt.IsZero()
}

// CloseForOpening decides what opening next does to current, the space's
// open challenge (nil when none): with RefuseWhileOpen it refuses with a
// Conflict error; with CloseCurrent it closes current at next's PostedAt,
// which the store then writes.
func CloseForOpening(current, next *Challenge, onOpen OnOpen) error {
	if current == nil {
		return nil
	}
	if onOpen == RefuseWhileOpen {
		return Errorf(Conflict, "Challenge #%d is still open.", current.ID)
	}
	current.ClosedAt = next.PostedAt
	return nil
}

// Opened is the record Store.OpenChallenge stores for c under id: a copy,
// open, whose submissions are its own, so the caller's c is not shared with
// the store.
func (c *Challenge) Opened(id uint64) *Challenge {
	cp := *c
	cp.ID = id
	cp.ClosedAt = time.Time{}
	cp.Submissions = nil
	for m, s := range c.Submissions {
		if s == nil {
			continue
		}
		if cp.Submissions == nil {
			cp.Submissions = make(map[string]*Submission, len(c.Submissions))
		}
		sc := *s
		cp.Submissions[m] = &sc
	}
	return &cp
}

// SetCurrent records on the space that c, just opened, is its open challenge
// (what Store.OpenChallenge stores with it).
func (r *SpaceRecord) SetCurrent(c *Challenge) {
	r.Current, r.ClosesAt = c.ID, c.ClosesAt
}

// CheckClosing tells whether Store.CloseChallenge can close at at.
func CheckClosing(at time.Time) error {
	if at.IsZero() {
		return Errorf(Invalid, "Closing a challenge needs the time it closes.")
	}
	return nil
}

// CloseOpen is Store.CloseChallenge's decision: open, the space's open
// challenge (nil when none), closes at at, and the space has none open. The
// store then writes both.
func (r *SpaceRecord) CloseOpen(open *Challenge, at time.Time) {
	if open != nil {
		open.ClosedAt = at
	}
	r.Current, r.ClosesAt = 0, time.Time{}
}

// StoreError is how a Store reports that op failed: a bot error (for the
// member) and a context error (the caller's own) as they are, anything else
// with op's context. A nil err stays nil.
func StoreError(op string, err error) error {
	if err == nil {
		return nil
	}
	var be *Error
	if errors.As(err, &be) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("%s: %w", op, err)
}

// StoreFnError is what a Store method returns after a transaction that ran
// the caller's fn: fn's own error exactly as fn returned it (fnErr, which the
// store keeps apart because a storage error could look the same), else the
// storage failure as StoreError reports it, else nil.
func StoreFnError(op string, fnErr, err error) error {
	if fnErr != nil {
		return fnErr
	}
	return StoreError(op, err)
}

// StoreResult is StoreFnError for a method that also returns what it stored:
// out only without an error.
func StoreResult[T any](op string, out T, fnErr, err error) (T, error) {
	if err := StoreFnError(op, fnErr, err); err != nil {
		var zero T
		return zero, err
	}
	return out, nil
}

// MaxRecordLen is the most bytes of one stored record (a member, a space's
// settings, a challenge, a roadmap file) in any store, so that one member
// cannot fill it.
const MaxRecordLen = 1 << 20

// CheckRecordLen refuses a record of n bytes over MaxRecordLen; what names
// the record for the member ("member", "challenge", ...).
func CheckRecordLen(what string, n int) error {
	if n > MaxRecordLen {
		return Errorf(Invalid, "That is more than I can store for one %s (%d bytes; the limit is %d).", what, n, MaxRecordLen)
	}
	return nil
}

// MarshalRecord is the JSON a store keeps a record as (the json tags of the
// types in this package), bounded by CheckRecordLen.
func MarshalRecord(what string, v any) ([]byte, error) {
	buf, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", what, err)
	}
	if err := CheckRecordLen(what, len(buf)); err != nil {
		return nil, err
	}
	return buf, nil
}

// MaxChannelLen bounds a stored DM channel id; platform ids are a few dozen
// bytes.
const MaxChannelLen = 128

// CheckDMChannel tells whether DMChannels.SetDMChannel can keep channel for
// member of sp ("" forgets it).
func CheckDMChannel(sp Space, member, channel string) error {
	if err := CheckMember(sp, member); err != nil {
		return err
	}
	if len(channel) > MaxChannelLen {
		return Errorf(Invalid, "That channel id is too long (%d bytes; the limit is %d).", len(channel), MaxChannelLen)
	}
	return nil
}

// CheckDeliveryKey tells whether Deliveries can keep key: 1 to MaxIDLen
// bytes.
func CheckDeliveryKey(key string) error {
	if key == "" {
		return Errorf(Invalid, "A delivery needs a key.")
	}
	if len(key) > MaxIDLen {
		return Errorf(Invalid, "That delivery key is too long (%d bytes; the limit is %d).", len(key), MaxIDLen)
	}
	return nil
}

// The Store contract's not-found and refusal errors, worded the same by every
// store.

// MemberNotFound is Store.Member's error for a member with nothing stored.
func MemberNotFound() error {
	return Errorf(NotFound, "I have nothing stored for that member yet.")
}

// ChallengeNotFound is the error for a challenge id the space does not have.
func ChallengeNotFound(id uint64) error {
	return Errorf(NotFound, "There is no challenge #%d.", id)
}

// RoadmapNotFound is the error for a roadmap id the space does not have.
func RoadmapNotFound(id string) error {
	return Errorf(NotFound, "This group has no roadmap %q.", Clip(id, 40))
}

// NoPendingRoadmap is Store.PendingRoadmap's error when the member has no
// upload waiting.
func NoPendingRoadmap() error {
	return Errorf(NotFound, "You have no roadmap upload waiting.")
}

// CheckClaimLimit refuses a DueIndex.ClaimDue limit that is not positive.
func CheckClaimLimit(limit int) error {
	if limit <= 0 {
		return Errorf(Invalid, "ClaimDue needs a positive limit, not %d.", limit)
	}
	return nil
}
