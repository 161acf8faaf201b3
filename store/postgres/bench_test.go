package postgres_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/schedule"
	"github.com/studybot/studybot/roadmap"
	"github.com/studybot/studybot/store"
	"github.com/studybot/studybot/store/postgres"
)

// The benchmarks here put the PostgreSQL store beside the bbolt one on the
// same engine commands and the same scheduler tick, so the ratio can be read
// off one run:
//
//	go test ./store/postgres -run '^$' -bench . -benchtime 2000x
//
// (with STUDYBOT_TEST_DATABASE_URL set). No target is set for the ratio.

var benchSpace = bot.Space{Platform: bot.PlatformDiscord, ID: "bench"}

// backend opens an empty store of one kind, closed (and its schema dropped)
// when the benchmark ends.
type backend struct {
	name string
	open func(b *testing.B, clock bot.Clock) bot.Store
	// seeder returns a store on the same data for filling it fast (on
	// PostgreSQL without waiting for each commit's flush); nil: db itself.
	seeder func(b *testing.B, db bot.Store, clock bot.Clock) bot.Store
}

func (be backend) seedStore(b *testing.B, db bot.Store, clock bot.Clock) bot.Store {
	if be.seeder == nil {
		return db
	}
	return be.seeder(b, db, clock)
}

var benchSchemas sync.Map // *postgres.DB -> schema

func backends() []backend {
	return []backend{
		{"bbolt", func(b *testing.B, clock bot.Clock) bot.Store {
			db, err := store.Open(filepath.Join(b.TempDir(), "bench.db"), store.Options{Clock: clock})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { db.Close() })
			return db
		}, nil},
		{"postgres", func(b *testing.B, clock bot.Clock) bot.Store {
			ctx := context.Background()
			schema := fmt.Sprintf("studybot_bench_%d_%d", os.Getpid(), time.Now().UnixNano())
			db, err := postgres.Open(ctx, os.Getenv("STUDYBOT_TEST_DATABASE_URL"), postgres.Options{Schema: schema, Clock: clock, MaxConns: 16})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { db.DropSchema(ctx, schema); db.Close() })
			benchSchemas.Store(db, schema)
			return db
		}, func(b *testing.B, db bot.Store, clock bot.Clock) bot.Store {
			schema, _ := benchSchemas.Load(db)
			u := os.Getenv("STUDYBOT_TEST_DATABASE_URL")
			sep := "?"
			if strings.Contains(u, "?") {
				sep = "&"
			}
			fast, err := postgres.Open(context.Background(), u+sep+"synchronous_commit=off", postgres.Options{Schema: schema.(string), Clock: clock, MaxConns: 16})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { fast.Close() })
			return fast
		}},
	}
}

// seedProgress stores n members with random progress, 64 writers at once.
func seedProgress(b *testing.B, db bot.Store, n int, now time.Time) {
	topics := roadmap.Default().Topics()
	parallel(b, n, func(i int) error {
		rng := rand.New(rand.NewPCG(uint64(i), 1))
		_, err := db.UpdateMember(context.Background(), benchSpace, fmt.Sprintf("m%06d", i), func(m *bot.Member) error {
			t := m.WriteTrack(bot.BuiltinRoadmap)
			for _, tp := range topics[:rng.IntN(len(topics))] {
				t.Topics.Set(tp.ID, bot.Mark{Status: roadmap.Done, At: now})
			}
			return nil
		})
		return err
	})
}

