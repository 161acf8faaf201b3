package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
	"github.com/studybot/studybot/roadmap"
)

func zoneNamed(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatalf("load zone %s: %v", name, err)
	}
	return loc
}

func atUTC(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

// Transitions used below (2025):
//
//	America/New_York     Mar 9 02:00->03:00 (07:00Z); Nov 2 02:00->01:00 (06:00Z)
//	Europe/London        Mar 30 01:00->02:00 (01:00Z); Oct 26 02:00->01:00 (01:00Z)
//	America/Santiago     Apr 6 00:00->Apr 5 23:00 (03:00Z); Sep 7 00:00->01:00 (04:00Z)
//	Australia/Lord_Howe  Apr 6 02:00->01:30 (Apr 5 15:00Z); Oct 5 02:00->02:30 (Oct 4 15:30Z)
//	Pacific/Apia         2011: Dec 30 skipped entirely (Dec 30 10:00Z)
func TestNextNudge(t *testing.T) {
	tests := []struct {
		name         string
		zone         string
		after        string // UTC
		hour, minute int
		want         string // UTC
	}{
		{"LaterToday", "America/New_York", "2025-03-01 12:00", 8, 30, "2025-03-01 13:30"},
		{"TomorrowWhenPassed", "America/New_York", "2025-03-01 14:00", 8, 30, "2025-03-02 13:30"},
		{"StrictlyAfter", "America/New_York", "2025-03-01 13:30", 8, 30, "2025-03-02 13:30"},
		{"NewYorkSpringGapFiresAtGapEnd", "America/New_York", "2025-03-08 17:00", 2, 30, "2025-03-09 07:00"},
		{"NewYorkGapStartFiresAtGapEnd", "America/New_York", "2025-03-08 17:00", 2, 0, "2025-03-09 07:00"},
		{"NewYorkDayAfterGap", "America/New_York", "2025-03-09 07:00", 2, 30, "2025-03-10 06:30"},
		{"NewYorkMorningAcrossSpring", "America/New_York", "2025-03-08 14:00", 8, 30, "2025-03-09 12:30"},
		{"NewYorkJustBeforeGap", "America/New_York", "2025-03-08 17:00", 1, 59, "2025-03-09 06:59"},
		{"NewYorkFallBackFirstOccurrence", "America/New_York", "2025-11-01 16:00", 1, 30, "2025-11-02 05:30"},
		{"NewYorkFallBackNoSecond", "America/New_York", "2025-11-02 05:30", 1, 30, "2025-11-03 06:30"},
		{"NewYorkFallBackBetweenOccurrences", "America/New_York", "2025-11-02 06:10", 1, 30, "2025-11-03 06:30"},
		{"LondonSpringGap", "Europe/London", "2025-03-29 12:00", 1, 15, "2025-03-30 01:00"},
		{"LondonFallBackOnce", "Europe/London", "2025-10-25 12:00", 1, 15, "2025-10-26 00:15"},
		{"LondonFallBackNoSecond", "Europe/London", "2025-10-26 00:15", 1, 15, "2025-10-27 01:15"},
		{"SantiagoMidnightGap", "America/Santiago", "2025-09-06 16:00", 0, 0, "2025-09-07 04:00"},
		{"SantiagoInsideMidnightGap", "America/Santiago", "2025-09-06 16:00", 0, 30, "2025-09-07 04:00"},
		{"SantiagoAfterMidnightGap", "America/Santiago", "2025-09-06 16:00", 1, 0, "2025-09-07 04:00"},
		{"SantiagoRepeatedLateHourOnce", "America/Santiago", "2025-04-05 15:00", 23, 30, "2025-04-06 02:30"},
		{"SantiagoRepeatedLateHourNoSecond", "America/Santiago", "2025-04-06 02:30", 23, 30, "2025-04-07 03:30"},
		{"SantiagoMidnightAfterFallBack", "America/Santiago", "2025-04-05 15:00", 0, 0, "2025-04-06 04:00"},
		{"LordHoweHalfHourGap", "Australia/Lord_Howe", "2025-10-04 00:00", 2, 15, "2025-10-04 15:30"},
		{"LordHoweAfterHalfHourGap", "Australia/Lord_Howe", "2025-10-04 15:30", 2, 15, "2025-10-05 15:15"},
		{"LordHoweHalfHourRepeatOnce", "Australia/Lord_Howe", "2025-04-05 00:00", 1, 45, "2025-04-05 14:45"},
		{"LordHoweHalfHourRepeatNoSecond", "Australia/Lord_Howe", "2025-04-05 14:45", 1, 45, "2025-04-06 15:15"},
		{"ChathamQuarterHourZone", "Pacific/Chatham", "2025-06-01 00:00", 9, 0, "2025-06-01 20:15"},
		{"ApiaSkippedDayHasNoNudge", "Pacific/Apia", "2011-12-29 22:00", 9, 0, "2011-12-30 19:00"},
		{"UTC", "UTC", "2025-06-01 23:59", 0, 0, "2025-06-02 00:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := zoneNamed(t, tt.zone)
			got := bot.NextNudge(atUTC(tt.after), tt.hour, tt.minute, loc)
			if want := atUTC(tt.want); !got.Equal(want) {
				t.Errorf("NextNudge(%s, %02d:%02d, %s) = %s (%s), want %s (%s)", tt.after, tt.hour, tt.minute, tt.zone,
					got.UTC().Format(time.DateTime), got.In(loc).Format(time.DateTime+" MST"),
					want.Format(time.DateTime), want.In(loc).Format(time.DateTime+" MST"))
			}
		})
	}
}

