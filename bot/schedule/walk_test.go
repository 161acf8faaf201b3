package schedule

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/store"
)

// walkHarness claims one slot of two members (ana, bob) a batch of one at a
// time, at instants the test picks, and records who was claimed to be sent
// when.
type walkHarness struct {
	t     *testing.T
	s     *Scheduler
	sends map[string][]time.Time
}

func newWalk(t *testing.T, at time.Time) *walkHarness {
	db, err := store.Open(filepath.Join(t.TempDir(), "walk.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	sp := bot.Space{Platform: bot.PlatformConsole, ID: "g"}
	for _, id := range []string{"ana", "bob"} {
		_, err := db.UpdateMember(context.Background(), sp, id, func(m *bot.Member) error {
			m.Nudge = bot.Nudge{On: true, Hour: at.Hour(), Minute: at.Minute(), Zone: "UTC", Next: at}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	s := New(Config{BatchSize: 1}, db, nil, bot.ClockFunc(time.Now), slog.New(slog.DiscardHandler))
	return &walkHarness{t: t, s: s, sends: map[string][]time.Time{}}
}

func (w *walkHarness) claim(now time.Time) {
	w.t.Helper()
	_, ds, _, err := w.s.claim(context.Background(), now)
	if err != nil {
		w.t.Fatal(err)
	}
	for _, d := range ds {
		w.sends[d.due.Member] = append(w.sends[d.due.Member], now)
	}
}

// A slot's walk paused at the batch limit and resumed after local midnight:
// the members claimed after midnight count for the new date and must not be
// nudged again when the slot fires on it.
func TestPausedWalkAcrossMidnight(t *testing.T) {
	d0 := time.Date(2025, 6, 1, 23, 59, 0, 0, time.UTC)
	w := newWalk(t, d0)
	w.claim(d0.Add(30 * time.Second)) // ana; the walk pauses
	w.claim(d0.Add(70 * time.Second)) // bob, 06-02 00:00:10
	w.claim(d0.Add(24 * time.Hour))   // 06-02 23:59
	w.claim(d0.Add(24*time.Hour + time.Second))
	if len(w.sends["bob"]) != 1 || len(w.sends["ana"]) != 2 {
		t.Errorf("sends %v; want bob once (06-02 00:00), ana on 06-01 and 06-02", w.sends)
	}
}

// A walk paused, then the process down for two days and back within grace:
// the instant the first members were moved to has passed and must not pull
// the slot back to it (which would claim the rest twice).
func TestPausedWalkResumedAfterDowntime(t *testing.T) {
	d0 := time.Date(2025, 6, 1, 8, 30, 0, 0, time.UTC)
	w := newWalk(t, d0)
	w.claim(d0) // ana; the walk pauses, the process dies
	later := d0.Add(48*time.Hour + 5*time.Minute)
	for range 4 {
		w.claim(later)
	}
	if len(w.sends["bob"]) != 1 {
		t.Errorf("bob claimed to send at %v, want once", w.sends["bob"])
	}
	// ana, down since 06-01, is claimed again with the slot's next firing.
	w.claim(d0.Add(72 * time.Hour))
	w.claim(d0.Add(72 * time.Hour)) // a batch each
	if len(w.sends["ana"]) != 2 || len(w.sends["bob"]) != 2 {
		t.Errorf("sends %v after 06-04 08:30; want both once more", w.sends)
	}
}
