package schedule_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/schedule"

	"github.com/studybot/studybot/bot/bottest"
	"github.com/studybot/studybot/bot/nudge"
)

// TestTickAcrossDST follows one member per case across a transition and checks
// every nudge instant: gaps fire at the first instant after the gap, repeated
// hours fire once, and every local date gets exactly one nudge.
func TestTickAcrossDST(t *testing.T) {
	tests := []struct {
		name       string
		zone, at   string
		start, end string // UTC
		want       []string
	}{
		{"NewYorkSpringGap", "America/New_York", "02:30", "2025-03-07 12:00", "2025-03-11 00:00",
			[]string{"2025-03-08 07:30", "2025-03-09 07:00", "2025-03-10 06:30"}},
		{"NewYorkFallBackOnce", "America/New_York", "01:30", "2025-10-31 12:00", "2025-11-04 00:00",
			[]string{"2025-11-01 05:30", "2025-11-02 05:30", "2025-11-03 06:30"}},
		{"LondonSpringGap", "Europe/London", "01:15", "2025-03-28 12:00", "2025-04-01 00:00",
			[]string{"2025-03-29 01:15", "2025-03-30 01:00", "2025-03-31 00:15"}},
		{"LondonFallBackOnce", "Europe/London", "01:15", "2025-10-24 12:00", "2025-10-28 00:00",
			[]string{"2025-10-25 00:15", "2025-10-26 00:15", "2025-10-27 01:15"}},
		{"SantiagoMidnightGap", "America/Santiago", "00:00", "2025-09-05 12:00", "2025-09-09 00:00",
			[]string{"2025-09-06 04:00", "2025-09-07 04:00", "2025-09-08 03:00"}},
		{"SantiagoRepeatedHourOnce", "America/Santiago", "23:30", "2025-04-04 12:00", "2025-04-08 00:00",
			[]string{"2025-04-05 02:30", "2025-04-06 02:30", "2025-04-07 03:30"}},
		{"LordHoweHalfHourGap", "Australia/Lord_Howe", "02:15", "2025-10-03 00:00", "2025-10-06 00:00",
			[]string{"2025-10-03 15:45", "2025-10-04 15:30", "2025-10-05 15:15"}},
		{"LordHoweHalfHourRepeatOnce", "Australia/Lord_Howe", "01:45", "2025-04-04 00:00", "2025-04-07 00:00",
			[]string{"2025-04-04 14:45", "2025-04-05 14:45", "2025-04-06 15:15"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, utc(tt.start))
			h.subscribe("ana", tt.at, tt.zone)
			h.runUntil(utc(tt.end))
			if got := h.msg.sentTo("ana"); !slices.Equal(got, tt.want) {
				t.Errorf("nudges at %v, want %v", got, tt.want)
			}
		})
	}
}

func TestTickDowntime(t *testing.T) {
	// Berlin 08:30 is 06:30 UTC in June.
	tests := []struct {
		name           string
		downFrom, upAt string
		want           []string
		late, missed   int
	}{
		{"ShorterThanGraceSentOnceLate", "2025-06-02 06:00", "2025-06-02 07:45",
			[]string{"2025-06-02 07:45", "2025-06-03 06:30", "2025-06-04 06:30"}, 1, 0},
		{"ExactlyGraceStillSent", "2025-06-02 06:00", "2025-06-02 08:30",
			[]string{"2025-06-02 08:30", "2025-06-03 06:30", "2025-06-04 06:30"}, 1, 0},
		{"LongerThanGraceSkipped", "2025-06-02 06:00", "2025-06-02 08:31",
			[]string{"2025-06-03 06:30", "2025-06-04 06:30"}, 0, 1},
		{"SeveralDaysDownOneLateAtMost", "2025-06-02 06:00", "2025-06-04 07:00",
			[]string{"2025-06-04 07:00"}, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, utc("2025-06-01 12:00"))
			h.subscribe("ana", "08:30", "Europe/Berlin")
			h.runUntil(utc("2025-06-04 12:00"), utc(tt.downFrom), utc(tt.upAt))
			if got := h.msg.sentTo("ana"); !slices.Equal(got, tt.want) {
				t.Errorf("nudges at %v, want %v", got, tt.want)
			}
			if h.stats.Late != tt.late || h.stats.Missed != tt.missed {
				t.Errorf("late %d, missed %d; want %d, %d", h.stats.Late, h.stats.Missed, tt.late, tt.missed)
			}
		})
	}
}

