package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"sync"
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

func TestOpenChallenge_ClosesCurrent(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	first := mustOpenChallenge(t, db, spaceA, &bot.Challenge{Text: "one", Channel: "C1", PostedAt: t0}, bot.CloseCurrent)
	if first.Opened.ID != 1 || first.Closed != nil || first.Repeat {
		t.Fatalf("first = %+v, want #1 opened, nothing closed", first)
	}
	if _, err := db.UpdateChallenge(ctx, spaceA, 1, func(c *bot.Challenge) error {
		c.Submissions = map[string]*bot.Submission{"ana": {Member: "ana", Text: "mine", At: t0}}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	later := t0.Add(7 * 24 * time.Hour)
	second := mustOpenChallenge(t, db, spaceA, &bot.Challenge{Text: "two", PostedAt: later}, bot.CloseCurrent)
	if second.Opened.ID != 2 || !second.Opened.ClosedAt.IsZero() {
		t.Errorf("opened = %+v, want #2, open", second.Opened)
	}
	// The closed one comes back whole, so its summary can be posted.
	if c := second.Closed; c == nil || c.ID != 1 || !c.ClosedAt.Equal(later) || c.Channel != "C1" || c.Submissions["ana"] == nil {
		t.Errorf("closed = %+v, want #1 closed at %v with ana's submission", c, later)
	}
	if got, want := challengeState(t, db, spaceA), fmt.Sprintf("current 2; #2 \"two\" closed %v; #1 \"one\" closed %v", time.Time{}, later); got != want {
		t.Errorf("state = %s, want %s", got, want)
	}
}

func TestOpenChallenge_RefusesWhileOpen(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	mustOpenChallenge(t, db, spaceA, &bot.Challenge{Text: "one", PostedAt: t0}, bot.RefuseWhileOpen)
	before := challengeState(t, db, spaceA)
	res, err := db.OpenChallenge(ctx, spaceA, &bot.Challenge{Text: "two", PostedAt: t0.Add(time.Hour)}, bot.RefuseWhileOpen)
	if bot.ErrorCode(err) != bot.Conflict || bot.ErrorMessage(err) != "Challenge #1 is still open." || res != nil {
		t.Errorf("second open = %+v, %v; want Conflict \"Challenge #1 is still open.\"", res, err)
	}
	if after := challengeState(t, db, spaceA); after != before {
		t.Errorf("a refused open changed %s to %s", before, after)
	}
	// Closed, the space takes a new one, and the refused call used no id.
	if _, c, err := db.CloseChallenge(ctx, spaceA, t0.Add(2*time.Hour), nil); err != nil || c == nil || c.ID != 1 {
		t.Fatalf("CloseChallenge = %+v, %v", c, err)
	}
	res = mustOpenChallenge(t, db, spaceA, &bot.Challenge{Text: "two", PostedAt: t0.Add(3 * time.Hour)}, bot.RefuseWhileOpen)
	if res.Opened.ID != 2 || res.Closed != nil {
		t.Errorf("open after close = %+v, want #2 and nothing closed", res)
	}
}

// TestOpenChallenge_OncePerScheduledInstant: a scheduled instant opens one
// challenge per space, whoever asks and however often, even after a restart
// and after later challenges closed it.
func TestOpenChallenge_OncePerScheduledInstant(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	mustOpenChallenge(t, db, spaceA, &bot.Challenge{Text: "by hand", PostedAt: t0.Add(-time.Hour)}, bot.CloseCurrent)
	at := t0
	res := mustOpenChallenge(t, db, spaceA, &bot.Challenge{Text: "weekly", PostedAt: at, ScheduledAt: at}, bot.CloseCurrent)
	if res.Repeat || res.Opened.ID != 2 || res.Closed == nil || !res.Opened.ScheduledAt.Equal(at) {
		t.Fatalf("first scheduled open = %+v", res)
	}
	before := challengeState(t, db, spaceA)

	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	for _, sched := range []time.Time{at, at.In(berlin)} {
		res := mustOpenChallenge(t, db, spaceA, &bot.Challenge{Text: "again", PostedAt: at.Add(time.Second), ScheduledAt: sched}, bot.CloseCurrent)
		if !res.Repeat || res.Opened.ID != 2 || res.Opened.Text != "weekly" || res.Closed != nil {
			t.Errorf("repeat at %v = %+v, want #2 with Repeat", sched, res)
		}
		// Refusing does not apply to a repeat: there is nothing to refuse.
		res, err := db.OpenChallenge(ctx, spaceA, &bot.Challenge{Text: "again", PostedAt: at, ScheduledAt: sched}, bot.RefuseWhileOpen)
		if err != nil || !res.Repeat {
			t.Errorf("repeat with RefuseWhileOpen = %+v, %v; want Repeat", res, err)
		}
	}
	if after := challengeState(t, db, spaceA); after != before {
		t.Errorf("repeats changed %s to %s", before, after)
	}

	// Another space at the same instant is its own.
	if res := mustOpenChallenge(t, db, spaceB, &bot.Challenge{Text: "weekly", PostedAt: at, ScheduledAt: at}, bot.CloseCurrent); res.Repeat || res.Opened.ID != 1 {
		t.Errorf("other space = %+v, want its #1", res)
	}

	// The next week's instant opens #3; the old instant, late, still repeats.
	next := at.Add(7 * 24 * time.Hour)
	if res := mustOpenChallenge(t, db, spaceA, &bot.Challenge{Text: "weekly 2", PostedAt: next, ScheduledAt: next}, bot.CloseCurrent); res.Repeat || res.Opened.ID != 3 {
		t.Errorf("next week = %+v, want #3", res)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = mustOpenAt(t, db.Path())
	before = challengeState(t, db, spaceA)
	res = mustOpenChallenge(t, db, spaceA, &bot.Challenge{Text: "late", PostedAt: next.Add(time.Hour), ScheduledAt: at}, bot.CloseCurrent)
	if !res.Repeat || res.Opened.ID != 2 || res.Opened.ClosedAt.IsZero() {
		t.Errorf("late repeat after reopen = %+v, want #2 (closed) with Repeat", res)
	}
	if after := challengeState(t, db, spaceA); after != before {
		t.Errorf("a late repeat changed %s to %s", before, after)
	}
}

func TestOpenChallenge_ConcurrentScheduledOpenOnce(t *testing.T) {
	db := MustOpenDB(t)
	const n = 16
	var wg sync.WaitGroup
	results := make([]*bot.Opening, n)
	for i := range n {
		wg.Go(func() {
			results[i] = mustOpenChallenge(t, db, spaceA, &bot.Challenge{Text: fmt.Sprint("try ", i), PostedAt: t0, ScheduledAt: t0}, bot.CloseCurrent)
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
	if cs, _ := db.Challenges(context.Background(), spaceA, 0); len(cs) != 1 {
		t.Errorf("%d challenges, want 1", len(cs))
	}
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

func TestOpenChallenge_Invalid(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	tests := []struct {
		name string
		sp   bot.Space
		c    *bot.Challenge
	}{
		{"NoChallenge", spaceA, nil},
		{"NoPostedAt", spaceA, &bot.Challenge{Text: "x"}},
		{"NoSpace", bot.Space{}, &bot.Challenge{Text: "x", PostedAt: t0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := db.OpenChallenge(ctx, tt.sp, tt.c, bot.CloseCurrent); bot.ErrorCode(err) != bot.Invalid {
				t.Errorf("err = %v, want Invalid", err)
			}
		})
	}
	if _, err := db.OpenChallenge(ctx, spaceA, &bot.Challenge{Text: "x", PostedAt: t0}, bot.OnOpen(9)); err == nil || bot.ErrorCode(err) != bot.Internal {
		t.Errorf("unknown OnOpen: %v, want an internal error", err)
	}
	if got := challengeState(t, db, spaceA); got != "current 0" {
		t.Errorf("state = %s, want nothing stored", got)
	}
}

func TestCloseChallenge(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	mustOpenChallenge(t, db, spaceA, &bot.Challenge{Text: "one", PostedAt: t0}, bot.CloseCurrent)
	if _, err := db.UpdateSpace(ctx, spaceA, func(r *bot.SpaceRecord) error {
		r.Challenge = bot.ChallengeSchedule{Channel: "C1", Spec: "CRON_TZ=UTC 0 9 * * 1"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	before := challengeState(t, db, spaceA)
	errNo := bot.Errorf(bot.Conflict, "no")
	calls := 0
	if _, _, err := db.CloseChallenge(ctx, spaceA, t0, func(r *bot.SpaceRecord) error { calls++; r.Challenge = bot.ChallengeSchedule{}; return errNo }); err != errNo {
		t.Errorf("err = %v, want fn's", err)
	}
	if after := challengeState(t, db, spaceA); after != before || calls != 1 {
		t.Errorf("fn's error: %s -> %s after %d calls; want no change, one call", before, after, calls)
	}

	at := t0.Add(time.Hour)
	rec, c, err := db.CloseChallenge(ctx, spaceA, at, func(r *bot.SpaceRecord) error {
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
	if stored, _ := db.Space(ctx, spaceA); !reflect.DeepEqual(stored, rec) {
		t.Errorf("stored %+v, returned %+v", stored, rec)
	}
	if got, _ := db.Challenge(ctx, spaceA, 1); !got.ClosedAt.Equal(at) {
		t.Errorf("stored ClosedAt = %v, want %v", got.ClosedAt, at)
	}
	// Nothing open: nothing closed, and a space never seen is no error.
	for _, sp := range []bot.Space{spaceA, spaceB} {
		if _, c, err := db.CloseChallenge(ctx, sp, at, nil); err != nil || c != nil {
			t.Errorf("%s: CloseChallenge with none open = %+v, %v", sp.Key(), c, err)
		}
	}
	if _, _, err := db.CloseChallenge(ctx, spaceA, time.Time{}, nil); bot.ErrorCode(err) != bot.Invalid {
		t.Errorf("zero at: %v, want Invalid", err)
	}
}

// Current belongs to OpenChallenge and CloseChallenge.
func TestUpdateSpace_KeepsCurrent(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	mustOpenChallenge(t, db, spaceA, &bot.Challenge{Text: "one", PostedAt: t0}, bot.CloseCurrent)
	rec, err := db.UpdateSpace(ctx, spaceA, func(r *bot.SpaceRecord) error { r.Current = 0; r.Challenge.Channel = "C2"; return nil })
	if err != nil || rec.Current != 1 || rec.Challenge.Channel != "C2" {
		t.Errorf("UpdateSpace = %+v, %v; want Current 1 kept, the channel changed", rec, err)
	}
	if stored, _ := db.Space(ctx, spaceA); stored.Current != 1 {
		t.Errorf("stored Current = %d, want 1", stored.Current)
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

func TestAnswered_FollowsSubmissions(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	for _, id := range []string{"ana", "bo", "cy"} {
		mustUpdate(t, db, spaceA, id, mark(roadmap.Done))
	}
	mustOpenChallenge(t, db, spaceA, &bot.Challenge{Text: "one", PostedAt: t0}, bot.CloseCurrent)
	submit(t, db, 1, "ana", "bo")
	submit(t, db, 1, "ana") // an edit counts once
	mustOpenChallenge(t, db, spaceA, &bot.Challenge{Text: "two", PostedAt: t0.Add(time.Hour)}, bot.CloseCurrent)
	submit(t, db, 2, "ana")
	if got := answered(t, db, "ana", "bo", "cy"); !reflect.DeepEqual(got, []int{2, 1, 0}) {
		t.Fatalf("answered after submissions = %v, want [2 1 0]", got)
	}
	// A refused update changes no count.
	if _, err := db.UpdateChallenge(ctx, spaceA, 2, func(c *bot.Challenge) error {
		c.Submissions["cy"] = &bot.Submission{Member: "cy"}
		return bot.Errorf(bot.Conflict, "no")
	}); bot.ErrorCode(err) != bot.Conflict {
		t.Fatalf("err = %v, want the fn's Conflict", err)
	}
	// A removed submission counts no more; UpdateMember keeps the count.
	if _, err := db.UpdateChallenge(ctx, spaceA, 1, func(c *bot.Challenge) error {
		delete(c.Submissions, "ana")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if m := mustUpdate(t, db, spaceA, "ana", mark(roadmap.Learning)); m.Answered != 1 {
		t.Errorf("UpdateMember's member has Answered %d, want 1", m.Answered)
	}
	if got := answered(t, db, "ana", "bo", "cy"); !reflect.DeepEqual(got, []int{1, 1, 0}) {
		t.Fatalf("answered after a removal = %v, want [1 1 0]", got)
	}
	if err := db.DeleteMember(ctx, spaceA, "bo"); err != nil {
		t.Fatal(err)
	}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		sb, _ := spaceBucket(tx, spaceA, false)
		if v := sb.Bucket(bucketAnswered).Get([]byte("bo")); v != nil {
			t.Errorf("a deleted member's count is still stored: %x", v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	mustUpdate(t, db, spaceA, "bo", mark(roadmap.Done)) // rejoins with nothing
	if got := answered(t, db, "bo"); got[0] != 0 {
		t.Errorf("a rejoined member has Answered %d, want 0", got[0])
	}
}

func TestOpenChallenge_ClosesAt(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	closes := t0.Add(6 * 24 * time.Hour)
	mustOpenChallenge(t, db, spaceA, &bot.Challenge{Text: "one", PostedAt: t0, ClosesAt: closes}, bot.CloseCurrent)
	if rec, _ := db.Space(ctx, spaceA); !rec.ClosesAt.Equal(closes) {
		t.Fatalf("ClosesAt = %v, want %v", rec.ClosesAt, closes)
	}
	// UpdateSpace and CloseChallenge's fn cannot move it.
	if _, err := db.UpdateSpace(ctx, spaceA, func(r *bot.SpaceRecord) error { r.ClosesAt = t0; return nil }); err != nil {
		t.Fatal(err)
	}
	if rec, _ := db.Space(ctx, spaceA); !rec.ClosesAt.Equal(closes) {
		t.Fatalf("UpdateSpace moved ClosesAt to %v", rec.ClosesAt)
	}
	mustOpenChallenge(t, db, spaceA, &bot.Challenge{Text: "two", PostedAt: t0.Add(time.Hour)}, bot.CloseCurrent)
	if rec, _ := db.Space(ctx, spaceA); !rec.ClosesAt.IsZero() || rec.Current != 2 {
		t.Fatalf("after an open-ended post: current %d, ClosesAt %v; want 2 and zero", rec.Current, rec.ClosesAt)
	}
	mustOpenChallenge(t, db, spaceA, &bot.Challenge{Text: "three", PostedAt: t0.Add(2 * time.Hour), ClosesAt: closes}, bot.CloseCurrent)
	rec, _, err := db.CloseChallenge(ctx, spaceA, t0.Add(3*time.Hour), func(r *bot.SpaceRecord) error { r.ClosesAt = closes; return nil })
	if err != nil || !rec.ClosesAt.IsZero() || rec.Current != 0 {
		t.Fatalf("CloseChallenge = %+v, %v; want no current and no ClosesAt", rec, err)
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