// parallel runs fn(0..n-1) on 64 goroutines.
func parallel(b *testing.B, n int, fn func(i int) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

const commandMembers = 10_000

var doneRuns atomic.Int64

// BenchmarkCommand: next and progress for one member among 10,000, and done
// from 1 and 64 members at once, through the engine, on each backend.
func BenchmarkCommand(b *testing.B) {
	now := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	clock := bot.ClockFunc(func() time.Time { return now })
	for _, be := range backends() {
		b.Run(be.name, func(b *testing.B) {
			db := be.open(b, clock)
			seedProgress(b, be.seedStore(b, db, clock), commandMembers, now)
			eng := &bot.Engine{Store: db, Roadmap: roadmap.Default(), Clock: clock}
			for _, cmd := range []string{"next", "progress"} {
				b.Run(cmd, func(b *testing.B) {
					b.ReportAllocs()
					for i := 0; b.Loop(); i++ {
						req := &bot.Request{Space: benchSpace, Member: fmt.Sprintf("m%06d", i%commandMembers), Command: cmd}
						if _, err := eng.Handle(context.Background(), req); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
			topics := roadmap.Default().Topics()
			for _, writers := range []int{1, 64} {
				b.Run(fmt.Sprintf("done/members=%d", writers), func(b *testing.B) {
					var n atomic.Int64
					var wg sync.WaitGroup
					run := doneRuns.Add(1) // b.N grows over runs: new members each time
					b.ResetTimer()
					for w := range writers {
						wg.Go(func() {
							for i := 0; n.Add(1) <= int64(b.N); i++ {
								id := fmt.Sprintf("d%d-%d-%d", run, w, i/len(topics))
								req := &bot.Request{Space: benchSpace, Member: id, Command: "done", Args: map[string]string{"topic": topics[i%len(topics)].ID}}
								if _, err := eng.Handle(context.Background(), req); err != nil {
									b.Error(bot.ErrorMessage(err))
									return
								}
							}
						})
					}
					wg.Wait()
					b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "done/s")
				})
			}
		})
	}
}

// nopMessenger counts nudges.
type nopMessenger struct{ n atomic.Int64 }

func (m *nopMessenger) Direct(context.Context, bot.Space, string, *bot.Reply) error {
	m.n.Add(1)
	return nil
}
func (m *nopMessenger) Post(context.Context, bot.Space, string, *bot.Reply) error { return nil }

var tickZones = []string{"UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Asia/Tokyo"}

const tickMembers = 100_000

// BenchmarkTick: one scheduler tick (claim, reschedule, commit, and delivery
// through the engine to a messenger that only counts) in a normal minute at
// 100,000 subscribed members (~70 due), on each backend. Each iteration
// moves the clock to the next minute with members due.
func BenchmarkTick(b *testing.B) {
	start := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	for _, be := range backends() {
		b.Run(be.name, func(b *testing.B) {
			clock := &bot.ManualClock{}
			clock.Set(start)
			db := be.open(b, clock)
			began := time.Now()
			seeder := be.seedStore(b, db, clock)
			parallel(b, tickMembers, func(i int) error {
				minute := i % 1440
				nd := bot.Nudge{On: true, Hour: minute / 60, Minute: minute % 60, Zone: tickZones[(i/1440)%len(tickZones)]}
				nd.Next = nd.Slot().NextAfter(start, "")
				_, err := seeder.UpdateMember(context.Background(), benchSpace, fmt.Sprintf("m%07d", i), func(m *bot.Member) error {
					m.Nudge = nd
					return nil
				})
				return err
			})
			b.Logf("seeded %d members in %s", tickMembers, time.Since(began).Round(time.Second))
			log := slog.New(slog.DiscardHandler)
			msgr := &nopMessenger{}
			eng := &bot.Engine{Store: db, Roadmap: roadmap.Default(), Clock: clock, Log: log, Messenger: msgr}
			s := schedule.New(schedule.Config{}, db, eng, clock, log)
			ctx := context.Background()
			times := make([]time.Duration, 0, b.N)
			due := 0
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				next, err := db.NextDue(ctx)
				if err != nil || next.IsZero() {
					b.Fatalf("NextDue: %v, %v", next, err)
				}
				at := next.Truncate(time.Minute)
				if !at.Equal(next) {
					at = at.Add(time.Minute)
				}
				clock.Set(at)
				b.StartTimer()
				t0 := time.Now()
				st, err := s.Tick(ctx)
				times = append(times, time.Since(t0))
				if err != nil {
					b.Fatal(err)
				}
				due += st.Due
			}
			b.StopTimer()
			slices.Sort(times)
			b.ReportMetric(float64(due)/float64(b.N), "due/op")
			b.ReportMetric(float64(times[len(times)*99/100].Microseconds()), "p99-µs")
		})
	}
}

// BenchmarkFloor is what the machine gives at best, measured in the same
// run as the others: one PostgreSQL round trip, and one durable commit of a
// one-row write (the floor under done).
func BenchmarkFloor(b *testing.B) {
	ctx := context.Background()
	db := backends()[1].open(b, nil).(*postgres.DB)
	if err := db.MarkDelivered(ctx, "warm", time.Unix(0, 0)); err != nil {
		b.Fatal(err)
	}
	b.Run("roundtrip", func(b *testing.B) {
		for b.Loop() {
			if _, err := db.Delivered(ctx, "warm"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("commit", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if err := db.MarkDelivered(ctx, fmt.Sprint("k", i), time.Unix(0, 0)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