// A nudge sent late just after local midnight counts for the new date, so that
// date's own nudge is not sent too. With a member of the same slot who was not
// sent (closed DMs), the slot still fires on that date; the late one must not.
func TestTickLateAfterMidnightOnePerDate(t *testing.T) {
	for _, shared := range []bool{false, true} {
		t.Run(fmt.Sprint("shared=", shared), func(t *testing.T) {
			h := newHarness(t, utc("2025-06-01 12:00"))
			h.subscribe("ana", "23:30", "UTC")
			if shared {
				h.subscribe("bob", "23:30", "UTC")
				if _, err := h.db.UpdateMember(h.ctx, space, "bob", func(m *bot.Member) error { m.DMClosed = true; return nil }); err != nil {
					t.Fatal(err)
				}
			}
			h.runUntil(utc("2025-06-04 00:00"), utc("2025-06-01 23:00"), utc("2025-06-02 00:15"))
			want := []string{"2025-06-02 00:15", "2025-06-03 23:30"}
			if got := h.msg.sentTo("ana"); !slices.Equal(got, want) {
				t.Errorf("ana nudged at %v, want %v", got, want)
			}
		})
	}
}

// TestRestartMidTickDoesNotDouble claims (commits the reschedule) and "crashes"
// before sending: after a restart nothing is sent again that local date, even
// when the member moves their nudge to later that day.
func TestRestartMidTickDoesNotDouble(t *testing.T) {
	h := newHarness(t, utc("2025-06-01 12:00"))
	h.subscribe("ana", "08:30", "UTC")
	h.subscribe("ben", "08:30", "UTC")
	h.clock.Set(utc("2025-06-02 08:30"))
	claimed, _, err := h.s.Claim(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(claimed) != 2 {
		t.Fatalf("claimed %d members, want 2", len(claimed))
	}
	h.restart()
	h.tickAt(utc("2025-06-02 08:30"))
	h.clock.Set(utc("2025-06-02 09:00"))
	h.subscribe("ben", "20:00", "UTC") // later the same day: still no second nudge
	h.runUntil(utc("2025-06-03 23:00"))
	if got, want := h.msg.sentTo("ana"), []string{"2025-06-03 08:30"}; !slices.Equal(got, want) {
		t.Errorf("ana nudged at %v, want %v", got, want)
	}
	if got, want := h.msg.sentTo("ben"), []string{"2025-06-03 20:00"}; !slices.Equal(got, want) {
		t.Errorf("ben nudged at %v, want %v", got, want)
	}
}

func TestTickSkipsWhoShouldNotBeNudged(t *testing.T) {
	h := newHarness(t, utc("2025-06-01 12:00"))
	for _, id := range []string{"ana", "closed", "off", "deleted", "refuses"} {
		h.subscribe(id, "08:30", "UTC")
	}
	if _, err := h.db.UpdateMember(h.ctx, space, "closed", func(m *bot.Member) error {
		m.DMClosed = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	h.do("off", "nudge off", nil)
	if err := h.db.DeleteMember(h.ctx, space, "deleted"); err != nil {
		t.Fatal(err)
	}
	h.msg.unreachable["refuses"] = true

	h.runUntil(utc("2025-06-04 12:00"))

	if got := len(h.msg.sentTo("ana")); got != 3 {
		t.Errorf("ana got %d nudges, want 3", got)
	}
	for _, id := range []string{"closed", "off", "deleted"} {
		if n := h.msg.attempts(id); n != 0 {
			t.Errorf("%s: %d nudges attempted, want 0", id, n)
		}
	}
	if n := h.msg.attempts("refuses"); n != 1 {
		t.Errorf("refuses: %d attempts, want 1 (then marked)", n)
	}
	if m := member(t, h.db, "refuses"); !m.DMClosed {
		t.Errorf("refuses: DMClosed = false after an Unreachable send")
	}
	if _, err := h.db.Member(h.ctx, space, "deleted"); bot.ErrorCode(err) != bot.NotFound {
		t.Errorf("deleted member came back: err = %v", err)
	}
	if h.stats.Unreachable != 1 || h.stats.Closed < 4 {
		t.Errorf("stats %+v: want 1 unreachable and closed skips for both closed members", h.stats)
	}

	// Using the bot again (setting the nudge) opens DMs again.
	h.msg.unreachable["refuses"] = false
	h.subscribe("refuses", "08:30", "UTC")
	h.runUntil(utc("2025-06-05 12:00"))
	if got, want := h.msg.sentTo("refuses"), []string{"2025-06-05 08:30"}; !slices.Equal(got, want) {
		t.Errorf("refuses after re-subscribing: nudges at %v, want %v", got, want)
	}
}

func TestTickBatches(t *testing.T) {
	h := newHarness(t, utc("2025-06-01 12:00"))
	h.cfg.BatchSize = 7
	h.restart()
	for i := range 50 {
		h.subscribe(fmt.Sprintf("m%02d", i), "08:30", "UTC")
	}
	st := h.tickAt(utc("2025-06-02 08:30"))
	if st.Due != 50 || st.Sent != 50 {
		t.Errorf("tick: %+v, want 50 due and sent", st)
	}
	if next, _ := h.db.NextDue(h.ctx); !next.Equal(utc("2025-06-03 08:30")) {
		t.Errorf("NextDue = %s, want tomorrow 08:30", next)
	}
}

func TestNudgeContent(t *testing.T) {
	h := newHarness(t, utc("2025-06-01 12:00"))
	h.subscribe("ana", "08:30", "UTC")
	h.runUntil(utc("2025-06-02 09:00"))
	h.msg.mu.Lock()
	r := h.msg.direct[0].Reply
	h.msg.mu.Unlock()
	first := h.eng.Roadmap.Topics()[0]
	if !strings.Contains(r.Title, first.Title) || len(r.Links) != 1 || len(r.Buttons) != 3 {
		t.Errorf("nudge %+v: want the first topic, one link and three buttons", r)
	}
	if r.Buttons[0].Action != bot.Action("done", first.ID) {
		t.Errorf("first button %q, want %q", r.Buttons[0].Action, bot.Action("done", first.ID))
	}
}

// TestThousandMembersFourHundredDays runs 1,000 members (100 under the race
// detector) in zones with awkward transitions over 400 days and checks that
// every local date got exactly one nudge: 0 duplicates, 0 misses.
func TestThousandMembersFourHundredDays(t *testing.T) {
	if testing.Short() {
		t.Skip("long fake-clock run")
	}
	zones := []string{"America/New_York", "Europe/London", "America/Santiago", "Australia/Lord_Howe",
		"Asia/Kolkata", "Asia/Kathmandu", "Pacific/Chatham", "UTC"}
	// Times chosen to sit in or next to the transitions' gaps and repeats; few
	// distinct times keep the number of busy minutes (ticks) small.
	times := []string{"00:00", "01:45", "02:30", "23:30"}
	start, end := utc("2025-01-01 00:00"), utc("2026-02-05 00:00")
	members := 1000
	if raceEnabled {
		members = 100
	}
	h := newHarnessIn(t, bottest.MemDir(t), start)
	rng := rand.New(rand.NewPCG(1, 2))
	type sub struct {
		zone, at string
	}
	locs := map[string]*time.Location{}
	for _, z := range zones {
		locs[z] = mustZone(t, z)
	}
	subs := map[string]sub{}
	for i := range members {
		id := fmt.Sprintf("m%04d", i)
		s := sub{zones[rng.IntN(len(zones))], times[rng.IntN(len(times))]}
		subs[id] = s
		h.subscribe(id, s.at, s.zone)
	}
	h.runUntil(end)

	// Judged by the same oracle as `studybot simulate` (bot/nudge).
	oracle := nudge.NewOracle(end, time.Time{}, time.Time{})
	idx := map[string]int{}
	want := 0
	for id, s := range subs {
		var hh, mm int
		fmt.Sscanf(s.at, "%d:%d", &hh, &mm)
		slot := nudge.Slot{Hour: hh, Minute: mm, Zone: s.zone}
		idx[id] = oracle.Add(slot, slot.NextAfter(start, ""))
		for at := nudge.Next(start, hh, mm, locs[s.zone]); !at.After(end); at = nudge.Next(at, hh, mm, locs[s.zone]) {
			want++
		}
	}
	h.msg.mu.Lock()
	for _, d := range h.msg.direct {
		oracle.Sent(idx[d.To], d.At)
	}
	h.msg.mu.Unlock()
	dups, misses := oracle.Finish()
	if dups != 0 || misses != 0 || h.stats.Sent != want {
		t.Errorf("%d duplicates, %d misses, %d sent; want 0, 0, %d", dups, misses, h.stats.Sent, want)
	}
	t.Logf("%d nudges, stats %+v", h.stats.Sent, h.stats)
}

func mustZone(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatal(err)
	}
	return loc
}

func TestSendStopsWhenCancelled(t *testing.T) {
	h := newHarness(t, utc("2025-06-01 12:00"))
	h.subscribe("ana", "08:30", "UTC")
	h.clock.Set(utc("2025-06-02 08:30"))
	ms, _, err := h.s.Claim(h.ctx)
	if err != nil || len(ms) != 1 {
		t.Fatalf("claim: %d members, %v", len(ms), err)
	}
	ctx, cancel := context.WithCancel(h.ctx)
	cancel()
	if st := h.s.Send(ctx, ms); st.Sent != 0 {
		t.Errorf("sent %d after cancel", st.Sent)
	}
	_ = schedule.TickStats{}
}

// TestSettingsChangeAfterClaims moves a nudge after ticks have claimed it: the
// member record no longer knows where the due entry is, so the old entry stays
// behind as stale and must be dropped, not sent; the new time starts tomorrow
// when today's slot has passed.
func TestSettingsChangeAfterClaims(t *testing.T) {
	h := newHarness(t, utc("2025-06-01 12:00"))
	h.subscribe("ana", "08:30", "UTC")
	h.subscribe("ben", "08:30", "UTC")
	h.runUntil(utc("2025-06-02 10:00"))
	h.subscribe("ana", "20:00", "UTC")                             // today's 08:30 was sent: from tomorrow
	h.subscribe("ben", "07:00", "Asia/Kolkata")                    // 01:30 UTC; Kolkata's Jun 2 nudged at 08:30 UTC
	if err := h.db.DeleteMember(h.ctx, space, "cid"); err != nil { // absent: nothing to do
		t.Fatal(err)
	}
	h.runUntil(utc("2025-06-04 23:00"))
	if got, want := h.msg.sentTo("ana"), []string{"2025-06-02 08:30", "2025-06-03 20:00", "2025-06-04 20:00"}; !slices.Equal(got, want) {
		t.Errorf("ana nudged at %v, want %v", got, want)
	}
	if got, want := h.msg.sentTo("ben"), []string{"2025-06-02 08:30", "2025-06-03 01:30", "2025-06-04 01:30"}; !slices.Equal(got, want) {
		t.Errorf("ben nudged at %v, want %v", got, want)
	}
	if h.stats.Due != h.stats.Sent {
		t.Errorf("stats %+v: stale entries were claimed", h.stats)
	}
}

// TestDeleteAfterClaims deletes a member whose due entry ticks have moved, and
// one deleted between claim and send: neither is nudged again.
func TestDeleteAfterClaims(t *testing.T) {
	h := newHarness(t, utc("2025-06-01 12:00"))
	for _, id := range []string{"ana", "gone", "late"} {
		h.subscribe(id, "08:30", "UTC")
	}
	h.runUntil(utc("2025-06-02 12:00"))
	if err := h.db.DeleteMember(h.ctx, space, "gone"); err != nil {
		t.Fatal(err)
	}
	h.clock.Set(utc("2025-06-03 08:30"))
	ds, st, err := h.s.Claim(h.ctx)
	if err != nil || len(ds) != 2 || st.Due != 2 {
		t.Fatalf("claim: %d to send, %+v, %v; want ana and late", len(ds), st, err)
	}
	if err := h.db.DeleteMember(h.ctx, space, "late"); err != nil {
		t.Fatal(err)
	}
	if st := h.s.Send(h.ctx, ds); st.Sent != 1 || st.Off != 1 {
		t.Errorf("send: %+v, want 1 sent and the deleted member skipped", st)
	}
	h.runUntil(utc("2025-06-05 12:00"))
	for id, want := range map[string]int{"ana": 4, "gone": 1, "late": 1} {
		if got := len(h.msg.sentTo(id)); got != want {
			t.Errorf("%s: %d nudges, want %d", id, got, want)
		}
	}
	for _, id := range []string{"gone", "late"} {
		if _, err := h.db.Member(h.ctx, space, id); bot.ErrorCode(err) != bot.NotFound {
			t.Errorf("%s came back: %v", id, err)
		}
	}
}

// A member who moves from a zone ahead (their last date is the ahead zone's)
// still gets the new zone's nudge on each of its dates.
func TestZoneChangeFromAheadKeepsEveryDate(t *testing.T) {
	h := newHarness(t, utc("2025-06-01 12:00"))
	h.subscribe("ana", "08:00", "Pacific/Kiritimati") // UTC+14
	h.runUntil(utc("2025-06-01 19:00"))               // nudged 06-01 18:00 UTC, 06-02 there
	h.subscribe("ana", "12:00", "Pacific/Honolulu")   // UTC-10, where it is 06-01 09:00
	h.runUntil(utc("2025-06-05 00:00"))
	want := []string{"2025-06-01 18:00", "2025-06-01 22:00", "2025-06-02 22:00", "2025-06-03 22:00", "2025-06-04 22:00"}
	if got := h.msg.sentTo("ana"); !slices.Equal(got, want) {
		t.Errorf("ana nudged at %v, want %v", got, want)
	}
}

// "nudge off" after today's nudge, then "nudge at" a later time the same day:
// today stays nudged.
func TestNudgeOffThenOnSameDay(t *testing.T) {
	h := newHarness(t, utc("2025-06-01 07:00"))
	h.subscribe("ana", "08:00", "UTC")
	h.runUntil(utc("2025-06-01 09:00"))
	h.do("ana", "nudge off", nil)
	h.subscribe("ana", "12:00", "UTC")
	h.runUntil(utc("2025-06-02 13:00"))
	want := []string{"2025-06-01 08:00", "2025-06-02 12:00"}
	if got := h.msg.sentTo("ana"); !slices.Equal(got, want) {
		t.Errorf("ana nudged at %v, want %v", got, want)
	}
}
