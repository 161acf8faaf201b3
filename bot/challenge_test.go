package bot_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
	"github.com/studybot/studybot/bot/schedule"
	"github.com/studybot/studybot/roadmap"
)

// challengeEnv is an engine with a real scheduler (never started: its cron does
// not run, but it validates and keeps the per-space entries).
func challengeEnv(t *testing.T) (*bottest.Env, *schedule.Scheduler) {
	t.Helper()
	env := bottest.New(t)
	s := schedule.New(schedule.Config{}, env.DB, env.Engine, env.Clock, env.Engine.Log)
	env.Engine.Scheduler = s
	return env, s
}

func doAs(t *testing.T, env *bottest.Env, member string, moderator bool, line string) (*bot.Reply, error) {
	t.Helper()
	req, err := env.Request(member, line)
	if err != nil {
		t.Fatalf("%q: %v", line, err)
	}
	req.Access = bot.AccessMember
	if moderator {
		req.Access = bot.AccessModerator
	}
	return env.Engine.Handle(context.Background(), req)
}

func spaceRecord(t *testing.T, env *bottest.Env) *bot.SpaceRecord {
	t.Helper()
	r, err := env.DB.Space(context.Background(), bottest.Space)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func challenges(t *testing.T, env *bottest.Env) []*bot.Challenge {
	t.Helper()
	cs, err := env.DB.Challenges(context.Background(), bottest.Space, 100)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func posts(env *bottest.Env) []bottest.Sent {
	var out []bottest.Sent
	for _, s := range env.Messenger.Sent() {
		if s.Channel != "" {
			out = append(out, s)
		}
	}
	return out
}

func TestChallengeModeratorOnly(t *testing.T) {
	env, s := challengeEnv(t)
	env.MustDo(t, "mod", "challenge post first challenge text for everyone here")
	env.Messenger.Reset()
	before := spaceRecord(t, env)
	for _, line := range []string{
		`challenge schedule #general "MON 09:00"`,
		"challenge post",
		"challenge post write a haiku about DNS please",
		"challenge stop",
		"challenge list",
	} {
		_, err := doAs(t, env, "ana", false, line)
		if bot.ErrorCode(err) != bot.Forbidden || !strings.HasPrefix(bot.ErrorMessage(err), "Only moderators can") {
			t.Errorf("%q by a member: err = %v, want Forbidden \"Only moderators can …\"", line, err)
		}
	}
	after := spaceRecord(t, env)
	if after.Current != before.Current || after.Challenge != before.Challenge {
		t.Errorf("space changed: %+v -> %+v", before, after)
	}
	if n := len(challenges(t, env)); n != 1 {
		t.Errorf("%d challenges, want 1", n)
	}
	if len(env.Messenger.Sent()) != 0 || len(s.Schedules()) != 0 {
		t.Errorf("a refused command posted or scheduled something")
	}
}

func TestChallengeSchedule(t *testing.T) {
	env, s := challengeEnv(t)
	r := env.MustDo(t, "mod", `challenge schedule #study "mon 09:00" Europe/Berlin`)
	rec := spaceRecord(t, env)
	want := bot.ChallengeSchedule{Channel: "#study", Spec: "CRON_TZ=Europe/Berlin 0 9 * * 1", Text: "every Monday 09:00 Europe/Berlin", SetBy: "mod", SetAt: bottest.Start}
	if rec.Challenge != want {
		t.Errorf("stored %+v, want %+v", rec.Challenge, want)
	}
	if got := s.Schedules()[bottest.Space]; got != want.Spec {
		t.Errorf("installed %q, want %q", got, want.Spec)
	}
	// bottest.Start is Monday 09:00 UTC = 10:00 Berlin, so the first post is a week on.
	if got := replyField(r, "First post"); !strings.Contains(got, "12 Jan 2026 09:00") {
		t.Errorf("first post %q, want Mon 12 Jan 2026 09:00", got)
	}
	list := env.MustDo(t, "mod", "challenge list")
	if !strings.Contains(replyField(list, "Schedule"), "every Monday 09:00 Europe/Berlin in #study") || replyField(list, "Next post") == "" {
		t.Errorf("list fields %+v: want the schedule and the next post", list.Fields)
	}

	// An invalid spec is refused with the reason, and nothing changes.
	_, err := env.Do(t, "mod", `challenge schedule #other "0 25 * * 1"`)
	if bot.ErrorCode(err) != bot.Invalid || !strings.Contains(bot.ErrorMessage(err), "above maximum") {
		t.Errorf("bad spec: %v, want Invalid with the reason", err)
	}
	if got := spaceRecord(t, env).Challenge; got != want {
		t.Errorf("after a refused schedule: %+v, want %+v", got, want)
	}
	if got := s.Schedules()[bottest.Space]; got != want.Spec {
		t.Errorf("after a refused schedule cron has %q", got)
	}
}

func TestChallengeScheduleWithoutScheduler(t *testing.T) {
	env := bottest.New(t)
	env.MustDo(t, "mod", `challenge schedule #study "FRI 17:30" Asia/Kolkata`)
	if got, want := spaceRecord(t, env).Challenge.Spec, "CRON_TZ=Asia/Kolkata 30 17 * * 5"; got != want {
		t.Errorf("spec %q, want %q", got, want)
	}
	if _, err := env.Do(t, "mod", `challenge schedule #study "FRI 5pm"`); bot.ErrorCode(err) != bot.Invalid {
		t.Errorf("bad friendly form: %v, want Invalid", err)
	}
}

// TestChallengePostRefusesThenClose: a manual post while a challenge is
// open refuses and says how to close it; challenge close posts the summary;
// then the post goes out.
func TestChallengePostRefusesThenClose(t *testing.T) {
	env, _ := challengeEnv(t)
	rm := env.Engine.Roadmap
	first := rm.Topics()[0]

	// Nothing typed: the frontier, which is the first topic with no active members.
	env.MustDo(t, "mod", "challenge post")
	ps := posts(env)
	if len(ps) != 1 || ps[0].Channel != "general" || !ps[0].Reply.Public ||
		ps[0].Reply.Text[0] != first.Challenge || !strings.Contains(ps[0].Reply.Title, first.Title) {
		t.Fatalf("posts %+v: want the first topic's challenge, public, in general", ps)
	}
	env.MustDo(t, "ana", "challenge submit https://example.com/ana")
	env.MustDo(t, "ben", "challenge submit my traceroute notes")
	env.MustDo(t, "ana", "challenge submit https://example.com/ana-v2") // edits, not a second one
	env.Clock.Add(7 * 24 * time.Hour)
	env.Messenger.Reset()

	// A topic by id: that topic's prompt.
	dns := rm.Topic("internet/dns")
	if dns == nil {
		dns = rm.Topics()[3]
	}
	before := challenges(t, env)
	_, err := env.Do(t, "mod", "challenge post "+dns.ID)
	if bot.ErrorCode(err) != bot.Conflict || !strings.Contains(bot.ErrorMessage(err), "Challenge #1 is still open") ||
		!strings.Contains(bot.ErrorMessage(err), "challenge close") {
		t.Fatalf("post while open: %v, want Conflict naming #1 and challenge close", err)
	}
	if after := challenges(t, env); len(after) != len(before) || !after[0].ClosedAt.IsZero() || len(posts(env)) != 0 {
		t.Fatalf("a refused post changed or posted something: %+v", after)
	}
	r := env.MustDo(t, "mod", "challenge close")
	if !strings.Contains(r.Title, "#1 closed") {
		t.Errorf("close reply %q", r.Title)
	}
	env.MustDo(t, "mod", "challenge post "+dns.ID)
	ps = posts(env)
	if len(ps) != 2 {
		t.Fatalf("%d posts, want summary then challenge", len(ps))
	}
	sum := strings.Join(ps[0].Reply.Text, " ")
	if !strings.Contains(ps[0].Reply.Title, "#1 closed") || !strings.Contains(sum, "2 submissions") ||
		!strings.Contains(sum, "ana") || !strings.Contains(sum, "ben") || replyField(ps[0].Reply, "Submissions") != "2" {
		t.Errorf("summary %q %q: want #1 closed, 2 submissions from ana and ben", ps[0].Reply.Title, sum)
	}
	if ps[1].Reply.Text[0] != dns.Challenge {
		t.Errorf("challenge text %q, want %s's prompt", ps[1].Reply.Text[0], dns.ID)
	}
	cs := challenges(t, env)
	if len(cs) != 2 || cs[1].ClosedAt.IsZero() || !cs[0].ClosedAt.IsZero() || spaceRecord(t, env).Current != cs[0].ID {
		t.Errorf("challenges %+v: want #1 closed and #2 open and current", cs)
	}
	if got := cs[1].Submissions["ana"]; got == nil || got.Text != "https://example.com/ana-v2" || len(cs[1].Submissions) != 2 {
		t.Errorf("submissions %v: want one per member, ana's edited", cs[1].Submissions)
	}

	// Free text.
	text := "Build a tiny URL shortener with an HTTP API and share the repository link"
	env.MustDo(t, "mod", "challenge close")
	env.MustDo(t, "mod", "challenge post "+text)
	cs = challenges(t, env)
	if cs[0].Text != text || cs[0].Topic != "" {
		t.Errorf("free-text challenge %+v", cs[0])
	}
}

func TestChallengeSubmit(t *testing.T) {
	env, _ := challengeEnv(t)
	if _, err := env.Do(t, "ana", "challenge submit too early"); bot.ErrorCode(err) != bot.Conflict {
		t.Errorf("submit with no challenge: %v, want Conflict", err)
	}
	env.MustDo(t, "mod", "challenge post")
	r := env.MustDo(t, "ana", "challenge submit first try")
	if !strings.HasPrefix(r.Title, "Submitted") {
		t.Errorf("first submit: %q", r.Title)
	}
	r = env.MustDo(t, "ana", "challenge submit second try")
	if !strings.Contains(r.Title, "updated") {
		t.Errorf("second submit: %q, want an update", r.Title)
	}
	long := strings.Repeat("x", bot.MaxTextLen+1)
	if _, err := env.Do(t, "ana", "challenge submit "+long); bot.ErrorCode(err) != bot.Invalid {
		t.Errorf("long submission: %v, want Invalid", err)
	}
	board := env.MustDo(t, "ben", "challenge board")
	if len(board.Fields) != 1 || board.Fields[0].Name != "ana" || board.Fields[0].Value != "second try" {
		t.Errorf("board fields %+v: want ana's edited answer", board.Fields)
	}
	env.MustDo(t, "mod", "challenge stop")
	if _, err := env.Do(t, "ana", "challenge submit after close"); bot.ErrorCode(err) != bot.Conflict {
		t.Errorf("submit after stop: %v, want Conflict", err)
	}
	board = env.MustDo(t, "ben", "challenge board")
	if !strings.Contains(board.Title, "closed") || len(board.Fields) != 1 {
		t.Errorf("board after close: %q %+v", board.Title, board.Fields)
	}
}

func TestChallengeStop(t *testing.T) {
	env, s := challengeEnv(t)
	env.MustDo(t, "mod", `challenge schedule #study "MON 09:00"`)
	env.MustDo(t, "mod", "challenge post")
	env.MustDo(t, "ana", "challenge submit done it")
	env.Messenger.Reset()
	r := env.MustDo(t, "mod", "challenge stop")
	if !strings.Contains(strings.Join(r.Text, " "), "1 submission") {
		t.Errorf("stop reply %v", r.Text)
	}
	rec := spaceRecord(t, env)
	if rec.Challenge.Spec != "" || rec.Current != 0 || len(s.Schedules()) != 0 {
		t.Errorf("after stop: %+v, schedules %v", rec, s.Schedules())
	}
	if ps := posts(env); len(ps) != 1 || !strings.Contains(ps[0].Reply.Title, "closed") {
		t.Errorf("posts after stop %+v: want the summary", ps)
	}
	// Scheduled posting after stop posts nothing.
	if err := env.Engine.PostScheduledChallenge(context.Background(), bottest.Space, env.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	if n := len(challenges(t, env)); n != 1 {
		t.Errorf("%d challenges after a scheduled post with no schedule, want 1", n)
	}
}

func TestPostScheduledChallenge(t *testing.T) {
	env, _ := challengeEnv(t)
	env.MustDo(t, "mod", `challenge schedule #weekly "MON 09:00"`)
	if err := env.Engine.PostScheduledChallenge(context.Background(), bottest.Space, env.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	ps := posts(env)
	if len(ps) != 1 || ps[0].Channel != "#weekly" {
		t.Fatalf("posts %+v: want one in #weekly", ps)
	}
	if c := challenges(t, env)[0]; c.PostedBy != "" || c.Topic != env.Engine.Roadmap.Topics()[0].ID {
		t.Errorf("scheduled challenge %+v: want the frontier topic, posted by nobody", c)
	}
}

func TestChallengePostWithoutMessenger(t *testing.T) {
	env := bottest.New(t)
	env.Engine.Messenger = nil
	r := env.MustDo(t, "mod", "challenge post")
	if !r.Public || !strings.HasPrefix(r.Title, "Challenge #1") {
		t.Errorf("reply %+v: want the challenge itself, public", r)
	}
}

// TestFrontier: the topic most active members are on, ties to the earliest in
// roadmap order; members not seen for two weeks do not count.
func TestFrontier(t *testing.T) {
	env := bottest.New(t)
	ctx := context.Background()
	topics := env.Engine.Roadmap.Topics()
	on := func(id string, topic *roadmap.Topic, seen time.Duration) {
		t.Helper()
		if _, err := env.DB.UpdateMember(ctx, bottest.Space, id, func(m *bot.Member) error {
			m.Seen = bottest.Start.Add(-seen)
			m.WriteTrack(bot.BuiltinRoadmap).Topics = bot.MarksOf(map[string]*bot.Mark{topic.ID: {Status: roadmap.Learning}})
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	frontier := func() *roadmap.Topic {
		t.Helper()
		f, err := env.Engine.Frontier(ctx, bottest.Space)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	if got := frontier(); got != topics[0] {
		t.Errorf("no members: frontier %s, want %s", got.ID, topics[0].ID)
	}
	for i := range 5 {
		on(fmt.Sprintf("idle%d", i), topics[1], 15*24*time.Hour)
	}
	on("a", topics[5], time.Hour)
	on("b", topics[5], 13*24*time.Hour)
	on("c", topics[3], time.Hour)
	on("d", topics[3], 0)
	if got := frontier(); got != topics[3] {
		t.Errorf("tie: frontier %s, want the earlier %s", got.ID, topics[3].ID)
	}
	on("e", topics[5], 0)
	if got := frontier(); got != topics[5] {
		t.Errorf("frontier %s, want %s (3 active members)", got.ID, topics[5].ID)
	}
}

func TestFriendlySchedule(t *testing.T) {
	tests := []struct {
		when   string
		want   string
		ok     bool
		hasErr bool
	}{
		{"MON 09:00", "0 9 * * 1", true, false},
		{"sunday 23:59", "59 23 * * 0", true, false},
		{"Wed 7:05", "5 7 * * 3", true, false},
		{"0 9 * * 1", "", false, false},
		{"MON 9am", "", true, true},
		{"TUES 09:00", "", false, false},
	}
	for _, tt := range tests {
		got, ok, err := bot.FriendlySchedule(tt.when)
		if got != tt.want || ok != tt.ok || (err != nil) != tt.hasErr {
			t.Errorf("FriendlySchedule(%q) = %q, %v, %v; want %q, %v, error %v", tt.when, got, ok, err, tt.want, tt.ok, tt.hasErr)
		}
	}
}

// TestPostScheduledChallenge_OncePerInstant: several posts for one scheduled
// instant at once (as several processes on one database would make) open one
// challenge, close the previous one once, and post each once.
func TestPostScheduledChallenge_OncePerInstant(t *testing.T) {
	env, _ := challengeEnv(t)
	ctx := context.Background()
	env.MustDo(t, "mod", `challenge schedule #weekly "MON 09:00"`)
	env.MustDo(t, "mod", "challenge post write a haiku about DNS please")
	env.Messenger.Reset()
	at := bottest.Start.Add(7 * 24 * time.Hour)
	env.Clock.Set(at.Add(20 * time.Second))

	const n = 8
	errs := make(chan error, n)
	for range n {
		go func() { errs <- env.Engine.PostScheduledChallenge(ctx, bottest.Space, at) }()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	cs := challenges(t, env)
	if len(cs) != 2 || !cs[0].ScheduledAt.Equal(at) || !cs[0].ClosedAt.IsZero() || cs[1].ClosedAt.IsZero() {
		t.Fatalf("challenges %+v: want #1 closed and one scheduled #2 open", cs)
	}
	ps := posts(env)
	if len(ps) != 2 || !strings.Contains(ps[0].Reply.Title, "#1 closed") || !strings.HasPrefix(ps[1].Reply.Title, "Challenge #2") {
		t.Errorf("posts %+v: want #1's summary and #2, once each", ps)
	}

	// A late repeat, after a moderator has moved on, still changes nothing.
	env.MustDo(t, "mod", "challenge close")
	env.MustDo(t, "mod", "challenge post write a limerick about TCP please")
	env.Messenger.Reset()
	if err := env.Engine.PostScheduledChallenge(ctx, bottest.Space, at); err != nil {
		t.Fatal(err)
	}
	if n := len(challenges(t, env)); n != 3 || len(env.Messenger.Sent()) != 0 {
		t.Errorf("late repeat: %d challenges, %d posts; want 3 and none", n, len(env.Messenger.Sent()))
	}
}

// TestPostChallenge_RefuseWhileOpen: a post that refuses while a challenge is
// open returns Conflict and changes and posts nothing.
func TestPostChallenge_RefuseWhileOpen(t *testing.T) {
	env, _ := challengeEnv(t)
	ctx := context.Background()
	env.MustDo(t, "mod", "challenge post")
	env.Messenger.Reset()
	before, rec := challenges(t, env), spaceRecord(t, env)
	c := &bot.Challenge{Text: "Write a haiku about HTTP", Channel: "general", PostedBy: "mod"}
	_, err := env.Engine.PostChallenge(ctx, bottest.Space, c, bot.RefuseWhileOpen)
	if bot.ErrorCode(err) != bot.Conflict || !strings.Contains(bot.ErrorMessage(err), "#1") {
		t.Errorf("err = %v, want Conflict naming #1", err)
	}
	if after := challenges(t, env); len(after) != len(before) || !after[0].ClosedAt.IsZero() || !reflect.DeepEqual(spaceRecord(t, env), rec) {
		t.Errorf("after a refused post: %+v, want %+v unchanged", after, before)
	}
	if len(env.Messenger.Sent()) != 0 {
		t.Errorf("a refused post sent %+v", env.Messenger.Sent())
	}

	// With nothing open it opens, closing nothing.
	env.MustDo(t, "mod", "challenge stop")
	env.Messenger.Reset()
	res, err := env.Engine.PostChallenge(ctx, bottest.Space, c, bot.RefuseWhileOpen)
	if err != nil || res.Opened.ID != 2 || res.Closed != nil || !res.Opened.PostedAt.Equal(env.Clock.Now()) {
		t.Fatalf("post with none open = %+v, %v", res, err)
	}
	if ps := posts(env); len(ps) != 1 || ps[0].Reply.Text[0] != c.Text {
		t.Errorf("posts %+v: want the challenge alone", ps)
	}
}
