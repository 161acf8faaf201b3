package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/roadmap"
)

var (
	spaceA = bot.Space{Platform: bot.Discord, ID: "111"}
	spaceB = bot.Space{Platform: bot.Slack, ID: "T222"}
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
		if m.Topics == nil {
			m.Topics = map[string]*bot.Mark{}
		}
		m.Topics["internet/dns"] = &bot.Mark{Status: status, At: t0}
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
	if _, err := db.AddChallenge(ctx, spaceA, &bot.Challenge{Text: "build a DNS resolver", PostedAt: t0}); err != nil {
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
	if got := m.Status("internet/dns"); got != roadmap.Done {
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
	if a.Status("internet/dns") != roadmap.Done || b.Status("internet/dns") != roadmap.Learning {
		t.Errorf("same id in two spaces: A=%q B=%q", a.Status("internet/dns"), b.Status("internet/dns"))
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
	ca, _ := db.AddChallenge(ctx, spaceA, &bot.Challenge{Text: "a"})
	cb, _ := db.AddChallenge(ctx, spaceB, &bot.Challenge{Text: "b"})
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
		m.Topics["internet/dns"].Status = roadmap.Done
		m.Nudge.Next = t0
		return errBoom
	})
	if err != errBoom {
		t.Fatalf("err = %v, want the fn's error unchanged", err)
	}
	m, _ := db.Member(ctx, spaceA, "alice")
	if got := m.Status("internet/dns"); got != roadmap.Learning {
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
	mustUpdate(t, db, spaceA, "stay", setNext(t0.Add(2*time.Hour)))
	if _, err := db.UpdateSpace(ctx, spaceA, func(r *bot.SpaceRecord) error {
		r.Challenge = bot.ChallengeSchedule{Channel: "C1", Spec: "CRON_TZ=UTC 0 9 * * MON", SetBy: gone}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		c, err := db.AddChallenge(ctx, spaceA, &bot.Challenge{Text: fmt.Sprint("task ", i), PostedBy: gone, PostedAt: t0})
		if err != nil {
			t.Fatal(err)
		}
		_, err = db.UpdateChallenge(ctx, spaceA, c.ID, func(c *bot.Challenge) error {
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

	if err := db.DeleteMember(ctx, spaceA, gone); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteMember(ctx, spaceA, gone); err != nil {
		t.Errorf("deleting an absent member: %v", err)
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
	if next, _ := db.NextDue(ctx); !next.Equal(t0.Add(2 * time.Hour)) {
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

func TestClaimDue(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	// Due in order c, a, b; d is later; e has no nudge.
	mustUpdate(t, db, spaceA, "a", setNext(t0.Add(-2*time.Minute)))
	mustUpdate(t, db, spaceB, "b", setNext(t0))
	mustUpdate(t, db, spaceA, "c", setNext(t0.Add(-time.Hour)))
	mustUpdate(t, db, spaceA, "d", setNext(t0.Add(time.Minute)))
	mustUpdate(t, db, spaceA, "e", mark(roadmap.Done))
	// Moving a member's nudge moves its index entry: f was due, now is not.
	mustUpdate(t, db, spaceA, "f", setNext(t0.Add(-3*time.Hour)))
	mustUpdate(t, db, spaceA, "f", setNext(t0.Add(24*time.Hour)))
	// Turning it off removes it.
	mustUpdate(t, db, spaceA, "g", setNext(t0.Add(-4*time.Hour)))
	mustUpdate(t, db, spaceA, "g", setNext(time.Time{}))

	next, err := db.NextDue(ctx)
	if err != nil || !next.Equal(t0.Add(-time.Hour)) {
		t.Fatalf("NextDue = %v, %v; want %v", next, err, t0.Add(-time.Hour))
	}

	calls := map[string]int{}
	tomorrow := func(m *bot.Member) error {
		calls[m.ID]++
		m.Nudge.Next = m.Nudge.Next.Add(24 * time.Hour)
		m.Nudge.LastDate = "2026-01-05"
		return nil
	}
	got, err := db.ClaimDue(ctx, t0, 2, tomorrow)
	if err != nil {
		t.Fatal(err)
	}
	if ids := memberIDs(got); ids != "[c a]" {
		t.Errorf("first claim = %v, want [c a] (due order, limit 2)", ids)
	}
	got, err = db.ClaimDue(ctx, t0, 10, tomorrow)
	if err != nil {
		t.Fatal(err)
	}
	if ids := memberIDs(got); ids != "[b]" {
		t.Errorf("second claim = %v, want [b]", ids)
	}
	if got[0].Space != spaceB || got[0].Nudge.LastDate != "2026-01-05" {
		t.Errorf("claimed member = %+v", got[0])
	}
	got, _ = db.ClaimDue(ctx, t0, 10, tomorrow)
	if len(got) != 0 {
		t.Errorf("third claim = %v, want none", memberIDs(got))
	}
	for id, n := range calls {
		if n != 1 {
			t.Errorf("fn called %d times for %s, want 1", n, id)
		}
	}
	// fn's change was committed.
	m, _ := db.Member(ctx, spaceA, "c")
	if !m.Nudge.Next.Equal(t0.Add(23*time.Hour)) || m.Nudge.LastDate != "2026-01-05" {
		t.Errorf("c after claim: next %v last %q", m.Nudge.Next, m.Nudge.LastDate)
	}
	next, _ = db.NextDue(ctx)
	if !next.Equal(t0.Add(time.Minute)) {
		t.Errorf("NextDue after claims = %v, want d's %v", next, t0.Add(time.Minute))
	}

	// fn's error commits nothing, and a member turned off leaves the index.
	errStop := errors.New("stop")
	if _, err := db.ClaimDue(ctx, t0.Add(time.Minute), 10, func(*bot.Member) error { return errStop }); err != errStop {
		t.Errorf("err = %v, want fn's", err)
	}
	got, _ = db.ClaimDue(ctx, t0.Add(time.Minute), 10, func(m *bot.Member) error {
		m.Nudge = bot.Nudge{}
		return nil
	})
	if ids := memberIDs(got); ids != "[d]" {
		t.Errorf("claim at +1m = %v, want [d]", ids)
	}
	if next, _ := db.NextDue(ctx); !next.Equal(t0.Add(23 * time.Hour)) {
		t.Errorf("NextDue = %v, want c's %v", next, t0.Add(23*time.Hour))
	}
}

func TestClaimDue_SubSecond(t *testing.T) {
	db := MustOpenDB(t)
	mustUpdate(t, db, spaceA, "a", setNext(t0.Add(500*time.Millisecond)))
	got, _ := db.ClaimDue(context.Background(), t0, 10, func(m *bot.Member) error { m.Nudge.Next = time.Time{}; return nil })
	if len(got) != 0 {
		t.Errorf("claimed %v before its instant", memberIDs(got))
	}
	got, _ = db.ClaimDue(context.Background(), t0.Add(time.Second), 10, func(m *bot.Member) error { m.Nudge.Next = time.Time{}; return nil })
	if len(got) != 1 {
		t.Errorf("claimed %v after its instant, want [a]", memberIDs(got))
	}
}

func TestClaimDue_RepairsStaleEntries(t *testing.T) {
	db := MustOpenDB(t)
	mustUpdate(t, db, spaceA, "a", setNext(t0.Add(time.Hour)))
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		due := tx.Bucket(bucketDue)
		due.Put(dueKey(t0.Add(-time.Hour), spaceA, "ghost"), nil) // no member
		due.Put(dueKey(t0.Add(-time.Hour), spaceA, "a"), nil)     // wrong time
		return due.Put([]byte{1, 2}, nil)                         // malformed
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := db.ClaimDue(context.Background(), t0, 10, func(*bot.Member) error {
		t.Error("fn called for a stale entry")
		return nil
	})
	if err != nil || len(got) != 0 {
		t.Fatalf("ClaimDue = %v, %v", memberIDs(got), err)
	}
	if next, _ := db.NextDue(context.Background()); !next.Equal(t0.Add(time.Hour)) {
		t.Errorf("NextDue = %v, want %v", next, t0.Add(time.Hour))
	}
}

func memberIDs(ms []*bot.Member) string {
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
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
					if m.Topics == nil {
						m.Topics = map[string]*bot.Mark{}
					}
					m.Topics[fmt.Sprintf("t%d-%d", w, i)] = &bot.Mark{Status: roadmap.Done}
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
	if len(m.Topics) != writers*each || m.Streak.Days != writers*each {
		t.Errorf("topics %d, days %d; want %d each", len(m.Topics), m.Streak.Days, writers*each)
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
			if err := putMember(tx, b, time.Time{}, m); err != nil {
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
	for _, sp := range []bot.Space{spaceA, {Platform: bot.Console, ID: "local"}} {
		if _, err := db.UpdateSpace(ctx, sp, func(r *bot.SpaceRecord) error { r.Current = 3; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	db.Spaces(ctx, func(r *bot.SpaceRecord) error { got = append(got, r.Space.Key()); return nil })
	if fmt.Sprint(got) != "[console:local discord:111]" {
		t.Errorf("Spaces = %v", got)
	}

	in := &bot.Challenge{Text: "one", Submissions: map[string]*bot.Submission{}}
	for _, text := range []string{"one", "two", "three"} {
		in.Text = text
		c, err := db.AddChallenge(ctx, spaceA, in)
		if err != nil {
			t.Fatal(err)
		}
		if in.ID != 0 {
			t.Error("AddChallenge changed its argument")
		}
		_ = c
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
	if err != nil || m.Status("internet/dns") != roadmap.Done {
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
	a := dueKey(t0, spaceB, "z")
	b := dueKey(t0.Add(time.Second), spaceA, "a")
	if bytes.Compare(a, b) >= 0 {
		t.Error("due keys do not sort by time first")
	}
	sec, sp, id, ok := parseDueKey(dueKey(t0, bot.Space{Platform: "slack", ID: "T:1"}, "U1"))
	if !ok || sec != t0.Unix() || sp.ID != "T:1" || id != "U1" {
		t.Errorf("parseDueKey = %d %v %q %v", sec, sp, id, ok)
	}
	if got := binary.BigEndian.Uint64(dueKey(time.Time{}, spaceA, "a")[:8]); got != 0 {
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
