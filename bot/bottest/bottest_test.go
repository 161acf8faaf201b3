package bottest_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
)

func TestNew_HelpRuns(t *testing.T) {
	env := bottest.New(t)
	env.MustDo(t, "alice", "help")
	if _, err := env.Do(t, "alice", "nonsense-command"); bot.ErrorCode(err) != bot.Invalid {
		t.Errorf("unknown command: err = %v, want invalid", err)
	}
	if env.Engine.Store != env.DB || env.Engine.Clock != env.Clock {
		t.Error("engine not wired to the env's store and clock")
	}
}

func TestClock(t *testing.T) {
	c := bottest.NewClock(bottest.Start)
	c.Add(time.Hour)
	if !c.Now().Equal(bottest.Start.Add(time.Hour)) {
		t.Errorf("after Add: %v", c.Now())
	}
	c.Set(bottest.Start)
	if !c.Now().Equal(bottest.Start) {
		t.Errorf("after Set: %v", c.Now())
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { c.Add(time.Minute); c.Now() })
	}
	wg.Wait()
	if want := bottest.Start.Add(8 * time.Minute); !c.Now().Equal(want) {
		t.Errorf("after concurrent Adds: %v, want %v", c.Now(), want)
	}
}

func TestMessenger(t *testing.T) {
	ctx := context.Background()
	m := &bottest.Messenger{}
	r := &bot.Reply{Title: "hi"}
	m.Unreachable("closed")
	if err := m.Direct(ctx, bottest.Space, "open", r); err != nil {
		t.Fatal(err)
	}
	if err := m.Direct(ctx, bottest.Space, "closed", r); bot.ErrorCode(err) != bot.Unreachable {
		t.Errorf("Direct to closed: %v, want unreachable", err)
	}
	if err := m.Post(ctx, bottest.Space, "general", r); err != nil {
		t.Fatal(err)
	}
	got := m.Sent()
	want := []bottest.Sent{{Space: bottest.Space, Member: "open", Reply: r}, {Space: bottest.Space, Channel: "general", Reply: r}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("Sent() = %+v, want %+v", got, want)
	}
	m.Reset()
	if len(m.Sent()) != 0 {
		t.Error("Reset left messages")
	}
}
