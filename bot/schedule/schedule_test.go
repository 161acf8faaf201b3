package schedule_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/schedule"
)

func TestParseSchedule(t *testing.T) {
	h := newHarness(t, utc("2025-06-02 12:00")) // a Monday
	tests := []struct {
		name       string
		when, zone string
		want       string
	}{
		{"FriendlyUTC", "MON 09:00", "", "CRON_TZ=UTC 0 9 * * 1"},
		{"FriendlyZone", "mon 9:30", "Europe/Berlin", "CRON_TZ=Europe/Berlin 30 9 * * 1"},
		{"FriendlyFullDayName", "Friday 17:05", "america/new_york", "CRON_TZ=America/New_York 5 17 * * 5"},
		{"FriendlySunday", "SUN 00:00", "Asia/Kathmandu", "CRON_TZ=Asia/Kathmandu 0 0 * * 0"},
		{"CronSpec", "0 9 * * 1", "Pacific/Chatham", "CRON_TZ=Pacific/Chatham 0 9 * * 1"},
		{"CronSpecExtraSpaces", "  0  9 * *   MON ", "", "CRON_TZ=UTC 0 9 * * MON"},
		{"CronTZInSpec", "CRON_TZ=Europe/London 0 18 * * 3", "", "CRON_TZ=Europe/London 0 18 * * 3"},
		{"CronTZSameAsZone", "CRON_TZ=Europe/London 0 18 * * 3", "Europe/London", "CRON_TZ=Europe/London 0 18 * * 3"},
		{"TZPrefix", "TZ=Asia/Kolkata 0 10 1 * *", "", "CRON_TZ=Asia/Kolkata 0 10 1 * *"},
		{"Descriptor", "@weekly", "Europe/Berlin", "CRON_TZ=Europe/Berlin @weekly"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := h.s.ParseSchedule(tt.when, tt.zone)
			if err != nil {
				t.Fatalf("ParseSchedule(%q, %q): %v", tt.when, tt.zone, err)
			}
			if got != tt.want {
				t.Errorf("ParseSchedule(%q, %q) = %q, want %q", tt.when, tt.zone, got, tt.want)
			}
			if err := h.s.SetSchedule(space, got); err != nil {
				t.Errorf("SetSchedule(%q): %v", got, err)
			}
		})
	}
}

func TestParseScheduleErrors(t *testing.T) {
	h := newHarness(t, utc("2025-06-02 12:00"))
	tests := []struct {
		name       string
		when, zone string
		reason     string // in the member-facing message
	}{
		{"ErrEmpty", "", "", "Give a schedule"},
		{"ErrFriendlyBadTime", "MON 25:00", "", "24-hour time"},
		{"ErrFriendlyNoTime", "monday", "", "24-hour time"},
		{"ErrFriendlyExtraWords", "MON 09:00 weekly", "", "24-hour time"},
		{"ErrTooFewFields", "0 9 * *", "", "expected exactly 5 fields"},
		{"ErrBadField", "0 25 * * 1", "", "above maximum"},
		{"ErrNotCron", "every monday morning", "", "not a schedule"},
		{"ErrBadZone", "MON 09:00", "Mars/Olympus", "not a time zone"},
		{"ErrBadCronTZ", "CRON_TZ=Nowhere/Land 0 9 * * 1", "", "not a time zone"},
		{"ErrCronTZNoSpec", "CRON_TZ=Europe/Berlin", "", "no schedule"},
		{"ErrTwoZones", "CRON_TZ=Europe/Berlin 0 9 * * 1", "Asia/Tokyo", "give just one"},
		{"ErrLocalZone", "MON 09:00", "Local", "not a time zone"},
		{"ErrEvery", "@every 1h", "", "@every"},
		{"ErrTooOften", "* * * * *", "", "more than once a day"},
		{"ErrEvery10Minutes", "*/10 9 * * 1", "", "more than once a day"},
		{"ErrTwiceDaily", "0 9,21 * * *", "", "more than once a day (Mon 21:00 and Tue 09:00)"},
		{"ErrNever", "0 9 30 2 *", "", "never fires"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := h.s.ParseSchedule(tt.when, tt.zone)
			if err == nil {
				t.Fatalf("ParseSchedule(%q, %q) = %q, want an error", tt.when, tt.zone, got)
			}
			if bot.ErrorCode(err) != bot.Invalid {
				t.Errorf("code %s, want %s (%v)", bot.ErrorCode(err), bot.Invalid, err)
			}
			if msg := bot.ErrorMessage(err); !strings.Contains(msg, tt.reason) {
				t.Errorf("message %q does not give the reason %q", msg, tt.reason)
			}
		})
	}
}

