package store

import (
	"context"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/roadmap"
)

// TestUpdateMemberAfter_TakesOverTheRead: an update right after a read of an
// unchanged record gives fn the member read (no second decode), and the
// write lands as with UpdateMember.
func TestUpdateMemberAfter_TakesOverTheRead(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	mustUpdate(t, db, spaceA, "a", mark(roadmap.Done))
	read, _, err := db.MemberInSpace(ctx, spaceA, "a")
	if err != nil || read == nil {
		t.Fatal(read, err)
	}
	var got *bot.Member
	m, err := db.UpdateMemberAfter(ctx, spaceA, "a", read, func(m *bot.Member) error {
		got = m
		m.Name = "Ada"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got != read || m != read {
		t.Errorf("fn got %p, returned %p; want the member read, %p", got, m, read)
	}
	back, err := db.Member(ctx, spaceA, "a")
	if err != nil || back.Name != "Ada" || back.Track(bot.BuiltinRoadmap).Status("internet/dns") != roadmap.Done {
		t.Errorf("stored %+v, %v; want the name and the mark", back, err)
	}
	// Taken once: a second update from the same read decodes afresh.
	m2, err := db.UpdateMemberAfter(ctx, spaceA, "a", read, func(m *bot.Member) error {
		got = m
		return nil
	})
	if err != nil || got == read || m2.Name != "Ada" {
		t.Errorf("second update got the read member again (%v) or lost the name %q", err, m2.Name)
	}
}

// TestUpdateMemberAfter_ChangedSinceReadDecodesAgain: when another write
// changed the record after the read, fn gets the stored member, not the
// stale read, so that write is not lost.
func TestUpdateMemberAfter_ChangedSinceReadDecodesAgain(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	mustUpdate(t, db, spaceA, "a", mark(roadmap.Done))
	read, _, err := db.MemberInSpace(ctx, spaceA, "a")
	if err != nil || read == nil {
		t.Fatal(read, err)
	}
	mustUpdate(t, db, spaceA, "a", func(m *bot.Member) error { m.Follow = "other"; return nil })
	var got *bot.Member
	m, err := db.UpdateMemberAfter(ctx, spaceA, "a", read, func(m *bot.Member) error {
		got = m
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got == read || m.Follow != "other" {
		t.Errorf("fn got the stale read (%v) or the other write was lost (follow %q)", got == read, m.Follow)
	}
}

// TestUpdateMemberAfter_OtherMember: a member read for one id is never
// handed to an update of another.
func TestUpdateMemberAfter_OtherMember(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	mustUpdate(t, db, spaceA, "a", mark(roadmap.Done))
	mustUpdate(t, db, spaceA, "b", mark(roadmap.Skipped))
	read, _, _ := db.MemberInSpace(ctx, spaceA, "a")
	m, err := db.UpdateMemberAfter(ctx, spaceA, "b", read, func(m *bot.Member) error {
		if m == read {
			t.Error("b's update got a's member")
		}
		return nil
	})
	if err != nil || m.ID != "b" {
		t.Fatal(m, err)
	}
}

// TestUpdateMemberAfter_RefusalOnTheRead: fn runs on the read outside the
// write; its refusal stands, with nothing written, while the record is
// still the one read; after another write it is decided again on the
// stored member.
func TestUpdateMemberAfter_RefusalOnTheRead(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	mustUpdate(t, db, spaceA, "a", mark(roadmap.Done))
	refuseDone := func(m *bot.Member) error {
		if m.Track(bot.BuiltinRoadmap).Status("internet/dns") == roadmap.Done {
			return bot.Errorf(bot.Conflict, "already done")
		}
		m.Name = "marked"
		return nil
	}
	read, _, _ := db.MemberInSpace(ctx, spaceA, "a")
	commits := db.Floor().Commits()
	if _, err := db.UpdateMemberAfter(ctx, spaceA, "a", read, refuseDone); bot.ErrorCode(err) != bot.Conflict {
		t.Fatalf("err = %v, want the refusal", err)
	}
	if got := db.Floor().Commits(); got != commits {
		t.Errorf("a refusal made %d commits", got-commits)
	}
	read, _, _ = db.MemberInSpace(ctx, spaceA, "a")
	mustUpdate(t, db, spaceA, "a", mark(roadmap.Skipped)) // after the read
	m, err := db.UpdateMemberAfter(ctx, spaceA, "a", read, refuseDone)
	if err != nil || m.Name != "marked" {
		t.Fatalf("after another write: %v, name %q; want the update on the stored member", err, m.Name)
	}
	if back, _ := db.Member(ctx, spaceA, "a"); back.Name != "marked" || back.Track(bot.BuiltinRoadmap).Status("internet/dns") != roadmap.Skipped {
		t.Errorf("stored %q, %s", back.Name, back.Track(bot.BuiltinRoadmap).Status("internet/dns"))
	}
}

// TestUpdateMemberAfter_NudgeChangeReadsTheSchedule: an fn that changes the
// nudge settings is run again inside the write (the schedule is read
// there): the member's nudge is scheduled as with UpdateMember.
func TestUpdateMemberAfter_NudgeChangeReadsTheSchedule(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	mustUpdate(t, db, spaceA, "a", mark(roadmap.Done))
	read, _, _ := db.MemberInSpace(ctx, spaceA, "a")
	next := t0.Add(24 * time.Hour)
	var runs int
	m, err := db.UpdateMemberAfter(ctx, spaceA, "a", read, func(m *bot.Member) error {
		runs++
		m.Nudge = bot.Nudge{On: true, Hour: 9, Zone: "UTC", Next: next}
		return nil
	})
	if err != nil || runs != 2 {
		t.Fatalf("err %v, fn ran %d times; want twice (on the read, then inside)", err, runs)
	}
	back, err := db.Member(ctx, spaceA, "a")
	if err != nil || !back.Nudge.On || !back.Nudge.Next.Equal(next) || !m.Nudge.Next.Equal(next) {
		t.Errorf("stored nudge %+v, returned %+v, %v; want on, next %v", back.Nudge, m.Nudge, err, next)
	}
}

// TestUpdateMemberAfter_KeepsTheSchedulesDate: the record written after a
// read keeps the nudge's last date as the schedule had it at the read
// (a claim moved it past the record's), not the record's older one.
func TestUpdateMemberAfter_KeepsTheSchedulesDate(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	mustUpdate(t, db, spaceA, "a", func(m *bot.Member) error {
		m.Nudge = bot.Nudge{On: true, Hour: 9, Zone: "UTC", Next: t0.Add(24 * time.Hour), LastDate: "2026-01-01"}
		return nil
	})
	read, _, _ := db.MemberInSpace(ctx, spaceA, "a")
	if read.Nudge.LastDate == "" {
		t.Fatal("no last date on the read")
	}
	read.Nudge.LastDate = "2026-01-04" // as a claim since the write would have it
	want := read.Nudge.LastDate
	if _, err := db.UpdateMemberAfter(ctx, spaceA, "a", read, func(m *bot.Member) error { m.Name = "x"; return nil }); err != nil {
		t.Fatal(err)
	}
	var stored bot.Member
	db.bolt.View(func(tx *bolt.Tx) error {
		b, _ := child(tx, spaceA, bucketMembers, false)
		return decodeMember(b.Get([]byte("a")), &stored)
	})
	if stored.Nudge.LastDate != want {
		t.Errorf("record's last date %q, want the read's %q", stored.Nudge.LastDate, want)
	}
}
