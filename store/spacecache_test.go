package store

import (
	"context"
	"reflect"
	"testing"

	"github.com/studybot/studybot/bot"
)

// TestCloneSpace_SharesNothing: a copy of a space record with every field
// set is equal to it, and changing everything the copy reaches leaves the
// original as it was; a field that cloneSpace shares fails here.
func TestCloneSpace_SharesNothing(t *testing.T) {
	checkSharesNothing(t, "SpaceRecord", func() *bot.SpaceRecord {
		return filled[bot.SpaceRecord](t, "SpaceRecord")
	}, func(r *bot.SpaceRecord) *bot.SpaceRecord {
		var c bot.SpaceRecord
		cloneSpace(&c, r)
		return &c
	})
}

// TestSpaceCache_FollowsTheBytes: reads give the stored settings after
// every kind of write, a reader's change to its record reaches nothing
// stored or cached, and an unchanged record is not decoded again.
func TestSpaceCache_FollowsTheBytes(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	set := func(mods ...string) {
		t.Helper()
		if _, err := db.UpdateSpace(ctx, spaceA, func(r *bot.SpaceRecord) error { r.Moderators = mods; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	read := func() *bot.SpaceRecord {
		t.Helper()
		_, rec, err := db.MemberInSpace(ctx, spaceA, "m1")
		if err != nil {
			t.Fatal(err)
		}
		return rec
	}
	set("U1")
	first := read()
	first.Moderators[0] = "changed"
	if got := read().Moderators; !reflect.DeepEqual(got, []string{"U1"}) {
		t.Fatalf("after a reader's change: moderators %v", got)
	}
	set("U1", "U2")
	if got := read().Moderators; !reflect.DeepEqual(got, []string{"U1", "U2"}) {
		t.Fatalf("after an update: moderators %v", got)
	}
	if got, err := db.Space(ctx, spaceA); err != nil || !reflect.DeepEqual(got.Moderators, []string{"U1", "U2"}) {
		t.Fatalf("Space after an update: %v, %v", got, err)
	}
	// Deleting a member rewrites the settings (forgetInSettings).
	if _, err := db.UpdateMember(ctx, spaceA, "U2", func(*bot.Member) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteMember(ctx, spaceA, "U2"); err != nil {
		t.Fatal(err)
	}
	if got := read().Moderators; !reflect.DeepEqual(got, []string{"U1"}) {
		t.Fatalf("after deleting a moderator: moderators %v", got)
	}
	e := db.spaces.entries[spaceA.Key()]
	read()
	if db.spaces.entries[spaceA.Key()].rec != e.rec {
		t.Error("an unchanged record was decoded again")
	}
}
