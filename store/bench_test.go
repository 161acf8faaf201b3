package store

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/roadmap"
)

// markDone is a realistic member change: one topic marked, one undo step kept.
func markDone(topic string) func(*bot.Member) error {
	return func(m *bot.Member) error {
		tr := m.WriteTrack(bot.BuiltinRoadmap)
		var prev bot.Mark
		if mk := tr.Topics.Get(topic); mk != nil {
			prev = *mk
		}
		m.History = append(m.History, bot.Change{Topic: topic, Prev: prev.Status, At: t0})
		if len(m.History) > bot.MaxHistory {
			m.History = m.History[len(m.History)-bot.MaxHistory:]
		}
		prev.Status, prev.At = roadmap.Done, t0
		tr.Topics.Set(topic, prev)
		return nil
	}
}

// benchUpdates runs b.N UpdateMember calls from writers goroutines, each
// updating its own member with change(i), and reports ops/s.
func benchUpdates(b *testing.B, db *DB, writers int, change func(i int) func(*bot.Member) error) {
	ctx := context.Background()
	var next atomic.Int64
	b.ResetTimer()
	if writers == 1 {
		for i := range b.N {
			if _, err := db.UpdateMember(ctx, spaceA, "solo", change(i)); err != nil {
				b.Fatal(err)
			}
		}
	} else {
		// RunParallel starts parallelism*GOMAXPROCS goroutines: writers of them.
		procs := runtime.GOMAXPROCS(0)
		b.SetParallelism((writers + procs - 1) / procs)
		b.RunParallel(func(pb *testing.PB) {
			id := fmt.Sprintf("w%d", next.Add(1))
			i := 0
			for pb.Next() {
				if _, err := db.UpdateMember(ctx, spaceA, id, change(i)); err != nil {
					b.Error(err)
					return
				}
				i++
			}
		})
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// doneInOrder marks the roadmap's topics done one by one, so members grow to
// realistic size (every topic marked, a full undo history).
func doneInOrder(i int) func(*bot.Member) error {
	topics := roadmap.Default().Topics()
	return markDone(topics[i%len(topics)].ID)
}

// BenchmarkUpdateMember shows that concurrent members share commits: compare
// ops/s of writers=64 with writers=1 (the target is at least 3x).
func BenchmarkUpdateMember(b *testing.B) {
	for _, writers := range []int{1, 64} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			benchUpdates(b, MustOpenDB(b), writers, doneInOrder)
		})
	}
}

// BenchmarkBatchDelay justifies DefaultMaxBatchDelay: 64 writers making a small
// change (so commits, not JSON, dominate) at several delays, including bbolt's
// default 10 ms.
func BenchmarkBatchDelay(b *testing.B) {
	small := func(i int) func(*bot.Member) error {
		return func(m *bot.Member) error { m.Streak.Days = i; return nil }
	}
	for _, d := range []time.Duration{100 * time.Microsecond, 250 * time.Microsecond, 500 * time.Microsecond, time.Millisecond, 2 * time.Millisecond, 10 * time.Millisecond} {
		b.Run(fmt.Sprintf("delay=%v", d), func(b *testing.B) {
			db, err := Open(filepath.Join(b.TempDir(), "studybot.db"), Options{MaxBatchDelay: d})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			benchUpdates(b, db, 64, small)
		})
	}
}

