package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
)

// TestReviewIntervals: a topic done comes back 1, 3, 7, 21 and 60 local days
// later, on local dates, across the spring-forward change in Berlin
// (29 March 2026).
func TestReviewIntervals(t *testing.T) {
	env := bottest.New(t)
	berlin, _ := time.LoadLocation("Europe/Berlin")
	env.Clock.Set(time.Date(2026, 3, 27, 23, 30, 0, 0, berlin)) // Friday 23:30, CET
	env.MustDo(t, "ana", "nudge zone Europe/Berlin")
	env.MustDo(t, "ana", "done internet/how-it-works")
	if r := env.MustDo(t, "ana", "review"); !strings.Contains(r.Title, "Nothing to review") || !strings.Contains(strings.Join(r.Text, " "), "2026-03-28") {
		t.Errorf("the same evening: %q %q, want nothing due and the next on 2026-03-28", r.Title, r.Text)
	}
	for _, want := range []string{"2026-03-28", "2026-03-30", "2026-04-03", "2026-04-17", "2026-05-26"} {
		day, _ := time.ParseInLocation(bot.DateLayout, want, berlin)
		env.Clock.Set(day.Add(10 * time.Minute)) // 00:10 local, whatever the offset
		r := env.MustDo(t, "ana", "review next")
		if !strings.HasPrefix(r.Title, "Review: How the Internet works") || replyField(r, "Self-check") == "" {
			t.Fatalf("%s: %q, want the review with a self-check", want, r.Title)
		}
		env.Clock.Set(day.Add(-time.Hour))
		if r := env.MustDo(t, "ana", "review next"); !strings.Contains(r.Title, "Nothing to review") {
			t.Errorf("the evening before %s: %q, want nothing due", want, r.Title)
		}
		env.Clock.Set(day.Add(10 * time.Minute))
		env.MustDo(t, "ana", "review done")
	}
	if r := env.MustDo(t, "ana", "review"); !strings.Contains(r.Title, "Nothing to review") {
		t.Errorf("after the last review: %q", r.Title)
	}
}

// TestReviewSkipAndUndo: review skip drops a topic; undoing its done
// cancels its reviews; the nudge mentions a due review.
func TestReviewSkipAndUndo(t *testing.T) {
	env := bottest.New(t)
	env.MustDo(t, "ana", "done internet/how-it-works")
	env.MustDo(t, "ana", "done internet/dns")
	env.MustDo(t, "ana", "undo")
	env.Clock.Add(2 * 24 * time.Hour)
	r := env.MustDo(t, "ana", "review next")
	if !strings.Contains(r.Title, "How the Internet works") {
		t.Errorf("due review %q", r.Title)
	}
	env.MustDo(t, "ana", "nudge at 08:00")
	if _, err := env.Engine.DeliverNudge(context.Background(), bottest.Space, "ana"); err != nil {
		t.Fatal(err)
	}
	if sent := env.Messenger.Sent(); len(sent) == 0 || !strings.Contains(strings.Join(sent[len(sent)-1].Reply.Text, " "), "Also due for review: How the Internet works") {
		t.Errorf("nudge %+v: want the due review mentioned", sent)
	}
	env.MustDo(t, "ana", "review skip")
	if r := env.MustDo(t, "ana", "review next"); !strings.Contains(r.Title, "Nothing to review") || strings.Contains(strings.Join(r.Text, " "), "DNS") {
		t.Errorf("after skip and undo: %q %q, want nothing at all in review", r.Title, r.Text)
	}
	_, err := env.Do(t, "ana", "review done")
	wantCode(t, err, bot.Conflict, "No review is due")
	_, err = env.Do(t, "ana", "review done internet/dns")
	wantCode(t, err, bot.NotFound, "not in review")
}

// TestUndoRestoresReview: a skip over a finished topic drops its review;
// undoing the skip brings the review back.
func TestUndoRestoresReview(t *testing.T) {
	env := bottest.New(t)
	env.MustDo(t, "ana", "done internet/how-it-works")
	env.MustDo(t, "ana", "skip internet/how-it-works")
	env.MustDo(t, "ana", "undo")
	env.Clock.Add(25 * time.Hour)
	if r := env.MustDo(t, "ana", "review next"); !strings.Contains(r.Title, "How the Internet works") {
		t.Errorf("after undoing the skip: %q, want the review back", r.Title)
	}
}

// TestUndoAfterPickTakesTheDayOff: a pick is no study day, so undoing the
// day's only topic change takes the day off even after a pick that day.
func TestUndoAfterPickTakesTheDayOff(t *testing.T) {
	env := bottest.New(t)
	env.MustDo(t, "ana", "pick language python")
	env.MustDo(t, "ana", "done internet/how-it-works")
	env.MustDo(t, "ana", "undo")
	if s := env.Engine.CurrentStreak(member(t, env, "ana")); s != 0 {
		t.Errorf("streak %d, want 0", s)
	}
}
