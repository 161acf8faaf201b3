package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/roadmap"
)

var (
	spaceA = bot.Space{Platform: bot.PlatformDiscord, ID: "111"}
	spaceB = bot.Space{Platform: bot.PlatformSlack, ID: "T222"}
	t0     = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
)

// MustOpenDB opens a store on a new file in a temp directory and closes it when
// the test ends.
func MustOpenDB(tb testing.TB) *DB {
	tb.Helper()
	return mustOpenAt(tb, filepath.Join(tb.TempDir(), "studybot.db"))
}

func mustOpenAt(tb testing.TB, path string) *DB {
	tb.Helper()
	db, err := Open(path, Options{Clock: bot.ClockFunc(func() time.Time { return t0 })})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func mark(status roadmap.Status) func(*bot.Member) error {
	return func(m *bot.Member) error {
		if m.WriteTrack(bot.BuiltinRoadmap).Topics == nil {
			m.WriteTrack(bot.BuiltinRoadmap).Topics = map[string]*bot.Mark{}
		}
		m.WriteTrack(bot.BuiltinRoadmap).Topics["internet/dns"] = &bot.Mark{Status: status, At: t0}
		return nil
	}
}

func setNext(next time.Time) func(*bot.Member) error {
	return func(m *bot.Member) error {
		m.Nudge.On = !next.IsZero()
		m.Nudge.Next = next
		return nil
	}
}

func mustUpdate(tb testing.TB, db *DB, sp bot.Space, id string, fn func(*bot.Member) error) *bot.Member {
	tb.Helper()
	m, err := db.UpdateMember(context.Background(), sp, id, fn)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

func TestOpen_ReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sub", "studybot.db")
	db := mustOpenAt(t, path)
	mustUpdate(t, db, spaceA, "alice", mark(roadmap.Done))
	if _, err := db.UpdateSpace(ctx, spaceA, func(r *bot.SpaceRecord) error { r.Challenge.Channel = "C1"; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := db.OpenChallenge(ctx, spaceA, &bot.Challenge{Text: "build a DNS resolver", PostedAt: t0}, bot.CloseCurrent); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = mustOpenAt(t, path)
	m, err := db.Member(ctx, spaceA, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Track(bot.BuiltinRoadmap).Status("internet/dns"); got != roadmap.Done {
		t.Errorf("status after reopen = %q, want %q", got, roadmap.Done)
	}
	if !m.Created.Equal(t0) || m.Space != spaceA || m.ID != "alice" {
		t.Errorf("member after reopen = %+v", m)
	}
	rec, err := db.Space(ctx, spaceA)
	if err != nil || rec.Challenge.Channel != "C1" {
		t.Errorf("space after reopen = %+v, %v", rec, err)
	}
	c, err := db.Challenge(ctx, spaceA, 1)
	if err != nil || c.Text != "build a DNS resolver" {
		t.Errorf("challenge after reopen = %+v, %v", c, err)
	}
	if db.Path() != path {
		t.Errorf("Path() = %q, want %q", db.Path(), path)
	}
}

func TestOpen_LockedFails(t *testing.T) {
	db := MustOpenDB(t)
	start := time.Now()
	_, err := Open(db.Path(), Options{}) // default LockTimeout
	elapsed := time.Since(start)
	want := fmt.Sprintf("database %s is in use by another studybot process", db.Path())
	if err == nil || err.Error() != want {
		t.Fatalf("second Open error = %v, want %q", err, want)
	}
	if !errors.Is(err, ErrInUse) {
		t.Errorf("errors.Is(err, ErrInUse) = false")
	}
	if elapsed >= 2*time.Second {
		t.Errorf("second Open took %v, want under 2s", elapsed)
	}
}

func TestOpen_NewerSchemaRefused(t *testing.T) {
	db := MustOpenDB(t)
	path := db.Path()
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keySchema, u64(SchemaVersion+1))
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err = Open(path, Options{})
	want := fmt.Sprintf("database %s has schema version %d, but this studybot knows only up to %d; use a newer studybot", path, SchemaVersion+1, SchemaVersion)
	if err == nil || err.Error() != want {
		t.Fatalf("Open error = %v, want %q", err, want)
	}
}

func TestOpen_MigrationsMatchVersion(t *testing.T) {
	if len(migrations) != SchemaVersion {
		t.Fatalf("len(migrations) = %d, SchemaVersion = %d", len(migrations), SchemaVersion)
	}
	for i, m := range migrations {
		if m.version != i+1 {
			t.Errorf("migrations[%d].version = %d, want %d", i, m.version, i+1)
		}
	}
	db := MustOpenDB(t)
	var v uint64
	db.bolt.View(func(tx *bolt.Tx) error { v = schemaVersion(tx); return nil })
	if v != SchemaVersion {
		t.Errorf("stored version = %d, want %d", v, SchemaVersion)
	}
}

func TestOpen_ReadOnly(t *testing.T) {
	db := MustOpenDB(t)
	path := db.Path()
	mustUpdate(t, db, spaceA, "alice", mark(roadmap.Done))
	db.Close()
	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if _, err := ro.Member(context.Background(), spaceA, "alice"); err != nil {
		t.Error(err)
	}
	if _, err := ro.UpdateMember(context.Background(), spaceA, "alice", mark(roadmap.Skipped)); err == nil {
		t.Error("UpdateMember on a read-only db succeeded")
	}
}

func TestSpaces_Isolated(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	mustUpdate(t, db, spaceA, "sam", mark(roadmap.Done))
	mustUpdate(t, db, spaceB, "sam", mark(roadmap.Learning))
	mustUpdate(t, db, spaceB, "zoe", mark(roadmap.Learning))

	a, err := db.Member(ctx, spaceA, "sam")
	if err != nil {
		t.Fatal(err)
	}
	b, err := db.Member(ctx, spaceB, "sam")
	if err != nil {
		t.Fatal(err)
	}
	if a.Track(bot.BuiltinRoadmap).Status("internet/dns") != roadmap.Done || b.Track(bot.BuiltinRoadmap).Status("internet/dns") != roadmap.Learning {
		t.Errorf("same id in two spaces: A=%q B=%q", a.Track(bot.BuiltinRoadmap).Status("internet/dns"), b.Track(bot.BuiltinRoadmap).Status("internet/dns"))
	}
	if _, err := db.Member(ctx, spaceA, "zoe"); bot.ErrorCode(err) != bot.NotFound {
		t.Errorf("zoe in A: err = %v, want not_found", err)
	}
	var ids []string
	db.Members(ctx, spaceA, func(m *bot.Member) error { ids = append(ids, m.ID); return nil })
	if fmt.Sprint(ids) != "[sam]" {
		t.Errorf("members of A = %v, want [sam]", ids)
	}

	// Challenges number per space, and deleting in one space leaves the other.
	ca := mustOpenChallenge(t, db, spaceA, &bot.Challenge{Text: "a", PostedAt: t0}, bot.CloseCurrent).Opened
	cb := mustOpenChallenge(t, db, spaceB, &bot.Challenge{Text: "b", PostedAt: t0}, bot.RefuseWhileOpen).Opened
	if ca.ID != 1 || cb.ID != 1 {
		t.Errorf("first challenge ids = %d, %d, want 1, 1", ca.ID, cb.ID)
	}
	if err := db.DeleteMember(ctx, spaceA, "sam"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Member(ctx, spaceB, "sam"); err != nil {
		t.Errorf("sam in B after deleting sam in A: %v", err)
	}
}

func TestUpdateMember_FnErrorChangesNothing(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	mustUpdate(t, db, spaceA, "alice", mark(roadmap.Learning))
	errBoom := bot.Errorf(bot.Conflict, "boom")
	_, err := db.UpdateMember(ctx, spaceA, "alice", func(m *bot.Member) error {
		m.WriteTrack(bot.BuiltinRoadmap).Topics["internet/dns"].Status = roadmap.Done
		m.Nudge.Next = t0
		return errBoom
	})
	if err != errBoom {
		t.Fatalf("err = %v, want the fn's error unchanged", err)
	}
	m, _ := db.Member(ctx, spaceA, "alice")
	if got := m.Track(bot.BuiltinRoadmap).Status("internet/dns"); got != roadmap.Learning {
		t.Errorf("status = %q, want %q", got, roadmap.Learning)
	}
	if next, _ := db.NextDue(ctx); !next.IsZero() {
		t.Errorf("NextDue = %v, want zero", next)
	}

	// An absent member stays absent.
	plain := errors.New("plain")
	if _, err := db.UpdateMember(ctx, spaceA, "bob", func(*bot.Member) error { return plain }); err != plain {
		t.Errorf("err = %v, want plain", err)
	}
	if _, err := db.Member(ctx, spaceA, "bob"); bot.ErrorCode(err) != bot.NotFound {
		t.Errorf("bob after failed create: %v, want not_found", err)
	}
}

func TestUpdateMember_KeepsIdentity(t *testing.T) {
	db := MustOpenDB(t)
	m := mustUpdate(t, db, spaceA, "alice", func(m *bot.Member) error {
		m.ID, m.Space = "mallory", spaceB
		return nil
	})
	if m.ID != "alice" || m.Space != spaceA {
		t.Errorf("got %s/%s, want %s/alice", m.Space, m.ID, spaceA)
	}
	if _, err := db.Member(context.Background(), spaceB, "mallory"); bot.ErrorCode(err) != bot.NotFound {
		t.Errorf("fn moved the record: %v", err)
	}
}

func TestValidation(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	long := string(bytes.Repeat([]byte("x"), MaxIDLen+1))
	nop := func(*bot.Member) error { return nil }
	tests := []struct {
		name string
		call func() error
		want bot.Code
	}{
		{"ZeroSpaceInvalid", func() error { _, err := db.Member(ctx, bot.Space{}, "a"); return err }, bot.Invalid},
		{"EmptyMemberInvalid", func() error { _, err := db.UpdateMember(ctx, spaceA, "", nop); return err }, bot.Invalid},
		{"LongMemberInvalid", func() error { _, err := db.UpdateMember(ctx, spaceA, long, nop); return err }, bot.Invalid},
		{"LongSpaceInvalid", func() error { _, err := db.Space(ctx, bot.Space{Platform: "x", ID: long}); return err }, bot.Invalid},
		{"NulInMemberInvalid", func() error { return db.DeleteMember(ctx, spaceA, "a\x00b") }, bot.Invalid},
		{"ColonInPlatformInvalid", func() error { return db.Members(ctx, bot.Space{Platform: "a:b", ID: "c"}, nil) }, bot.Invalid},
		{"HugeRecordInvalid", func() error {
			_, err := db.UpdateMember(ctx, spaceA, "big", func(m *bot.Member) error {
				m.Name = string(bytes.Repeat([]byte("n"), MaxRecordLen))
				return nil
			})
			return err
		}, bot.Invalid},
		{"MissingMemberNotFound", func() error { _, err := db.Member(ctx, spaceA, "nobody"); return err }, bot.NotFound},
		{"MissingChallengeNotFound", func() error { _, err := db.Challenge(ctx, spaceA, 7); return err }, bot.NotFound},
		{"UpdateMissingChallengeNotFound", func() error {
			_, err := db.UpdateChallenge(ctx, spaceA, 7, func(*bot.Challenge) error { return nil })
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
	if _, err := db.Member(ctx, spaceA, "big"); bot.ErrorCode(err) != bot.NotFound {
		t.Errorf("oversized record was stored: %v", err)
	}
}

func TestDeleteMember_LeavesNoTrace(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	const gone = "U0GONE42"
	mustUpdate(t, db, spaceA, gone, func(m *bot.Member) error {
		m.Name = "Gone"
		m.Nudge = bot.Nudge{On: true, Hour: 9, Next: t0.Add(time.Hour)}
		return mark(roadmap.Done)(m)
	})
	mustUpdate(t, db, spaceA, "stay", setNext(t0.Add(50*time.Hour)))
	// Claims move gone's entry where the member record does not look (+25h);
	// a change then starts a new generation at +20h and leaves the moved entry
	// stale; a claim moves the new one on to +44h.
	for _, at := range []time.Time{t0.Add(time.Hour), t0.Add(20 * time.Hour)} {
		if at.After(t0.Add(time.Hour)) {
			mustUpdate(t, db, spaceA, gone, func(m *bot.Member) error { m.Nudge.Next = at; return nil })
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
	if _, err := db.UpdateSpace(ctx, spaceA, func(r *bot.SpaceRecord) error {
		r.Challenge = bot.ChallengeSchedule{Channel: "C1", Spec: "CRON_TZ=UTC 0 9 * * MON", SetBy: gone}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		c := mustOpenChallenge(t, db, spaceA, &bot.Challenge{Text: fmt.Sprint("task ", i), PostedBy: gone, PostedAt: t0}, bot.CloseCurrent).Opened
		_, err := db.UpdateChallenge(ctx, spaceA, c.ID, func(c *bot.Challenge) error {
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
	if _, err := db.UpdateSpace(ctx, spaceA, func(r *bot.SpaceRecord) error {
		r.Moderators = []string{"stay", gone}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	rf := &bot.RoadmapFile{ID: "go", Title: "Go", TOML: "id = \"go\"", AddedBy: gone, AddedAt: t0}
	if err := db.PutRoadmapFile(ctx, spaceA, rf, 20); err != nil {
		t.Fatal(err)
	}
	if err := db.SetPendingRoadmap(ctx, spaceA, gone, rf); err != nil {
		t.Fatal(err)
	}

	if err := db.DeleteMember(ctx, spaceA, gone); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteMember(ctx, spaceA, gone); err != nil {
		t.Errorf("deleting an absent member: %v", err)
	}
	if f, err := db.RoadmapFile(ctx, spaceA, "go"); err != nil || f.TOML != rf.TOML {
		t.Errorf("the roadmap the member added: %+v, %v; want it kept", f, err)
	}
	if rec, _ := db.Space(ctx, spaceA); len(rec.Moderators) != 1 || len(rec.Roadmaps) != 1 {
		t.Errorf("space after delete: moderators %v, roadmaps %v; want stay and go", rec.Moderators, rec.Roadmaps)
	}
	if _, err := db.Member(ctx, spaceA, gone); bot.ErrorCode(err) != bot.NotFound {
		t.Errorf("Member after delete: %v, want not_found", err)
	}
	cs, _ := db.Challenges(ctx, spaceA, 0)
	for _, c := range cs {
		if c.Submissions["stay"] == nil {
			t.Errorf("challenge %d lost another member's submission", c.ID)
		}
	}
	// gone's slot is found empty when it comes due, and dropped.
	if got, _ := db.ClaimDue(ctx, t0.Add(44*time.Hour), 10, tomorrow(map[string]int{})); len(got) != 0 {
		t.Errorf("claimed %v at gone's slot", dueIDs(got))
	}
	if next, _ := db.NextDue(ctx); !next.Equal(t0.Add(50 * time.Hour)) {
		t.Errorf("NextDue = %v, want the remaining member's", next)
	}

	// Scan every key and value of every bucket of the raw file.
	path := db.Path()
	db.Close()
	raw, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var walk func(where string, b *bolt.Bucket) error
	walk = func(where string, b *bolt.Bucket) error {
		return b.ForEach(func(k, v []byte) error {
			if bytes.Contains(k, []byte(gone)) || bytes.Contains(v, []byte(gone)) {
				t.Errorf("%s/%q still holds the member id: %q", where, k, v)
			}
			if v == nil {
				return walk(where+"/"+string(k), b.Bucket(k))
			}
			return nil
		})
	}
	err = raw.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error { return walk(string(name), b) })
	})
	if err != nil {
		t.Fatal(err)
	}
}

// nudgeAt sets a member's nudge to hh:mm in zone, next due at next.
func nudgeAt(hh, mm int, zone string, next time.Time) func(*bot.Member) error {
	return func(m *bot.Member) error {
		m.Nudge = bot.Nudge{On: true, Hour: hh, Minute: mm, Zone: zone, Next: next, LastDate: m.Nudge.LastDate}
		return nil
	}
}

// tomorrow is a claim's fn that moves each member a day on.
func tomorrow(calls map[string]int) func(d *bot.Due) error {
	return func(d *bot.Due) error {
		calls[d.Member]++
		d.Nudge.Next = d.Nudge.Next.Add(24 * time.Hour)
		return nil
	}
}

func TestClaimDue(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	spaceC := bot.Space{Platform: bot.PlatformSlack, ID: "T:1"} // a colon in the id
	// Due in order: slot 08:00 (a, b, and c of another space), then 09:00 (d),
	// then 09:01 (e); f has no nudge.
	mustUpdate(t, db, spaceA, "b", nudgeAt(8, 0, "UTC", t0.Add(-time.Hour)))
	mustUpdate(t, db, spaceA, "a", nudgeAt(8, 0, "UTC", t0.Add(-time.Hour)))
	mustUpdate(t, db, spaceC, "c", func(m *bot.Member) error {
		m.Nudge.LastDate = "2026-01-04"
		m.DMClosed = true
		return nudgeAt(8, 0, "UTC", t0.Add(-time.Hour))(m)
	})
	mustUpdate(t, db, spaceB, "d", nudgeAt(9, 0, "UTC", t0))
	mustUpdate(t, db, spaceA, "e", nudgeAt(9, 1, "UTC", t0.Add(time.Minute)))
	mustUpdate(t, db, spaceA, "f", mark(roadmap.Done))
	// Moving a nudge moves it: g was due, now is not. Turning it off removes it.
	mustUpdate(t, db, spaceA, "g", nudgeAt(6, 0, "UTC", t0.Add(-3*time.Hour)))
	mustUpdate(t, db, spaceA, "g", nudgeAt(9, 0, "Asia/Tokyo", t0.Add(15*time.Hour)))
	mustUpdate(t, db, spaceA, "h", nudgeAt(5, 0, "UTC", t0.Add(-4*time.Hour)))
	mustUpdate(t, db, spaceA, "h", setNext(time.Time{}))

	// h's and g's old slots keep their entries until found empty.
	next, err := db.NextDue(ctx)
	if err != nil || !next.Equal(t0.Add(-4*time.Hour)) {
		t.Fatalf("NextDue = %v, %v; want h's old slot %v", next, err, t0.Add(-4*time.Hour))
	}
	calls := map[string]int{}
	// A limit smaller than a slot pauses the walk inside it.
	got, err := db.ClaimDue(ctx, t0, 2, tomorrow(calls))
	if err != nil {
		t.Fatal(err)
	}
	if ids := dueIDs(got); ids != "[a b]" {
		t.Errorf("first claim = %v, want [a b] (the slot's members in key order, limit 2)", ids)
	}
	if d := got[0]; d.Space != spaceA || d.Nudge.Hour != 8 || d.Nudge.Zone != "UTC" || !d.Nudge.On || !d.Nudge.Next.Equal(t0.Add(23*time.Hour)) {
		t.Errorf("claimed a = %+v", d)
	}
	got, err = db.ClaimDue(ctx, t0, 10, tomorrow(calls))
	if err != nil {
		t.Fatal(err)
	}
	if ids := dueIDs(got); ids != "[c d]" {
		t.Errorf("second claim = %v, want [c d]", ids)
	}
	if c := got[0]; c.Space != spaceC || !c.DMClosed || c.Nudge.LastDate != "2026-01-04" {
		t.Errorf("claimed c = %+v, want its space, DMClosed and last date", c)
	}
	if got, _ = db.ClaimDue(ctx, t0, 10, tomorrow(calls)); len(got) != 0 {
		t.Errorf("third claim = %v, want none", dueIDs(got))
	}
	for id, n := range calls {
		if n != 1 {
			t.Errorf("fn called %d times for %s, want 1", n, id)
		}
	}
	// A claim never rewrites the member record, but reading the member
	// tells where the claim moved their slot.
	if m, _ := db.Member(ctx, spaceA, "a"); !m.Nudge.Next.Equal(t0.Add(23 * time.Hour)) {
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
	if ids := dueIDs(got); ids != "[e]" {
		t.Errorf("claim at +1m = %v, want [e]", ids)
	}
	if next, _ := db.NextDue(ctx); !next.Equal(t0.Add(15 * time.Hour)) {
		t.Errorf("NextDue = %v, want g's %v (e's slot is gone)", next, t0.Add(15*time.Hour))
	}
	// The slot moved where fn put its members, all together.
	clear(calls)
	got, _ = db.ClaimDue(ctx, t0.Add(23*time.Hour), 10, tomorrow(calls))
	if ids := dueIDs(got); ids != "[g a b c]" {
		t.Fatalf("claim at +23h = %v, want [g a b c]", ids)
	}
	// fn may not leave a member due (they would be claimed forever).
	mustUpdate(t, db, spaceA, "i", nudgeAt(7, 0, "UTC", t0))
	if _, err := db.ClaimDue(ctx, t0.Add(time.Hour), 10, func(*bot.Due) error { return nil }); err == nil {
		t.Error("ClaimDue accepted an fn that left the nudge due")
	}
}

// TestClaimDue_ScheduleChanges follows members through claims and changes of
// their settings: a member joins the schedule their slot already has, the last
// one out takes the slot's schedule with them, and a walk paused at a member
// who leaves goes on after the one before them.
func TestClaimDue_ScheduleChanges(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	calls := map[string]int{}
	claim := func(now time.Time, limit int) string {
		t.Helper()
		got, err := db.ClaimDue(ctx, now, limit, tomorrow(calls))
		if err != nil {
			t.Fatal(err)
		}
		return dueIDs(got)
	}
	mustUpdate(t, db, spaceA, "a", nudgeAt(8, 0, "UTC", t0.Add(-time.Hour)))
	if ids := claim(t0, 10); ids != "[a]" {
		t.Fatalf("first claim = %v", ids)
	}
	// The slot is now at +23h. b joins it with their own Next (+23h too, as
	// the engine computes it); the slot keeps its schedule.
	mustUpdate(t, db, spaceA, "b", nudgeAt(8, 0, "UTC", t0.Add(23*time.Hour)))
	// a moves to 11:00 (+2h): their old slot stays for b, theirs is new.
	mustUpdate(t, db, spaceA, "a", nudgeAt(11, 0, "UTC", t0.Add(2*time.Hour)))
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
	mustUpdate(t, db, spaceA, "a", func(m *bot.Member) error { m.DMClosed = true; return nil })
	got, _ := db.ClaimDue(ctx, t0.Add(26*time.Hour), 10, tomorrow(calls))
	if dueIDs(got) != "[a]" || !got[0].DMClosed {
		t.Errorf("claim after DMClosed = %+v", got)
	}
	// A walk paused at c, who then leaves, resumes at d; nobody twice.
	for _, id := range []string{"c", "d"} {
		mustUpdate(t, db, spaceA, id, nudgeAt(8, 0, "UTC", t0.Add(47*time.Hour)))
	}
	clear(calls)
	if ids := claim(t0.Add(47*time.Hour), 2); ids != "[b c]" {
		t.Fatalf("paused claim = %v, want [b c]", ids)
	}
	mustUpdate(t, db, spaceA, "c", setNext(time.Time{}))
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
		mustUpdate(t, db, spaceA, id, setNext(time.Time{}))
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
	db.bolt.View(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketNudges, bucketSlots, bucketDue} {
			if n := tx.Bucket(b).Stats().KeyN; n != 0 {
				t.Errorf("%s holds %d keys after all nudges off", b, n)
			}
		}
		return nil
	})
}

func TestClaimDue_SubSecond(t *testing.T) {
	db := MustOpenDB(t)
	mustUpdate(t, db, spaceA, "a", nudgeAt(9, 0, "UTC", t0.Add(500*time.Millisecond)))
	if next, _ := db.NextDue(context.Background()); !next.Equal(t0.Add(500 * time.Millisecond)) {
		t.Errorf("NextDue = %v, want the exact instant", next)
	}
	got, _ := db.ClaimDue(context.Background(), t0, 10, func(d *bot.Due) error { d.Nudge.Next = time.Time{}; return nil })
	if len(got) != 0 {
		t.Errorf("claimed %v before its instant", dueIDs(got))
	}
	got, _ = db.ClaimDue(context.Background(), t0.Add(time.Second), 10, func(d *bot.Due) error { d.Nudge.Next = time.Time{}; return nil })
	if len(got) != 1 {
		t.Errorf("claimed %v after its instant, want [a]", dueIDs(got))
	}
}

func TestClaimDue_RepairsStaleEntries(t *testing.T) {
	db := MustOpenDB(t)
	mustUpdate(t, db, spaceA, "a", nudgeAt(10, 0, "UTC", t0.Add(time.Hour)))

	err := db.bolt.Update(func(tx *bolt.Tx) error {
		due := tx.Bucket(bucketDue)
		due.Put(dueKey(t0.Add(-time.Hour), appendSlot(nil, slot{Hour: 8, Zone: "UTC"})), dueVal(t0)) // no slot record
		slotB := appendSlot(nil, slot{Hour: 11, Zone: "UTC"})
		tx.Bucket(bucketSlots).Put(slotB, slotState{At: t0.Add(time.Hour)}.encode())
		due.Put(dueKey(t0.Add(-time.Minute), slotB), nil) // not the paused walk's instant
		tx.Bucket(bucketSlots).Put([]byte{1}, slotState{At: t0.Add(-time.Second)}.encode())
		due.Put(dueKey(t0.Add(-time.Second), []byte{1}), nil) // malformed slot
		return due.Put([]byte{1, 2}, nil)                     // malformed key
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := db.ClaimDue(context.Background(), t0, 10, func(*bot.Due) error {
		t.Error("fn called for a stale entry")
		return nil
	})
	if err != nil || len(got) != 0 {
		t.Fatalf("ClaimDue = %v, %v", dueIDs(got), err)
	}
	if next, _ := db.NextDue(context.Background()); !next.Equal(t0.Add(time.Hour)) {
		t.Errorf("NextDue = %v, want %v", next, t0.Add(time.Hour))
	}
	if got, _ := db.ClaimDue(context.Background(), t0.Add(time.Hour), 10, tomorrow(map[string]int{})); dueIDs(got) != "[a]" {
		t.Errorf("the live slot after repairs = %v, want [a]", dueIDs(got))
	}
}

func dueIDs(ds []*bot.Due) string {
	ids := make([]string, len(ds))
	for i, d := range ds {
		ids[i] = d.Member
	}
	return fmt.Sprint(ids)
}

func TestUpdateMember_ConcurrentLosesNothing(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	const writers, each = 64, 2
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				_, err := db.UpdateMember(ctx, spaceA, "crowd", func(m *bot.Member) error {
					if m.WriteTrack(bot.BuiltinRoadmap).Topics == nil {
						m.WriteTrack(bot.BuiltinRoadmap).Topics = map[string]*bot.Mark{}
					}
					m.WriteTrack(bot.BuiltinRoadmap).Topics[fmt.Sprintf("t%d-%d", w, i)] = &bot.Mark{Status: roadmap.Done}
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
	m, err := db.Member(ctx, spaceA, "crowd")
	if err != nil {
		t.Fatal(err)
	}
	if len(m.WriteTrack(bot.BuiltinRoadmap).Topics) != writers*each || m.Streak.Days != writers*each {
		t.Errorf("topics %d, days %d; want %d each", len(m.WriteTrack(bot.BuiltinRoadmap).Topics), m.Streak.Days, writers*each)
	}
}

func TestMembers_PagesAndAllowsWrites(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	const n = membersPage*2 + 3
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		b, _ := child(tx, spaceA, bucketMembers, true)
		for i := range n {
			m := &bot.Member{Space: spaceA, ID: fmt.Sprintf("m%04d", i)}
			if err := putNew(tx, b, m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var prev string
	count := 0
	err = db.Members(ctx, spaceA, func(m *bot.Member) error {
		if m.ID <= prev {
			t.Errorf("%s after %s: not in id order", m.ID, prev)
		}
		prev = m.ID
		count++
		if count%100 != 1 {
			return nil
		}
		// Writing from fn must not deadlock: fn runs outside the read transaction.
		_, err := db.UpdateMember(ctx, spaceA, m.ID, func(m *bot.Member) error { m.Streak.Days = 1; return nil })
		return err
	})
	if err != nil || count != n {
		t.Fatalf("Members visited %d, err %v; want %d", count, err, n)
	}
	errStop := errors.New("stop")
	count = 0
	if err := db.Members(ctx, spaceA, func(*bot.Member) error { count++; return errStop }); err != errStop || count != 1 {
		t.Errorf("stop: err %v after %d calls", err, count)
	}
}

func TestSpacesAndChallenges(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	rec, err := db.Space(ctx, spaceA)
	if err != nil || rec.Space != spaceA || rec.Challenge.Channel != "" {
		t.Fatalf("empty space = %+v, %v", rec, err)
	}
	mustUpdate(t, db, spaceB, "x", mark(roadmap.Done)) // members only: no settings
	for _, sp := range []bot.Space{spaceA, {Platform: bot.PlatformConsole, ID: "local"}} {
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
		mustOpenChallenge(t, db, spaceA, in, bot.CloseCurrent)
		if in.ID != 0 {
			t.Error("OpenChallenge changed its argument")
		}
	}
	cs, err := db.Challenges(ctx, spaceA, 2)
	if err != nil || len(cs) != 2 || cs[0].ID != 3 || cs[1].ID != 2 || cs[0].Text != "three" {
		t.Fatalf("Challenges(2) = %+v, %v", cs, err)
	}
	c, err := db.UpdateChallenge(ctx, spaceA, 2, func(c *bot.Challenge) error {
		c.ID = 99 // ignored: the key decides
		c.ClosedAt = t0
		return nil
	})
	if err != nil || c.ID != 2 {
		t.Fatalf("UpdateChallenge = %+v, %v", c, err)
	}
	c, _ = db.Challenge(ctx, spaceA, 2)
	if !c.ClosedAt.Equal(t0) {
		t.Errorf("ClosedAt = %v, want %v", c.ClosedAt, t0)
	}
	errNo := bot.Errorf(bot.Conflict, "closed")
	if _, err := db.UpdateChallenge(ctx, spaceA, 1, func(*bot.Challenge) error { return errNo }); err != errNo {
		t.Errorf("err = %v, want fn's", err)
	}
}

func TestBackup(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	mustUpdate(t, db, spaceA, "alice", mark(roadmap.Done))
	mustUpdate(t, db, spaceA, "bob", setNext(t0))

	if err := db.BackupFile(db.Path()); err == nil {
		t.Error("BackupFile over the live database succeeded")
	}
	out := filepath.Join(t.TempDir(), "backup.db")
	os.WriteFile(out, []byte("old"), 0o600) // replaced atomically
	if err := db.BackupFile(out); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	n, err := db.Backup(&buf)
	if err != nil || n != int64(buf.Len()) || n == 0 {
		t.Errorf("Backup = %d, %v; buffer has %d", n, err, buf.Len())
	}

	bk := mustOpenAt(t, out)
	m, err := bk.Member(ctx, spaceA, "alice")
	if err != nil || m.Track(bot.BuiltinRoadmap).Status("internet/dns") != roadmap.Done {
		t.Errorf("alice in backup = %+v, %v", m, err)
	}
	if next, _ := bk.NextDue(ctx); !next.Equal(t0) {
		t.Errorf("NextDue in backup = %v, want %v", next, t0)
	}
	entries, _ := os.ReadDir(filepath.Dir(out))
	if len(entries) != 1 {
		t.Errorf("backup dir has %d entries, want only the backup", len(entries))
	}
}

func TestDueKey_Sorts(t *testing.T) {
	a := dueKey(t0, []byte("z"))
	b := dueKey(t0.Add(time.Second), []byte("a"))
	if bytes.Compare(a, b) >= 0 {
		t.Error("due keys do not sort by time first")
	}
	if got := binary.BigEndian.Uint64(dueKey(time.Time{}, []byte("a"))[:8]); got != 0 {
		t.Errorf("zero-ish time key = %d, want 0", got)
	}
}

func TestContextCanceled(t *testing.T) {
	db := MustOpenDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := db.UpdateMember(ctx, spaceA, "a", mark(roadmap.Done)); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

// putNew stores a new member as UpdateMember would, inside tx, so that tests
// and benchmarks can fill a file with many members per commit.
func putNew(tx *bolt.Tx, b *bolt.Bucket, m *bot.Member) error {
	buf, err := encodeMember(m)
	if err != nil {
		return err
	}
	if err := putSchedule(tx, bot.Nudge{}, false, m); err != nil {
		return err
	}
	return b.Put([]byte(m.ID), buf)
}

// TestOpen_MigratesV1 builds a file as schema version 1 left it (members with
// their nudge only in the record, due entries with empty values) and opens it:
// the migrations build the schedule from the records.
func TestOpen_MigratesV1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v1.db")
	raw, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	members := []*bot.Member{
		{Space: spaceA, ID: "on", Nudge: bot.Nudge{On: true, Hour: 8, Minute: 30, Zone: "Europe/Berlin", Next: t0.Add(-time.Hour), LastDate: "2026-01-04"}},
		{Space: spaceA, ID: "closed", DMClosed: true, Nudge: bot.Nudge{On: true, Hour: 9, Zone: "UTC", Next: t0.Add(time.Hour)}},
		{Space: spaceB, ID: "off", Nudge: bot.Nudge{Hour: 7, Zone: "UTC"}},
		{Space: spaceB, ID: "none"},
	}
	err = raw.Update(func(tx *bolt.Tx) error {
		meta, _ := tx.CreateBucket(bucketMeta)
		spaces, _ := tx.CreateBucket(bucketSpaces)
		due, _ := tx.CreateBucket(bucketDue)
		if err := meta.Put(keySchema, u64(1)); err != nil {
			return err
		}
		for _, m := range members {
			sb, _ := spaces.CreateBucketIfNotExists([]byte(m.Space.Key()))
			mb, _ := sb.CreateBucketIfNotExists(bucketMembers)
			// Schema 1 kept the nudge's next instant in the record.
			buf, _ := json.Marshal(struct {
				*bot.Member
				Nudge any `json:"nudge"`
			}{m, struct {
				bot.Nudge
				Next time.Time `json:"next"`
			}{m.Nudge, m.Nudge.Next}})
			if err := mb.Put([]byte(m.ID), buf); err != nil {
				return err
			}
			if !m.Nudge.Next.IsZero() {
				if err := due.Put(dueKey(m.Nudge.Next, memberKey(m.Space, m.ID)), nil); err != nil {
					return err
				}
			}
		}
		return nil
	})
	raw.Close()
	if err != nil {
		t.Fatal(err)
	}

	db := mustOpenAt(t, path)
	var v uint64
	var nudges int
	db.bolt.View(func(tx *bolt.Tx) error {
		v = schemaVersion(tx)
		nudges = tx.Bucket(bucketNudges).Stats().KeyN
		return nil
	})
	if v != SchemaVersion || nudges != 2 {
		t.Errorf("after migration: version %d, %d nudges records; want %d, 2 (none for a member whose nudge is off)", v, nudges, SchemaVersion)
	}
	got, err := db.ClaimDue(ctx, t0.Add(2*time.Hour), 10, func(d *bot.Due) error {
		d.Nudge.Next = d.Nudge.Next.Add(24 * time.Hour)
		return nil
	})
	if err != nil || dueIDs(got) != "[on closed]" {
		t.Fatalf("ClaimDue after migration = %v, %v; want [on closed]", dueIDs(got), err)
	}
	want := members[0].Nudge
	want.Next = want.Next.Add(24 * time.Hour)
	if d := got[0]; d.Nudge != want || d.DMClosed || d.Space != spaceA {
		t.Errorf("on = %+v, want nudge %+v", d, want)
	}
	if !got[1].DMClosed {
		t.Errorf("closed = %+v, want DMClosed", got[1])
	}
	// The migrated member changes their nudge like anyone else.
	mustUpdate(t, db, spaceA, "on", nudgeAt(12, 0, "UTC", t0.Add(3*time.Hour)))
	if next, _ := db.NextDue(ctx); !next.Equal(t0.Add(3 * time.Hour)) {
		t.Errorf("NextDue = %v, want %v", next, t0.Add(3*time.Hour))
	}
}

// TestOpen_MigratesV2 builds a file as schema version 2 left it (a due entry
// per member, moved by claims past the member record, with generations telling
// live entries from stale ones) and opens it: the live entry's instant and last
// nudge date survive, the stale one does not.
func TestOpen_MigratesV2(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v2.db")
	raw, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	on := &bot.Member{Space: spaceA, ID: "on", Nudge: bot.Nudge{On: true, Hour: 8, Zone: "UTC", Next: t0.Add(-time.Hour)}}
	sl := appendSlot(nil, slotOf(on.Nudge))
	tail := memberKey(spaceA, "on")
	v2due := func(gen uint64, last string) []byte {
		v := binary.BigEndian.AppendUint64(nil, gen)
		v = binary.BigEndian.AppendUint32(v, 0)
		return append(append(v, sl...), last...)
	}
	err = raw.Update(func(tx *bolt.Tx) error {
		meta, _ := tx.CreateBucket(bucketMeta)
		spaces, _ := tx.CreateBucket(bucketSpaces)
		due, _ := tx.CreateBucket(bucketDue)
		nudges, _ := tx.CreateBucket(bucketNudges)
		sb, _ := spaces.CreateBucket([]byte(spaceA.Key()))
		mb, _ := sb.CreateBucket(bucketMembers)
		buf, _ := json.Marshal(on)
		return errors.Join(
			meta.Put(keySchema, u64(2)),
			mb.Put([]byte("on"), buf),
			nudges.Put(append(bytes.Clone(sl), tail...), append([]byte{1}, u64(2)...)),
			due.Put(dueKey(t0.Add(-time.Hour), tail), v2due(1, "")),             // stale: generation 1
			due.Put(dueKey(t0.Add(23*time.Hour), tail), v2due(2, "2026-01-05")), // live, moved by a claim
		)
	})
	raw.Close()
	if err != nil {
		t.Fatal(err)
	}
	db := mustOpenAt(t, path)
	if next, _ := db.NextDue(ctx); !next.Equal(t0.Add(23 * time.Hour)) {
		t.Errorf("NextDue = %v, want the live entry's %v", next, t0.Add(23*time.Hour))
	}
	got, err := db.ClaimDue(ctx, t0.Add(23*time.Hour), 10, tomorrow(map[string]int{}))
	if err != nil || dueIDs(got) != "[on]" || got[0].Nudge.LastDate != "2026-01-05" {
		t.Fatalf("ClaimDue after migration = %v, %v", got, err)
	}
}

// TestClaimDue_RewalksAfterDowntime: a walk paused, then resumed after its
// Next has passed, finds nobody past the pause point; the members before it
// (one who joined meanwhile) are walked again at once instead of losing the
// slot's schedule.
func TestClaimDue_RewalksAfterDowntime(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	for _, id := range []string{"b", "c"} {
		mustUpdate(t, db, spaceA, id, nudgeAt(8, 0, "UTC", t0.Add(-time.Hour)))
	}
	calls := map[string]int{}
	if got, _ := db.ClaimDue(ctx, t0, 1, tomorrow(calls)); dueIDs(got) != "[b]" {
		t.Fatalf("paused walk = %v", dueIDs(got))
	}
	mustUpdate(t, db, spaceA, "c", setNext(time.Time{}))
	mustUpdate(t, db, spaceA, "a", nudgeAt(8, 0, "UTC", t0.Add(23*time.Hour)))
	later := t0.Add(48*time.Hour + 5*time.Minute)
	dayAfter := func(d *bot.Due) error { d.Nudge.Next = later.Add(24 * time.Hour); return nil }
	if got, err := db.ClaimDue(ctx, later, 10, dayAfter); err != nil || len(got) != 0 {
		t.Fatalf("resumed walk = %v, %v; want nobody past b", dueIDs(got), err)
	}
	// Again from where the first batch went, so that the scheduler's grace
	// window sees how late it is.
	if next, _ := db.NextDue(ctx); !next.Equal(t0.Add(23 * time.Hour)) {
		t.Errorf("NextDue = %v, want the slot again at %v", next, t0.Add(23*time.Hour))
	}
	got, _ := db.ClaimDue(ctx, later, 10, dayAfter)
	if dueIDs(got) != "[a b]" || !got[0].Nudge.Next.Equal(later.Add(24*time.Hour)) {
		t.Errorf("walk again = %v, want [a b]", dueIDs(got))
	}
}

// TestClaimDue_JoinReplacesLeftSchedule: a member who skipped a day left
// their slot's entry on the later day; someone joining the empty slot gets
// their own Next, and the slot fires once a day after that.
func TestClaimDue_JoinReplacesLeftSchedule(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	mustUpdate(t, db, spaceA, "a", nudgeAt(8, 0, "UTC", t0.Add(47*time.Hour)))
	mustUpdate(t, db, spaceA, "a", setNext(time.Time{}))
	mustUpdate(t, db, spaceA, "b", nudgeAt(8, 0, "UTC", t0.Add(23*time.Hour)))
	if next, _ := db.NextDue(ctx); !next.Equal(t0.Add(23 * time.Hour)) {
		t.Errorf("NextDue = %v, want b's %v", next, t0.Add(23*time.Hour))
	}
	calls := map[string]int{}
	for _, at := range []time.Duration{23, 47, 71} {
		if got, _ := db.ClaimDue(ctx, t0.Add(at*time.Hour), 10, tomorrow(calls)); dueIDs(got) != "[b]" {
			t.Errorf("claim at +%dh = %v, want [b]", at, dueIDs(got))
		}
	}
	if calls["b"] != 3 {
		t.Errorf("b claimed %d times in 3 days", calls["b"])
	}
}

// A claim that turns a member's nudge off removes their nudges record while
// the member record still says on; their next change of Next puts it back.
func TestClaimDue_OffByClaimThenChanged(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	mustUpdate(t, db, spaceA, "a", nudgeAt(8, 0, "UTC", t0.Add(-time.Hour)))
	if got, _ := db.ClaimDue(ctx, t0, 10, func(d *bot.Due) error { d.Nudge.Next = time.Time{}; return nil }); dueIDs(got) != "[a]" {
		t.Fatalf("claim = %v", dueIDs(got))
	}
	if next, _ := db.NextDue(ctx); !next.IsZero() {
		t.Fatalf("NextDue = %v after the claim turned a off", next)
	}
	mustUpdate(t, db, spaceA, "a", nudgeAt(8, 0, "UTC", t0.Add(23*time.Hour)))
	if got, _ := db.ClaimDue(ctx, t0.Add(23*time.Hour), 10, tomorrow(map[string]int{})); dueIDs(got) != "[a]" {
		t.Errorf("claim after the change = %v, want [a]", dueIDs(got))
	}
}

// TestCompactFile: a compacted copy keeps the live data and none of a deleted
// member's bytes, which a plain copy keeps in its free pages.
func TestCompactFile(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	const gone = "U0GONEXYZ"
	mustUpdate(t, db, spaceA, "alice", mark(roadmap.Done))
	mustUpdate(t, db, spaceA, "bob", nudgeAt(9, 0, "UTC", t0))
	mustUpdate(t, db, spaceA, gone, func(m *bot.Member) error {
		m.WriteTrack(bot.BuiltinRoadmap).Topics = map[string]*bot.Mark{"internet/dns": {Status: roadmap.Learning, Note: strings.Repeat("secret ", 50)}}
		return nudgeAt(9, 0, "UTC", t0)(m)
	})
	if err := db.DeleteMember(ctx, spaceA, gone); err != nil {
		t.Fatal(err)
	}
	if err := db.CompactFile(db.Path()); err == nil {
		t.Error("CompactFile over the live database succeeded")
	}
	dir := t.TempDir()
	plain, compact := filepath.Join(dir, "plain.db"), filepath.Join(dir, "compact.db")
	if err := db.BackupFile(plain); err != nil {
		t.Fatal(err)
	}
	if err := db.CompactFile(compact); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(plain)
	if !bytes.Contains(raw, []byte(gone)) {
		t.Log("the plain copy happens to hold no trace either; the check below still applies")
	}
	raw, _ = os.ReadFile(compact)
	if bytes.Contains(raw, []byte(gone)) || bytes.Contains(raw, []byte("secret secret")) {
		t.Error("the compacted copy still holds the deleted member's bytes")
	}
	bk := mustOpenAt(t, compact)
	if m, err := bk.Member(ctx, spaceA, "alice"); err != nil || m.Track(bot.BuiltinRoadmap).Status("internet/dns") != roadmap.Done {
		t.Errorf("alice in the compacted copy = %+v, %v", m, err)
	}
	got, err := bk.ClaimDue(ctx, t0, 10, tomorrow(map[string]int{}))
	if err != nil || dueIDs(got) != "[bob]" {
		t.Errorf("claim in the compacted copy = %v, %v; want [bob]", dueIDs(got), err)
	}
}

// TestUpdateMember_RefusalDoesNotRerunBatch: a refusal inside a batched
// update is that call's result; the other updates sharing the commit run
// once (bbolt re-runs a whole batch when one function fails).
func TestUpdateMember_RefusalDoesNotRerunBatch(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	const n = 32
	var calls [n]atomic.Int32
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = db.UpdateMember(ctx, spaceA, fmt.Sprintf("m%02d", i), func(m *bot.Member) error {
				calls[i].Add(1)
				if i%4 == 0 {
					return bot.Errorf(bot.Conflict, "refused")
				}
				m.Name = "ok"
				return nil
			})
		}()
	}
	close(start)
	wg.Wait()
	for i := range n {
		if got := calls[i].Load(); got != 1 {
			t.Errorf("m%02d's update ran %d times, want once", i, got)
		}
		if refused := i%4 == 0; refused != (bot.ErrorCode(errs[i]) == bot.Conflict) {
			t.Errorf("m%02d: err %v", i, errs[i])
		}
		m, err := db.Member(ctx, spaceA, fmt.Sprintf("m%02d", i))
		if stored := err == nil && m.Name == "ok"; stored == (i%4 == 0) {
			t.Errorf("m%02d stored %v (%v)", i, stored, err)
		}
	}
}

// TestUpdateMember_RefusalInOneCommit is the test above with the batch
// forced: n updates, one refusing, all join one bbolt batch (MaxBatchSize
// n, a delay far longer than the test), and that batch commits once (one
// transaction id) with every function run exactly once. Before refusals
// were results, bbolt rolled the batch back and ran all n again, and the
// refused one a third time alone.
func TestUpdateMember_RefusalInOneCommit(t *testing.T) {
	const n = 16
	db, err := Open(filepath.Join(t.TempDir(), "s.db"), Options{MaxBatchSize: n, MaxBatchDelay: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	txid := func() (id int) {
		db.bolt.View(func(tx *bolt.Tx) error { id = tx.ID(); return nil })
		return id
	}
	before := txid()
	var calls [n]atomic.Int32
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, errs[i] = db.UpdateMember(ctx, spaceA, fmt.Sprintf("m%02d", i), func(m *bot.Member) error {
				calls[i].Add(1)
				if i == 7 {
					return bot.Errorf(bot.Conflict, "already marked done")
				}
				m.Name = "ok"
				return nil
			})
		})
	}
	wg.Wait()
	if got := txid() - before; got != 1 {
		t.Errorf("the %d updates took %d commits, want 1 (one batch)", n, got)
	}
	for i := range n {
		if got := calls[i].Load(); got != 1 {
			t.Errorf("m%02d's fn ran %d times, want once", i, got)
		}
		if (i == 7) != (bot.ErrorCode(errs[i]) == bot.Conflict) || (i != 7 && errs[i] != nil) {
			t.Errorf("m%02d: %v", i, errs[i])
		}
	}
}
