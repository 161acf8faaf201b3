package store

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/roadmap"
)

// A Current naming a missing or closed challenge (left by older versions, which
// closed and cleared in separate commits) counts as none open.
func TestOpenChallenge_StaleCurrent(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	mustOpenChallenge(t, db, spaceA, &bot.Challenge{Text: "one", PostedAt: t0}, bot.CloseCurrent)
	if _, err := db.UpdateChallenge(ctx, spaceA, 1, func(c *bot.Challenge) error { c.ClosedAt = t0; return nil }); err != nil {
		t.Fatal(err)
	}
	res := mustOpenChallenge(t, db, spaceA, &bot.Challenge{Text: "two", PostedAt: t0}, bot.RefuseWhileOpen)
	if res.Opened.ID != 2 || res.Closed != nil {
		t.Errorf("over a closed current = %+v, want #2, nothing closed", res)
	}
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		sb, _ := spaceBucket(tx, spaceA, false)
		return db.putSpace(sb, spaceA, &bot.SpaceRecord{Space: spaceA, Current: 9})
	})
	if err != nil {
		t.Fatal(err)
	}
	res = mustOpenChallenge(t, db, spaceA, &bot.Challenge{Text: "three", PostedAt: t0}, bot.RefuseWhileOpen)
	if res.Opened.ID != 3 || res.Closed != nil {
		t.Errorf("over a missing current = %+v, want #3, nothing closed", res)
	}
	if rec, _ := db.Space(ctx, spaceA); rec.Current != 3 {
		t.Errorf("Current = %d, want 3", rec.Current)
	}
}

// TestOpenChallenge_RepeatSurvivesReopen: the scheduled instants a space has
// opened are on disk, so a late repeat after a restart opens nothing (the
// contract suite checks repeats within one process on every backend).
func TestOpenChallenge_RepeatSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "studybot.db")
	db := mustOpenAt(t, path)
	at, next := t0, t0.Add(7*24*time.Hour)
	mustOpenChallenge(t, db, spaceA, &bot.Challenge{Text: "weekly", PostedAt: at, ScheduledAt: at}, bot.CloseCurrent)
	mustOpenChallenge(t, db, spaceA, &bot.Challenge{Text: "weekly 2", PostedAt: next, ScheduledAt: next}, bot.CloseCurrent)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = mustOpenAt(t, path)
	before := challengeState(t, db, spaceA)
	res := mustOpenChallenge(t, db, spaceA, &bot.Challenge{Text: "late", PostedAt: next.Add(time.Hour), ScheduledAt: at}, bot.CloseCurrent)
	if !res.Repeat || res.Opened.ID != 1 || res.Opened.ClosedAt.IsZero() {
		t.Errorf("late repeat after reopen = %+v, want #1 (closed) with Repeat", res)
	}
	if after := challengeState(t, db, spaceA); after != before {
		t.Errorf("a late repeat changed %s to %s", before, after)
	}
}

// TestOpen_MigratesAnswered: a version 3 file (no answered counts) gets them
// from its challenges' submissions.
func TestOpen_MigratesAnswered(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v3.db")
	db := mustOpenAt(t, path)
	for _, id := range []string{"ana", "bo"} {
		mustUpdate(t, db, spaceA, id, mark(roadmap.Done))
	}
	mustOpenChallenge(t, db, spaceA, &bot.Challenge{Text: "one", PostedAt: t0}, bot.CloseCurrent)
	submit(t, db, 1, "ana", "bo")
	mustOpenChallenge(t, db, spaceA, &bot.Challenge{Text: "two", PostedAt: t0.Add(time.Hour)}, bot.CloseCurrent)
	submit(t, db, 2, "ana")
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		sb, _ := spaceBucket(tx, spaceA, false)
		return errors.Join(sb.DeleteBucket(bucketAnswered), tx.Bucket(bucketMeta).Put(keySchema, u64(3)))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = mustOpenAt(t, path)
	if got := answered(t, db, "ana", "bo"); !reflect.DeepEqual(got, []int{2, 1}) {
		t.Errorf("answered after migrating = %v, want [2 1]", got)
	}
}