// TestNextNudgeOncePerDate walks two years in zones with awkward transitions and
// checks that following NextNudge gives exactly one instant per local date, each
// showing the wanted time or, on a gap day, the first instant after the gap.
func TestNextNudgeOncePerDate(t *testing.T) {
	zones := []string{"America/New_York", "Europe/London", "America/Santiago", "Australia/Lord_Howe",
		"Pacific/Chatham", "Asia/Kathmandu", "Asia/Kolkata", "UTC"}
	times := [][2]int{{0, 0}, {0, 30}, {1, 15}, {1, 45}, {2, 0}, {2, 15}, {2, 30}, {3, 0}, {8, 30}, {23, 30}, {23, 59}}
	start := atUTC("2024-12-30 00:00")
	end := atUTC("2027-01-02 00:00")
	for _, z := range zones {
		loc := zoneNamed(t, z)
		for _, hm := range times {
			prev := start
			prevDate := ""
			for n := 0; ; n++ {
				next := bot.NextNudge(prev, hm[0], hm[1], loc)
				if !next.After(prev) {
					t.Fatalf("%s %02d:%02d: NextNudge(%s) = %s, not after", z, hm[0], hm[1], prev, next)
				}
				if next.After(end) {
					break
				}
				local := next.In(loc)
				date := local.Format(bot.DateLayout)
				if prevDate != "" {
					wantDate := parseDate(t, prevDate).AddDate(0, 0, 1).Format(bot.DateLayout)
					if date != wantDate {
						t.Fatalf("%s %02d:%02d: after %s came %s (%s), want date %s", z, hm[0], hm[1], prevDate, date, local, wantDate)
					}
				}
				if local.Hour() != hm[0] || local.Minute() != hm[1] {
					// Only allowed at the end of a gap: a second earlier the clock
					// showed an earlier time than hour:minute.
					_, o1 := next.Add(-time.Second).In(loc).Zone()
					_, o2 := local.Zone()
					if o2 <= o1 {
						t.Fatalf("%s %02d:%02d: %s shows %s and is not the end of a gap", z, hm[0], hm[1], next.UTC(), local)
					}
				}
				prev, prevDate = next, date
			}
		}
	}
}

