package schedule

import (
	"log/slog"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
)

// TestDecideMemoMatchesNextAfter checks decide's per-slot memo against the
// plain computation it replaces: whatever order members of different slots,
// zones and last dates come in, each gets n.NextAfter(now, loc) computed with
// the LastDate decide leaves them.
func TestDecideMemoMatchesNextAfter(t *testing.T) {
	s := &Scheduler{cfg: Config{Grace: 2 * time.Hour}, log: slog.New(slog.DiscardHandler)}
	zones := []string{"UTC", "America/New_York", "Australia/Lord_Howe", "Pacific/Chatham", "America/Santiago", "Asia/Kathmandu"}
	rng := rand.New(rand.NewPCG(7, 9))
	// Instants around DST changes and date lines, and ordinary ones.
	nows := []time.Time{
		time.Date(2025, 3, 9, 7, 0, 0, 0, time.UTC),   // New York springs forward
		time.Date(2025, 4, 5, 15, 0, 0, 0, time.UTC),  // Lord Howe falls back 30 min
		time.Date(2025, 9, 7, 3, 0, 0, 0, time.UTC),   // Santiago's midnight gap
		time.Date(2025, 11, 2, 5, 30, 0, 0, time.UTC), // New York falls back
		time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC),
	}
	for _, now := range nows {
		var memo slotMemo
		for range 400 {
			zone := zones[rng.IntN(len(zones))]
			loc, _ := bot.LoadZone(zone)
			// Few distinct slots, so the memo is hit and missed.
			hour, minute := rng.IntN(3)*7, rng.IntN(2)*30
			today := now.In(loc).Format(bot.DateLayout)
			next := bot.NextNudge(now, hour, minute, loc)
			last := []string{"", today, next.In(loc).Format(bot.DateLayout), "2024-01-01"}[rng.IntN(4)]
			d := &bot.Due{Member: "m", DMClosed: rng.IntN(3) == 0, Nudge: bot.Nudge{
				On: true, Hour: hour, Minute: minute, Zone: zone, LastDate: last,
				Next: now.Add(-time.Duration(rng.IntN(300)) * time.Minute),
			}}
			s.decide(d, now, &memo)
			want := d.Nudge // with the LastDate decide left
			want.Next = want.NextAfter(now, loc).UTC()
			if !d.Nudge.Next.Equal(want.Next) {
				t.Fatalf("now %s, %02d:%02d %s, last %q: next %s, want %s", now, hour, minute, zone, last, d.Nudge.Next, want.Next)
			}
		}
	}
}
