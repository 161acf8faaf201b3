package bot_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
	"github.com/studybot/studybot/roadmap"
	"github.com/studybot/studybot/store"
)

// groupBenchMembers is the space size of the group benchmark (issue 12).
const groupBenchMembers = 10_000

// seedGroup fills the space with n members with random done and skipped
// marks spread over the last 60 days, random last use, and a third opted in
// to buddies; 64 writers at a time so that they share commits.
func seedGroup(b *testing.B, env *bottest.Env, n int) {
	b.Helper()
	topics := env.Engine.Roadmap.Topics()
	now := env.Clock.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range 64 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 2))
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				ago := func() time.Duration { return time.Duration(rng.Int64N(int64(60 * day))) }
				_, err := env.DB.UpdateMember(context.Background(), bottest.Space, fmt.Sprintf("m%06d", i), func(m *bot.Member) error {
					m.Name = fmt.Sprintf("Member %d", i)
					m.Seen = now.Add(-ago())
					m.Buddy = rng.IntN(3) == 0
					tr := m.WriteTrack(bot.BuiltinRoadmap)
					k := rng.IntN(len(topics))
					for _, t := range topics[:k] {
						st := roadmap.Done
						if rng.IntN(5) == 0 {
							st = roadmap.Skipped
						}
						tr.Topics.Set(t.ID, bot.Mark{Status: st, At: now.Add(-ago())})
					}
					if k < len(topics) && rng.IntN(2) == 0 {
						tr.Topics.Set(topics[k].ID, bot.Mark{Status: roadmap.Learning, At: now})
					}
					return nil
				})
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// viewEnv is an engine on a fresh file whose store caches briefs or not
// (store.Options.BriefCacheBytes), for the views over a whole space.
func viewEnv(b *testing.B, cache bool) *bottest.Env {
	b.Helper()
	clock := bottest.NewClock(bottest.Start)
	opt := store.Options{Clock: clock}
	if !cache {
		opt.BriefCacheBytes = -1
	}
	db, err := store.Open(filepath.Join(b.TempDir(), "studybot.db"), opt)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return &bottest.Env{DB: db, Clock: clock, Engine: &bot.Engine{Store: db, Roadmap: roadmap.Default(), Clock: clock, Log: slog.New(slog.DiscardHandler)}}
}

// BenchmarkGroup: "group" as a moderator (the idle list too) in a space of
// 10,000 members: one pass over every member, against a raw scan of their
// records in the same run (benchFloor; target x-floor-p50 <= 5). cache=on
// is a space nobody wrote to since the last view (every brief cached),
// cache=off decodes every record.
func BenchmarkGroup(b *testing.B) {
	for _, cache := range []bool{true, false} {
		b.Run(fmt.Sprintf("cache=%s", onOff(cache)), func(b *testing.B) {
			env := viewEnv(b, cache)
			seedGroup(b, env, groupBenchMembers)
			req := &bot.Request{Space: bottest.Space, Member: "m000001", Access: bot.AccessModerator, Command: "group"}
			ctx := context.Background()
			benchFloor(b, func(int) {
				if _, err := env.Engine.Handle(ctx, req); err != nil {
					b.Fatal(err)
				}
			}, func(int) {
				if n, err := env.DB.Floor().Scan(bottest.Space); err != nil || n != groupBenchMembers {
					b.Fatal(n, err)
				}
			})
		})
	}
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}
