package bot_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
	"github.com/studybot/studybot/roadmap"
	"github.com/studybot/studybot/store"
)

// benchMembers is the population for read benchmarks (issue: 100,000 members
// with random progress).
const benchMembers = 100_000

// seed stores n members with random progress (up to every topic marked
// done or skipped, some learning one more) through store.Floor's direct
// puts, 10,000 at a time: seconds for 100,000, where UpdateMember through
// batches took minutes.
func seed(b *testing.B, env *bottest.Env, n int) {
	b.Helper()
	topics := roadmap.Default().Topics()
	statuses := []roadmap.Status{roadmap.Done, roadmap.Skipped, roadmap.Learning}
	rng := rand.New(rand.NewPCG(1, 1))
	now := env.Clock.Now()
	for start := 0; start < n; start += 10_000 {
		var ms []*bot.Member
		for i := start; i < min(n, start+10_000); i++ {
			m := &bot.Member{ID: fmt.Sprintf("m%06d", i), Created: now, Seen: now}
			tr := m.WriteTrack(bot.BuiltinRoadmap)
			k := rng.IntN(len(topics))
			for _, t := range topics[:k] {
				tr.Topics.Set(t.ID, bot.Mark{Status: statuses[rng.IntN(2)], At: now})
			}
			if k < len(topics) && rng.IntN(2) == 0 {
				tr.Topics.Set(topics[k].ID, bot.Mark{Status: statuses[2], At: now})
			}
			ms = append(ms, m)
		}
		if err := env.DB.Floor().LoadMembers(context.Background(), testSpace, ms); err != nil {
			b.Fatal(err)
		}
	}
}

var (
	benchOnce sync.Once
	benchEnv  *bottest.Env
	benchDir  string
)

