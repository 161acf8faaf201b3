package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/roadmap"
)

func mustOpenChallenge(tb testing.TB, db *DB, sp bot.Space, c *bot.Challenge, onOpen bot.OnOpen) *bot.Opening {
	tb.Helper()
	res, err := db.OpenChallenge(context.Background(), sp, c, onOpen)
	if err != nil {
		tb.Fatal(err)
	}
	return res
}

// challengeState is what a test compares before and after a call that must
// change nothing: the space record and every challenge.
func challengeState(tb testing.TB, db *DB, sp bot.Space) string {
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
		return putSpace(sb, &bot.SpaceRecord{Space: spaceA, Current: 9})
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

func submit(tb testing.TB, db *DB, id uint64, members ...string) {
	tb.Helper()
	if _, err := db.UpdateChallenge(context.Background(), spaceA, id, func(c *bot.Challenge) error {
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

// answered reads each member's Answered through Member and through Members,
// which must agree.
func answered(tb testing.TB, db *DB, ids ...string) []int {
	tb.Helper()
	ctx := context.Background()
	scanned := map[string]int{}
	if err := db.Members(ctx, spaceA, func(m *bot.Member) error { scanned[m.ID] = m.Answered; return nil }); err != nil {
		tb.Fatal(err)
	}
	out := make([]int, len(ids))
	for i, id := range ids {
		m, err := db.Member(ctx, spaceA, id)
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
