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
	"github.com/studybot/studybot/store/storetest"
)

// The bbolt tests use the contract suite's spaces, clock and helpers, so the
// two cannot drift apart.
var (
	spaceA, spaceB = storetest.SpaceA, storetest.SpaceB
	t0             = storetest.T0

	mark              = storetest.Mark
	mustUpdate        = storetest.MustUpdate
	setNext           = storetest.SetNext
	nudgeAt           = storetest.NudgeAt
	tomorrow          = storetest.Tomorrow
	dueIDs            = storetest.DueIDs
	mustOpenChallenge = storetest.MustOpenChallenge
	challengeState    = storetest.ChallengeState
	submit            = storetest.Submit
	answered          = storetest.Answered
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
		m.WriteTrack(bot.BuiltinRoadmap).Topics = bot.MarksOf(map[string]*bot.Mark{"internet/dns": {Status: roadmap.Learning, Note: strings.Repeat("secret ", 50)}})
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

// The contract suite (storetest, TestContract) covers ClaimDue and NextDue on
// every backend; these are what bbolt alone promises about its due index.

// TestNextDue_NamesStaleSlot: on bbolt a moved or stopped nudge leaves its old
// slot's entry until a claim finds it empty, so NextDue may name it once.
func TestNextDue_NamesStaleSlot(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	mustUpdate(t, db, spaceA, "g", nudgeAt(6, 0, "UTC", t0.Add(-3*time.Hour)))
	mustUpdate(t, db, spaceA, "g", nudgeAt(9, 0, "Asia/Tokyo", t0.Add(15*time.Hour)))
	mustUpdate(t, db, spaceA, "h", nudgeAt(5, 0, "UTC", t0.Add(-4*time.Hour)))
	mustUpdate(t, db, spaceA, "h", setNext(time.Time{}))
	if next, err := db.NextDue(ctx); err != nil || !next.Equal(t0.Add(-4*time.Hour)) {
		t.Fatalf("NextDue = %v, %v; want h's old slot %v", next, err, t0.Add(-4*time.Hour))
	}
	if got, _ := db.ClaimDue(ctx, t0, 10, tomorrow(map[string]int{})); len(got) != 0 {
		t.Errorf("claimed %v from stale slots", dueIDs(got))
	}
	if next, _ := db.NextDue(ctx); !next.Equal(t0.Add(15 * time.Hour)) {
		t.Errorf("NextDue after the stale slots were found empty = %v, want g's %v", next, t0.Add(15*time.Hour))
	}
}

// TestClaimDue_NudgesOffLeavesNoIndex: once every nudge is off and their
// slots came due, the nudges, slots and due buckets hold nothing.
func TestClaimDue_NudgesOffLeavesNoIndex(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	mustUpdate(t, db, spaceA, "a", nudgeAt(8, 0, "UTC", t0.Add(-time.Hour)))
	mustUpdate(t, db, spaceA, "b", nudgeAt(8, 0, "UTC", t0.Add(-time.Hour)))
	if got, _ := db.ClaimDue(ctx, t0, 10, tomorrow(map[string]int{})); dueIDs(got) != "[a b]" {
		t.Fatalf("first claim = %v", dueIDs(got))
	}
	mustUpdate(t, db, spaceA, "a", nudgeAt(11, 0, "UTC", t0.Add(2*time.Hour))) // a slot of its own
	for _, id := range []string{"a", "b"} {
		mustUpdate(t, db, spaceA, id, setNext(time.Time{}))
	}
	calls := map[string]int{}
	for range 3 {
		if next, _ := db.NextDue(ctx); !next.IsZero() {
			db.ClaimDue(ctx, next, 10, tomorrow(calls))
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