func TestSetScheduleOneEntryPerSpace(t *testing.T) {
	h := newHarness(t, utc("2025-06-02 12:00")) // Monday noon UTC
	other := bot.Space{Platform: bot.PlatformDiscord, ID: "g2"}
	if err := h.s.SetSchedule(space, "CRON_TZ=UTC 0 9 * * 1"); err != nil {
		t.Fatal(err)
	}
	if err := h.s.SetSchedule(space, "CRON_TZ=Europe/Berlin 0 9 * * 2"); err != nil {
		t.Fatal(err)
	}
	if err := h.s.SetSchedule(other, "CRON_TZ=UTC 0 18 * * 5"); err != nil {
		t.Fatal(err)
	}
	if got := schedule.CronEntries(h.s); got != 2 {
		t.Errorf("%d cron entries, want 2 (one per space)", got)
	}
	if got := h.s.Schedules()[space]; got != "CRON_TZ=Europe/Berlin 0 9 * * 2" {
		t.Errorf("space schedule %q, want the replacement", got)
	}
	if got, want := h.s.NextRun(space), utc("2025-06-03 07:00"); !got.Equal(want) {
		t.Errorf("NextRun = %s, want %s", got.UTC(), want)
	}
	if err := h.s.SetSchedule(space, "CRON_TZ=UTC 0 99 * * *"); bot.ErrorCode(err) != bot.Invalid {
		t.Errorf("bad spec: err = %v, want Invalid", err)
	}
	if got := h.s.Schedules()[space]; got != "CRON_TZ=Europe/Berlin 0 9 * * 2" {
		t.Errorf("after a bad spec the schedule is %q, want it kept", got)
	}
	if err := h.s.SetSchedule(space, ""); err != nil {
		t.Fatal(err)
	}
	if got := schedule.CronEntries(h.s); got != 1 {
		t.Errorf("%d cron entries after removing, want 1", got)
	}
	if !h.s.NextRun(space).IsZero() {
		t.Errorf("NextRun of a removed schedule is not zero")
	}
}