// fill stores n members of spaceA with random progress, 10,000 per commit.
func fill(tb testing.TB, db *DB, n int) {
	tb.Helper()
	topics := roadmap.Default().Topics()
	rng := rand.New(rand.NewPCG(1, 2))
	statuses := []roadmap.Status{roadmap.Done, roadmap.Skipped, roadmap.Learning}
	for start := 0; start < n; start += 10000 {
		err := db.bolt.Update(func(tx *bolt.Tx) error {
			b, err := child(tx, spaceA, bucketMembers, true)
			if err != nil {
				return err
			}
			for i := start; i < min(n, start+10000); i++ {
				m := &bot.Member{Space: spaceA, ID: fmt.Sprintf("U%08d", i), Created: t0}
				for range rng.IntN(len(topics)) {
					t := topics[rng.IntN(len(topics))]
					m.WriteTrack(bot.BuiltinRoadmap).Topics.Set(t.ID, bot.Mark{Status: statuses[rng.IntN(len(statuses))], At: t0})
				}
				if rng.IntN(2) == 0 {
					m.Nudge = bot.Nudge{On: true, Hour: 9, Next: t0.Add(time.Duration(rng.IntN(86400)) * time.Second)}
				}
				if err := putNew(tx, b, m); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
}

// BenchmarkMember reads one member from a space of 100,000.
func BenchmarkMember(b *testing.B) {
	db := MustOpenDB(b)
	const n = 100000
	fill(b, db, n)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 4))
	b.ResetTimer()
	for range b.N {
		if _, err := db.Member(ctx, spaceA, fmt.Sprintf("U%08d", rng.IntN(n))); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpen opens (and closes) a file of 100,000 members: no scan at open.
func BenchmarkOpen(b *testing.B) {
	db := MustOpenDB(b)
	fill(b, db, 100000)
	path := db.Path()
	db.Close()
	b.ResetTimer()
	for range b.N {
		db, err := Open(path, Options{})
		if err != nil {
			b.Fatal(err)
		}
		db.Close()
	}
}

// BenchmarkClaimDue claims 100 due members from 100,000 (half with nudges).
func BenchmarkClaimDue(b *testing.B) {
	db := MustOpenDB(b)
	fill(b, db, 100000)
	ctx := context.Background()
	now := t0.Add(24 * time.Hour)
	b.ResetTimer()
	for range b.N {
		got, err := db.ClaimDue(ctx, now, 100, func(d *bot.Due) error {
			d.Nudge.Next = d.Nudge.Next.Add(24 * time.Hour)
			return nil
		})
		if err != nil || len(got) == 0 {
			b.Fatal(len(got), err)
		}
	}
}

// BenchmarkMigrateFile times opening a copy of an older file (a real one, e.g.
// a cached 1,000,000-member benchmark database of an older schema version),
// which runs the migrations to SchemaVersion. It is skipped unless
// STUDYBOT_OLD_DB names the file.
func BenchmarkMigrateFile(b *testing.B) {
	src := os.Getenv("STUDYBOT_OLD_DB")
	if src == "" {
		b.Skip("set STUDYBOT_OLD_DB to an older file to time its migration")
	}
	for b.Loop() {
		b.StopTimer()
		dst := filepath.Join(b.TempDir(), "old.db")
		buf, err := os.ReadFile(src)
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(dst, buf, 0o600); err != nil {
			b.Fatal(err)
		}
		buf = nil
		b.StartTimer()
		db, err := Open(dst, Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		db.Close()
		b.StartTimer()
	}
}

// BenchmarkDecodeMember decodes a member with every topic of the built-in
// roadmap marked and a full undo history, in the binary form and in the
// JSON form records had before schema 5 (which still reads).
func BenchmarkDecodeMember(b *testing.B) {
	m := &bot.Member{Space: spaceA, ID: "U00000001", Name: "Ada", Created: t0, Seen: t0}
	topics := roadmap.Default().Topics()
	for i, tp := range topics {
		m.WriteTrack(bot.BuiltinRoadmap).Topics.Set(tp.ID, bot.Mark{Status: roadmap.Done, At: t0.Add(time.Duration(i) * time.Minute)})
	}
	for i := range bot.MaxHistory {
		m.History = append(m.History, bot.Change{Roadmap: bot.BuiltinRoadmap, Topic: topics[i].ID, Prev: roadmap.Learning, PrevAt: t0, At: t0})
	}
	bin, err := encodeMember(m)
	if err != nil {
		b.Fatal(err)
	}
	js, err := json.Marshal(m)
	if err != nil {
		b.Fatal(err)
	}
	for _, f := range []struct {
		name string
		buf  []byte
	}{{"binary", bin}, {"json", js}} {
		b.Run(f.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var got bot.Member
				if err := decodeMember(f.buf, &got); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(f.buf)), "record-bytes")
		})
	}
}