func parseDate(tb testing.TB, s string) time.Time {
	tb.Helper()
	d, err := time.Parse(bot.DateLayout, s)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

func TestNudgeNextAfterSkipsLastDate(t *testing.T) {
	loc := zoneNamed(t, "Europe/Berlin")
	// Nudged at 07:00 Berlin on June 2; the member moves their time to 20:00.
	n := bot.Nudge{On: true, Hour: 20, Minute: 0, Zone: "Europe/Berlin", LastDate: "2025-06-02"}
	got := n.NextAfter(atUTC("2025-06-02 06:00"), loc)
	if want := atUTC("2025-06-03 18:00"); !got.Equal(want) {
		t.Errorf("NextAfter = %s, want %s (no second nudge on June 2)", got.UTC(), want)
	}
	n.LastDate = "2025-06-01"
	got = n.NextAfter(atUTC("2025-06-02 06:00"), loc)
	if want := atUTC("2025-06-02 18:00"); !got.Equal(want) {
		t.Errorf("NextAfter = %s, want %s (today, not yet nudged)", got.UTC(), want)
	}
}

func storedMember(tb testing.TB, env *bottest.Env, id string) *bot.Member {
	tb.Helper()
	m, err := env.DB.Member(context.Background(), bottest.Space, id)
	if err != nil {
		tb.Fatalf("member %s: %v", id, err)
	}
	return m
}

func replyField(r *bot.Reply, name string) string {
	for _, f := range r.Fields {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}

func TestNudgeAt(t *testing.T) {
	// bottest.Start is Monday 2026-01-05 09:00 UTC, 10:00 in Berlin.
	tests := []struct {
		name        string
		line        string
		profileZone string
		defaultZone string
		wantZone    string
		wantNext    string // UTC
	}{
		{"TomorrowWhenPassedToday", "nudge at 08:30 Europe/Berlin", "", "", "Europe/Berlin", "2026-01-06 07:30"},
		{"TodayWhenNotYetPassed", "nudge at 20:00 Europe/Berlin", "", "", "Europe/Berlin", "2026-01-05 19:00"},
		{"ZoneCaseInsensitive", "nudge at 20:00 europe/berlin", "", "", "Europe/Berlin", "2026-01-05 19:00"},
		{"ProfileZoneWhenNoneTyped", "nudge at 07:00", "Asia/Kolkata", "Europe/Berlin", "Asia/Kolkata", "2026-01-06 01:30"},
		{"TypedZoneBeatsProfile", "nudge at 07:00 Asia/Kathmandu", "Asia/Kolkata", "", "Asia/Kathmandu", "2026-01-06 01:15"},
		{"DefaultZoneWhenNoProfile", "nudge at 12:00", "", "America/Santiago", "America/Santiago", "2026-01-05 15:00"},
		{"UTCWhenNothingKnown", "nudge at 9:05", "", "", "UTC", "2026-01-05 09:05"},
		{"NowIsStrictlyPast", "nudge at 09:00", "", "", "UTC", "2026-01-06 09:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := bottest.New(t)
			env.Engine.DefaultZone = tt.defaultZone
			req, err := env.Request("ana", tt.line)
			if err != nil {
				t.Fatal(err)
			}
			req.Zone = tt.profileZone
			r, err := env.Engine.Handle(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			m := storedMember(t, env, "ana")
			want := atUTC(tt.wantNext)
			if !m.Nudge.On || m.Nudge.Zone != tt.wantZone || !m.Nudge.Next.Equal(want) {
				t.Errorf("nudge %+v, want on in %s at %s", m.Nudge, tt.wantZone, want)
			}
			if got, _ := env.DB.NextDue(context.Background()); !got.Equal(want) {
				t.Errorf("NextDue = %s, want %s (the due index follows the member)", got, want)
			}
			if got := replyField(r, "In UTC"); !strings.Contains(got, want.Format("15:04")) {
				t.Errorf("reply's UTC field %q does not show %s", got, want.Format("15:04"))
			}
			loc := zoneNamed(t, tt.wantZone)
			if got := replyField(r, "Next nudge"); !strings.Contains(got, want.In(loc).Format("15:04")) {
				t.Errorf("reply's local field %q does not show %s", got, want.In(loc).Format("15:04"))
			}
		})
	}
}

func TestNudgeAtRejectsBadInput(t *testing.T) {
	env := bottest.New(t)
	for _, line := range []string{"nudge at 25:00", "nudge at 8h30", "nudge at 08:30 Mars/Olympus", "nudge at 08:30 Local"} {
		if _, err := env.Do(t, "ana", line); bot.ErrorCode(err) != bot.Invalid {
			t.Errorf("%q: err = %v, want Invalid", line, err)
		}
	}
	if _, err := env.DB.Member(context.Background(), bottest.Space, "ana"); bot.ErrorCode(err) != bot.NotFound {
		t.Errorf("a rejected nudge stored a member: %v", err)
	}
}

// Moving the nudge to later in the day after today's was sent waits for
// tomorrow: at most one nudge per local date.
func TestNudgeAtAfterTodaysNudge(t *testing.T) {
	env := bottest.New(t)
	if _, err := env.DB.UpdateMember(context.Background(), bottest.Space, "ana", func(m *bot.Member) error {
		m.Nudge = bot.Nudge{On: true, Hour: 8, Minute: 0, Zone: "UTC", LastDate: "2026-01-05", Next: atUTC("2026-01-06 08:00")}
		m.DMClosed = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	env.MustDo(t, "ana", "nudge at 18:00 UTC")
	m := storedMember(t, env, "ana")
	if want := atUTC("2026-01-06 18:00"); !m.Nudge.Next.Equal(want) {
		t.Errorf("next = %s, want %s", m.Nudge.Next, want)
	}
	if m.DMClosed {
		t.Errorf("DMClosed still set after the member set a nudge")
	}
}

// The member record's Next and LastDate lag once the scheduler has claimed the
// member (claims move only the due index), so setting a nudge works out
// whether today was nudged from the old settings: a slot at or before now
// counts as sent.
func TestNudgeAtAfterTodaysSlotWithStaleRecord(t *testing.T) {
	// bottest.Start is 2026-01-05 09:00 UTC.
	tests := []struct {
		name string
		old  bot.Nudge
		line string
		want string // UTC
	}{
		{"PassedSlotCountsAsNudged", bot.Nudge{On: true, Hour: 8, Zone: "UTC", Next: atUTC("2025-12-20 08:00"), LastDate: "2025-12-19"},
			"nudge at 18:00 UTC", "2026-01-06 18:00"},
		{"SlotAtNowCountsAsNudged", bot.Nudge{On: true, Hour: 9, Zone: "UTC", Next: atUTC("2026-01-05 09:00")},
			"nudge at 18:00 UTC", "2026-01-06 18:00"},
		{"SameTimeAgainWaitsForTomorrow", bot.Nudge{On: true, Hour: 8, Zone: "UTC", Next: atUTC("2025-12-20 08:00")},
			"nudge at 08:30 UTC", "2026-01-06 08:30"},
		{"SlotNotYetReachedToday", bot.Nudge{On: true, Hour: 20, Zone: "UTC", Next: atUTC("2025-12-20 20:00")},
			"nudge at 18:00 UTC", "2026-01-05 18:00"},
		{"OffBeforeNothingToday", bot.Nudge{Hour: 8, Zone: "UTC"},
			"nudge at 18:00 UTC", "2026-01-05 18:00"},
		// 08:00 in Kolkata (02:30 UTC) passed today there; Kolkata's date is
		// still Jan 5, so a nudge at 20:00 Kolkata (14:30 UTC) waits a day.
		{"OldZoneDecidesToday", bot.Nudge{On: true, Hour: 8, Zone: "Asia/Kolkata", Next: atUTC("2025-12-20 02:30")},
			"nudge at 20:00 Asia/Kolkata", "2026-01-06 14:30"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := bottest.New(t)
			if _, err := env.DB.UpdateMember(context.Background(), bottest.Space, "ana", func(m *bot.Member) error {
				m.Nudge = tt.old
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			env.MustDo(t, "ana", tt.line)
			if m := storedMember(t, env, "ana"); !m.Nudge.Next.Equal(atUTC(tt.want)) {
				t.Errorf("next = %s, want %s", m.Nudge.Next, tt.want)
			}
		})
	}
}

func TestNudgeLastDateAt(t *testing.T) {
	ny := bot.Nudge{On: true, Hour: 2, Minute: 30, Zone: "America/New_York", LastDate: "2025-03-07"}
	tests := []struct {
		name string
		n    bot.Nudge
		now  string // UTC
		want string
	}{
		{"BeforeSlot", ny, "2025-03-08 07:00", "2025-03-07"},
		{"AtSlot", ny, "2025-03-08 07:30", "2025-03-08"},
		// 02:30 does not exist on Mar 9; the slot is 03:00 EDT (07:00 UTC).
		{"GapSlotBeforeItsEnd", ny, "2025-03-09 06:59", "2025-03-07"},
		{"GapSlotAtItsEnd", ny, "2025-03-09 07:00", "2025-03-09"},
		{"Off", bot.Nudge{Hour: 2, Zone: "UTC", LastDate: "2025-01-01"}, "2025-03-09 07:00", "2025-01-01"},
		{"NeverBackwards", bot.Nudge{On: true, Hour: 0, Zone: "UTC", LastDate: "2025-03-10"}, "2025-03-09 07:00", "2025-03-10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.n.LastDateAt(atUTC(tt.now)); got != tt.want {
				t.Errorf("LastDateAt(%s) = %s, want %s", tt.now, got, tt.want)
			}
		})
	}
}

func TestNudgeOff(t *testing.T) {
	env := bottest.New(t)
	ctx := context.Background()
	env.MustDo(t, "ana", "nudge at 08:30")
	r := env.MustDo(t, "ana", "nudge off")
	if !strings.Contains(r.Title, "stopped") {
		t.Errorf("reply %q", r.Title)
	}
	m := storedMember(t, env, "ana")
	if m.Nudge.On || !m.Nudge.Next.IsZero() {
		t.Errorf("nudge after off: %+v", m.Nudge)
	}
	// The slot keeps its due entry until it comes due and is found empty.
	next, _ := env.DB.NextDue(ctx)
	got, err := env.DB.ClaimDue(ctx, next, 10, func(d *bot.Due) error {
		t.Errorf("claimed %s after nudge off", d.Member)
		d.Nudge.Next = next.Add(24 * time.Hour)
		return nil
	})
	if err != nil || len(got) != 0 {
		t.Errorf("claim after nudge off = %d, %v", len(got), err)
	}
	if next, _ := env.DB.NextDue(ctx); !next.IsZero() {
		t.Errorf("NextDue = %s after the empty slot came due, want none", next)
	}
	// Turning off a nudge that was never set stores nothing.
	env.MustDo(t, "ben", "nudge off")
	if _, err := env.DB.Member(ctx, bottest.Space, "ben"); bot.ErrorCode(err) != bot.NotFound {
		t.Errorf("nudge off created a member: %v", err)
	}
}

func TestNudgeStatus(t *testing.T) {
	env := bottest.New(t)
	r := env.MustDo(t, "ana", "nudge status")
	if !strings.Contains(strings.Join(r.Text, " "), "off") {
		t.Errorf("status without a nudge: %+v", r)
	}
	env.MustDo(t, "ana", "nudge at 08:30 America/New_York")
	r = env.MustDo(t, "ana", "nudge status")
	// 08:30 in New York on Jan 5 is 13:30 UTC, still ahead of 09:00 UTC.
	if got := replyField(r, "Next nudge"); !strings.Contains(got, "08:30") || !strings.Contains(got, "EST") {
		t.Errorf("local next %q, want 08:30 EST", got)
	}
	if got := replyField(r, "In UTC"); !strings.Contains(got, "13:30 UTC") {
		t.Errorf("UTC next %q, want 13:30 UTC", got)
	}
	// After the scheduler has claimed the member the stored Next lags; status
	// computes from the settings and now instead.
	if _, err := env.DB.UpdateMember(context.Background(), bottest.Space, "bo", func(m *bot.Member) error {
		m.Nudge = bot.Nudge{On: true, Hour: 8, Zone: "UTC", Next: atUTC("2025-12-20 08:00"), LastDate: "2025-12-19"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	r = env.MustDo(t, "bo", "nudge status")
	if got := replyField(r, "In UTC"); !strings.Contains(got, "Tue 6 Jan 08:00 UTC") {
		t.Errorf("UTC next %q with a stale stored next, want Tue 6 Jan 08:00 UTC", got)
	}
}

func TestNudgeReply(t *testing.T) {
	env := bottest.New(t)
	rm := env.Engine.Roadmap
	first := rm.Topics()[0]
	m := &bot.Member{ID: "ana", Streak: bot.Streak{Days: 4}}
	r := env.Engine.NudgeReply(m)
	if !strings.Contains(r.Title, first.Title) || len(r.Text) == 0 || r.Text[0] != first.Summary {
		t.Errorf("nudge %q %v: want the first topic with its summary", r.Title, r.Text)
	}
	if len(r.Links) != 1 || r.Links[0].URL == "" {
		t.Errorf("links %v: want one resource", r.Links)
	}
	want := []string{bot.Action("done", first.ID), bot.Action("start", first.ID), bot.Action("skip", first.ID)}
	var got []string
	for _, b := range r.Buttons {
		got = append(got, b.Action)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("buttons %v, want %v", got, want)
	}
	for _, a := range got {
		if _, _, err := bot.ParseAction(a); err != nil {
			t.Errorf("button %q does not parse: %v", a, err)
		}
	}
	if s := replyField(r, "Streak"); s != "4 days" {
		t.Errorf("streak field %q, want 4 days", s)
	}

	// A member whose next step is a choice is told so, with the options.
	p := rm.Picks[0]
	m = &bot.Member{ID: "ben", Topics: map[string]*bot.Mark{}}
	for range 500 {
		res := rm.Next(m)
		if res.Pick != nil || res.Topic == nil {
			break
		}
		m.Topics[res.Topic.ID] = &bot.Mark{Status: "done"}
	}
	if res := rm.Next(m); res.Pick == nil {
		t.Fatalf("could not walk a member to a pick; next is %+v", res)
	}
	p = rm.Next(m).Pick
	r = env.Engine.NudgeReply(m)
	text := strings.Join(r.Text, " ")
	if !strings.Contains(r.Title, p.Title) || !strings.Contains(text, "pick "+p.ID) || len(r.Buttons) != 0 {
		t.Errorf("pick nudge %q %q: want the pick %q and how to choose", r.Title, text, p.ID)
	}
	for _, o := range p.Options {
		if !strings.Contains(text, roadmap.OptionName(o)) {
			t.Errorf("pick nudge does not list option %s", o)
		}
	}
}