// bigEnv is shared by the read benchmarks: seeding 100,000 members once per
// process keeps -bench runs short. TestMain removes it.
func bigEnv(b *testing.B) *bottest.Env {
	benchOnce.Do(func() {
		var err error
		if benchDir, err = os.MkdirTemp("", "studybot-bench-"); err != nil {
			b.Fatal(err)
		}
		clock := bottest.NewClock(bottest.Start)
		db, err := store.Open(filepath.Join(benchDir, "bench.db"), store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		benchEnv = &bottest.Env{DB: db, Clock: clock, Engine: &bot.Engine{Store: db, Roadmap: roadmap.Default(), Clock: clock}}
		seed(b, benchEnv, benchMembers)
		// A configured space, as a running bot's is: every command reads
		// these settings with the member.
		_, err = db.UpdateSpace(context.Background(), testSpace, func(r *bot.SpaceRecord) error {
			r.Challenge = bot.ChallengeSchedule{Channel: "C1", Spec: "CRON_TZ=Europe/Berlin 0 9 * * MON", Text: "mondays 9:00", SetBy: "m000001", SetAt: clock.Now(), Lasts: 48 * time.Hour}
			r.Queue = []bot.TopicRef{{Roadmap: bot.BuiltinRoadmap, Topic: "internet/dns"}}
			r.Moderators = []string{"m000001", "m000002"}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	})
	return benchEnv
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchEnv != nil {
		benchEnv.DB.Close()
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

// benchCommand runs command for members spread over the 100,000 (a
// stride, so consecutive calls do not share pages), against the floor of a
// raw bbolt View+Get of the same member's record (benchFloor).
func benchCommand(b *testing.B, command string) {
	env := bigEnv(b)
	ctx := context.Background()
	id := func(i int) string { return fmt.Sprintf("m%06d", (i*7919)%benchMembers) }
	reqs := make([]*bot.Request, 1024) // built before timing; Handle does not change them
	for i := range reqs {
		reqs[i] = &bot.Request{Space: testSpace, Member: id(i), Command: command}
	}
	benchFloor(b, func(i int) {
		if _, err := env.Engine.Handle(ctx, reqs[i%len(reqs)]); err != nil {
			b.Fatal(err)
		}
	}, func(i int) {
		if n, err := env.DB.Floor().Get(testSpace, reqs[i%len(reqs)].Member); err != nil || n == 0 {
			b.Fatal(n, err)
		}
	})
}

// BenchmarkNext: "next" for one member among 100,000. Targets: p99 <= 100
// µs; p50 <= 5x the floor (x-floor-p50).
func BenchmarkNext(b *testing.B) { benchCommand(b, "next") }

// BenchmarkProgress: "progress" for one member among 100,000, with the
// same targets as next.
func BenchmarkProgress(b *testing.B) { benchCommand(b, "progress") }

// BenchmarkDone measures "done" throughput from 1 and from 64 concurrent
// members (64 should reach >= 3x one member: concurrent writes share
// commits). At 64 it also runs the floor in the same file and run: 64
// goroutines writing through bbolt's Batch at the store's MaxBatchDelay
// what done writes, without reading, deciding or encoding: each puts its
// member's current record back under the member's key
// (store.Floor.BatchPutMember). The rounds alternate so a noisy neighbour
// hits both; target: done/s >= 0.5 of batch-puts/s (x-floor).
//
// It also reports x-scratch, against the floor this benchmark used before:
// values of the same size put under 64 adjacent keys of a bucket of their
// own (store.Floor.BatchPut). bbolt rewrites a whole leaf for one Put, and
// a leaf holds at least two records, so that floor's commits shared leaves
// among its own writers (about one 4 KB page per two puts) where done, like
// any member's write, rewrites its member's neighbours too (about two pages
// a done with busy members): it measured leaf sharing, not the store.
func BenchmarkDone(b *testing.B) {
	for _, writers := range []int{1, 64} {
		b.Run(fmt.Sprintf("members=%d", writers), func(b *testing.B) {
			env := bottest.New(b)
			topics := roadmap.Default().Topics()
			ctx := context.Background()
			var done atomic.Int64 // marks made so far, over all rounds
			marked := make([]int, writers)
			member := func(w int) string { return fmt.Sprintf("w%d-%d", w, max(0, marked[w]-1)/len(topics)) }
			// Each writer's member marks its topics in order; a member
			// finishing the roadmap moves on to a new id.
			doneRound := func(n int) {
				var next atomic.Int64
				var wg sync.WaitGroup
				for w := range writers {
					wg.Go(func() {
						for next.Add(1) <= int64(n) {
							done.Add(1)
							i := marked[w]
							marked[w]++
							id := fmt.Sprintf("w%d-%d", w, i/len(topics))
							req := &bot.Request{Space: testSpace, Member: id, Command: "done", Args: map[string]string{"topic": topics[i%len(topics)].ID}}
							if _, err := env.Engine.Handle(ctx, req); err != nil && bot.ErrorCode(err) != bot.Conflict {
								b.Error(err)
								return
							}
						}
					})
				}
				wg.Wait()
			}
			// putRound runs a floor: put(w) is writer w's one write.
			var puts, scratchPuts atomic.Int64
			putRound := func(n int, count *atomic.Int64, put func(w int) func() error) {
				var next atomic.Int64
				var wg sync.WaitGroup
				for w := range writers {
					write := put(w)
					wg.Go(func() {
						for next.Add(1) <= int64(n) {
							count.Add(1)
							if err := write(); err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				wg.Wait()
			}
			// The floor: the member's record as the last done round left
			// it, put back under its key.
			memberFloor := func(w int) func() error {
				id := member(w)
				v, err := env.DB.Floor().Record(testSpace, id)
				if err != nil {
					b.Fatal(err)
				}
				if v == nil { // no done yet (a run of b.N = 1)
					return func() error { return nil }
				}
				return func() error { return env.DB.Floor().BatchPutMember(testSpace, id, v) }
			}
			// The earlier floor: a value of that size under a key of
			// the scratch bucket's.
			scratchFloor := func(w int) func() error {
				key := fmt.Appendf(nil, "w%d-0", w)
				size, err := env.DB.Floor().Get(testSpace, member(w))
				if err != nil {
					b.Fatal(err)
				}
				value := make([]byte, max(size, 512))
				return func() error { return env.DB.Floor().BatchPut(key, value) }
			}
			const rounds = 4
			var doneTime, putTime, scratchTime time.Duration
			var doneCommits, putCommits int
			b.ResetTimer()
			for r := range rounds {
				n := b.N/rounds + 1
				if r == 0 {
					n += b.N % rounds
				}
				c, start := env.DB.Floor().Commits(), time.Now()
				doneRound(n)
				doneTime += time.Since(start)
				doneCommits += env.DB.Floor().Commits() - c
				if writers > 1 {
					c, start = env.DB.Floor().Commits(), time.Now()
					putRound(n, &puts, memberFloor)
					putTime += time.Since(start)
					putCommits += env.DB.Floor().Commits() - c
					start = time.Now()
					putRound(n, &scratchPuts, scratchFloor)
					scratchTime += time.Since(start)
				}
			}
			b.StopTimer()
			donePerSec := float64(done.Load()) / doneTime.Seconds()
			b.ReportMetric(donePerSec, "done/s")
			b.ReportMetric(float64(done.Load())/float64(max(1, doneCommits)), "done/commit")
			if writers > 1 {
				putsPerSec := float64(puts.Load()) / putTime.Seconds()
				b.ReportMetric(putsPerSec, "batch-puts/s")
				b.ReportMetric(float64(puts.Load())/float64(max(1, putCommits)), "puts/commit")
				b.ReportMetric(donePerSec/putsPerSec, "x-floor")
				b.ReportMetric(donePerSec/(float64(scratchPuts.Load())/scratchTime.Seconds()), "x-scratch")
			}
		})
	}
}

// benchFloor runs op and floor alternately, each timed on its own, and
// reports their p50 and p99 (not only the mean: garbage collection shows in
// the tail) and op's p50 as a multiple of the floor's. The floor is bbolt
// doing the least the operation could (store.Floor) on the same file, in the
// same run, so the ratio holds on any machine. ns/op counts both.
func benchFloor(b *testing.B, op, floor func(i int)) {
	b.Helper()
	var ops, floors []time.Duration
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		op(i)
		mid := time.Now()
		floor(i)
		ops = append(ops, mid.Sub(start))
		floors = append(floors, time.Since(mid))
	}
	p50, p99 := percentiles(ops)
	f50, f99 := percentiles(floors)
	b.ReportMetric(float64(p50.Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(p99.Nanoseconds()), "p99-ns")
	b.ReportMetric(float64(f50.Nanoseconds()), "floor-p50-ns")
	b.ReportMetric(float64(f99.Nanoseconds()), "floor-p99-ns")
	if f50 > 0 {
		b.ReportMetric(float64(p50)/float64(f50), "x-floor-p50")
	}
}

// percentiles returns the 50th and 99th percentiles of ds (sorted in place).
func percentiles(ds []time.Duration) (p50, p99 time.Duration) {
	if len(ds) == 0 {
		return 0, 0
	}
	slices.Sort(ds)
	return ds[len(ds)/2], ds[min(len(ds)-1, len(ds)*99/100)]
}
