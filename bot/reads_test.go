package bot_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
	"github.com/studybot/studybot/store"
)

// readCounter counts the reads a command makes.
type readCounter struct {
	*store.DB
	members, spaces, both atomic.Int64
}

func (s *readCounter) Member(ctx context.Context, sp bot.Space, id string) (*bot.Member, error) {
	s.members.Add(1)
	return s.DB.Member(ctx, sp, id)
}

func (s *readCounter) Space(ctx context.Context, sp bot.Space) (*bot.SpaceRecord, error) {
	s.spaces.Add(1)
	return s.DB.Space(ctx, sp)
}

func (s *readCounter) MemberInSpace(ctx context.Context, sp bot.Space, id string) (*bot.Member, *bot.SpaceRecord, error) {
	s.both.Add(1)
	return s.DB.MemberInSpace(ctx, sp, id)
}

// plainStore hides MemberInSpace and MemberBriefs: a store with the plain
// contract, as the engine's fallback sees it.
type plainStore struct{ bot.Store }

// TestCommands_OneRead: next, progress and done read the member and the
// space once, together; a store without MemberInSpace gives the same
// answers through Member and Space.
func TestCommands_OneRead(t *testing.T) {
	env := bottest.New(t)
	cs := &readCounter{DB: env.DB}
	env.Engine.Store = cs
	ctx := context.Background()
	do := func(line string) *bot.Reply {
		t.Helper()
		req, err := env.Request("ana", line)
		if err != nil {
			t.Fatal(err)
		}
		r, err := env.Engine.Handle(ctx, req)
		if err != nil {
			t.Fatal(line, err)
		}
		return r
	}
	do("next") // a newcomer: the welcome writes them
	var want []*bot.Reply
	for _, line := range []string{"next", "progress", "done internet/how-does-the-internet-work"} {
		cs.members.Store(0)
		cs.spaces.Store(0)
		cs.both.Store(0)
		want = append(want, do(line))
		if m, s, b := cs.members.Load(), cs.spaces.Load(), cs.both.Load(); m != 0 || s != 0 || b != 1 {
			t.Errorf("%s: %d Member, %d Space, %d MemberInSpace reads; want one MemberInSpace", line, m, s, b)
		}
	}
	do("undo")
	env.Engine.Store = plainStore{env.DB}
	for i, line := range []string{"next", "progress", "done internet/how-does-the-internet-work"} {
		if got := do(line); got.Title != want[i].Title || len(got.Text) != len(want[i].Text) {
			t.Errorf("%s without MemberInSpace: %q, want %q", line, got.Title, want[i].Title)
		}
	}
}
