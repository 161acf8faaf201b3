package bot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
	"github.com/studybot/studybot/roadmap"
)

// weekly schedules a Monday challenge and returns a function that fires the
// schedule one week later each call, as the scheduler would.
func weekly(t *testing.T, env *bottest.Env) func() *bot.Challenge {
	t.Helper()
	env.MustDo(t, "mod", "challenge schedule #study MON 09:00")
	return func() *bot.Challenge {
		t.Helper()
		env.Clock.Add(7 * 24 * time.Hour)
		if err := env.Engine.PostScheduledChallenge(context.Background(), bottest.Space, env.Clock.Now().Truncate(time.Minute)); err != nil {
			t.Fatal(err)
		}
		return challenges(t, env)[0]
	}
}

// learner puts a member on topic (learning it), seen now.
func learner(t *testing.T, env *bottest.Env, id, topic string) {
	t.Helper()
	now := env.Clock.Now()
	if _, err := env.DB.UpdateMember(context.Background(), bottest.Space, id, func(m *bot.Member) error {
		m.Seen = now
		m.WriteTrack(bot.BuiltinRoadmap).Topics = bot.MarksOf(map[string]*bot.Mark{topic: {Status: roadmap.Learning, At: now}})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestScheduledChallengesMoveForward: a group that does not move gets a
// different topic every week, and no topic twice within any 8 consecutive
// challenges, for half a year; the first is the topic the group is on.
func TestScheduledChallengesMoveForward(t *testing.T) {
	for _, members := range []int{0, 3} {
		t.Run(fmt.Sprintf("%d members", members), func(t *testing.T) {
			env, _ := challengeEnv(t)
			on := env.Engine.Roadmap.Topics()[4]
			fire := weekly(t, env)
			var topics []string
			for week := range 26 {
				for i := range members {
					learner(t, env, fmt.Sprintf("m%d", i), on.ID) // active, and still on the same topic
				}
				c := fire()
				if c.Topic == "" {
					t.Fatalf("week %d: a free-text challenge %q, want a topic", week, c.Text)
				}
				topics = append(topics, c.Topic)
			}
			if members > 0 && topics[0] != on.ID {
				t.Errorf("first challenge on %s, want %s, the topic the group is on", topics[0], on.ID)
			}
			for i := range topics {
				for j := i + 1; j < len(topics) && j < i+bot.DefaultChallengeMemory; j++ {
					if topics[i] == topics[j] {
						t.Errorf("%s at challenges %d and %d: a repeat within %d (%v)", topics[i], i+1, j+1, bot.DefaultChallengeMemory, topics)
					}
				}
			}
			// Each week's challenge closed the one before.
			cs := challenges(t, env)
			for _, c := range cs[1:] {
				if c.ClosedAt.IsZero() {
					t.Errorf("#%d still open", c.ID)
				}
			}
		})
	}
}

// TestChallengeMemoryConfigurable: with ChallengeMemory 2 a topic may come
// back after two others.
func TestChallengeMemoryConfigurable(t *testing.T) {
	env, _ := challengeEnv(t)
	env.Engine.ChallengeMemory = 2
	on := env.Engine.Roadmap.Topics()[4]
	fire := weekly(t, env)
	var got []string
	for range 4 {
		learner(t, env, "ana", on.ID)
		got = append(got, fire().Topic)
	}
	if got[0] != on.ID || got[3] != on.ID || got[1] == on.ID || got[2] == on.ID {
		t.Errorf("topics %v: want %s first and fourth, others between", got, on.ID)
	}
}

func TestChallengeQueue(t *testing.T) {
	env, _ := challengeEnv(t)
	rm := env.Engine.Roadmap
	a, b := rm.Topics()[10], rm.Topics()[20]
	r := env.MustDo(t, "mod", "challenge queue "+a.ID)
	if !strings.Contains(r.Title, "position 1") {
		t.Errorf("queue reply %q", r.Title)
	}
	env.MustDo(t, "mod", "challenge queue "+b.ID)
	if _, err := env.Do(t, "mod", "challenge queue "+a.ID); bot.ErrorCode(err) != bot.Conflict {
		t.Errorf("queueing twice: %v, want Conflict", err)
	}
	list := env.MustDo(t, "mod", "challenge queue")
	if strings.Join(list.Text, "\n") != fmt.Sprintf("1. %s (%s)\n2. %s (%s)", a.Title, a.ID, b.Title, b.ID) {
		t.Errorf("queue list %q", list.Text)
	}

	// Queued topics go first, in order, and leave the queue when posted.
	fire := weekly(t, env)
	if c := fire(); c.Topic != a.ID {
		t.Errorf("first scheduled challenge on %s, want queued %s", c.Topic, a.ID)
	}
	env.MustDo(t, "mod", "challenge close")
	r = env.MustDo(t, "mod", "challenge post")
	if c := challenges(t, env)[0]; c.Topic != b.ID || !strings.Contains(strings.Join(r.Text, " "), "first in the queue") {
		t.Errorf("manual post on %s (%q), want queued %s and why", c.Topic, r.Text, b.ID)
	}
	if q := spaceRecord(t, env).Queue; len(q) != 0 {
		t.Errorf("queue after both posted: %v, want empty", q)
	}
	// Unqueue.
	env.MustDo(t, "mod", "challenge queue "+a.ID)
	env.MustDo(t, "mod", "challenge unqueue "+a.ID)
	if _, err := env.Do(t, "mod", "challenge unqueue "+a.ID); bot.ErrorCode(err) != bot.NotFound {
		t.Errorf("unqueue twice: %v, want NotFound", err)
	}
	if q := spaceRecord(t, env).Queue; len(q) != 0 {
		t.Errorf("queue %v, want empty", q)
	}
	// A word that names no single topic queues nothing.
	if _, err := env.Do(t, "mod", "challenge queue xyzzyplugh"); bot.ErrorCode(err) != bot.NotFound {
		t.Errorf("unknown topic: %v, want NotFound", err)
	}
}

// TestChallengePostWhat: topics by id, title or words; quoted or long text as
// text; anything unclear refused with suggestions and nothing posted.
func TestChallengePostWhat(t *testing.T) {
	env, _ := challengeEnv(t)
	rm := env.Engine.Roadmap
	dns := rm.Topic("internet/dns")
	cases := []struct {
		what      string
		topic     string // "" for text
		text      string
		refused   bool
		errSubstr string
	}{
		{what: "internet/dns", topic: dns.ID},
		{what: dns.Title, topic: dns.ID},
		{what: `"caching"`, text: "caching"},
		{what: "Build a tiny cache in Go and share it", text: "Build a tiny cache in Go and share it"},
		{what: "caching", refused: true, errSubstr: "Did you mean"},
		{what: "dns", topic: dns.ID},
		{what: "dsn", refused: true, errSubstr: "Did you mean DNS"},                // a typo is not posted
		{what: "rust", refused: true, errSubstr: "put them in quotes"},             // nor a near word (REST)
		{what: "jwt", refused: true, errSubstr: "Did you mean Hashing algorithms"}, // nor a tag match
		{what: "frobnitz quux", refused: true, errSubstr: "put them in quotes"},
		{what: `""`, refused: true, errSubstr: "quotes are empty"},
	}
	for _, c := range cases {
		env.Messenger.Reset()
		before := len(challenges(t, env))
		_, err := env.Do(t, "mod", "challenge post "+c.what)
		if c.refused {
			if err == nil || !strings.Contains(bot.ErrorMessage(err), c.errSubstr) {
				t.Errorf("%s: err %v, want a refusal containing %q", c.what, err, c.errSubstr)
			}
			if len(challenges(t, env)) != before || len(env.Messenger.Sent()) != 0 {
				t.Errorf("%s: a refused post stored or sent something", c.what)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.what, err)
			continue
		}
		got := challenges(t, env)[0]
		if got.Topic != c.topic || (c.text != "" && got.Text != c.text) {
			t.Errorf("%s: posted topic %q text %q, want topic %q text %q", c.what, got.Topic, got.Text, c.topic, c.text)
		}
		env.MustDo(t, "mod", "challenge close")
	}
}

// TestChallengeCloseKeepsSchedule: close posts the summary and keeps the
// schedule; stop removes it.
func TestChallengeCloseKeepsSchedule(t *testing.T) {
	env, s := challengeEnv(t)
	fire := weekly(t, env)
	c := fire()
	env.MustDo(t, "ana", "challenge submit my answer")
	env.Messenger.Reset()
	r := env.MustDo(t, "mod", "challenge close")
	if !strings.Contains(strings.Join(r.Text, " "), "The schedule goes on") {
		t.Errorf("close reply %q: want the next post named", r.Text)
	}
	ps := posts(env)
	if len(ps) != 1 || !strings.Contains(ps[0].Reply.Title, fmt.Sprintf("#%d closed", c.ID)) || ps[0].Channel != "#study" {
		t.Errorf("posts %+v: want #%d's summary in #study", ps, c.ID)
	}
	rec := spaceRecord(t, env)
	if rec.Challenge.Spec == "" || s.Schedules()[bottest.Space] == "" || rec.Current != 0 {
		t.Errorf("after close: schedule %q installed %q current %d; want the schedule kept, nothing open", rec.Challenge.Spec, s.Schedules()[bottest.Space], rec.Current)
	}
	if _, err := env.Do(t, "mod", "challenge close"); bot.ErrorCode(err) != bot.Conflict {
		t.Errorf("close with nothing open: %v, want Conflict", err)
	}
	// The schedule still fires.
	if next := fire(); next.ID != c.ID+1 || !next.ClosedAt.IsZero() {
		t.Errorf("after close the schedule posted %+v, want #%d open", next, c.ID+1)
	}
}

func TestChallengeClosesAtItsTime(t *testing.T) {
	env, _ := challengeEnv(t)
	ctx := context.Background()
	r := env.MustDo(t, "mod", "challenge post internet/dns 2d")
	if replyField(r, "Closes") == "" {
		t.Errorf("post reply %+v: want when it closes", r.Fields)
	}
	ps := posts(env)
	if len(ps) != 1 || replyField(ps[0].Reply, "Closes") != "Wed 7 Jan 09:00 UTC" {
		t.Fatalf("post %+v: want it to say it closes Wed 7 Jan 09:00 UTC", ps)
	}
	env.MustDo(t, "ana", "challenge submit dig +trace")
	env.Messenger.Reset()
	env.Clock.Add(2*24*time.Hour - time.Minute)
	if n, err := env.Engine.CloseDueChallenges(ctx, env.Clock.Now()); n != 0 || err != nil {
		t.Fatalf("a minute early: closed %d, %v", n, err)
	}
	env.Clock.Add(time.Minute)
	if n, err := env.Engine.CloseDueChallenges(ctx, env.Clock.Now()); n != 1 || err != nil {
		t.Fatalf("on time: closed %d, %v; want 1", n, err)
	}
	ps = posts(env)
	if len(ps) != 1 || !strings.Contains(ps[0].Reply.Title, "#1 closed") || !strings.Contains(strings.Join(ps[0].Reply.Text, " "), "1 submission") {
		t.Errorf("posts %+v: want #1's summary", ps)
	}
	if c := challenges(t, env)[0]; !c.ClosedAt.Equal(bottest.Start.Add(48*time.Hour)) || spaceRecord(t, env).Current != 0 {
		t.Errorf("closed at %v, want its close time", c.ClosedAt)
	}
	if n, _ := env.Engine.CloseDueChallenges(ctx, env.Clock.Now()); n != 0 {
		t.Errorf("closed %d again", n)
	}
	// Past its close time but not yet closed by the closer: no more
	// answers, and a manual post closes it first instead of refusing.
	env.MustDo(t, "mod", "challenge post internet/http 1h")
	env.Clock.Add(time.Hour)
	_, err := env.Do(t, "ana", "challenge submit too late")
	if bot.ErrorCode(err) != bot.Conflict || !strings.Contains(bot.ErrorMessage(err), "closed") {
		t.Errorf("submit after the close time: %v, want Conflict, closed", err)
	}
	env.MustDo(t, "mod", "challenge post internet/domain-names")
	if cs := challenges(t, env); cs[1].ClosedAt.IsZero() || !cs[0].ClosedAt.IsZero() {
		t.Errorf("post after the close time: %+v", cs[:2])
	}
	env.MustDo(t, "mod", "challenge close")
	// A scheduled challenge takes the schedule's span.
	env.MustDo(t, "mod", "challenge schedule #study MON 09:00 Europe/Berlin 6d")
	if err := env.Engine.PostScheduledChallenge(ctx, bottest.Space, env.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	if c := challenges(t, env)[0]; !c.ClosesAt.Equal(env.Clock.Now().Add(6*24*time.Hour)) || c.Zone != "Europe/Berlin" {
		t.Errorf("scheduled challenge closes %v (zone %q), want 6d on, Europe/Berlin", c.ClosesAt, c.Zone)
	}
}

func TestChallengePastBoard(t *testing.T) {
	env, _ := challengeEnv(t)
	env.MustDo(t, "mod", "challenge post internet/dns")
	env.MustDo(t, "ana", "challenge submit first answer")
	open := env.MustDo(t, "ben", "challenge board")
	if !open.Public || !strings.Contains(open.Title, "#1 board") {
		t.Errorf("open board %q public %v: want #1, public", open.Title, open.Public)
	}
	env.MustDo(t, "mod", "challenge close")
	env.MustDo(t, "mod", "challenge post internet/http")
	env.MustDo(t, "ben", "challenge submit second answer")
	past := env.MustDo(t, "ben", "challenge board 1")
	if past.Public || !strings.Contains(past.Title, "#1 board (closed)") || replyField(past, "ana") != "first answer" {
		t.Errorf("past board %+v: want #1's, private, with ana's answer", past)
	}
	if cur := env.MustDo(t, "ben", "challenge"); !strings.Contains(cur.Title, "#2 board") {
		t.Errorf("challenge alone shows %q, want #2's board", cur.Title)
	}
	for _, line := range []string{"challenge board 9", "challenge board 0", "challenge board two"} {
		if _, err := env.Do(t, "ben", line); err == nil {
			t.Errorf("%s: no error", line)
		}
	}
}

func TestChallengeRemove(t *testing.T) {
	env, _ := challengeEnv(t)
	env.MustDo(t, "mod", "challenge post internet/dns")
	env.MustDo(t, "spammer", "challenge submit buy cheap watches")
	env.MustDo(t, "ana", "challenge submit dig +trace")
	if m, _ := env.DB.Member(context.Background(), bottest.Space, "spammer"); m.Answered != 1 {
		t.Fatalf("answered %d before removal", m.Answered)
	}
	if _, err := doAs(t, env, "ana", false, "challenge remove spammer"); bot.ErrorCode(err) != bot.Forbidden {
		t.Errorf("a member removing: %v, want Forbidden", err)
	}
	env.Messenger.Reset()
	r := env.MustDo(t, "mod", "challenge remove spammer 1")
	if !strings.Contains(r.Title, "Removed spammer's submission from challenge #1") || !strings.Contains(strings.Join(r.Text, " "), "told them privately") {
		t.Errorf("remove reply %+v", r)
	}
	sent := env.Messenger.Sent()
	if len(sent) != 1 || sent[0].Member != "spammer" || !strings.Contains(sent[0].Reply.Title, "was removed") ||
		!strings.Contains(strings.Join(sent[0].Reply.Text, " "), "buy cheap watches") {
		t.Errorf("sent %+v: want one private note to spammer quoting the submission", sent)
	}
	c := challenges(t, env)[0]
	if _, still := c.Submissions["spammer"]; still || c.Submissions["ana"] == nil {
		t.Errorf("submissions %v: want only ana's", c.Submissions)
	}
	if m, _ := env.DB.Member(context.Background(), bottest.Space, "spammer"); m.Answered != 0 {
		t.Errorf("answered %d after removal, want 0", m.Answered)
	}
	if _, err := env.Do(t, "mod", "challenge remove spammer"); bot.ErrorCode(err) != bot.NotFound {
		t.Errorf("removing again: %v, want NotFound", err)
	}
	// Closed DMs: removed anyway, and the moderator is told.
	env.MustDo(t, "ben", "challenge submit spam again")
	env.Messenger.Unreachable("ben")
	r = env.MustDo(t, "mod", "challenge remove ben")
	if !strings.Contains(strings.Join(r.Text, " "), "could not tell them") {
		t.Errorf("reply %q: want the failed note said", r.Text)
	}
}

// TestChallengeAnsweredCounts: a member's answered challenges show in their
// progress and on the leaderboard.
func TestChallengeAnsweredCounts(t *testing.T) {
	env, _ := challengeEnv(t)
	env.MustDo(t, "mod", "challenge post internet/dns")
	env.MustDo(t, "ana", "challenge submit one")
	env.MustDo(t, "mod", "challenge close")
	env.MustDo(t, "mod", "challenge post internet/http")
	env.MustDo(t, "ana", "challenge submit two")
	env.MustDo(t, "ana", "challenge submit two, edited")
	if got := replyField(env.MustDo(t, "ana", "progress"), "Challenges"); got != "2 answered" {
		t.Errorf("progress shows %q, want 2 answered", got)
	}
	env.MustDo(t, "ana", "done") // the board lists members with a topic done
	lb := env.MustDo(t, "ana", "leaderboard")
	if len(lb.Fields) == 0 || !strings.Contains(lb.Fields[0].Value, "2 challenges") {
		t.Errorf("leaderboard %+v: want ana's 2 challenges", lb.Fields)
	}
}

func TestChallengeScheduleCadence(t *testing.T) {
	env, _ := challengeEnv(t)
	cases := []struct {
		line, title string
	}{
		{"challenge schedule #study DAILY 09:00", "every day 09:00 UTC"},
		{"challenge schedule #study 0 9 * * *", "every day 09:00 UTC"},
		{"challenge schedule #study 30 18 * * 1-5 America/New_York", "every weekday (Monday to Friday) 18:30 America/New_York"},
		{"challenge schedule #study 0 9 * * 1,3,5", "every Monday, Wednesday and Friday 09:00 UTC"},
		{"challenge schedule #study fri 17:00 Asia/Tokyo", "every Friday 17:00 Asia/Tokyo"},
		{"challenge schedule #study CRON_TZ=Europe/Berlin 0 9 * * 1", "every Monday 09:00 Europe/Berlin"},
	}
	for _, c := range cases {
		r, err := env.Do(t, "mod", c.line)
		if err != nil {
			t.Errorf("%s: %v", c.line, err)
			continue
		}
		if r.Title != "Challenges scheduled: "+c.title {
			t.Errorf("%s: title %q, want %q", c.line, r.Title, c.title)
		}
	}
	// Replacing says what it replaced.
	r := env.MustDo(t, "mod", "challenge schedule #other MON 10:00")
	if !strings.Contains(strings.Join(r.Text, " "), "replaces the schedule every Monday 09:00 Europe/Berlin in #study") {
		t.Errorf("replace reply %q", r.Text)
	}
	// A spec with no simple name shows itself and its next three firings.
	r = env.MustDo(t, "mod", "challenge schedule #study 0 9 1 * *")
	if next := replyField(r, "Next posts"); strings.Count(next, ";") != 2 || !strings.Contains(next, "1 Feb 2026 09:00") {
		t.Errorf("unnamed schedule: next posts %q, want three, from 1 Feb 2026", next)
	}
	// More often than daily is refused and changes nothing.
	before := spaceRecord(t, env).Challenge
	for _, line := range []string{
		"challenge schedule #study 0 9,21 * * *",
		"challenge schedule #study */30 * * * *",
		"challenge schedule #study MON 9am",
		"challenge schedule #study MON 09:00 Mars/Base",
		"challenge schedule #study MON 09:00 UTC 90d",
	} {
		if _, err := env.Do(t, "mod", line); bot.ErrorCode(err) != bot.Invalid {
			t.Errorf("%s: %v, want Invalid", line, err)
		}
	}
	if got := spaceRecord(t, env).Challenge; got != before {
		t.Errorf("a refused schedule changed %+v to %+v", before, got)
	}
}
