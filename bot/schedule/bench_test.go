package schedule_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/schedule"
	"github.com/studybot/studybot/roadmap"
	"github.com/studybot/studybot/store"
)

// The benchmark databases hold STUDYBOT_BENCH_MEMBERS subscribed members
// (default 1,000,000). Building one takes about a minute, so they are cached in
// STUDYBOT_BENCH_DIR (default: the system temp dir) and reused by later runs;
// the benchmarks only move members forward in time, so a cached file stays
// valid. The file name carries benchLayout and store.SchemaVersion, so a change
// of either builds new files instead of reusing (or migrating) old ones.
// Delete the directory to rebuild.
//
//	uniform: nudge times spread evenly over the day (~N/1440 due each minute)
//	         and over benchZones, so a minute brings ~20 slots
//	hot:     20 minutes a day with N/20 (5%) due each, nobody in between
func benchMembers(b *testing.B) int {
	n := 1_000_000
	if s := os.Getenv("STUDYBOT_BENCH_MEMBERS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1000 {
			b.Fatalf("STUDYBOT_BENCH_MEMBERS=%q: want a number >= 1000", s)
		}
		n = v
	}
	return n
}

var benchStart = time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC)

// benchLayout versions what benchDB puts in a file; bump it when that changes.
const benchLayout = 5

// benchZones are whole-hour and odd offsets, as members' zones would be.
var benchZones = []string{"UTC", "Europe/Berlin", "Europe/London", "America/New_York", "America/Los_Angeles",
	"America/Sao_Paulo", "Asia/Kolkata", "Asia/Kathmandu", "Asia/Tokyo", "Australia/Sydney",
	"Australia/Lord_Howe", "Pacific/Chatham", "Africa/Lagos", "Asia/Dubai", "America/Santiago",
	"Europe/Moscow", "Asia/Shanghai", "America/Chicago", "Pacific/Auckland", "Asia/Tehran"}

var buildMu sync.Mutex

// benchDB returns the path of the cached database with the given layout,
// building it first if needed.
func benchDB(b *testing.B, layout string) (path string, members int) {
	b.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	n := benchMembers(b)
	dir := os.Getenv("STUDYBOT_BENCH_DIR")
	if dir == "" {
		dir = os.TempDir()
	}
	dir = filepath.Join(dir, "studybot-bench")
	path = filepath.Join(dir, fmt.Sprintf("%s-%d-b%d-s%d.db", layout, n, benchLayout, store.SchemaVersion))
	if _, err := os.Stat(path); err == nil {
		return path, n
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		b.Fatal(err)
	}
	tmp := path + ".building"
	os.Remove(tmp)
	began := time.Now()
	db, err := store.Open(tmp, store.Options{MaxBatchSize: 1000, MaxBatchDelay: 2 * time.Millisecond,
		Clock: bot.ClockFunc(func() time.Time { return benchStart })})
	if err != nil {
		b.Fatal(err)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	for range 1024 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || failed.Load() != nil {
					return
				}
				var minute int
				zone := "UTC"
				switch layout {
				case "uniform":
					minute = i % 1440
					zone = benchZones[(i/1440)%len(benchZones)]
				case "hot":
					minute = (i % 20) * 72 // every 72 minutes
				}
				nd := bot.Nudge{On: true, Hour: minute / 60, Minute: minute % 60, Zone: zone}
				nd.Next = nd.Slot().NextAfter(benchStart, "")
				if _, err := db.UpdateMember(context.Background(), space, fmt.Sprintf("m%07d", i), func(m *bot.Member) error {
					m.Seen = benchStart
					m.Nudge = nd
					return nil
				}); err != nil {
					failed.Store(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	b.Logf("built %s (%d members) in %s", path, n, time.Since(began).Round(time.Second))
	return path, n
}

// BenchmarkTick measures the claim half of a tick (find due members, apply the
// policy, reschedule, commit), excluding sends, on a database of 1,000,000
// subscribed members:
//
//	normal: a minute with ~N/1440 members due
//	hot:    a minute with 5% of members due
//	quiet:  a minute with nobody due
//
// Each iteration advances the fake clock to the next minute with members due.
// The first benchWarmup ticks of a run are not timed: they load the zones and
// fill the caches, as the first minutes after a start do (a cold first tick
// at 1,000,000 members measured 5-6 ms; STUDYBOT_BENCH_WARMUP=0 times them).
// p99-µs is the 99th percentile of the timed ticks.
func BenchmarkTick(b *testing.B) {
	b.Run("normal", func(b *testing.B) { benchTick(b, "uniform", false) })
	b.Run("hot", func(b *testing.B) { benchTick(b, "hot", false) })
	b.Run("quiet", func(b *testing.B) { benchTick(b, "hot", true) })
}

func benchTick(b *testing.B, layout string, quiet bool) {
	path, _ := benchDB(b, layout)
	ctx := context.Background()
	clock := &bot.ManualClock{}
	db, err := store.Open(path, store.Options{Clock: clock})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	log := slog.New(slog.DiscardHandler)
	eng := &bot.Engine{Store: db, Roadmap: roadmap.Default(), Clock: clock, Log: log, Messenger: &recorder{clock: clock}}
	s := schedule.New(schedule.Config{}, db, eng, clock, log)
	var (
		due   int
		times = make([]time.Duration, 0, b.N)
	)
	warmup := 10
	if v, err := strconv.Atoi(os.Getenv("STUDYBOT_BENCH_WARMUP")); err == nil && v >= 0 {
		warmup = v
	}
	b.ResetTimer()
	for i := range warmup + b.N {
		b.StopTimer()
		next, err := db.NextDue(ctx)
		if err != nil || next.IsZero() {
			b.Fatalf("NextDue: %s, %v", next, err)
		}
		at := ceilMinute(next)
		if quiet {
			at = at.Add(-time.Minute)
		}
		clock.Set(at)
		if i >= warmup {
			b.StartTimer()
		}
		t0 := time.Now()
		ms, st, err := s.Claim(ctx)
		took := time.Since(t0)
		if err != nil {
			b.Fatal(err)
		}
		if i < warmup {
			continue
		}
		times = append(times, took)
		if quiet && st.Due != 0 || !quiet && len(ms) == 0 {
			b.Fatalf("at %s: %d due, %d to send", at, st.Due, len(ms))
		}
		due += st.Due
	}
	b.StopTimer()
	slices.Sort(times)
	b.ReportMetric(float64(due)/float64(b.N), "due/op")
	b.ReportMetric(float64(times[len(times)*99/100].Microseconds()), "p99-µs")
	if due > 0 {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(due)/1000, "µs/member")
	}
}

// BenchmarkOpen opens (and closes) a database of 1,000,000 members.
func BenchmarkOpen(b *testing.B) {
	path, _ := benchDB(b, "uniform")
	for b.Loop() {
		db, err := store.Open(path, store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDeleteMember deletes one subscribed member of 1,000,000 (their
// record, their nudges record, and nothing to scan) and stores them again
// (untimed) so the cached file keeps its members.
func BenchmarkDeleteMember(b *testing.B) {
	path, n := benchDB(b, "uniform")
	ctx := context.Background()
	db, err := store.Open(path, store.Options{Clock: bot.ClockFunc(func() time.Time { return benchStart })})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	for i := 0; b.Loop(); i++ {
		id := fmt.Sprintf("m%07d", (i*7919)%n)
		b.StopTimer()
		m, err := db.Member(ctx, space, id)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := db.DeleteMember(ctx, space, id); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if _, err := db.UpdateMember(ctx, space, id, func(nm *bot.Member) error {
			*nm = *m
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}