// TestStartLoadsStoredSchedules: schedules live in the store and come back into
// cron at start, with the minute tick; a stored spec that no longer parses is
// skipped without stopping the rest.
func TestStartLoadsStoredSchedules(t *testing.T) {
	h := newHarness(t, utc("2025-06-02 12:00"))
	good := map[bot.Space]string{
		space:                                   "CRON_TZ=UTC 0 9 * * 1",
		{Platform: bot.PlatformSlack, ID: "T1"}: "CRON_TZ=Europe/Berlin 30 8 * * 5",
		{Platform: bot.PlatformDiscord, ID: "g-none"}:  "",
		{Platform: bot.PlatformDiscord, ID: "g-stale"}: "CRON_TZ=UTC 0 9 * * 8",
	}
	for sp, spec := range good {
		if _, err := h.db.UpdateSpace(h.ctx, sp, func(r *bot.SpaceRecord) error {
			r.Challenge = bot.ChallengeSchedule{Channel: "general", Spec: spec}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	h.restart()
	if err := h.s.Start(h.ctx); err != nil {
		t.Fatal(err)
	}
	defer func() { <-h.s.Stop().Done() }()
	got := h.s.Schedules()
	if len(got) != 2 || got[space] != good[space] || got[bot.Space{Platform: bot.PlatformSlack, ID: "T1"}] == "" {
		t.Errorf("schedules after start: %v, want the two valid ones", got)
	}
	if n := schedule.CronEntries(h.s); n != 4 {
		t.Errorf("%d cron entries, want 4 (the tick, the closer and two spaces)", n)
	}
	if err := h.s.Start(h.ctx); err == nil {
		t.Errorf("second Start: no error")
	}
}

func TestStopWithoutStart(t *testing.T) {
	h := newHarness(t, utc("2025-06-02 12:00"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	select {
	case <-h.s.Stop().Done():
	case <-ctx.Done():
		t.Fatal("Stop did not finish")
	}
}

// TestScheduledChallengeJob runs the job cron installs for a space: it posts the
// frontier topic's challenge to the schedule's channel and closes the previous
// one with a summary.
func TestScheduledChallengeJob(t *testing.T) {
	h := newHarness(t, utc("2025-06-02 09:00"))
	h.do("mod", "challenge post", map[string]string{"what": "Write a haiku about HTTP"})
	h.do("ana", "challenge submit", map[string]string{"text": "https://example.com/haiku"})
	spec, err := h.s.ParseSchedule("MON 09:00", "UTC")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.db.UpdateSpace(h.ctx, space, func(r *bot.SpaceRecord) error {
		r.Challenge = bot.ChallengeSchedule{Channel: "challenges", Spec: spec}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := h.s.SetSchedule(space, spec); err != nil {
		t.Fatal(err)
	}
	h.msg.mu.Lock()
	h.msg.posts = nil
	h.msg.mu.Unlock()
	h.clock.Set(utc("2025-06-09 09:00"))
	if !schedule.RunChallengeJob(h.s, space) {
		t.Fatal("no challenge job for the space")
	}
	h.msg.mu.Lock()
	posts := h.msg.posts
	h.msg.mu.Unlock()
	if len(posts) != 2 {
		t.Fatalf("%d posts, want the summary and the new challenge", len(posts))
	}
	if s := posts[0]; !strings.Contains(s.Reply.Title, "#1 closed") || !strings.Contains(strings.Join(s.Reply.Text, " "), "ana") {
		t.Errorf("summary %+v: want challenge #1 closed, naming ana", s.Reply)
	}
	first := h.eng.Roadmap.Topics()[0]
	if c := posts[1]; c.To != "challenges" || !strings.Contains(c.Reply.Title, first.Title) || !c.Reply.Public {
		t.Errorf("challenge post %+v to %q: want the frontier topic %q, public, in #challenges", c.Reply, c.To, first.Title)
	}
}

// TestScheduledChallengeJob_OncePerFiring: the job names its firing by the
// clock's minute, so running it again within that minute (another process on
// the same database, or a retry) posts nothing more.
func TestScheduledChallengeJob_OncePerFiring(t *testing.T) {
	h := newHarness(t, utc("2025-06-09 09:00"))
	spec, err := h.s.ParseSchedule("MON 09:00", "UTC")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.db.UpdateSpace(h.ctx, space, func(r *bot.SpaceRecord) error {
		r.Challenge = bot.ChallengeSchedule{Channel: "challenges", Spec: spec}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := h.s.SetSchedule(space, spec); err != nil {
		t.Fatal(err)
	}
	for _, sec := range []time.Duration{3, 50} {
		h.clock.Set(utc("2025-06-09 09:00").Add(sec * time.Second))
		if !schedule.RunChallengeJob(h.s, space) {
			t.Fatal("no challenge job for the space")
		}
	}
	cs, err := h.db.Challenges(h.ctx, space, 0)
	if err != nil || len(cs) != 1 || !cs[0].ScheduledAt.Equal(utc("2025-06-09 09:00")) {
		t.Fatalf("challenges %+v, %v: want one, scheduled at 09:00", cs, err)
	}
	h.msg.mu.Lock()
	n := len(h.msg.posts)
	h.msg.mu.Unlock()
	if n != 1 {
		t.Errorf("%d posts, want 1", n)
	}
}

// TestCloserClosesDueChallenges: the every-minute closer job closes a
// challenge whose time has come, with its summary, and only then.
func TestCloserClosesDueChallenges(t *testing.T) {
	h := newHarness(t, utc("2025-06-02 12:00"))
	closes := utc("2025-06-04 12:00")
	if _, err := h.eng.PostChallenge(h.ctx, space, &bot.Challenge{Text: "Explain DNS", Channel: "general", ClosesAt: closes}, bot.CloseCurrent); err != nil {
		t.Fatal(err)
	}
	h.clock.Set(closes.Add(-time.Minute))
	schedule.RunCloser(h.s)
	if rec, _ := h.db.Space(h.ctx, space); rec.Current != 1 {
		t.Fatalf("a minute early: current %d, want #1 still open", rec.Current)
	}
	h.clock.Set(closes.Add(30 * time.Second))
	schedule.RunCloser(h.s)
	c, err := h.db.Challenge(h.ctx, space, 1)
	if err != nil || !c.ClosedAt.Equal(closes) {
		t.Fatalf("after its time: %+v, %v; want closed at %v", c, err, closes)
	}
	h.msg.mu.Lock()
	defer h.msg.mu.Unlock()
	if n := len(h.msg.posts); n != 2 || !strings.Contains(h.msg.posts[1].Reply.Title, "#1 closed") {
		t.Errorf("posts %+v: want the challenge and its summary", h.msg.posts)
	}
}

// TestFiredAt: a late firing is named by the schedule's instant, so every
// process names it alike and the store opens one challenge for it.
func TestFiredAt(t *testing.T) {
	spec := "CRON_TZ=UTC 0 9 * * 1"
	for _, c := range []struct{ now, want string }{
		{"2025-06-02 09:00", "2025-06-02 09:00"},
		{"2025-06-02 09:03", "2025-06-02 09:00"}, // cron ran three minutes late
		{"2025-06-02 09:30", "2025-06-02 09:30"}, // not a firing of this schedule
	} {
		if got := schedule.FiredAt(spec, utc(c.now).Add(17*time.Second)); !got.Equal(utc(c.want)) {
			t.Errorf("fired at %s: named %v, want %s", c.now, got, c.want)
		}
	}
}
