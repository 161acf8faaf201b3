package store

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/roadmap"
)

// TestMemberInSpace_CachedReadFollowsEveryWrite: once a member is cached,
// MemberInSpace answers without a transaction (cachedReads counts it), and
// what it answers follows every write that changes what a read returns:
// the member's record, the space's settings, the member's answered count;
// a member with nudges on is read in a transaction (their schedule), and
// a deleted member is gone.
func TestMemberInSpace_CachedReadFollowsEveryWrite(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	read := func() (*bot.Member, *bot.SpaceRecord) {
		t.Helper()
		m, rec, err := db.MemberInSpace(ctx, spaceA, "m1")
		if err != nil {
			t.Fatal(err)
		}
		return m, rec
	}
	// cached reads the member twice (the second read keeps it) and
	// returns the third, which must come from the cache.
	cached := func(what string) (*bot.Member, *bot.SpaceRecord) {
		t.Helper()
		read()
		read()
		before := db.cachedReads.Load()
		m, rec := read()
		if db.cachedReads.Load() != before+1 {
			t.Fatalf("%s: the third read took a transaction", what)
		}
		return m, rec
	}
	if _, err := db.UpdateMember(ctx, spaceA, "m1", func(m *bot.Member) error {
		m.Name = "Ann"
		m.WriteTrack(bot.BuiltinRoadmap).Topics.Set("internet/http", bot.Mark{Status: roadmap.Done, At: t0})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	m, rec := cached("first")
	if m.Name != "Ann" || len(rec.Moderators) != 0 {
		t.Fatalf("first: %q, moderators %v", m.Name, rec.Moderators)
	}
	// A caller's change to what it was given reaches nothing cached.
	m.Name = "changed"
	m.Track(bot.BuiltinRoadmap).Topics[0].Topic = "changed"
	rec.Moderators = append(rec.Moderators, "changed")
	if m, rec := read(); m.Name != "Ann" || m.Track(bot.BuiltinRoadmap).Topics[0].Topic != "internet/http" || len(rec.Moderators) != 0 {
		t.Fatalf("after the caller's change: %q %v %v", m.Name, m.Track(bot.BuiltinRoadmap).Topics, rec.Moderators)
	}

	if _, err := db.UpdateSpace(ctx, spaceA, func(r *bot.SpaceRecord) error { r.Moderators = []string{"U9"}; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, rec := read(); !reflect.DeepEqual(rec.Moderators, []string{"U9"}) {
		t.Fatalf("after UpdateSpace: moderators %v", rec.Moderators)
	}
	if _, rec := cached("settings"); !reflect.DeepEqual(rec.Moderators, []string{"U9"}) {
		t.Fatalf("cached after UpdateSpace: moderators %v", rec.Moderators)
	}

	if _, err := db.UpdateMember(ctx, spaceA, "m1", func(m *bot.Member) error { m.Name = "Bea"; return nil }); err != nil {
		t.Fatal(err)
	}
	if m, _ := read(); m.Name != "Bea" {
		t.Fatalf("after UpdateMember: %q", m.Name)
	}
	if m, _ := cached("record"); m.Name != "Bea" {
		t.Fatalf("cached after UpdateMember: %q", m.Name)
	}

	opened := openAndSubmit(t, db, "m1")
	if m, _ := read(); m.Answered != 1 {
		t.Fatalf("after a submission: answered %d", m.Answered)
	}
	if m, rec := cached("answered"); m.Answered != 1 || rec.Current != opened.Opened.ID {
		t.Fatalf("cached after a submission: answered %d, current %d", m.Answered, rec.Current)
	}

	if _, err := db.UpdateMember(ctx, spaceA, "m1", func(m *bot.Member) error {
		m.Nudge = bot.Nudge{On: true, Hour: 9, Zone: "UTC", Next: t0.Add(24 * time.Hour)}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	read()
	read()
	before := db.cachedReads.Load()
	if m, _ := read(); !m.Nudge.On || m.Nudge.Next.IsZero() || db.cachedReads.Load() != before {
		t.Fatalf("nudges on: next %v, read without a transaction: %v", m.Nudge.Next, db.cachedReads.Load() != before)
	}

	if err := db.DeleteMember(ctx, spaceA, "m1"); err != nil {
		t.Fatal(err)
	}
	if m, _ := read(); m != nil {
		t.Fatalf("after DeleteMember: %+v", m)
	}

	// A closed store answers no read, cached or not.
	if _, err := db.UpdateMember(ctx, spaceA, "m2", func(m *bot.Member) error { m.Name = "Cy"; return nil }); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, _, err := db.MemberInSpace(ctx, spaceA, "m2"); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	if _, _, err := db.MemberInSpace(ctx, spaceA, "m2"); err == nil {
		t.Error("a closed store served a cached member")
	}
}

// TestSpaceCache_NotCurrentUntilTheWriteCommits: a settings record read
// while a write of it is in progress (an older snapshot) is not current,
// so a read without a transaction does not take it; once the write
// commits, a read of the new bytes is.
func TestSpaceCache_NotCurrentUntilTheWriteCommits(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	if _, err := db.UpdateSpace(ctx, spaceA, func(r *bot.SpaceRecord) error { r.Moderators = []string{"U1"}; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Space(ctx, spaceA); err != nil {
		t.Fatal(err)
	}
	var rec bot.SpaceRecord
	if !db.spaces.current(spaceA.Key(), &rec) || !reflect.DeepEqual(rec.Moderators, []string{"U1"}) {
		t.Fatalf("after a read: current %v", rec.Moderators)
	}
	tx, err := db.bolt.Begin(true)
	if err != nil {
		t.Fatal(err)
	}
	sb, _ := spaceBucket(tx, spaceA, false)
	if err := db.spaces.put(sb, spaceA.Key(), []byte(`{"moderators":["U2"]}`)); err != nil {
		t.Fatal(err)
	}
	if db.spaces.current(spaceA.Key(), &rec) {
		t.Error("the cached record counts as current while a write of it is in progress")
	}
	if _, err := db.Space(ctx, spaceA); err != nil { // a snapshot from before the write
		t.Fatal(err)
	}
	if db.spaces.current(spaceA.Key(), &rec) {
		t.Error("a read from before the write made the old record current")
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if db.spaces.current(spaceA.Key(), &rec) {
		t.Error("the old record counts as current after the write committed")
	}
	if got, err := db.Space(ctx, spaceA); err != nil || !reflect.DeepEqual(got.Moderators, []string{"U2"}) {
		t.Fatalf("after the commit: %v, %v", got, err)
	}
	if !db.spaces.current(spaceA.Key(), &rec) || !reflect.DeepEqual(rec.Moderators, []string{"U2"}) {
		t.Fatalf("after a read of the committed record: current %v", rec.Moderators)
	}
}

// TestSettingsWritesGoThroughPut: reads without a transaction trust the
// space cache only because every write of a settings record notes itself
// (spaceCache.put). A write that puts the record directly would leave a
// stale record current; this finds one in the store's source.
func TestSettingsWritesGoThroughPut(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	direct := regexp.MustCompile(`\.Put\(keySettings\b`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, loc := range direct.FindAllIndex(src, -1) {
			if f != "spacecache.go" {
				line := 1 + strings.Count(string(src[:loc[0]]), "\n")
				t.Errorf("%s:%d puts the settings record directly; use spaceCache.put", f, line)
			}
		}
	}
}

// TestUpdateMemberAfter_CachesWhatItWrote: the member a write after a read
// wrote is the next read's, served from the cache without a transaction,
// with the answered count as of the write (a submission between the read
// and the write changed it).
func TestUpdateMemberAfter_CachesWhatItWrote(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	if _, err := db.UpdateMember(ctx, spaceA, "m1", func(m *bot.Member) error { m.Name = "Ann"; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Space(ctx, spaceA); err != nil { // the settings, cached
		t.Fatal(err)
	}
	read, _, err := db.MemberInSpace(ctx, spaceA, "m1")
	if err != nil {
		t.Fatal(err)
	}
	openAndSubmit(t, db, "m1")
	if _, err := db.Space(ctx, spaceA); err != nil { // the settings the challenge changed
		t.Fatal(err)
	}
	if _, err := db.UpdateMemberAfter(ctx, spaceA, "m1", read, func(m *bot.Member) error { m.Name = "Bea"; return nil }); err != nil {
		t.Fatal(err)
	}
	before := db.cachedReads.Load()
	m, _, err := db.MemberInSpace(ctx, spaceA, "m1")
	if err != nil {
		t.Fatal(err)
	}
	if db.cachedReads.Load() != before+1 {
		t.Error("the read after the write took a transaction")
	}
	if m.Name != "Bea" || m.Answered != 1 {
		t.Errorf("read after the write: %q, answered %d; want Bea, 1", m.Name, m.Answered)
	}
	// And what the writer keeps is not the cache's.
	read.Name = "changed"
	if m, _, _ := db.MemberInSpace(ctx, spaceA, "m1"); m.Name != "Bea" {
		t.Errorf("the writer's change reached the cache: %q", m.Name)
	}
}

// openAndSubmit opens a challenge in spaceA and gives it member's
// submission: their answered count goes up by one.
func openAndSubmit(t *testing.T, db *DB, member string) *bot.Opening {
	t.Helper()
	opened := mustOpenChallenge(t, db, spaceA, &bot.Challenge{Text: "one", PostedAt: t0}, bot.RefuseWhileOpen)
	if _, err := db.UpdateChallenge(context.Background(), spaceA, opened.Opened.ID, func(c *bot.Challenge) error {
		c.Submissions = map[string]*bot.Submission{member: {Text: "mine", At: t0}}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return opened
}
