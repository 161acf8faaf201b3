// Package storetest is the contract test suite of bot.Store (and of
// bot.DMChannels and bot.Deliveries where a store has them): the same tests
// run against every backend, bbolt from package store and PostgreSQL from
// store/postgres.
package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/roadmap"
)

// SpaceA and SpaceB are the spaces the helpers and tests use; SpaceB is on
// the other platform.
var (
	SpaceA = bot.Space{Platform: bot.PlatformDiscord, ID: "111"}
	SpaceB = bot.Space{Platform: bot.PlatformSlack, ID: "T222"}
	// T0 is the time on the clock the open function gives its store
	// (Member.Created of new members).
	T0 = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	t0 = T0
)

// Open returns a new, empty store whose clock reads T0, closed when the test
// ends.
type Open func(t *testing.T) bot.Store

// Run runs every contract test against stores from open.
func Run(t *testing.T, open Open) {
	tests := []struct {
		name string
		f    func(*testing.T, Open)
	}{
		{"Spaces_Isolated", testSpaces_Isolated},
		{"UpdateMember_FnErrorChangesNothing", testUpdateMember_FnErrorChangesNothing},
		{"UpdateMember_KeepsIdentity", testUpdateMember_KeepsIdentity},
		{"Validation", testValidation},
		{"DeleteMember_LeavesNoTrace", testDeleteMember_LeavesNoTrace},
		{"ClaimDue", testClaimDue},
		{"ClaimDue_ScheduleChanges", testClaimDue_ScheduleChanges},
		{"ClaimDue_SubSecond", testClaimDue_SubSecond},
		{"UpdateMember_ConcurrentLosesNothing", testUpdateMember_ConcurrentLosesNothing},
		{"Members_PagesAndAllowsWrites", testMembers_PagesAndAllowsWrites},
		{"SpacesAndChallenges", testSpacesAndChallenges},
		{"ContextCanceled", testContextCanceled},
		{"OpenChallenge_ClosesCurrent", testOpenChallenge_ClosesCurrent},
		{"OpenChallenge_RefusesWhileOpen", testOpenChallenge_RefusesWhileOpen},
		{"OpenChallenge_OncePerScheduledInstant", testOpenChallenge_OncePerScheduledInstant},
		{"OpenChallenge_ConcurrentScheduledOpenOnce", testOpenChallenge_ConcurrentScheduledOpenOnce},
		{"OpenChallenge_Invalid", testOpenChallenge_Invalid},
		{"CloseChallenge", testCloseChallenge},
		{"UpdateSpace_KeepsCurrent", testUpdateSpace_KeepsCurrent},
		{"Answered_FollowsSubmissions", testAnswered_FollowsSubmissions},
		{"OpenChallenge_ClosesAt", testOpenChallenge_ClosesAt},
		{"MemberRoundTrip", testMemberRoundTrip},
		{"DMChannels", testDMChannels},
		{"Deliveries", testDeliveries},
		{"DueFilter", testDueFilter},
		{"RoadmapFiles", testRoadmapFiles},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.f(t, open) })
	}
}

// Mark is an UpdateMember fn that marks the builtin roadmap's internet/dns
// topic with status.
func Mark(status roadmap.Status) func(*bot.Member) error {
	return func(m *bot.Member) error {
		m.WriteTrack(bot.BuiltinRoadmap).Topics.Set("internet/dns", bot.Mark{Status: status, At: t0})
		return nil
	}
}

// SetNext is an UpdateMember fn that turns the nudge on, due at next, or off
// for a zero next.
func SetNext(next time.Time) func(*bot.Member) error {
	return func(m *bot.Member) error {
		m.Nudge.On = !next.IsZero()
		m.Nudge.Next = next
		return nil
	}
}

