package bot_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
	"github.com/studybot/studybot/roadmap"
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

// fnCounter counts the runs of each member's update function.
type fnCounter struct {
	*store.DB
	mu    sync.Mutex
	calls map[string]int
}

func (s *fnCounter) UpdateMember(ctx context.Context, sp bot.Space, id string, fn func(*bot.Member) error) (*bot.Member, error) {
	return s.DB.UpdateMember(ctx, sp, id, func(m *bot.Member) error {
		s.mu.Lock()
		s.calls[id]++
		s.mu.Unlock()
		return fn(m)
	})
}

// UpdateMemberAfter counts like UpdateMember (done takes this path on a
// store that has it).
func (s *fnCounter) UpdateMemberAfter(ctx context.Context, sp bot.Space, id string, read *bot.Member, fn func(*bot.Member) error) (*bot.Member, error) {
	return s.DB.UpdateMemberAfter(ctx, sp, id, read, func(m *bot.Member) error {
		s.mu.Lock()
		s.calls[id]++
		s.mu.Unlock()
		return fn(m)
	})
}

// TestDone_RefusedInBatchRunsOthersOnce: n members mark a topic done at
// once; one of them had it done already and is refused. Every member's
// update runs once, and the other n-1 share one commit (MaxBatchSize n-1):
// the refusal is that member's answer, decided on the member as read
// (UpdateMemberAfter checks the record did not change), never a failure
// that re-runs the batch. (store's TestUpdateMember_Refusal* cover a
// refusal decided inside a shared commit.)
func TestDone_RefusedInBatchRunsOthersOnce(t *testing.T) {
	const n = 16
	clock := bottest.NewClock(bottest.Start)
	db, err := store.Open(filepath.Join(t.TempDir(), "s.db"), store.Options{Clock: clock, MaxBatchSize: n - 1, MaxBatchDelay: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fc := &fnCounter{DB: db, calls: map[string]int{}}
	e := &bot.Engine{Store: fc, Roadmap: roadmap.Default(), Clock: clock, Log: slog.New(slog.DiscardHandler)}
	ctx := context.Background()
	topic := roadmap.Default().Topics()[0].ID
	done := func(member string) error {
		_, err := e.Handle(ctx, &bot.Request{Space: testSpace, Member: member, Command: "done", Args: map[string]string{"topic": topic}})
		return err
	}
	// m00 has it done already; the others exist (no welcome write).
	var ms []*bot.Member
	for i := range n {
		m := &bot.Member{ID: fmt.Sprintf("m%02d", i), Created: clock.Now(), Seen: clock.Now()}
		if i == 0 {
			m.WriteTrack(bot.BuiltinRoadmap).Topics.Set(topic, bot.Mark{Status: roadmap.Done})
		}
		ms = append(ms, m)
	}
	if err := db.Floor().LoadMembers(ctx, testSpace, ms); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	commits := db.Floor().Commits()
	for i := range n {
		wg.Go(func() { errs[i] = done(fmt.Sprintf("m%02d", i)) })
	}
	wg.Wait()
	if got := db.Floor().Commits() - commits; got != 1 {
		t.Errorf("the dones took %d commits, want 1", got)
	}
	for i := range n {
		id := fmt.Sprintf("m%02d", i)
		if got := fc.calls[id]; got != 1 {
			t.Errorf("%s's update ran %d times, want once", id, got)
		}
		if (i == 0) != (bot.ErrorCode(errs[i]) == bot.Conflict) || (i != 0 && errs[i] != nil) {
			t.Errorf("%s: %v", id, errs[i])
		}
	}
}
