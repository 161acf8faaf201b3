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

// webTOML is a roadmap small enough to count by hand: two sections, four
// topics in a line, each 25% of the whole.
const webTOML = `id = "web"
title = "Web Basics"

[[section]]
id = "net"
stage = "basics"
title = "Networks"

[[section.topic]]
id = "net/ip"
title = "IP addresses"
hours = 1
summary = "How hosts are numbered."

[[section.topic]]
id = "net/dns"
title = "DNS"
hours = 1
after = ["net/ip"]
summary = "How names become addresses."

[[section]]
id = "http"
stage = "basics"
title = "HTTP"

[[section.topic]]
id = "http/req"
title = "Requests"
hours = 1
after = ["net/dns"]
summary = "Methods, headers, bodies."

[[section.topic]]
id = "http/tls"
title = "TLS"
hours = 1
after = ["http/req"]
summary = "Encryption in transit."
`

// groupEnv is an engine whose space has Web Basics as its default roadmap.
func groupEnv(t *testing.T) *bottest.Env {
	t.Helper()
	env := bottest.New(t)
	if _, err := addRoadmap(t, env, bottest.Space, "web.toml", []byte(webTOML)); err != nil {
		t.Fatal(err)
	}
	env.MustDo(t, "mod", "roadmap default web")
	return env
}

// groupMember is a member as group and buddy find see them.
type groupMember struct {
	id, name string
	buddy    bool
	seen     time.Duration // before now
	follow   string
	done     map[string]time.Duration // topic -> how long ago it was marked done
	learning string
}

