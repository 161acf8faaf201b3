package bottest

import (
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
)

// NamedReply is one reply the engine gave, named for a golden file.
type NamedReply struct {
	Name  string
	Reply *bot.Reply
}

// ChallengeReplies runs a moderator's challenge loop on a fresh engine and
// returns the replies and posts it produced, so each adapter's golden tests
// render what the engine really says rather than a copy of it.
func ChallengeReplies(tb testing.TB) []NamedReply {
	tb.Helper()
	env := New(tb)
	var out []NamedReply
	keep := func(name string, r *bot.Reply) { out = append(out, NamedReply{name, r}) }
	lastPost := func() *bot.Reply {
		tb.Helper()
		sent := env.Messenger.Sent()
		if len(sent) == 0 {
			tb.Fatal("nothing was posted")
		}
		return sent[len(sent)-1].Reply
	}
	keep("challenge_scheduled", env.MustDo(tb, "mod", "challenge schedule #study MON 09:00 Europe/Berlin 6d"))
	keep("challenge_queued", env.MustDo(tb, "mod", "challenge queue internet/dns"))
	keep("challenge_posted", env.MustDo(tb, "mod", "challenge post 2d"))
	keep("challenge_post", lastPost())
	env.MustDo(tb, "ana", "challenge submit https://example.com/ana-trace")
	env.MustDo(tb, "ben", "challenge submit buy cheap watches")
	keep("challenge_removed", env.MustDo(tb, "mod", "challenge remove ben"))
	keep("challenge_removed_note", lastPost())
	keep("challenge_board_open", env.MustDo(tb, "ana", "challenge board"))
	env.Clock.Add(time.Hour)
	keep("challenge_closed", env.MustDo(tb, "mod", "challenge close"))
	keep("challenge_summary", lastPost())
	keep("challenge_board_past", env.MustDo(tb, "ana", "challenge board 1"))
	keep("challenge_list", env.MustDo(tb, "mod", "challenge list"))
	return out
}

// ChangeReplies are the engine's short replies to changes (start, done,
// skip, pick, undo), for the adapters' golden tests.
func ChangeReplies(tb testing.TB) []NamedReply {
	tb.Helper()
	env := New(tb)
	return []NamedReply{
		{"welcome_next", env.MustDo(tb, "ana", "next")}, // a first use: welcomed above the answer
		{"change_start", env.MustDo(tb, "ana", "start internet/dns")},
		{"change_done", env.MustDo(tb, "ana", "done")},
		{"change_skip", env.MustDo(tb, "ana", "skip internet/http")},
		{"change_pick", env.MustDo(tb, "ana", "pick language python")},
		{"change_undo", env.MustDo(tb, "ana", "undo")},
	}
}
