package bot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
	"github.com/studybot/studybot/bot/schedule"
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

func parseDate(tb testing.TB, s string) time.Time {
	tb.Helper()
	d, err := time.Parse(bot.DateLayout, s)
	if err != nil {
		tb.Fatal(err)
	}
	return d
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
	// A slot overdue since long before now (the bot was down) shows the
	// firing the scheduler will move it to.
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
	m = &bot.Member{ID: "ben"}
	for range 500 {
		res := rm.Next(m.Track(bot.BuiltinRoadmap))
		if res.Pick != nil || res.Topic == nil {
			break
		}
		m.WriteTrack(bot.BuiltinRoadmap).Topics.Set(res.Topic.ID, bot.Mark{Status: "done"})
	}
	if res := rm.Next(m.Track(bot.BuiltinRoadmap)); res.Pick == nil {
		t.Fatalf("could not walk a member to a pick; next is %+v", res)
	}
	p = rm.Next(m.Track(bot.BuiltinRoadmap)).Pick
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

// Setting a nudge asks the store's schedule, as it stands, whether today was
// already nudged: a claim that fired today, in the old zone too, and a nudge
// sent late just past local midnight count; a slot that came due but was
// never claimed does not.
func TestNudgeAtReadsTheSchedule(t *testing.T) {
	// bottest.Start is 2026-01-05 09:00 UTC.
	tests := []struct {
		name  string
		setAt string // UTC: when the old nudge was set ("" for none)
		old   string // its line
		ticks []string
		line  string // typed at 2026-01-05 09:00 UTC
		want  string // UTC
	}{
		{"FiredToday", "2026-01-05 07:00", "nudge at 08:00 UTC", []string{"2026-01-05 08:00"}, "nudge at 18:00 UTC", "2026-01-06 18:00"},
		{"SameTimeAgainWaitsForTomorrow", "2026-01-05 07:00", "nudge at 08:00 UTC", []string{"2026-01-05 08:00"}, "nudge at 08:30 UTC", "2026-01-06 08:30"},
		{"DueButNeverClaimed", "2026-01-05 07:00", "nudge at 08:00 UTC", nil, "nudge at 18:00 UTC", "2026-01-05 18:00"},
		{"NotYetToday", "2026-01-05 07:00", "nudge at 20:00 UTC", nil, "nudge at 18:00 UTC", "2026-01-05 18:00"},
		{"NoNudgeBefore", "", "", nil, "nudge at 18:00 UTC", "2026-01-05 18:00"},
		// 08:00 in Kolkata is 02:30 UTC; Kolkata's date is still Jan 5 at
		// 09:00 UTC, so 20:00 Kolkata (14:30 UTC) waits a day.
		{"OldZoneDecidesToday", "2026-01-05 02:00", "nudge at 08:00 Asia/Kolkata", []string{"2026-01-05 02:30"}, "nudge at 20:00 Asia/Kolkata", "2026-01-06 14:30"},
		// The known gap of the guessing days: 23:30 on Jan 4 went out late, at
		// 00:20 on Jan 5 after downtime, so it counts for Jan 5.
		{"LateAfterMidnight", "2026-01-04 20:00", "nudge at 23:30 UTC", []string{"2026-01-05 00:20"}, "nudge at 18:00 UTC", "2026-01-06 18:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := bottest.New(t)
			sched := schedule.New(schedule.Config{}, env.DB, env.Engine, env.Clock, env.Engine.Log)
			if tt.setAt != "" {
				env.Clock.Set(atUTC(tt.setAt))
				env.MustDo(t, "ana", tt.old)
			}
			for _, at := range tt.ticks {
				env.Clock.Set(atUTC(at))
				if _, err := sched.Tick(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			sent := len(env.Messenger.Sent())
			if len(tt.ticks) > 0 && sent != 1 {
				t.Fatalf("%d nudges sent before the change, want 1", sent)
			}
			env.Clock.Set(bottest.Start)
			env.MustDo(t, "ana", tt.line)
			if m := storedMember(t, env, "ana"); !m.Nudge.Next.Equal(atUTC(tt.want)) {
				t.Errorf("next = %s, want %s", m.Nudge.Next, tt.want)
			}
		})
	}
}

// TestNudgeZone: a zone set without a nudge counts streak days there, and a
// later nudge at without a zone uses it; a nudge that is on moves with it.
func TestNudgeZone(t *testing.T) {
	env := bottest.New(t) // Start is Monday 09:00 UTC
	r := env.MustDo(t, "ana", "nudge zone Pacific/Auckland")
	if !strings.Contains(r.Title, "Pacific/Auckland") || !strings.Contains(r.Footer, "nudge at") {
		t.Errorf("reply %+v", r)
	}
	if m := member(t, env, "ana"); m.Nudge.On || m.Nudge.Zone != "Pacific/Auckland" {
		t.Fatalf("nudge %+v: want the zone set and no nudge", m.Nudge)
	}
	// 09:00 UTC Monday is 22:00 Monday in Auckland; at 12:00 UTC it is
	// Tuesday there, so a change then is the next local day: a 2-day streak.
	env.MustDo(t, "ana", "done")
	env.Clock.Add(3 * time.Hour)
	env.MustDo(t, "ana", "skip internet/http")
	if s := env.Engine.CurrentStreak(member(t, env, "ana")); s != 2 {
		t.Errorf("streak %d, want 2 (two Auckland days)", s)
	}
	env.MustDo(t, "ana", "nudge at 08:00")
	if m := member(t, env, "ana"); !m.Nudge.On || m.Nudge.Zone != "Pacific/Auckland" {
		t.Errorf("nudge at without a zone: %+v, want the set zone", m.Nudge)
	}
	before := member(t, env, "ana").Nudge.Next
	r = env.MustDo(t, "ana", "nudge zone Europe/Berlin")
	if m := member(t, env, "ana"); m.Nudge.Zone != "Europe/Berlin" || m.Nudge.Next.Equal(before) || m.Nudge.Next.In(time.FixedZone("", 3600)).Hour() != 8 {
		t.Errorf("after moving zones: %+v (was %v)", m.Nudge, before)
	}
	if _, err := env.Do(t, "ana", "nudge zone Mars/Olympus"); bot.ErrorCode(err) != bot.Invalid {
		t.Errorf("bad zone: %v", err)
	}
}

// TestProfileZoneCountsStreakDays: a Slack member's profile zone counts
// their streak days until they set one.
func TestProfileZoneCountsStreakDays(t *testing.T) {
	env := bottest.New(t) // Monday 09:00 UTC: 22:00 in Auckland
	req, _ := env.Request("ana", "done")
	req.Zone = "Pacific/Auckland"
	if _, err := env.Engine.Handle(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	env.Clock.Add(3 * time.Hour) // Tuesday in Auckland, still Monday in UTC
	req, _ = env.Request("ana", "skip internet/http")
	req.Zone = "Pacific/Auckland"
	if _, err := env.Engine.Handle(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if s := env.Engine.CurrentStreak(member(t, env, "ana")); s != 2 {
		t.Errorf("streak %d, want 2 Auckland days", s)
	}
}

// TestDeliverToGoneMemberCleansUp: a member the platform no longer knows is
// removed when a nudge first meets them, and leaves the leaderboard.
func TestDeliverToGoneMemberCleansUp(t *testing.T) {
	env := bottest.New(t)
	env.MustDo(t, "ana", "nudge at 08:00")
	env.MustDo(t, "ana", "done")
	env.MustDo(t, "ben", "done")
	env.Messenger.Gone("ana")
	res, err := env.Engine.DeliverNudge(context.Background(), bottest.Space, "ana")
	if err != nil || res != bot.NotWanted {
		t.Fatalf("deliver: %v, %v; want NotWanted", res, err)
	}
	if _, err := env.DB.Member(context.Background(), bottest.Space, "ana"); bot.ErrorCode(err) != bot.NotFound {
		t.Errorf("ana's record after the platform said gone: %v", err)
	}
	if lb := env.MustDo(t, "ben", "leaderboard"); strings.Contains(fmt.Sprint(lb.Fields), "ana") {
		t.Errorf("leaderboard still shows ana: %+v", lb.Fields)
	}
}