// put stores gm on the web roadmap's track, times relative to the clock.
func (gm groupMember) put(t *testing.T, env *bottest.Env) {
	t.Helper()
	now := env.Clock.Now()
	if _, err := env.DB.UpdateMember(context.Background(), bottest.Space, gm.id, func(m *bot.Member) error {
		m.Name, m.Buddy, m.Seen, m.Follow = gm.name, gm.buddy, now.Add(-gm.seen), gm.follow
		tr := m.WriteTrack("web")
		for topic, ago := range gm.done {
			tr.Topics.Set(topic, bot.Mark{Status: roadmap.Done, At: now.Add(-ago)})
		}
		if gm.learning != "" {
			tr.Topics.Set(gm.learning, bot.Mark{Status: roadmap.Learning, At: now})
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// allText is everything a reply shows, for checking what it names.
func allText(r *bot.Reply) string {
	parts := append([]string{r.Title, r.Footer}, answer(r)...)
	for _, f := range r.Fields {
		parts = append(parts, f.Name, f.Value)
	}
	for _, b := range r.Buttons {
		parts = append(parts, b.Label, b.Action)
	}
	return strings.Join(parts, "\n")
}

// field is the value of the reply's field named name ("" when missing).
// answer is a reply's text without the welcome a newcomer gets above it
// (the askers here have no record of their own).
func answer(r *bot.Reply) []string {
	if len(r.Text) > 0 && strings.HasPrefix(r.Text[0], "👋 Welcome") {
		return r.Text[1:]
	}
	return r.Text
}

func field(r *bot.Reply, name string) string {
	for _, f := range r.Fields {
		if strings.HasPrefix(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

// The group of the tests below: Zed and Eve never turned on buddy; Ida has
// been idle for 20 days; Olga follows another roadmap.
var theGroup = []groupMember{
	{id: "ana", name: "Ana Opted", buddy: true, done: map[string]time.Duration{"net/ip": 1 * day, "net/dns": 2 * day}},
	{id: "ben", name: "Ben Opted", buddy: true, done: map[string]time.Duration{"net/ip": 10 * day}},
	{id: "quiet-zed", name: "Zed Quiet", done: map[string]time.Duration{"net/ip": 3 * day}, learning: "net/dns"},
	{id: "idle-ida", name: "Ida Idle", seen: 20 * day, done: map[string]time.Duration{"net/ip": 40 * day, "net/dns": 40 * day, "http/req": 27 * day, "http/tls": 20 * day}},
	{id: "eve", name: "Eve New"},
	{id: "olga", name: "Olga Elsewhere", buddy: true, follow: bot.BuiltinRoadmap, done: map[string]time.Duration{"net/ip": day}},
}

// TestGroup: sections, median, top topics, this week's finishers, pace and
// the next challenge for 0, 1 and many members; moderators alone see the
// idle.
func TestGroup(t *testing.T) {
	tests := []struct {
		name    string
		members []groupMember
		mod     bool
		want    map[string]string // field name (prefix) -> value; "Text" is the first paragraph
		absent  []string          // field names that must not show
	}{
		{
			name: "NoMembers",
			want: map[string]string{
				"Text":           "Nobody follows Web Basics (the group's default roadmap) yet. Type next to be the first!",
				"Next challenge": "None scheduled.",
			},
			absent: []string{"Where members are", "Finished this week", "Inactive"},
		},
		{
			name:    "OneMember",
			members: theGroup[2:3], // Zed: not opted in
			want: map[string]string{
				"Text":               "1 member follows Web Basics (the group's default roadmap). Median progress: 25%.",
				"Where members are":  "Networks 1",
				"Most are on":        "DNS (1)",
				"Finished this week": "1 member (1 topic)",
				"Pace":               "0.2 topics a week (last 4 weeks)",
			},
			absent: []string{"Inactive"},
		},
		{
			name:    "ManyMembers",
			members: theGroup,
			want: map[string]string{
				// 0, 25, 25, 50, 100; Olga follows another roadmap.
				"Text":               "5 members follow Web Basics (the group's default roadmap). Median progress: 25%.",
				"Where members are":  "Networks 3 · HTTP 1 · finished 1",
				"Most are on":        "DNS (2), IP addresses (1), Requests (1)",
				"Finished this week": "Ana Opted: IP addresses, DNS; and 1 other (3 topics)",
				// ana 2, ben 1, zed 1, ida 2 (27 and 20 days ago).
				"Pace": "1.5 topics a week (last 4 weeks)",
			},
			absent: []string{"Inactive"},
		},
		{
			name:    "ManyMembersModerator",
			members: theGroup,
			mod:     true,
			want: map[string]string{
				"Inactive 14+ days": "1: Ida Idle",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := groupEnv(t)
			for _, gm := range tt.members {
				gm.put(t, env)
			}
			r, err := doAs(t, env, "someone", tt.mod, "group")
			if err != nil {
				t.Fatal(err)
			}
			for name, want := range tt.want {
				got := field(r, name)
				if a := answer(r); name == "Text" && len(a) > 0 {
					got = a[0]
				}
				if got != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}
			for _, name := range tt.absent {
				if v := field(r, name); v != "" {
					t.Errorf("%s shows %q; want no such field", name, v)
				}
			}
		})
	}
}

// TestGroupMedianOfEvenCount: the median of an even count is the mean of
// the middle two.
func TestGroupMedianOfEvenCount(t *testing.T) {
	env := groupEnv(t)
	theGroup[0].put(t, env) // 50%
	theGroup[1].put(t, env) // 25%
	r := env.MustDo(t, "ana", "group")
	if want := "Median progress: 37%."; !strings.Contains(r.Text[0], want) {
		t.Errorf("text %q, want %q", r.Text[0], want)
	}
}

// TestGroupNextChallenge: from the running scheduler when there is one,
// else from the stored schedule.
func TestGroupNextChallenge(t *testing.T) {
	t.Run("Stored", func(t *testing.T) {
		env := groupEnv(t)
		env.MustDo(t, "mod", "challenge schedule #study MON 09:00")
		got := field(env.MustDo(t, "ana", "group"), "Next challenge")
		if want := "in #study"; !strings.Contains(got, want) || !strings.Contains(strings.ToLower(got), "monday") {
			t.Errorf("next challenge %q, want Mondays %s", got, want)
		}
	})
	t.Run("Scheduler", func(t *testing.T) {
		env, _ := challengeEnv(t)
		env.MustDo(t, "mod", "challenge schedule #study MON 09:00")
		got := field(env.MustDo(t, "ana", "group"), "Next challenge")
		if want := "Mon 12 Jan 2026 09:00 UTC in #study"; got != want {
			t.Errorf("next challenge %q, want %q", got, want)
		}
	})
}

// TestGroupWeekIsRolling: a topic done 7 days and a minute ago is not this
// week's, and a topic done 28 days and a minute ago is not in the pace.
func TestGroupWeekIsRolling(t *testing.T) {
	env := groupEnv(t)
	groupMember{id: "ana", name: "Ana Opted", buddy: true, done: map[string]time.Duration{
		"net/ip": 28*day + time.Minute, "net/dns": 7*day + time.Minute, "http/req": 7 * day,
	}}.put(t, env)
	r := env.MustDo(t, "ana", "group")
	if got, want := field(r, "Finished this week"), "Ana Opted: Requests (1 topic)"; got != want {
		t.Errorf("this week %q, want %q", got, want)
	}
	if got, want := field(r, "Pace"), "0.5 topics a week (last 4 weeks)"; got != want {
		t.Errorf("pace %q, want %q", got, want)
	}
}

// TestGroupInactiveListIsCapped: moderators see how many are idle and at
// most 10 names.
func TestGroupInactiveListIsCapped(t *testing.T) {
	env := groupEnv(t)
	for i := range 12 {
		groupMember{id: fmt.Sprintf("m%02d", i), name: fmt.Sprintf("Idle %02d", i), seen: 14 * day}.put(t, env)
	}
	groupMember{id: "fresh", name: "Fresh", seen: 14*day - time.Minute}.put(t, env)
	got := field(env.MustDo(t, "mod", "group"), "Inactive")
	if !strings.HasPrefix(got, "12: Idle 00, ") || !strings.HasSuffix(got, "Idle 09 and 2 more") || strings.Contains(got, "Fresh") {
		t.Errorf("inactive %q, want 12 counted, 10 named, Fresh not", got)
	}
}

// TestBuddyFind: opted-in members on your topic first, then who finished
// it in the last 30 days, at most 3, never yourself.
func TestBuddyFind(t *testing.T) {
	env := groupEnv(t)
	for _, gm := range theGroup {
		gm.put(t, env)
	}
	for _, gm := range []groupMember{
		{id: "cat", name: "Cat OnIt", buddy: true, learning: "net/dns", seen: time.Hour},
		{id: "dan", name: "Dan OnIt", buddy: true, learning: "net/dns", seen: 2 * time.Hour},
		{id: "fay", name: "Fay Fourth", buddy: true, done: map[string]time.Duration{"net/ip": 9 * day, "net/dns": 5 * day}}, // a fourth: past the 3
		{id: "old", name: "Old Finisher", buddy: true, done: map[string]time.Duration{"net/ip": 40 * day, "net/dns": 31 * day}},
		{id: "elsewhere", name: "Other Roadmap", buddy: true, follow: bot.BuiltinRoadmap, learning: "net/dns"},
	} {
		gm.put(t, env)
	}
	r := env.MustDo(t, "ben", "buddy find")
	var got []string
	for _, f := range r.Fields {
		got = append(got, f.Name+" = "+f.Value)
	}
	want := []string{"Cat OnIt = cat is on it too", "Dan OnIt = dan is on it too", "Ana Opted = ana finished it 2 days ago and can help"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("buddies\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if r.Title != "Study buddies for DNS" || !strings.Contains(r.Footer, "buddy off") {
		t.Errorf("title %q, footer %q", r.Title, r.Footer)
	}
	// Cat and Dan leave; Ana and Fay remain, and "buddy" alone means find.
	env.MustDo(t, "cat", "buddy off")
	env.MustDo(t, "dan", "buddy off")
	r = env.MustDo(t, "ben", "buddy")
	if len(r.Fields) != 2 || r.Fields[0].Name != "Ana Opted" || r.Fields[1].Name != "Fay Fourth" {
		t.Errorf("buddy: %+v, want Ana, then Fay", r.Fields)
	}
}

// TestBuddyFindNobody: no one to suggest, said so; a member not opted in is
// told others cannot find them.
func TestBuddyFindNobody(t *testing.T) {
	env := groupEnv(t)
	r := env.MustDo(t, "eve", "buddy find")
	if a := answer(r); len(r.Fields) != 0 || len(a) == 0 || !strings.Contains(a[0], "Nobody") {
		t.Errorf("buddy find alone: %+v", r)
	}
	if want := "Others can find you only after buddy on."; r.Footer != want {
		t.Errorf("footer %q, want %q", r.Footer, want)
	}
}

// TestBuddyOnOff: the flag round-trips, and with it the name in group.
func TestBuddyOnOff(t *testing.T) {
	env := groupEnv(t)
	groupMember{id: "zed", name: "Zed", done: map[string]time.Duration{"net/ip": day}}.put(t, env)
	week := func() string { return field(env.MustDo(t, "mod", "group"), "Finished this week") }
	if got := week(); got != "1 member (1 topic)" {
		t.Errorf("before buddy on: %q", got)
	}
	env.MustDo(t, "zed", "buddy on")
	if !member(t, env, "zed").Buddy {
		t.Error("buddy on did not set Buddy")
	}
	if got := week(); got != "zed: IP addresses (1 topic)" { // buddy on took the name the request gave
		t.Errorf("after buddy on: %q", got)
	}
	env.MustDo(t, "zed", "buddy off")
	if member(t, env, "zed").Buddy {
		t.Error("buddy off did not clear Buddy")
	}
	if got := week(); got != "1 member (1 topic)" {
		t.Errorf("after buddy off: %q", got)
	}
}

// TestBuddyPrivacy: a member who has not opted in, or opted out, appears in
// no output of group or buddy find, whoever asks, even when they are on the
// same topic as everyone and finished this week.
func TestBuddyPrivacy(t *testing.T) {
	env := groupEnv(t)
	for _, gm := range theGroup {
		gm.put(t, env)
	}
	// Zed (never opted in) and Xena (opted out) are on DNS, the topic Ben
	// and Cat are on, and finished IP addresses this week.
	groupMember{id: "cat", name: "Cat OnIt", buddy: true, learning: "net/dns"}.put(t, env)
	groupMember{id: "xena-out", name: "Xena Out", buddy: true, done: map[string]time.Duration{"net/ip": day}, learning: "net/dns"}.put(t, env)
	env.MustDo(t, "xena-out", "buddy off")
	hidden := []string{"quiet-zed", "Zed Quiet", "xena-out", "Xena Out", "eve", "Eve New"}
	var outputs []*bot.Reply
	for _, asker := range []string{"ana", "ben", "cat", "quiet-zed", "eve", "nobody-yet"} {
		for _, line := range []string{"group", "buddy find", "buddy"} {
			for _, mod := range []bool{false, true} {
				r, err := doAs(t, env, asker, mod, line)
				if err != nil {
					t.Fatalf("%s %q: %v", asker, line, err)
				}
				outputs = append(outputs, r)
			}
		}
	}
	for _, r := range outputs {
		text := allText(r)
		for _, h := range hidden {
			if strings.Contains(text, h) {
				t.Errorf("%q shows %q:\n%s", r.Title, h, text)
			}
		}
	}
	// Opted-in members do show, so the checks above had something to
	// hide the others among.
	if text := allText(env.MustDo(t, "ben", "buddy find")); !strings.Contains(text, "Cat OnIt") {
		t.Errorf("ben's buddy find does not list Cat:\n%s", text)
	}
	if text := allText(env.MustDo(t, "ben", "group")); !strings.Contains(text, "Ana Opted") {
		t.Errorf("group does not name Ana:\n%s", text)
	}
}

// TestGroupAddedModeratorSeesIdle: a moderator made with moderators add
// asks group as a member and still sees the idle; members do not.
func TestGroupAddedModeratorSeesIdle(t *testing.T) {
	env := bottest.New(t)
	mustAs(t, env, slackTeam, "U3", bot.AccessMember, "done")
	mustAs(t, env, slackTeam, "UADMIN", bot.AccessAdmin, "moderators add U2")
	env.Clock.Add(15 * day)
	if got := field(mustAs(t, env, slackTeam, "U2", bot.AccessMember, "group"), "Inactive"); !strings.Contains(got, "U3") {
		t.Errorf("added moderator's inactive list %q, want U3", got)
	}
	if got := field(mustAs(t, env, slackTeam, "U4", bot.AccessMember, "group"), "Inactive"); got != "" {
		t.Errorf("a member sees inactive %q", got)
	}
}

// TestBuddyFindSkipsHidden: a member hidden from the leaderboard is not
// suggested either, though opted in.
func TestBuddyFindSkipsHidden(t *testing.T) {
	env := groupEnv(t)
	groupMember{id: "dave", name: "Dave Hidden", buddy: true, learning: "net/dns"}.put(t, env)
	groupMember{id: "cat", name: "Cat OnIt", buddy: true, learning: "net/dns"}.put(t, env)
	groupMember{id: "ben", name: "Ben", learning: "net/dns"}.put(t, env)
	env.MustDo(t, "dave", "leaderboard hide")
	text := allText(env.MustDo(t, "ben", "buddy find"))
	if strings.Contains(text, "Dave") || !strings.Contains(text, "Cat OnIt") {
		t.Errorf("buddy find:\n%s\nwant Cat and not hidden Dave", text)
	}
}

// TestGroupWithBrokenDefault: a stored default roadmap that no longer parses
// sends its followers to the built-in, and group counts them there.
func TestGroupWithBrokenDefault(t *testing.T) {
	env := bottest.New(t)
	ctx := context.Background()
	if err := env.DB.PutRoadmapFile(ctx, bottest.Space, &bot.RoadmapFile{ID: "old", Title: "Old", TOML: "not = [toml"}, 20); err != nil {
		t.Fatal(err)
	}
	if _, err := env.DB.UpdateSpace(ctx, bottest.Space, func(r *bot.SpaceRecord) error { r.DefaultRoadmap = "old"; return nil }); err != nil {
		t.Fatal(err)
	}
	env.MustDo(t, "ana", "done")
	r := env.MustDo(t, "ana", "group")
	if a := answer(r); len(a) == 0 || !strings.HasPrefix(a[0], "1 member follows Backend Developer") {
		t.Errorf("group: %q, want ana counted on the built-in", a)
	}
}