// MustUpdate is db.UpdateMember that fails the test on an error.
func MustUpdate(tb testing.TB, db bot.Store, sp bot.Space, id string, fn func(*bot.Member) error) *bot.Member {
	tb.Helper()
	m, err := db.UpdateMember(context.Background(), sp, id, fn)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// NudgeAt sets a member's nudge to hh:mm in zone, next due at next.
func NudgeAt(hh, mm int, zone string, next time.Time) func(*bot.Member) error {
	return func(m *bot.Member) error {
		m.Nudge = bot.Nudge{On: true, Hour: hh, Minute: mm, Zone: zone, Next: next, LastDate: m.Nudge.LastDate}
		return nil
	}
}

// Tomorrow is a claim's fn that moves each member a day on.
func Tomorrow(calls map[string]int) func(d *bot.Due) error {
	return func(d *bot.Due) error {
		calls[d.Member]++
		d.Nudge.Next = d.Nudge.Next.Add(24 * time.Hour)
		return nil
	}
}

// DueIDs lists the members of a claim, in its order.
func DueIDs(ds []*bot.Due) string {
	ids := make([]string, len(ds))
	for i, d := range ds {
		ids[i] = d.Member
	}
	return fmt.Sprint(ids)
}

// MustOpenChallenge is db.OpenChallenge that fails the test on an error.
func MustOpenChallenge(tb testing.TB, db bot.Store, sp bot.Space, c *bot.Challenge, onOpen bot.OnOpen) *bot.Opening {
	tb.Helper()
	res, err := db.OpenChallenge(context.Background(), sp, c, onOpen)
	if err != nil {
		tb.Fatal(err)
	}
	return res
}

// ChallengeState is what a test compares before and after a call that must
// change nothing: the space record and every challenge.
func ChallengeState(tb testing.TB, db bot.Store, sp bot.Space) string {
	tb.Helper()
	ctx := context.Background()
	rec, err := db.Space(ctx, sp)
	if err != nil {
		tb.Fatal(err)
	}
	cs, err := db.Challenges(ctx, sp, 0)
	if err != nil {
		tb.Fatal(err)
	}
	out := fmt.Sprintf("current %d", rec.Current)
	for _, c := range cs {
		out += fmt.Sprintf("; #%d %q closed %v", c.ID, c.Text, c.ClosedAt)
	}
	return out
}

// Submit stores an answer by each of members on challenge id of SpaceA.
func Submit(tb testing.TB, db bot.Store, id uint64, members ...string) {
	tb.Helper()
	if _, err := db.UpdateChallenge(context.Background(), SpaceA, id, func(c *bot.Challenge) error {
		if c.Submissions == nil {
			c.Submissions = map[string]*bot.Submission{}
		}
		for _, m := range members {
			c.Submissions[m] = &bot.Submission{Member: m, Text: "answer by " + m, At: t0}
		}
		return nil
	}); err != nil {
		tb.Fatal(err)
	}
}

// Answered reads each member's Answered through Member and through Members,
// which must agree.
func Answered(tb testing.TB, db bot.Store, ids ...string) []int {
	tb.Helper()
	ctx := context.Background()
	scanned := map[string]int{}
	if err := db.Members(ctx, SpaceA, func(m *bot.Member) error { scanned[m.ID] = m.Answered; return nil }); err != nil {
		tb.Fatal(err)
	}
	out := make([]int, len(ids))
	for i, id := range ids {
		m, err := db.Member(ctx, SpaceA, id)
		if bot.ErrorCode(err) == bot.NotFound {
			continue
		}
		if err != nil {
			tb.Fatal(err)
		}
		if scanned[id] != m.Answered {
			tb.Errorf("%s: Members says %d answered, Member %d", id, scanned[id], m.Answered)
		}
		out[i] = m.Answered
	}
	return out
}

func testSpaces_Isolated(t *testing.T, open Open) {
	ctx := context.Background()
	db := open(t)
	MustUpdate(t, db, SpaceA, "sam", Mark(roadmap.Done))
	MustUpdate(t, db, SpaceB, "sam", Mark(roadmap.Learning))
	MustUpdate(t, db, SpaceB, "zoe", Mark(roadmap.Learning))

	a, err := db.Member(ctx, SpaceA, "sam")
	if err != nil {
		t.Fatal(err)
	}
	b, err := db.Member(ctx, SpaceB, "sam")
	if err != nil {
		t.Fatal(err)
	}
	if a.Track(bot.BuiltinRoadmap).Status("internet/dns") != roadmap.Done || b.Track(bot.BuiltinRoadmap).Status("internet/dns") != roadmap.Learning {
		t.Errorf("same id in two spaces: A=%q B=%q", a.Track(bot.BuiltinRoadmap).Status("internet/dns"), b.Track(bot.BuiltinRoadmap).Status("internet/dns"))
	}
	if _, err := db.Member(ctx, SpaceA, "zoe"); bot.ErrorCode(err) != bot.NotFound {
		t.Errorf("zoe in A: err = %v, want not_found", err)
	}
	var ids []string
	db.Members(ctx, SpaceA, func(m *bot.Member) error { ids = append(ids, m.ID); return nil })
	if fmt.Sprint(ids) != "[sam]" {
		t.Errorf("members of A = %v, want [sam]", ids)
	}

	// Challenges number per space, and deleting in one space leaves the other.
	ca := MustOpenChallenge(t, db, SpaceA, &bot.Challenge{Text: "a", PostedAt: t0}, bot.CloseCurrent).Opened
	cb := MustOpenChallenge(t, db, SpaceB, &bot.Challenge{Text: "b", PostedAt: t0}, bot.RefuseWhileOpen).Opened
	if ca.ID != 1 || cb.ID != 1 {
		t.Errorf("first challenge ids = %d, %d, want 1, 1", ca.ID, cb.ID)
	}
	if err := db.DeleteMember(ctx, SpaceA, "sam"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Member(ctx, SpaceB, "sam"); err != nil {
		t.Errorf("sam in B after deleting sam in A: %v", err)
	}
}

func testUpdateMember_FnErrorChangesNothing(t *testing.T, open Open) {
	ctx := context.Background()
	db := open(t)
	MustUpdate(t, db, SpaceA, "alice", Mark(roadmap.Learning))
	errBoom := bot.Errorf(bot.Conflict, "boom")
	_, err := db.UpdateMember(ctx, SpaceA, "alice", func(m *bot.Member) error {
		m.WriteTrack(bot.BuiltinRoadmap).Topics.Get("internet/dns").Status = roadmap.Done
		m.Nudge.Next = t0
		return errBoom
	})
	if err != errBoom {
		t.Fatalf("err = %v, want the fn's error unchanged", err)
	}
	m, _ := db.Member(ctx, SpaceA, "alice")
	if got := m.Track(bot.BuiltinRoadmap).Status("internet/dns"); got != roadmap.Learning {
		t.Errorf("status = %q, want %q", got, roadmap.Learning)
	}
	if next, _ := db.NextDue(ctx); !next.IsZero() {
		t.Errorf("NextDue = %v, want zero", next)
	}

	// An absent member stays absent.
	plain := errors.New("plain")
	if _, err := db.UpdateMember(ctx, SpaceA, "bob", func(*bot.Member) error { return plain }); err != plain {
		t.Errorf("err = %v, want plain", err)
	}
	if _, err := db.Member(ctx, SpaceA, "bob"); bot.ErrorCode(err) != bot.NotFound {
		t.Errorf("bob after failed create: %v, want not_found", err)
	}
}

func testUpdateMember_KeepsIdentity(t *testing.T, open Open) {
	db := open(t)
	m := MustUpdate(t, db, SpaceA, "alice", func(m *bot.Member) error {
		m.ID, m.Space = "mallory", SpaceB
		return nil
	})
	if m.ID != "alice" || m.Space != SpaceA {
		t.Errorf("got %s/%s, want %s/alice", m.Space, m.ID, SpaceA)
	}
	if _, err := db.Member(context.Background(), SpaceB, "mallory"); bot.ErrorCode(err) != bot.NotFound {
		t.Errorf("fn moved the record: %v", err)
	}
}

func testValidation(t *testing.T, open Open) {
	ctx := context.Background()
	db := open(t)
	long := string(bytes.Repeat([]byte("x"), 256+1))
	nop := func(*bot.Member) error { return nil }
	tests := []struct {
		name string
		call func() error
		want bot.Code
	}{
		{"ZeroSpaceInvalid", func() error { _, err := db.Member(ctx, bot.Space{}, "a"); return err }, bot.Invalid},
		{"EmptyMemberInvalid", func() error { _, err := db.UpdateMember(ctx, SpaceA, "", nop); return err }, bot.Invalid},
		{"LongMemberInvalid", func() error { _, err := db.UpdateMember(ctx, SpaceA, long, nop); return err }, bot.Invalid},
		{"LongSpaceInvalid", func() error { _, err := db.Space(ctx, bot.Space{Platform: "x", ID: long}); return err }, bot.Invalid},
		{"NulInMemberInvalid", func() error { return db.DeleteMember(ctx, SpaceA, "a\x00b") }, bot.Invalid},
		{"ColonInPlatformInvalid", func() error { return db.Members(ctx, bot.Space{Platform: "a:b", ID: "c"}, nil) }, bot.Invalid},
		{"HugeRecordInvalid", func() error {
			_, err := db.UpdateMember(ctx, SpaceA, "big", func(m *bot.Member) error {
				m.Name = string(bytes.Repeat([]byte("n"), 1<<20))
				return nil
			})
			return err
		}, bot.Invalid},
		{"MissingMemberNotFound", func() error { _, err := db.Member(ctx, SpaceA, "nobody"); return err }, bot.NotFound},
		{"MissingChallengeNotFound", func() error { _, err := db.Challenge(ctx, SpaceA, 7); return err }, bot.NotFound},
		{"UpdateMissingChallengeNotFound", func() error {
			_, err := db.UpdateChallenge(ctx, SpaceA, 7, func(*bot.Challenge) error { return nil })
			return err
		}, bot.NotFound},
		{"ClaimDueZeroLimitInvalid", func() error { _, err := db.ClaimDue(ctx, t0, 0, nil); return err }, bot.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := bot.ErrorCode(tt.call()); got != tt.want {
				t.Errorf("code = %q, want %q", got, tt.want)
			}
		})
	}
	if _, err := db.Member(ctx, SpaceA, "big"); bot.ErrorCode(err) != bot.NotFound {
		t.Errorf("oversized record was stored: %v", err)
	}
}

func testDeleteMember_LeavesNoTrace(t *testing.T, open Open) {
	ctx := context.Background()
	db := open(t)
	const gone = "U0GONE42"
	MustUpdate(t, db, SpaceA, gone, func(m *bot.Member) error {
		m.Name = "Gone"
		m.Nudge = bot.Nudge{On: true, Hour: 9, Next: t0.Add(time.Hour)}
		return Mark(roadmap.Done)(m)
	})
	MustUpdate(t, db, SpaceA, "stay", SetNext(t0.Add(50*time.Hour)))
	// Claims move gone's entry where the member record does not look (+25h);
	// a change then starts a new generation at +20h and leaves the moved entry
	// stale; a claim moves the new one on to +44h.
	for _, at := range []time.Time{t0.Add(time.Hour), t0.Add(20 * time.Hour)} {
		if at.After(t0.Add(time.Hour)) {
			MustUpdate(t, db, SpaceA, gone, func(m *bot.Member) error { m.Nudge.Next = at; return nil })
		}
		_, err := db.ClaimDue(ctx, at, 10, func(d *bot.Due) error {
			d.Nudge.Next = d.Nudge.Next.Add(24 * time.Hour)
			d.Nudge.LastDate = "2026-01-05"
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.UpdateSpace(ctx, SpaceA, func(r *bot.SpaceRecord) error {
		r.Challenge = bot.ChallengeSchedule{Channel: "C1", Spec: "CRON_TZ=UTC 0 9 * * MON", SetBy: gone}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		c := MustOpenChallenge(t, db, SpaceA, &bot.Challenge{Text: fmt.Sprint("task ", i), PostedBy: gone, PostedAt: t0}, bot.CloseCurrent).Opened
		_, err := db.UpdateChallenge(ctx, SpaceA, c.ID, func(c *bot.Challenge) error {
			c.Submissions = map[string]*bot.Submission{
				gone:   {Member: gone, Name: "Gone", Text: "mine", At: t0},
				"stay": {Member: "stay", Text: "theirs", At: t0},
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}

	// A moderator: on the moderators list, added a roadmap, has an upload waiting.
	if _, err := db.UpdateSpace(ctx, SpaceA, func(r *bot.SpaceRecord) error {
		r.Moderators = []string{"stay", gone}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	rf := &bot.RoadmapFile{ID: "go", Title: "Go", TOML: "id = \"go\"", AddedBy: gone, AddedAt: t0}
	if err := db.PutRoadmapFile(ctx, SpaceA, rf, 20); err != nil {
		t.Fatal(err)
	}
	if err := db.SetPendingRoadmap(ctx, SpaceA, gone, rf); err != nil {
		t.Fatal(err)
	}

	if err := db.DeleteMember(ctx, SpaceA, gone); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteMember(ctx, SpaceA, gone); err != nil {
		t.Errorf("deleting an absent member: %v", err)
	}
	if f, err := db.RoadmapFile(ctx, SpaceA, "go"); err != nil || f.TOML != rf.TOML {
		t.Errorf("the roadmap the member added: %+v, %v; want it kept", f, err)
	}
	if rec, _ := db.Space(ctx, SpaceA); len(rec.Moderators) != 1 || len(rec.Roadmaps) != 1 {
		t.Errorf("space after delete: moderators %v, roadmaps %v; want stay and go", rec.Moderators, rec.Roadmaps)
	}
	if _, err := db.Member(ctx, SpaceA, gone); bot.ErrorCode(err) != bot.NotFound {
		t.Errorf("Member after delete: %v, want not_found", err)
	}
	cs, _ := db.Challenges(ctx, SpaceA, 0)
	for _, c := range cs {
		if c.Submissions["stay"] == nil {
			t.Errorf("challenge %d lost another member's submission", c.ID)
		}
	}
	// gone's slot is found empty when it comes due, and dropped.
	if got, _ := db.ClaimDue(ctx, t0.Add(44*time.Hour), 10, Tomorrow(map[string]int{})); len(got) != 0 {
		t.Errorf("claimed %v at gone's slot", DueIDs(got))
	}
	if next, _ := db.NextDue(ctx); !next.Equal(t0.Add(50 * time.Hour)) {
		t.Errorf("NextDue = %v, want the remaining member's", next)
	}

	// Every stored value of the backend, where it can list them.
	if d, ok := db.(Dumper); ok {
		if err := d.Dump(ctx, func(where string, v []byte) {
			if bytes.Contains(v, []byte(gone)) {
				t.Errorf("%s still holds the member id: %q", where, v)
			}
		}); err != nil {
			t.Fatal(err)
		}
	}
}

func testClaimDue(t *testing.T, open Open) {
	ctx := context.Background()
	db := open(t)
	spaceC := bot.Space{Platform: bot.PlatformSlack, ID: "T:1"} // a colon in the id
	// Due in order: slot 08:00 (a, b, and c of another space), then 09:00 (d),
	// then 09:01 (e); f has no nudge.
	MustUpdate(t, db, SpaceA, "b", NudgeAt(8, 0, "UTC", t0.Add(-time.Hour)))
	MustUpdate(t, db, SpaceA, "a", NudgeAt(8, 0, "UTC", t0.Add(-time.Hour)))
	MustUpdate(t, db, spaceC, "c", func(m *bot.Member) error {
		m.Nudge.LastDate = "2026-01-04"
		m.DMClosed = true
		return NudgeAt(8, 0, "UTC", t0.Add(-time.Hour))(m)
	})
	MustUpdate(t, db, SpaceB, "d", NudgeAt(9, 0, "UTC", t0))
	MustUpdate(t, db, SpaceA, "e", NudgeAt(9, 1, "UTC", t0.Add(time.Minute)))
	MustUpdate(t, db, SpaceA, "f", Mark(roadmap.Done))
	// Moving a nudge moves it: g was due, now is not. Turning it off removes it.
	MustUpdate(t, db, SpaceA, "g", NudgeAt(6, 0, "UTC", t0.Add(-3*time.Hour)))
	MustUpdate(t, db, SpaceA, "g", NudgeAt(9, 0, "Asia/Tokyo", t0.Add(15*time.Hour)))
	MustUpdate(t, db, SpaceA, "h", NudgeAt(5, 0, "UTC", t0.Add(-4*time.Hour)))
	MustUpdate(t, db, SpaceA, "h", SetNext(time.Time{}))

	// NextDue may still name h's and g's old slots (bbolt keeps their
	// entries until found empty), never later than the first live one.
	next, err := db.NextDue(ctx)
	if err != nil || next.Before(t0.Add(-4*time.Hour)) || next.After(t0.Add(-time.Hour)) {
		t.Fatalf("NextDue = %v, %v; want h's old slot %v or a's %v", next, err, t0.Add(-4*time.Hour), t0.Add(-time.Hour))
	}
	calls := map[string]int{}
	// A limit smaller than a slot pauses the walk inside it.
	got, err := db.ClaimDue(ctx, t0, 2, Tomorrow(calls))
	if err != nil {
		t.Fatal(err)
	}
	if ids := DueIDs(got); ids != "[a b]" {
		t.Errorf("first claim = %v, want [a b] (the slot's members in key order, limit 2)", ids)
	}
	if d := got[0]; d.Space != SpaceA || d.Nudge.Hour != 8 || d.Nudge.Zone != "UTC" || !d.Nudge.On || !d.Nudge.Next.Equal(t0.Add(23*time.Hour)) {
		t.Errorf("claimed a = %+v", d)
	}
	got, err = db.ClaimDue(ctx, t0, 10, Tomorrow(calls))
	if err != nil {
		t.Fatal(err)
	}
	if ids := DueIDs(got); ids != "[c d]" {
		t.Errorf("second claim = %v, want [c d]", ids)
	}
	if c := got[0]; c.Space != spaceC || !c.DMClosed || c.Nudge.LastDate != "2026-01-04" {
		t.Errorf("claimed c = %+v, want its space, DMClosed and last date", c)
	}
	if got, _ = db.ClaimDue(ctx, t0, 10, Tomorrow(calls)); len(got) != 0 {
		t.Errorf("third claim = %v, want none", DueIDs(got))
	}
	for id, n := range calls {
		if n != 1 {
			t.Errorf("fn called %d times for %s, want 1", n, id)
		}
	}
	// A claim never rewrites the member record, but reading the member
	// tells where the claim moved their slot.
	if m, _ := db.Member(ctx, SpaceA, "a"); !m.Nudge.Next.Equal(t0.Add(23 * time.Hour)) {
		t.Errorf("a after claim: next %v; want the claimed slot's %v", m.Nudge.Next, t0.Add(23*time.Hour))
	}
	if next, _ = db.NextDue(ctx); !next.Equal(t0.Add(time.Minute)) {
		t.Errorf("NextDue after claims = %v, want e's %v", next, t0.Add(time.Minute))
	}

	// fn's error commits nothing; a member whose Next fn clears is turned off.
	errStop := errors.New("stop")
	if _, err := db.ClaimDue(ctx, t0.Add(time.Minute), 10, func(*bot.Due) error { return errStop }); err != errStop {
		t.Errorf("err = %v, want fn's", err)
	}
	got, _ = db.ClaimDue(ctx, t0.Add(time.Minute), 10, func(d *bot.Due) error {
		d.Nudge = bot.Nudge{}
		return nil
	})
	if ids := DueIDs(got); ids != "[e]" {
		t.Errorf("claim at +1m = %v, want [e]", ids)
	}
	if next, _ := db.NextDue(ctx); !next.Equal(t0.Add(15 * time.Hour)) {
		t.Errorf("NextDue = %v, want g's %v (e's slot is gone)", next, t0.Add(15*time.Hour))
	}
	// The slot moved where fn put its members, all together.
	clear(calls)
	got, _ = db.ClaimDue(ctx, t0.Add(23*time.Hour), 10, Tomorrow(calls))
	if ids := DueIDs(got); ids != "[g a b c]" {
		t.Fatalf("claim at +23h = %v, want [g a b c]", ids)
	}
	// fn may not leave a member due (they would be claimed forever).
	MustUpdate(t, db, SpaceA, "i", NudgeAt(7, 0, "UTC", t0))
	if _, err := db.ClaimDue(ctx, t0.Add(time.Hour), 10, func(*bot.Due) error { return nil }); err == nil {
		t.Error("ClaimDue accepted an fn that left the nudge due")
	}
}

// TestClaimDue_ScheduleChanges follows members through claims and changes of
// their settings: a member joins the schedule their slot already has, the last
// one out takes the slot's schedule with them, and a walk paused at a member
// who leaves goes on after the one before them.
func testClaimDue_ScheduleChanges(t *testing.T, open Open) {
	ctx := context.Background()
	db := open(t)
	calls := map[string]int{}
	claim := func(now time.Time, limit int) string {
		t.Helper()
		got, err := db.ClaimDue(ctx, now, limit, Tomorrow(calls))
		if err != nil {
			t.Fatal(err)
		}
		return DueIDs(got)
	}
	MustUpdate(t, db, SpaceA, "a", NudgeAt(8, 0, "UTC", t0.Add(-time.Hour)))
	if ids := claim(t0, 10); ids != "[a]" {
		t.Fatalf("first claim = %v", ids)
	}
	// The slot is now at +23h. b joins it with their own Next (+23h too, as
	// the engine computes it); the slot keeps its schedule.
	MustUpdate(t, db, SpaceA, "b", NudgeAt(8, 0, "UTC", t0.Add(23*time.Hour)))
	// a moves to 11:00 (+2h): their old slot stays for b, theirs is new.
	MustUpdate(t, db, SpaceA, "a", NudgeAt(11, 0, "UTC", t0.Add(2*time.Hour)))
	if next, _ := db.NextDue(ctx); !next.Equal(t0.Add(2 * time.Hour)) {
		t.Errorf("NextDue = %v, want a's new time %v", next, t0.Add(2*time.Hour))
	}
	if ids := claim(t0.Add(2*time.Hour), 10); ids != "[a]" {
		t.Errorf("claim at the new time = %v, want [a]", ids)
	}
	if ids := claim(t0.Add(23*time.Hour), 10); ids != "[b]" {
		t.Errorf("claim at +23h = %v, want [b] only", ids)
	}
	// Closing DMs changes the nudges record, not the schedule.
	MustUpdate(t, db, SpaceA, "a", func(m *bot.Member) error { m.DMClosed = true; return nil })
	got, _ := db.ClaimDue(ctx, t0.Add(26*time.Hour), 10, Tomorrow(calls))
	if DueIDs(got) != "[a]" || !got[0].DMClosed {
		t.Errorf("claim after DMClosed = %+v", got)
	}
	// A walk paused at c, who then leaves, resumes at d; nobody twice.
	for _, id := range []string{"c", "d"} {
		MustUpdate(t, db, SpaceA, id, NudgeAt(8, 0, "UTC", t0.Add(47*time.Hour)))
	}
	clear(calls)
	if ids := claim(t0.Add(47*time.Hour), 2); ids != "[b c]" {
		t.Fatalf("paused claim = %v, want [b c]", ids)
	}
	MustUpdate(t, db, SpaceA, "c", SetNext(time.Time{}))
	if ids := claim(t0.Add(47*time.Hour), 10); ids != "[d]" {
		t.Errorf("resumed claim = %v, want [d]", ids)
	}
	for id, n := range calls {
		if n != 1 {
			t.Errorf("%s claimed %d times", id, n)
		}
	}
	// Everyone off: the slots are found empty when they come due, and then
	// no records are left.
	for _, id := range []string{"a", "b", "d"} {
		MustUpdate(t, db, SpaceA, id, SetNext(time.Time{}))
	}
	clear(calls)
	for range 3 {
		if next, _ := db.NextDue(ctx); !next.IsZero() {
			claim(next, 10)
		}
	}
	if next, _ := db.NextDue(ctx); !next.IsZero() || len(calls) != 0 {
		t.Errorf("NextDue = %v after all nudges off, want none; claimed %v", next, calls)
	}
}

func testClaimDue_SubSecond(t *testing.T, open Open) {
	db := open(t)
	MustUpdate(t, db, SpaceA, "a", NudgeAt(9, 0, "UTC", t0.Add(500*time.Millisecond)))
	if next, _ := db.NextDue(context.Background()); !next.Equal(t0.Add(500 * time.Millisecond)) {
		t.Errorf("NextDue = %v, want the exact instant", next)
	}
	got, _ := db.ClaimDue(context.Background(), t0, 10, func(d *bot.Due) error { d.Nudge.Next = time.Time{}; return nil })
	if len(got) != 0 {
		t.Errorf("claimed %v before its instant", DueIDs(got))
	}
	got, _ = db.ClaimDue(context.Background(), t0.Add(time.Second), 10, func(d *bot.Due) error { d.Nudge.Next = time.Time{}; return nil })
	if len(got) != 1 {
		t.Errorf("claimed %v after its instant, want [a]", DueIDs(got))
	}
}

func testUpdateMember_ConcurrentLosesNothing(t *testing.T, open Open) {
	ctx := context.Background()
	db := open(t)
	const writers, each = 64, 2
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				_, err := db.UpdateMember(ctx, SpaceA, "crowd", func(m *bot.Member) error {
					m.WriteTrack(bot.BuiltinRoadmap).Topics.Set(fmt.Sprintf("t%d-%d", w, i), bot.Mark{Status: roadmap.Done})
					m.Streak.Days++
					return nil
				})
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	m, err := db.Member(ctx, SpaceA, "crowd")
	if err != nil {
		t.Fatal(err)
	}
	if len(m.WriteTrack(bot.BuiltinRoadmap).Topics) != writers*each || m.Streak.Days != writers*each {
		t.Errorf("topics %d, days %d; want %d each", len(m.WriteTrack(bot.BuiltinRoadmap).Topics), m.Streak.Days, writers*each)
	}
}

func testMembers_PagesAndAllowsWrites(t *testing.T, open Open) {
	ctx := context.Background()
	db := open(t)
	const n = 256*2 + 3
	for i := range n {
		MustUpdate(t, db, SpaceA, fmt.Sprintf("m%04d", i), func(*bot.Member) error { return nil })
	}
	var prev string
	count := 0
	err := db.Members(ctx, SpaceA, func(m *bot.Member) error {
		if m.ID <= prev {
			t.Errorf("%s after %s: not in id order", m.ID, prev)
		}
		prev = m.ID
		count++
		if count%100 != 1 {
			return nil
		}
		// Writing from fn must not deadlock: fn runs outside the read transaction.
		_, err := db.UpdateMember(ctx, SpaceA, m.ID, func(m *bot.Member) error { m.Streak.Days = 1; return nil })
		return err
	})
	if err != nil || count != n {
		t.Fatalf("Members visited %d, err %v; want %d", count, err, n)
	}
	errStop := errors.New("stop")
	count = 0
	if err := db.Members(ctx, SpaceA, func(*bot.Member) error { count++; return errStop }); err != errStop || count != 1 {
		t.Errorf("stop: err %v after %d calls", err, count)
	}
}

func testSpacesAndChallenges(t *testing.T, open Open) {
	ctx := context.Background()
	db := open(t)
	rec, err := db.Space(ctx, SpaceA)
	if err != nil || rec.Space != SpaceA || rec.Challenge.Channel != "" {
		t.Fatalf("empty space = %+v, %v", rec, err)
	}
	MustUpdate(t, db, SpaceB, "x", Mark(roadmap.Done)) // members only: no settings
	for _, sp := range []bot.Space{SpaceA, {Platform: bot.PlatformConsole, ID: "local"}} {
		if _, err := db.UpdateSpace(ctx, sp, func(r *bot.SpaceRecord) error { r.Challenge.Channel = "C1"; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	db.Spaces(ctx, func(r *bot.SpaceRecord) error { got = append(got, r.Space.Key()); return nil })
	if fmt.Sprint(got) != "[console:local discord:111]" {
		t.Errorf("Spaces = %v", got)
	}

	in := &bot.Challenge{Text: "one", PostedAt: t0, Submissions: map[string]*bot.Submission{}}
	for _, text := range []string{"one", "two", "three"} {
		in.Text = text
		MustOpenChallenge(t, db, SpaceA, in, bot.CloseCurrent)
		if in.ID != 0 {
			t.Error("OpenChallenge changed its argument")
		}
	}
	cs, err := db.Challenges(ctx, SpaceA, 2)
	if err != nil || len(cs) != 2 || cs[0].ID != 3 || cs[1].ID != 2 || cs[0].Text != "three" {
		t.Fatalf("Challenges(2) = %+v, %v", cs, err)
	}
	c, err := db.UpdateChallenge(ctx, SpaceA, 2, func(c *bot.Challenge) error {
		c.ID = 99 // ignored: the key decides
		c.ClosedAt = t0
		return nil
	})
	if err != nil || c.ID != 2 {
		t.Fatalf("UpdateChallenge = %+v, %v", c, err)
	}
	c, _ = db.Challenge(ctx, SpaceA, 2)
	if !c.ClosedAt.Equal(t0) {
		t.Errorf("ClosedAt = %v, want %v", c.ClosedAt, t0)
	}
	errNo := bot.Errorf(bot.Conflict, "closed")
	if _, err := db.UpdateChallenge(ctx, SpaceA, 1, func(*bot.Challenge) error { return errNo }); err != errNo {
		t.Errorf("err = %v, want fn's", err)
	}
}

func testContextCanceled(t *testing.T, open Open) {
	db := open(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := db.UpdateMember(ctx, SpaceA, "a", Mark(roadmap.Done)); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func testOpenChallenge_ClosesCurrent(t *testing.T, open Open) {
	ctx := context.Background()
	db := open(t)
	first := MustOpenChallenge(t, db, SpaceA, &bot.Challenge{Text: "one", Channel: "C1", PostedAt: t0}, bot.CloseCurrent)
	if first.Opened.ID != 1 || first.Closed != nil || first.Repeat {
		t.Fatalf("first = %+v, want #1 opened, nothing closed", first)
	}
	if _, err := db.UpdateChallenge(ctx, SpaceA, 1, func(c *bot.Challenge) error {
		c.Submissions = map[string]*bot.Submission{"ana": {Member: "ana", Text: "mine", At: t0}}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	later := t0.Add(7 * 24 * time.Hour)
	second := MustOpenChallenge(t, db, SpaceA, &bot.Challenge{Text: "two", PostedAt: later}, bot.CloseCurrent)
	if second.Opened.ID != 2 || !second.Opened.ClosedAt.IsZero() {
		t.Errorf("opened = %+v, want #2, open", second.Opened)
	}
	// The closed one comes back whole, so its summary can be posted.
	if c := second.Closed; c == nil || c.ID != 1 || !c.ClosedAt.Equal(later) || c.Channel != "C1" || c.Submissions["ana"] == nil {
		t.Errorf("closed = %+v, want #1 closed at %v with ana's submission", c, later)
	}
	if got, want := ChallengeState(t, db, SpaceA), fmt.Sprintf("current 2; #2 \"two\" closed %v; #1 \"one\" closed %v", time.Time{}, later); got != want {
		t.Errorf("state = %s, want %s", got, want)
	}
}

func testOpenChallenge_RefusesWhileOpen(t *testing.T, open Open) {
	ctx := context.Background()
	db := open(t)
	MustOpenChallenge(t, db, SpaceA, &bot.Challenge{Text: "one", PostedAt: t0}, bot.RefuseWhileOpen)
	before := ChallengeState(t, db, SpaceA)
	res, err := db.OpenChallenge(ctx, SpaceA, &bot.Challenge{Text: "two", PostedAt: t0.Add(time.Hour)}, bot.RefuseWhileOpen)
	if bot.ErrorCode(err) != bot.Conflict || bot.ErrorMessage(err) != "Challenge #1 is still open." || res != nil {
		t.Errorf("second open = %+v, %v; want Conflict \"Challenge #1 is still open.\"", res, err)
	}
	if after := ChallengeState(t, db, SpaceA); after != before {
		t.Errorf("a refused open changed %s to %s", before, after)
	}
	// Closed, the space takes a new one, and the refused call used no id.
	if _, c, err := db.CloseChallenge(ctx, SpaceA, t0.Add(2*time.Hour), nil); err != nil || c == nil || c.ID != 1 {
		t.Fatalf("CloseChallenge = %+v, %v", c, err)
	}
	res = MustOpenChallenge(t, db, SpaceA, &bot.Challenge{Text: "two", PostedAt: t0.Add(3 * time.Hour)}, bot.RefuseWhileOpen)
	if res.Opened.ID != 2 || res.Closed != nil {
		t.Errorf("open after close = %+v, want #2 and nothing closed", res)
	}
}

// TestOpenChallenge_OncePerScheduledInstant: a scheduled instant opens one
// challenge per space, whoever asks and however often, even after a restart
// and after later challenges closed it.
func testOpenChallenge_OncePerScheduledInstant(t *testing.T, open Open) {
	ctx := context.Background()
	db := open(t)
	MustOpenChallenge(t, db, SpaceA, &bot.Challenge{Text: "by hand", PostedAt: t0.Add(-time.Hour)}, bot.CloseCurrent)
	at := t0
	res := MustOpenChallenge(t, db, SpaceA, &bot.Challenge{Text: "weekly", PostedAt: at, ScheduledAt: at}, bot.CloseCurrent)
	if res.Repeat || res.Opened.ID != 2 || res.Closed == nil || !res.Opened.ScheduledAt.Equal(at) {
		t.Fatalf("first scheduled open = %+v", res)
	}
	before := ChallengeState(t, db, SpaceA)

	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	for _, sched := range []time.Time{at, at.In(berlin)} {
		res := MustOpenChallenge(t, db, SpaceA, &bot.Challenge{Text: "again", PostedAt: at.Add(time.Second), ScheduledAt: sched}, bot.CloseCurrent)
		if !res.Repeat || res.Opened.ID != 2 || res.Opened.Text != "weekly" || res.Closed != nil {
			t.Errorf("repeat at %v = %+v, want #2 with Repeat", sched, res)
		}
		// Refusing does not apply to a repeat: there is nothing to refuse.
		res, err := db.OpenChallenge(ctx, SpaceA, &bot.Challenge{Text: "again", PostedAt: at, ScheduledAt: sched}, bot.RefuseWhileOpen)
		if err != nil || !res.Repeat {
			t.Errorf("repeat with RefuseWhileOpen = %+v, %v; want Repeat", res, err)
		}
	}
	if after := ChallengeState(t, db, SpaceA); after != before {
		t.Errorf("repeats changed %s to %s", before, after)
	}

	// Another space at the same instant is its own.
	if res := MustOpenChallenge(t, db, SpaceB, &bot.Challenge{Text: "weekly", PostedAt: at, ScheduledAt: at}, bot.CloseCurrent); res.Repeat || res.Opened.ID != 1 {
		t.Errorf("other space = %+v, want its #1", res)
	}

	// The next week's instant opens #3; the old instant, late, still repeats.
	next := at.Add(7 * 24 * time.Hour)
	if res := MustOpenChallenge(t, db, SpaceA, &bot.Challenge{Text: "weekly 2", PostedAt: next, ScheduledAt: next}, bot.CloseCurrent); res.Repeat || res.Opened.ID != 3 {
		t.Errorf("next week = %+v, want #3", res)
	}
	before = ChallengeState(t, db, SpaceA)
	res = MustOpenChallenge(t, db, SpaceA, &bot.Challenge{Text: "late", PostedAt: next.Add(time.Hour), ScheduledAt: at}, bot.CloseCurrent)
	if !res.Repeat || res.Opened.ID != 2 || res.Opened.ClosedAt.IsZero() {
		t.Errorf("late repeat after reopen = %+v, want #2 (closed) with Repeat", res)
	}
	if after := ChallengeState(t, db, SpaceA); after != before {
		t.Errorf("a late repeat changed %s to %s", before, after)
	}
}

func testOpenChallenge_ConcurrentScheduledOpenOnce(t *testing.T, open Open) {
	db := open(t)
	const n = 16
	var wg sync.WaitGroup
	results := make([]*bot.Opening, n)
	for i := range n {
		wg.Go(func() {
			results[i] = MustOpenChallenge(t, db, SpaceA, &bot.Challenge{Text: fmt.Sprint("try ", i), PostedAt: t0, ScheduledAt: t0}, bot.CloseCurrent)
		})
	}
	wg.Wait()
	fresh := 0
	for _, r := range results {
		if !r.Repeat {
			fresh++
		}
		if r.Opened.ID != 1 {
			t.Errorf("opened #%d, want every call to see #1", r.Opened.ID)
		}
	}
	if fresh != 1 {
		t.Errorf("%d calls opened a challenge, want 1", fresh)
	}
	if cs, _ := db.Challenges(context.Background(), SpaceA, 0); len(cs) != 1 {
		t.Errorf("%d challenges, want 1", len(cs))
	}
}

func testOpenChallenge_Invalid(t *testing.T, open Open) {
	ctx := context.Background()
	db := open(t)
	tests := []struct {
		name string
		sp   bot.Space
		c    *bot.Challenge
	}{
		{"NoChallenge", SpaceA, nil},
		{"NoPostedAt", SpaceA, &bot.Challenge{Text: "x"}},
		{"NoSpace", bot.Space{}, &bot.Challenge{Text: "x", PostedAt: t0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := db.OpenChallenge(ctx, tt.sp, tt.c, bot.CloseCurrent); bot.ErrorCode(err) != bot.Invalid {
				t.Errorf("err = %v, want Invalid", err)
			}
		})
	}
	if _, err := db.OpenChallenge(ctx, SpaceA, &bot.Challenge{Text: "x", PostedAt: t0}, bot.OnOpen(9)); err == nil || bot.ErrorCode(err) != bot.Internal {
		t.Errorf("unknown OnOpen: %v, want an internal error", err)
	}
	if got := ChallengeState(t, db, SpaceA); got != "current 0" {
		t.Errorf("state = %s, want nothing stored", got)
	}
}

func testCloseChallenge(t *testing.T, open Open) {
	ctx := context.Background()
	db := open(t)
	MustOpenChallenge(t, db, SpaceA, &bot.Challenge{Text: "one", PostedAt: t0}, bot.CloseCurrent)
	if _, err := db.UpdateSpace(ctx, SpaceA, func(r *bot.SpaceRecord) error {
		r.Challenge = bot.ChallengeSchedule{Channel: "C1", Spec: "CRON_TZ=UTC 0 9 * * 1"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	before := ChallengeState(t, db, SpaceA)
	errNo := bot.Errorf(bot.Conflict, "no")
	calls := 0
	if _, _, err := db.CloseChallenge(ctx, SpaceA, t0, func(r *bot.SpaceRecord) error { calls++; r.Challenge = bot.ChallengeSchedule{}; return errNo }); err != errNo {
		t.Errorf("err = %v, want fn's", err)
	}
	if after := ChallengeState(t, db, SpaceA); after != before || calls != 1 {
		t.Errorf("fn's error: %s -> %s after %d calls; want no change, one call", before, after, calls)
	}

	at := t0.Add(time.Hour)
	rec, c, err := db.CloseChallenge(ctx, SpaceA, at, func(r *bot.SpaceRecord) error {
		r.Challenge = bot.ChallengeSchedule{}
		r.Current = 42 // not fn's to set
		return nil
	})
	if err != nil || c == nil || c.ID != 1 || !c.ClosedAt.Equal(at) {
		t.Fatalf("CloseChallenge = %+v, %v; want #1 closed at %v", c, err, at)
	}
	if rec.Current != 0 || rec.Challenge.Spec != "" {
		t.Errorf("record = %+v, want no schedule and no current", rec)
	}
	if stored, _ := db.Space(ctx, SpaceA); !reflect.DeepEqual(stored, rec) {
		t.Errorf("stored %+v, returned %+v", stored, rec)
	}
	if got, _ := db.Challenge(ctx, SpaceA, 1); !got.ClosedAt.Equal(at) {
		t.Errorf("stored ClosedAt = %v, want %v", got.ClosedAt, at)
	}
	// Nothing open: nothing closed, and a space never seen is no error.
	for _, sp := range []bot.Space{SpaceA, SpaceB} {
		if _, c, err := db.CloseChallenge(ctx, sp, at, nil); err != nil || c != nil {
			t.Errorf("%s: CloseChallenge with none open = %+v, %v", sp.Key(), c, err)
		}
	}
	if _, _, err := db.CloseChallenge(ctx, SpaceA, time.Time{}, nil); bot.ErrorCode(err) != bot.Invalid {
		t.Errorf("zero at: %v, want Invalid", err)
	}
}

// Current belongs to OpenChallenge and CloseChallenge.
func testUpdateSpace_KeepsCurrent(t *testing.T, open Open) {
	ctx := context.Background()
	db := open(t)
	MustOpenChallenge(t, db, SpaceA, &bot.Challenge{Text: "one", PostedAt: t0}, bot.CloseCurrent)
	rec, err := db.UpdateSpace(ctx, SpaceA, func(r *bot.SpaceRecord) error { r.Current = 0; r.Challenge.Channel = "C2"; return nil })
	if err != nil || rec.Current != 1 || rec.Challenge.Channel != "C2" {
		t.Errorf("UpdateSpace = %+v, %v; want Current 1 kept, the channel changed", rec, err)
	}
	if stored, _ := db.Space(ctx, SpaceA); stored.Current != 1 {
		t.Errorf("stored Current = %d, want 1", stored.Current)
	}
}

func testAnswered_FollowsSubmissions(t *testing.T, open Open) {
	ctx := context.Background()
	db := open(t)
	for _, id := range []string{"ana", "bo", "cy"} {
		MustUpdate(t, db, SpaceA, id, Mark(roadmap.Done))
	}
	MustOpenChallenge(t, db, SpaceA, &bot.Challenge{Text: "one", PostedAt: t0}, bot.CloseCurrent)
	Submit(t, db, 1, "ana", "bo")
	Submit(t, db, 1, "ana") // an edit counts once
	MustOpenChallenge(t, db, SpaceA, &bot.Challenge{Text: "two", PostedAt: t0.Add(time.Hour)}, bot.CloseCurrent)
	Submit(t, db, 2, "ana")
	if got := Answered(t, db, "ana", "bo", "cy"); !reflect.DeepEqual(got, []int{2, 1, 0}) {
		t.Fatalf("answered after submissions = %v, want [2 1 0]", got)
	}
	// A refused update changes no count.
	if _, err := db.UpdateChallenge(ctx, SpaceA, 2, func(c *bot.Challenge) error {
		c.Submissions["cy"] = &bot.Submission{Member: "cy"}
		return bot.Errorf(bot.Conflict, "no")
	}); bot.ErrorCode(err) != bot.Conflict {
		t.Fatalf("err = %v, want the fn's Conflict", err)
	}
	// A removed submission counts no more; UpdateMember keeps the count.
	if _, err := db.UpdateChallenge(ctx, SpaceA, 1, func(c *bot.Challenge) error {
		delete(c.Submissions, "ana")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if m := MustUpdate(t, db, SpaceA, "ana", Mark(roadmap.Learning)); m.Answered != 1 {
		t.Errorf("UpdateMember's member has Answered %d, want 1", m.Answered)
	}
	if got := Answered(t, db, "ana", "bo", "cy"); !reflect.DeepEqual(got, []int{1, 1, 0}) {
		t.Fatalf("answered after a removal = %v, want [1 1 0]", got)
	}
	if err := db.DeleteMember(ctx, SpaceA, "bo"); err != nil {
		t.Fatal(err)
	}
	MustUpdate(t, db, SpaceA, "bo", Mark(roadmap.Done)) // rejoins with nothing
	if got := Answered(t, db, "bo"); got[0] != 0 {
		t.Errorf("a rejoined member has Answered %d, want 0", got[0])
	}
}

func testOpenChallenge_ClosesAt(t *testing.T, open Open) {
	ctx := context.Background()
	db := open(t)
	closes := t0.Add(6 * 24 * time.Hour)
	MustOpenChallenge(t, db, SpaceA, &bot.Challenge{Text: "one", PostedAt: t0, ClosesAt: closes}, bot.CloseCurrent)
	if rec, _ := db.Space(ctx, SpaceA); !rec.ClosesAt.Equal(closes) {
		t.Fatalf("ClosesAt = %v, want %v", rec.ClosesAt, closes)
	}
	// UpdateSpace and CloseChallenge's fn cannot move it.
	if _, err := db.UpdateSpace(ctx, SpaceA, func(r *bot.SpaceRecord) error { r.ClosesAt = t0; return nil }); err != nil {
		t.Fatal(err)
	}
	if rec, _ := db.Space(ctx, SpaceA); !rec.ClosesAt.Equal(closes) {
		t.Fatalf("UpdateSpace moved ClosesAt to %v", rec.ClosesAt)
	}
	MustOpenChallenge(t, db, SpaceA, &bot.Challenge{Text: "two", PostedAt: t0.Add(time.Hour)}, bot.CloseCurrent)
	if rec, _ := db.Space(ctx, SpaceA); !rec.ClosesAt.IsZero() || rec.Current != 2 {
		t.Fatalf("after an open-ended post: current %d, ClosesAt %v; want 2 and zero", rec.Current, rec.ClosesAt)
	}
	MustOpenChallenge(t, db, SpaceA, &bot.Challenge{Text: "three", PostedAt: t0.Add(2 * time.Hour), ClosesAt: closes}, bot.CloseCurrent)
	rec, _, err := db.CloseChallenge(ctx, SpaceA, t0.Add(3*time.Hour), func(r *bot.SpaceRecord) error { r.ClosesAt = closes; return nil })
	if err != nil || !rec.ClosesAt.IsZero() || rec.Current != 0 {
		t.Fatalf("CloseChallenge = %+v, %v; want no current and no ClosesAt", rec, err)
	}
}

// Dumper is implemented by a backend's test wrapper that can list every value
// it stores (where names the table or bucket), so that a test can look for
// an id that must be gone.
type Dumper interface {
	Dump(ctx context.Context, fn func(where string, v []byte)) error
}

// fullMember sets every field a member record keeps, so a backend that
// stores fields one by one (PostgreSQL's columns) is caught dropping one.
func fullMember(m *bot.Member) error {
	m.Name = "Ana Lyst"
	m.Seen = t0.Add(time.Minute)
	m.Follow = "go"
	m.Tracks = map[string]*bot.Track{
		bot.BuiltinRoadmap: {
			Topics:  bot.MarksOf(map[string]*bot.Mark{"internet/dns": {Status: roadmap.Done, Started: t0.Add(-time.Hour), At: t0, Note: "a note"}}),
			Picks:   map[string]string{"lang": "go"},
			Reviews: map[string]*bot.Review{"internet/dns": {Step: 1, Done: "2026-01-04", Due: "2026-01-08"}},
		},
		"go": {Topics: bot.MarksOf(map[string]*bot.Mark{"basics": {Status: roadmap.Learning, Started: t0}})},
	}
	m.History = []bot.Change{{Roadmap: bot.BuiltinRoadmap, Topic: "internet/dns", Prev: roadmap.Learning, PrevAt: t0.Add(-time.Hour), At: t0,
		PrevStreak: &bot.Streak{Days: 1}, PrevReview: &bot.Review{Step: 0, Done: "2026-01-01", Due: "2026-01-02"}},
		{Pick: "lang", PrevPick: "rust", At: t0}}
	m.Nudge = bot.Nudge{On: true, Hour: 8, Minute: 30, Zone: "Europe/Berlin", Next: t0.Add(22*time.Hour + 30*time.Minute), LastDate: "2026-01-04"} // 08:30 in Berlin
	m.Streak = bot.Streak{Days: 3, Best: 7, Last: "2026-01-05"}
	m.DMClosed = true
	m.ProfileZone = "Asia/Tokyo"
	m.Hidden = true
	m.Buddy = true
	return nil
}

func testMemberRoundTrip(t *testing.T, open Open) {
	// A new field in bot.Member must be stored by every backend: add it to
	// fullMember, then to each backend, then count it here.
	if n := reflect.TypeFor[bot.Member]().NumField(); n != 15 {
		t.Fatalf("bot.Member has %d fields, the test knows 15: set the new one in fullMember", n)
	}
	ctx := context.Background()
	db := open(t)
	want := MustUpdate(t, db, SpaceA, "ana", fullMember)
	got, err := db.Member(ctx, SpaceA, "ana")
	if err != nil {
		t.Fatal(err)
	}
	if !want.Created.Equal(T0) {
		t.Errorf("Created = %v, want the store clock's %v", want.Created, T0)
	}
	// Read, LastDate is the schedule's: the slot's firing before Next.
	want.Nudge.LastDate = "2026-01-05"
	// Compare as JSON plus the fields JSON leaves out, times as instants.
	norm := func(m *bot.Member) string {
		buf, _ := json.Marshal(m)
		return fmt.Sprintf("%s next=%d answered=%d", buf, m.Nudge.Next.Unix(), m.Answered)
	}
	if norm(got) != norm(want) {
		t.Errorf("read back:\n%s\nwant\n%s", norm(got), norm(want))
	}
	var scanned *bot.Member
	db.Members(ctx, SpaceA, func(m *bot.Member) error { scanned = m; return nil })
	want.Nudge.Next, want.Nudge.LastDate = time.Time{}, "2026-01-04" // Members does not fill the schedule
	if scanned == nil || norm(scanned) != norm(want) {
		t.Errorf("Members gave:\n%v\nwant\n%s", scanned, norm(want))
	}
}

// openAs opens a store and returns it also as the optional interface T,
// skipping the test when the store does not have it.
func openAs[T any](t *testing.T, open Open, what string) (bot.Store, T) {
	db := open(t)
	x, ok := db.(T)
	if !ok {
		t.Skipf("this store has no %s yet", what)
	}
	return db, x
}

func testDMChannels(t *testing.T, open Open) {
	ctx := context.Background()
	db, dm := openAs[bot.DMChannels](t, open, "DM channels")
	if ch, err := dm.DMChannel(ctx, SpaceA, "ana"); err != nil || ch != "" {
		t.Errorf("none stored = %q, %v", ch, err)
	}
	// A DM channel alone does not make a space with settings.
	if err := dm.SetDMChannel(ctx, SpaceA, "cy", "D9"); err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := db.Spaces(ctx, func(*bot.SpaceRecord) error { n++; return nil }); err != nil || n != 0 {
		t.Errorf("Spaces lists %d spaces, %v; want 0", n, err)
	}
	MustUpdate(t, db, SpaceA, "ana", Mark(roadmap.Done))
	for _, ch := range []string{"D1", "D2"} {
		if err := dm.SetDMChannel(ctx, SpaceA, "ana", ch); err != nil {
			t.Fatal(err)
		}
		if got, _ := dm.DMChannel(ctx, SpaceA, "ana"); got != ch {
			t.Errorf("DMChannel = %q, want %q", got, ch)
		}
	}
	if got, _ := dm.DMChannel(ctx, SpaceB, "ana"); got != "" {
		t.Errorf("other space = %q", got)
	}
	dm.SetDMChannel(ctx, SpaceA, "bo", "D3")
	if err := dm.SetDMChannel(ctx, SpaceA, "bo", ""); err != nil {
		t.Fatal(err)
	}
	if got, _ := dm.DMChannel(ctx, SpaceA, "bo"); got != "" {
		t.Errorf("forgotten = %q", got)
	}
	// Forgetting what was never stored, in a space with nothing, is fine.
	if err := dm.SetDMChannel(ctx, SpaceB, "U1", ""); err != nil {
		t.Errorf("forgetting nothing: %v", err)
	}
	if err := db.DeleteMember(ctx, SpaceA, "ana"); err != nil {
		t.Fatal(err)
	}
	if got, _ := dm.DMChannel(ctx, SpaceA, "ana"); got != "" {
		t.Errorf("after DeleteMember = %q, want forgotten", got)
	}
	if got, _ := dm.DMChannel(ctx, SpaceA, "cy"); got != "D9" {
		t.Errorf("another member's channel after DeleteMember = %q, want D9", got)
	}
	// A member with only a channel stored (never a record) is forgotten too.
	if err := db.DeleteMember(ctx, SpaceA, "cy"); err != nil {
		t.Fatal(err)
	}
	if got, _ := dm.DMChannel(ctx, SpaceA, "cy"); got != "" {
		t.Errorf("channel of a member without a record after DeleteMember = %q", got)
	}
	for name, err := range map[string]error{
		"read, zero space":   func() error { _, err := dm.DMChannel(ctx, bot.Space{}, "ana"); return err }(),
		"read, empty member": func() error { _, err := dm.DMChannel(ctx, SpaceA, ""); return err }(),
		"zero space":         dm.SetDMChannel(ctx, bot.Space{}, "42", "1"),
		"empty member":       dm.SetDMChannel(ctx, SpaceA, "", "D1"),
		"long channel":       dm.SetDMChannel(ctx, SpaceA, "42", strings.Repeat("1", bot.MaxChannelLen+1)),
	} {
		if bot.ErrorCode(err) != bot.Invalid {
			t.Errorf("%s: %v, want Invalid", name, err)
		}
	}
}

func testDeliveries(t *testing.T, open Open) {
	ctx := context.Background()
	_, dv := openAs[bot.Deliveries](t, open, "deliveries")
	if ok, err := dv.Delivered(ctx, "slack:event:Ev1"); err != nil || ok {
		t.Errorf("unmarked = %v, %v", ok, err)
	}
	if n, err := dv.PruneDeliveries(ctx, t0); err != nil || n != 0 {
		t.Errorf("prune of nothing = %d, %v", n, err)
	}
	for i, key := range []string{"a", "b", "c", "d"} {
		if err := dv.MarkDelivered(ctx, key, t0.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	if err := dv.MarkDelivered(ctx, "b", t0.Add(time.Minute)); err != nil {
		t.Errorf("marking twice: %v", err)
	}
	// "a" marked again later is kept as long as its last mark; an older mark
	// does not move it back.
	for _, at := range []time.Time{t0.Add(10 * time.Minute), t0} {
		if err := dv.MarkDelivered(ctx, "a", at); err != nil {
			t.Fatal(err)
		}
	}
	n, err := dv.PruneDeliveries(ctx, t0.Add(2*time.Minute)) // forgets b (t0+1m); keeps c at exactly the cut
	if err != nil || n != 1 {
		t.Errorf("pruned %d, %v; want 1", n, err)
	}
	for key, want := range map[string]bool{"a": true, "b": false, "c": true, "d": true, "e": false} {
		if got, err := dv.Delivered(ctx, key); err != nil || got != want {
			t.Errorf("Delivered(%q) = %v, %v; want %v", key, got, err, want)
		}
	}
	if n, err := dv.PruneDeliveries(ctx, t0.Add(time.Hour)); err != nil || n != 3 {
		t.Errorf("prune all = %d, %v; want 3", n, err)
	}
	if n, _ := dv.PruneDeliveries(ctx, t0.Add(48*time.Hour)); n != 0 {
		t.Errorf("second prune forgot %d more", n)
	}

	for _, key := range []string{"", strings.Repeat("k", 256+1)} {
		if _, err := dv.Delivered(ctx, key); bot.ErrorCode(err) != bot.Invalid {
			t.Errorf("Delivered(%d bytes) = %v, want Invalid", len(key), err)
		}
		if err := dv.MarkDelivered(ctx, key, t0); bot.ErrorCode(err) != bot.Invalid {
			t.Errorf("MarkDelivered(%d bytes) = %v, want Invalid", len(key), err)
		}
	}

	// Concurrent marks all land.
	errs := make(chan error, 64)
	for i := range 64 {
		go func() { errs <- dv.MarkDelivered(ctx, fmt.Sprintf("k%02d", i), t0) }()
	}
	for range 64 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n, err := dv.PruneDeliveries(ctx, t0.Add(time.Second)); err != nil || n != 64 {
		t.Errorf("pruned %d concurrent marks, %v; want 64", n, err)
	}
}

// testDueFilter: a store several processes share claims, for a process
// serving some platforms, only their nudges.
func testDueFilter(t *testing.T, open Open) {
	ctx := context.Background()
	db := open(t)
	sh, ok := db.(bot.DueSharer)
	if !ok {
		t.Skip("a store one process owns claims every platform")
	}
	MustUpdate(t, db, SpaceA, "d", NudgeAt(8, 0, "UTC", t0)) // discord
	MustUpdate(t, db, SpaceB, "s", NudgeAt(8, 0, "UTC", t0)) // slack, same slot
	MustUpdate(t, db, SpaceB, "s2", NudgeAt(7, 0, "UTC", t0.Add(-time.Hour)))
	slack := sh.DueFor(bot.DueFilter{Platforms: []bot.Platform{bot.PlatformSlack}})
	discord := sh.DueFor(bot.DueFilter{Platforms: []bot.Platform{bot.PlatformDiscord}})
	if next, _ := discord.NextDue(ctx); !next.Equal(t0) {
		t.Errorf("discord NextDue = %v, want %v", next, t0)
	}
	calls := map[string]int{}
	got, err := slack.ClaimDue(ctx, t0, 10, Tomorrow(calls))
	if err != nil || DueIDs(got) != "[s2 s]" {
		t.Errorf("slack claim = %v, %v; want [s2 s]", DueIDs(got), err)
	}
	got, _ = discord.ClaimDue(ctx, t0, 10, Tomorrow(calls))
	if DueIDs(got) != "[d]" {
		t.Errorf("discord claim = %v, want [d]", DueIDs(got))
	}
	if next, _ := slack.NextDue(ctx); !next.Equal(t0.Add(23 * time.Hour)) {
		t.Errorf("slack NextDue = %v", next)
	}
	if all := sh.DueFor(bot.DueFilter{}); all == nil {
		t.Error("the zero filter gave no index")
	}
}

func testRoadmapFiles(t *testing.T, open Open) {
	ctx := context.Background()
	db := open(t)
	f := func(id, toml string) *bot.RoadmapFile {
		return &bot.RoadmapFile{ID: id, Title: strings.ToUpper(id), TOML: toml, AddedBy: "mod", AddedAt: t0}
	}
	if err := db.PutRoadmapFile(ctx, SpaceA, f("go", "a"), 2); err != nil {
		t.Fatal(err)
	}
	if err := db.PutRoadmapFile(ctx, SpaceA, f("ai", "b"), 2); err != nil {
		t.Fatal(err)
	}
	if err := db.PutRoadmapFile(ctx, SpaceA, f("zz", "c"), 2); bot.ErrorCode(err) != bot.Conflict {
		t.Errorf("third of max 2: %v, want Conflict", err)
	}
	rec, _ := db.Space(ctx, SpaceA)
	v1 := rec.Roadmaps[1].Version
	if err := db.PutRoadmapFile(ctx, SpaceA, f("go", "a2"), 2); err != nil {
		t.Errorf("replacing at max: %v", err)
	}
	rec, _ = db.Space(ctx, SpaceA)
	if len(rec.Roadmaps) != 2 || rec.Roadmaps[0].ID != "ai" || rec.Roadmaps[1].ID != "go" || rec.Roadmaps[1].Version == v1 ||
		rec.Roadmaps[1].Version != bot.RoadmapVersion("a2") {
		t.Errorf("roadmaps = %+v, want ai, go with a new version", rec.Roadmaps)
	}
	fs, err := db.RoadmapFiles(ctx, SpaceA)
	if err != nil || len(fs) != 2 || fs[0].ID != "ai" || fs[1].TOML != "a2" || !fs[1].AddedAt.Equal(t0) {
		t.Errorf("RoadmapFiles = %+v, %v", fs, err)
	}
	if _, err := db.RoadmapFile(ctx, SpaceA, "zz"); bot.ErrorCode(err) != bot.NotFound {
		t.Errorf("missing: %v", err)
	}
	// UpdateSpace's fn cannot change the list.
	db.UpdateSpace(ctx, SpaceA, func(r *bot.SpaceRecord) error { r.Roadmaps = nil; r.DefaultRoadmap = "go"; return nil })
	errNo := errors.New("no")
	if err := db.DeleteRoadmapFile(ctx, SpaceA, "go", func(*bot.SpaceRecord) error { return errNo }); err != errNo {
		t.Errorf("fn's error: %v", err)
	}
	if err := db.DeleteRoadmapFile(ctx, SpaceA, "go", func(r *bot.SpaceRecord) error { r.DefaultRoadmap = ""; return nil }); err != nil {
		t.Fatal(err)
	}
	rec, _ = db.Space(ctx, SpaceA)
	if len(rec.Roadmaps) != 1 || rec.DefaultRoadmap != "" {
		t.Errorf("after delete: %+v", rec)
	}
	if err := db.DeleteRoadmapFile(ctx, SpaceA, "go", nil); bot.ErrorCode(err) != bot.NotFound {
		t.Errorf("delete again: %v", err)
	}
	// Pending uploads.
	if _, err := db.PendingRoadmap(ctx, SpaceA, "mod"); bot.ErrorCode(err) != bot.NotFound {
		t.Errorf("no pending: %v", err)
	}
	p := f("go", "new")
	p.Base = "v1"
	db.SetPendingRoadmap(ctx, SpaceA, "mod", p)
	if got, err := db.PendingRoadmap(ctx, SpaceA, "mod"); err != nil || got.Base != "v1" || got.TOML != "new" {
		t.Errorf("pending = %+v, %v", got, err)
	}
	db.SetPendingRoadmap(ctx, SpaceA, "mod", nil)
	if _, err := db.PendingRoadmap(ctx, SpaceA, "mod"); bot.ErrorCode(err) != bot.NotFound {
		t.Errorf("removed pending: %v", err)
	}
}
