package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
	"github.com/studybot/studybot/roadmap"
)

var testSpace = bot.Space{Platform: bot.PlatformConsole, ID: "test"}

func wantCode(t *testing.T, err error, code bot.Code, msg string) {
	t.Helper()
	if bot.ErrorCode(err) != code {
		t.Fatalf("error %v: code %q, want %q", err, bot.ErrorCode(err), code)
	}
	if !strings.Contains(bot.ErrorMessage(err), msg) {
		t.Fatalf("message %q does not contain %q", bot.ErrorMessage(err), msg)
	}
}

func member(t *testing.T, env *bottest.Env, id string) *bot.Member {
	t.Helper()
	m, err := env.DB.Member(context.Background(), testSpace, id)
	if err != nil {
		t.Fatalf("member %s: %v", id, err)
	}
	return m
}

// snapshot is a member's stored record as JSON, to prove that a refused command
// changed nothing.
func snapshot(t *testing.T, env *bottest.Env, id string) string {
	t.Helper()
	m, err := env.DB.Member(context.Background(), testSpace, id)
	if bot.ErrorCode(err) == bot.NotFound {
		return "absent"
	}
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func TestNextDoneNext(t *testing.T) {
	env := bottest.New(t)
	first := roadmap.Default().Topics()[0]
	second := roadmap.Default().Topics()[1]
	r := env.MustDo(t, "ann", "next")
	if !strings.Contains(r.Title, first.Title) || r.Footer != first.ID {
		t.Fatalf("next: got %q (%s), want %s", r.Title, r.Footer, first.ID)
	}
	if len(r.Buttons) == 0 || r.Buttons[0].Action != "done:"+first.ID {
		t.Errorf("next buttons %+v, want Done first", r.Buttons)
	}
	r = env.MustDo(t, "ann", "done")
	if !strings.Contains(r.Title, "Done") || !strings.Contains(r.Title, first.Title) {
		t.Errorf("done: title %q", r.Title)
	}
	if got := member(t, env, "ann").Track(bot.BuiltinRoadmap).Status(first.ID); got != roadmap.Done {
		t.Errorf("stored status %q, want done", got)
	}
	r = env.MustDo(t, "ann", "next")
	if r.Footer != second.ID {
		t.Errorf("second next: %s, want %s", r.Footer, second.ID)
	}
	r = env.MustDo(t, "ann", "progress")
	if r.Bars[0].Done != 1 || r.Bars[0].Total < 40 {
		t.Errorf("progress overall bar %+v", r.Bars[0])
	}
}

func TestDoneDefaultsToLearningTopic(t *testing.T) {
	env := bottest.New(t)
	env.MustDo(t, "ann", "start dns")
	env.MustDo(t, "ann", "done")
	m := member(t, env, "ann")
	if m.Track(bot.BuiltinRoadmap).Status("internet/dns") != roadmap.Done {
		t.Errorf("dns is %q, want done", m.Track(bot.BuiltinRoadmap).Status("internet/dns"))
	}
	if m.Track(bot.BuiltinRoadmap).Status(roadmap.Default().Topics()[0].ID) != roadmap.Todo {
		t.Error("done without a topic marked the first topic instead of the learning one")
	}
}

func TestTopicArguments(t *testing.T) {
	env := bottest.New(t)
	for _, q := range []string{"internet/dns", "dns", "DNS", "\"dns\""} {
		r, err := env.Do(t, "ann", "topic "+q)
		if err != nil || r.Footer != "internet/dns" {
			t.Errorf("topic %s: %v %v", q, r, err)
		}
	}
	_, err := env.Do(t, "ann", "start zzzzzz")
	wantCode(t, err, bot.NotFound, `No topic matches "zzzzzz"`)
	_, err = env.Do(t, "ann", "start dnzz")
	wantCode(t, err, bot.NotFound, "Did you mean: DNS and how it works?")
	// One typo or a swapped pair of letters finds the topic outright.
	for _, q := range []string{"dnz", "dsn"} {
		if r, err := env.Do(t, "ann", "topic "+q); err != nil || r.Footer != "internet/dns" {
			t.Errorf("topic %s: %v %v, want internet/dns", q, r, err)
		}
	}
}

func TestBadInputChangesNothing(t *testing.T) {
	env := bottest.New(t)
	env.MustDo(t, "ann", "done")
	before := snapshot(t, env, "ann")
	cases := []struct {
		name string
		line string
		code bot.Code
		msg  string
	}{
		{"ErrUnknownCommand", "fly me to the moon", bot.Invalid, "Unknown command"},
		{"ErrUnknownTopic", "skip nothing-like-this", bot.NotFound, "No topic matches"},
		{"ErrEmptyNote", "note dns", bot.Invalid, "Missing text"},
		{"ErrHugeNote", "note dns " + strings.Repeat("x", 10*1024), bot.Invalid, "too long"},
		{"ErrInvalidUTF8", "note dns caf\xe9", bot.Invalid, "UTF-8"},
		{"ErrBadTime", "nudge at 25:99", bot.Invalid, "not a time"},
		{"ErrBadZone", "nudge at 08:30 Mars/Olympus", bot.Invalid, "not a time zone"},
		{"ErrUnknownPickGroup", "pick hobby chess", bot.NotFound, "No pick group"},
		{"ErrUnknownPickOption", "pick language cobol", bot.NotFound, "not an option"},
		{"ErrAlreadyDone", "done " + roadmap.Default().Topics()[0].ID, bot.Conflict, "already marked done"},
		{"ErrUnclosedQuote", `note "dns unclosed`, bot.Invalid, "quote"},
		{"ErrTooManyWords", "next please now", bot.Invalid, "Too many words"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := env.Do(t, "ann", c.line)
			wantCode(t, err, c.code, c.msg)
			if strings.Contains(bot.ErrorMessage(err), "\n") {
				t.Errorf("message is not one line: %q", bot.ErrorMessage(err))
			}
			if after := snapshot(t, env, "ann"); after != before {
				t.Errorf("record changed:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

func TestUndo(t *testing.T) {
	env := bottest.New(t)
	env.MustDo(t, "ann", "start http")
	env.MustDo(t, "ann", "done http")
	env.MustDo(t, "ann", "pick language python")
	env.MustDo(t, "ann", "undo")
	if c := member(t, env, "ann").Track(bot.BuiltinRoadmap).Choice("language"); c != "" {
		t.Errorf("undo pick: choice %q", c)
	}
	env.MustDo(t, "ann", "undo")
	if s := member(t, env, "ann").Track(bot.BuiltinRoadmap).Status("internet/http"); s != roadmap.Learning {
		t.Errorf("after one undo: %q, want learning", s)
	}
	env.MustDo(t, "ann", "undo")
	if s := member(t, env, "ann").Track(bot.BuiltinRoadmap).Status("internet/http"); s != roadmap.Todo {
		t.Errorf("after two undos: %q, want not started", s)
	}
	_, err := env.Do(t, "ann", "undo")
	wantCode(t, err, bot.Conflict, "Nothing to undo")
}

func TestPickSteersNext(t *testing.T) {
	env := bottest.New(t)
	rm := roadmap.Default()
	// Finish everything before the first pick (the language fundamentals come
	// before the language pick).
	for _, tp := range rm.Topics() {
		if rm.PickOf(tp.ID) != nil {
			break
		}
		env.MustDo(t, "ann", "skip "+tp.ID)
	}
	r := env.MustDo(t, "ann", "next")
	if !strings.Contains(r.Title, "choose") && !strings.Contains(r.Title, "Choose") {
		t.Fatalf("next before a pick: %q, want a request to choose", r.Title)
	}
	env.MustDo(t, "ann", "pick language python")
	r = env.MustDo(t, "ann", "next")
	if r.Footer != "language/python" {
		t.Errorf("next after pick: %s", r.Footer)
	}
	_, err := env.Do(t, "ann", "start language/ruby")
	wantCode(t, err, bot.Conflict, "pick language ruby")
	all, _ := rm.Progress(member(t, env, "ann").Track(bot.BuiltinRoadmap))
	allNew, _ := rm.Progress(&bot.Track{})
	if all.Total != allNew.Total {
		t.Errorf("a pick changed the number of counted topics: %d vs %d", all.Total, allNew.Total)
	}
}

// TestPickMismatchWarns: a framework that does not go with the member's
// language is picked all the same, with a warning; a matching one is not warned.
func TestPickMismatchWarns(t *testing.T) {
	env := bottest.New(t)
	env.MustDo(t, "ann", "pick language python")
	r := env.MustDo(t, "ann", "pick framework express")
	if len(r.Text) == 0 || !strings.HasPrefix(r.Text[0], "Heads-up: your language pick, Python, goes with Django rather than Node.js") {
		t.Errorf("pick framework express after python: text %q, want the warning first", r.Text)
	}
	if c := member(t, env, "ann").Track(bot.BuiltinRoadmap).Picks["framework"]; c != "framework/nodejs" {
		t.Errorf("the mismatched pick did not stand: framework is %q", c)
	}
	r = env.MustDo(t, "ann", "pick framework django")
	for _, line := range r.Text {
		if strings.Contains(line, "Heads-up") {
			t.Errorf("matching pick warned: %q", line)
		}
	}
	// Changing the language away from the framework warns the other way round.
	r = env.MustDo(t, "ann", "pick language ruby")
	if len(r.Text) == 0 || !strings.HasPrefix(r.Text[0], "Heads-up: Ruby goes with Ruby on Rails, but your framework pick is Django") {
		t.Errorf("pick language ruby after django: text %q", r.Text)
	}
}

func TestNoteAndTopic(t *testing.T) {
	env := bottest.New(t)
	env.MustDo(t, "ann", "note dns remember port 53")
	r := env.MustDo(t, "ann", "topic dns")
	found := false
	for _, f := range r.Fields {
		found = found || (f.Name == "Your note" && f.Value == "remember port 53")
	}
	if !found {
		t.Errorf("topic fields %+v lack the note", r.Fields)
	}
	if len(r.Links) < 2 {
		t.Errorf("topic links %+v", r.Links)
	}
	if r2 := env.MustDo(t, "bob", "topic dns"); strings.Contains(r2.Text[0]+fieldText(r2), "port 53") {
		t.Error("another member sees the note")
	}
	env.MustDo(t, "ann", "note dns -")
	if mk := member(t, env, "ann").Track(bot.BuiltinRoadmap).Topics.Get("internet/dns"); mk != nil {
		t.Errorf("cleared note left %+v", mk)
	}
}

func fieldText(r *bot.Reply) string {
	var b strings.Builder
	for _, f := range r.Fields {
		b.WriteString(f.Name + f.Value)
	}
	return b.String()
}

func TestStreakCountsLocalDays(t *testing.T) {
	env := bottest.New(t)
	env.Clock.Set(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	env.MustDo(t, "ann", "done")
	env.Clock.Add(24 * time.Hour)
	env.MustDo(t, "ann", "done")
	if got := env.Engine.CurrentStreak(member(t, env, "ann")); got != 2 {
		t.Fatalf("streak after two days: %d", got)
	}
	env.Clock.Add(12 * time.Hour) // same or next day: still alive
	if got := env.Engine.CurrentStreak(member(t, env, "ann")); got != 2 {
		t.Errorf("streak next day before progress: %d", got)
	}
	env.Clock.Add(48 * time.Hour)
	if got := env.Engine.CurrentStreak(member(t, env, "ann")); got != 0 {
		t.Errorf("streak after a missed day: %d", got)
	}
	env.MustDo(t, "ann", "skip dns")
	m := member(t, env, "ann")
	if got := env.Engine.CurrentStreak(m); got != 1 || m.Streak.Best != 2 {
		t.Errorf("restarted streak %d best %d", got, m.Streak.Best)
	}
}

func TestMyData(t *testing.T) {
	env := bottest.New(t)
	env.MustDo(t, "ann", "note dns secret-note-text")
	r := env.MustDo(t, "ann", "mydata export")
	var ex bot.Export
	if r.File == nil || r.File.Type != "application/json" {
		t.Fatalf("export is not a JSON attachment: %+v", r)
	}
	if err := json.Unmarshal(r.File.Data, &ex); err != nil || ex.Member.Track(bot.BuiltinRoadmap).Topics.Get("internet/dns").Note != "secret-note-text" {
		t.Fatalf("export: %v %s", err, r.File.Data)
	}
	r = env.MustDo(t, "ann", "mydata delete")
	if len(r.Buttons) != 1 || r.Buttons[0].Action != "mydata delete:yes" {
		t.Fatalf("delete asks to confirm with a button: %+v", r.Buttons)
	}
	if snapshot(t, env, "ann") == "absent" {
		t.Fatal("delete without confirmation deleted")
	}
	cmd, args, err := bot.ParseAction(r.Buttons[0].Action)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Engine.Handle(context.Background(), &bot.Request{Space: testSpace, Member: "ann", Command: cmd.Name, Args: args}); err != nil {
		t.Fatal(err)
	}
	if snapshot(t, env, "ann") != "absent" {
		t.Error("member still stored after delete")
	}
	r = env.MustDo(t, "ann", "mydata export")
	if r.File != nil || strings.Contains(strings.Join(r.Text, ""), "secret-note-text") {
		t.Error("export after delete still has the note")
	}
}

func TestModeratorOnly(t *testing.T) {
	env := bottest.New(t)
	_, err := env.Engine.Handle(context.Background(), &bot.Request{Space: testSpace, Member: "ann", Command: "challenge post", Args: map[string]string{}})
	wantCode(t, err, bot.Forbidden, "Only moderators")
}

func TestHelp(t *testing.T) {
	env := bottest.New(t)
	r := env.MustDo(t, "ann", "help")
	text := fieldText(r)
	for _, c := range bot.Commands() {
		if !strings.Contains(text, c.Usage()) {
			t.Errorf("help lacks %s", c.Usage())
		}
	}
	r = env.MustDo(t, "ann", "help note")
	if !strings.Contains(r.Title, "/study note <topic> <text>") {
		t.Errorf("help note: %q", r.Title)
	}
	r = env.MustDo(t, "ann", "help nudge")
	if !strings.Contains(strings.Join(r.Text, "\n"), "/study nudge at <time> [zone]") {
		t.Errorf("help nudge: %+v", r.Text)
	}
	_, err := env.Do(t, "ann", "help teleport")
	wantCode(t, err, bot.NotFound, "No command")
}

func TestLeaderboard(t *testing.T) {
	env := bottest.New(t)
	env.MustDo(t, "ann", "done")
	env.MustDo(t, "bob", "done")
	env.MustDo(t, "bob", "done")
	r := env.MustDo(t, "ann", "leaderboard")
	if len(r.Fields) != 2 || !strings.Contains(r.Fields[0].Name, "bob") {
		t.Errorf("leaderboard %+v", r.Fields)
	}
}

func TestAnyUseReopensClosedDMs(t *testing.T) {
	env := bottest.New(t)
	env.MustDo(t, "ann", "done")
	if _, err := env.DB.UpdateMember(context.Background(), testSpace, "ann", func(m *bot.Member) error { m.DMClosed = true; return nil }); err != nil {
		t.Fatal(err)
	}
	env.MustDo(t, "ann", "leaderboard") // a command that does not otherwise read the member
	if member(t, env, "ann").DMClosed {
		t.Error("DMClosed still set after the member used the bot")
	}
}

// Every command declares how it touches the member (bot.Touch): using the bot
// re-opens closed direct messages, whether the handler reads the member,
// writes them, or neither; deleting one's data does not.
func TestCommandsTouchTheMember(t *testing.T) {
	tests := []struct {
		line       string
		wantClosed bool
	}{
		{"help", false},          // TouchAfter, reads nothing
		{"nudge status", false},  // TouchAfter, a plain read
		{"next", false},          // TouchInHandler, a read
		{"done", false},          // TouchInHandler, a write
		{"leaderboard", false},   // TouchAfter, reads the space
		{"mydata delete", true},  // TouchNone: only asks to confirm
		{"mydata export", false}, // TouchAfter
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			env := bottest.New(t)
			ctx := context.Background()
			if _, err := env.DB.UpdateMember(ctx, bottest.Space, "ana", func(m *bot.Member) error {
				m.Nudge = bot.Nudge{On: true, Hour: 8, Zone: "UTC", Next: bottest.Start.Add(23 * time.Hour)}
				m.DMClosed = true
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			env.MustDo(t, "ana", tt.line)
			m, err := env.DB.Member(ctx, bottest.Space, "ana")
			if err != nil {
				t.Fatal(err)
			}
			if m.DMClosed != tt.wantClosed {
				t.Errorf("DMClosed = %v after %q, want %v", m.DMClosed, tt.line, tt.wantClosed)
			}
		})
	}
}

// TestChangeRepliesAreShort: a change answers in two lines, what changed
// and what is next, with buttons; the full card stays with next and topic.
func TestChangeRepliesAreShort(t *testing.T) {
	env := bottest.New(t)
	for _, line := range []string{"start internet/dns", "done", "skip internet/http", "pick language python", "skip internet/domain-names"} {
		r := env.MustDo(t, "ana", line)
		lines := 1
		if strings.HasPrefix(line, "pick") {
			lines = 2 // and what goes with the pick, or a warning that it does not
		}
		if len(r.Text) > lines || len(r.Fields) > 0 || len(r.Bars) > 0 || r.Title == "" {
			t.Errorf("%s: %q %q fields %d: want a title and at most one line", line, r.Title, r.Text, len(r.Fields))
		}
		if len(r.Buttons) == 0 {
			t.Errorf("%s: no buttons", line)
		}
	}
	if r := env.MustDo(t, "ana", "next"); len(r.Fields) == 0 {
		t.Errorf("next lost its card: %+v", r)
	}
}

// TestWelcomeOnce: a member's first use gets a welcome above the answer,
// once; moderators' commands and public replies get none.
func TestWelcomeOnce(t *testing.T) {
	env := bottest.New(t)
	r := env.MustDo(t, "ana", "next")
	if len(r.Text) < 2 || !strings.HasPrefix(r.Text[0], "👋 Welcome") || !strings.HasPrefix(r.Title, "Next up") {
		t.Fatalf("first reply %q %q: want the welcome above the answer", r.Title, r.Text)
	}
	if r := env.MustDo(t, "ana", "next"); strings.Contains(strings.Join(r.Text, " "), "Welcome") {
		t.Errorf("welcomed twice: %q", r.Text)
	}
	if r := env.MustDo(t, "mod", "challenge list"); strings.Contains(strings.Join(r.Text, " "), "Welcome") {
		t.Errorf("a moderator command welcomed: %q", r.Text)
	}
}

// TestUndoTakesTheDayOffTheStreak: undoing a day's only change takes the day
// off the streak; undoing one of two changes that day keeps it.
func TestUndoTakesTheDayOffTheStreak(t *testing.T) {
	env := bottest.New(t)
	streak := func() int { t.Helper(); return env.Engine.CurrentStreak(member(t, env, "ana")) }
	env.MustDo(t, "ana", "done internet/how-it-works")
	env.Clock.Add(24 * time.Hour)
	env.MustDo(t, "ana", "done internet/dns")
	if s := streak(); s != 2 {
		t.Fatalf("streak %d, want 2", s)
	}
	env.MustDo(t, "ana", "undo")
	if s := streak(); s != 1 {
		t.Errorf("after undoing today's only change: streak %d, want 1", s)
	}
	env.MustDo(t, "ana", "done internet/dns")
	env.MustDo(t, "ana", "skip internet/http")
	env.MustDo(t, "ana", "undo")
	if s := streak(); s != 2 {
		t.Errorf("after undoing one of two changes today: streak %d, want 2", s)
	}
	if m := member(t, env, "ana"); m.Streak.Best != 2 {
		t.Errorf("best %d, want 2", m.Streak.Best)
	}
}

// TestFinishEstimate: progress shows the hours left, and a finish date only
// with 2 weeks of history and some pace.
func TestFinishEstimate(t *testing.T) {
	env := bottest.New(t)
	rm := env.Engine.Roadmap
	total := 0
	tr := &bot.Track{}
	for _, tp := range rm.Topics() {
		if !tp.Optional && rm.Counts(tr, tp) {
			total += tp.Hours
		}
	}
	r := env.MustDo(t, "ana", "progress")
	if got := replyField(r, "Hours left"); got != fmt.Sprintf("about %d", total) || !strings.Contains(strings.Join(r.Text, " "), "needs 2 weeks") {
		t.Errorf("new member: hours %q text %q; want about %d and a note that it needs history", got, r.Text, total)
	}
	first := rm.Topics()[0]
	env.Clock.Add(15 * 24 * time.Hour)
	r = env.MustDo(t, "ana", "progress")
	if !strings.Contains(strings.Join(r.Text, " "), "No topics done in the last 4 weeks") {
		t.Errorf("no pace: %q", r.Text)
	}
	env.MustDo(t, "ana", "done "+first.ID)
	r = env.MustDo(t, "ana", "progress")
	left := total - first.Hours
	// first.Hours in 28 days: left hours take left/first.Hours * 28 days.
	days := (left*28 + first.Hours - 1) / first.Hours
	want := env.Clock.Now().AddDate(0, 0, days).Format("2 Jan 2006")
	if got := replyField(r, "Hours left"); got != fmt.Sprintf("about %d", left) || !strings.Contains(strings.Join(r.Text, " "), "finish around "+want) {
		t.Errorf("with pace: hours %q text %q; want about %d and finish around %s", got, r.Text, left, want)
	}
}

// TestMilestones: finishing a section and a 7-day streak are celebrated in
// the reply, with a card button; nothing is posted.
func TestMilestones(t *testing.T) {
	env := bottest.New(t)
	env.Engine.Card = func(string, string, []bot.Bar) ([]byte, error) { return []byte("png"), nil }
	internet := env.Engine.Roadmap.Section("internet")
	var r *bot.Reply
	for i, tp := range internet.Topics {
		r = env.MustDo(t, "ana", "done "+tp.ID)
		celebrated := strings.Contains(strings.Join(r.Text, " "), "You finished the Internet section")
		if celebrated != (i == len(internet.Topics)-1) {
			t.Errorf("done %s (%d of %d): celebrated %v", tp.ID, i+1, len(internet.Topics), celebrated)
		}
	}
	if !slices.ContainsFunc(r.Buttons, func(b bot.Button) bool { return b.Action == "card" }) {
		t.Errorf("buttons %+v: want Share my card", r.Buttons)
	}
	if len(env.Messenger.Sent()) != 0 {
		t.Errorf("a milestone posted %+v", env.Messenger.Sent())
	}
	rest := env.Engine.Roadmap.Topics()[len(internet.Topics):]
	for day := 2; day <= 7; day++ {
		env.Clock.Add(24 * time.Hour)
		r = env.MustDo(t, "ana", "skip "+rest[day].ID)
		if got := strings.Contains(strings.Join(r.Text, " "), "7 days in a row"); got != (day == 7) {
			t.Errorf("day %d: streak milestone %v", day, got)
		}
	}
}

// TestFinishEstimateKeepsUnchosenPick: skipping a pick group's first option
// before choosing leaves the group's hours ahead.
func TestFinishEstimateKeepsUnchosenPick(t *testing.T) {
	env := bottest.New(t)
	before := replyField(env.MustDo(t, "ana", "progress"), "Hours left")
	p := env.Engine.Roadmap.Picks[0]
	env.MustDo(t, "ana", "skip "+p.Options[0])
	if after := replyField(env.MustDo(t, "ana", "progress"), "Hours left"); after != before {
		t.Errorf("hours left %q after skipping one option of %s, want %q", after, p.ID, before)
	}
}

// TestRefusalObserved: a refused command is observed with its code (the
// metrics count refusals), not a crash.
func TestRefusalObserved(t *testing.T) {
	env := bottest.New(t)
	var got bot.Code
	var command string
	env.Engine.Observe = func(c string, code bot.Code, _ time.Duration) { command, got = c, code }
	_, err := env.Engine.Handle(context.Background(), &bot.Request{Space: testSpace, Member: "ann", Command: "challenge post", Args: map[string]string{}})
	if bot.ErrorCode(err) != bot.Forbidden {
		t.Fatalf("err = %v, want Forbidden", err)
	}
	if got != bot.Forbidden || command != "challenge post" {
		t.Errorf("observed %q %v, want challenge post Forbidden", command, got)
	}
}
