package schedule_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
	"github.com/studybot/studybot/bot/schedule"
	"github.com/studybot/studybot/store"
)

// gateEngine is a schedule.Engine whose deliveries block until released,
// like a slow platform, counting how many are in flight.
type gateEngine struct {
	release  chan struct{}
	started  chan string
	inFlight atomic.Int32
	maxSeen  atomic.Int32
	mu       sync.Mutex
	sent     map[string]int
}

func newGateEngine() *gateEngine {
	return &gateEngine{release: make(chan struct{}), started: make(chan string, 1000), sent: map[string]int{}}
}

func (g *gateEngine) DeliverNudge(ctx context.Context, sp bot.Space, member string) (bot.Delivery, error) {
	n := g.inFlight.Add(1)
	defer g.inFlight.Add(-1)
	for {
		m := g.maxSeen.Load()
		if n <= m || g.maxSeen.CompareAndSwap(m, n) {
			break
		}
	}
	g.started <- member
	select {
	case <-g.release:
	case <-ctx.Done():
		return bot.NotSent, ctx.Err()
	}
	g.mu.Lock()
	g.sent[member]++
	g.mu.Unlock()
	return bot.Delivered, nil
}

func (g *gateEngine) PostScheduledChallenge(context.Context, bot.Space, time.Time) error { return nil }
func (g *gateEngine) ChallengeSchedules(context.Context, func(bot.Space, string) error) error {
	return nil
}
func (g *gateEngine) CloseDueChallenges(context.Context, time.Time) (int, error) { return 0, nil }

// claimLog is the store's due index, recording each claim's instant and size.
type claimLog struct {
	bot.DueIndex
	mu     sync.Mutex
	claims map[time.Time]int
	done   chan time.Time
}

func (c *claimLog) ClaimDue(ctx context.Context, now time.Time, limit int, fn func(*bot.Due) error) ([]*bot.Due, error) {
	ds, err := c.DueIndex.ClaimDue(ctx, now, limit, fn)
	c.mu.Lock()
	c.claims[now] += len(ds)
	c.mu.Unlock()
	select {
	case c.done <- now:
	default:
	}
	return ds, err
}

// subscribeAt gives members a nudge at hh:mm UTC, due at next.
func subscribeAt(t testing.TB, db *store.DB, next time.Time, ids ...string) {
	t.Helper()
	for _, id := range ids {
		_, err := db.UpdateMember(context.Background(), space, id, func(m *bot.Member) error {
			m.Nudge = bot.Nudge{On: true, Hour: next.Hour(), Minute: next.Minute(), Zone: "UTC", Next: next}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestNextMinuteClaimsWhileSending: while the 08:30 tick's nudges are still
// being sent (the platform is slow, every sender busy), the 08:31 tick run
// by cron claims its members at once instead of being skipped; each member
// is still nudged exactly once, and never more sends run than Workers.
func TestNextMinuteClaimsWhileSending(t *testing.T) {
	t0 := utc("2025-06-02 08:30")
	clock := bot.NewManualClock(t0.Add(-time.Hour))
	db := openStore(t, clock)
	subscribeAt(t, db, t0, "a1", "a2", "a3", "a4", "a5")
	subscribeAt(t, db, t0.Add(time.Minute), "b1", "b2", "b3")
	clock.Set(t0)

	eng := newGateEngine()
	claims := &claimLog{DueIndex: db, claims: map[time.Time]int{}, done: make(chan time.Time, 100)}
	s := schedule.New(schedule.Config{Workers: 2}, claims, eng, clock, slog.New(slog.DiscardHandler))
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer func() { <-s.Stop().Done() }()

	var ticks sync.WaitGroup
	ticks.Go(func() { schedule.RunTickJob(s) })
	for range 2 { // both senders busy with 08:30's members
		waitFor(t, eng.started, "a delivery of 08:30")
	}
	clock.Set(t0.Add(time.Minute))
	ticks.Go(func() { schedule.RunTickJob(s) })
	deadline := time.After(10 * time.Second)
	for claimed := false; !claimed; {
		select {
		case <-claims.done:
			claims.mu.Lock()
			claimed = claims.claims[t0.Add(time.Minute)] > 0
			claims.mu.Unlock()
		case <-deadline:
			t.Fatal("the 08:31 tick did not claim while 08:30's nudges were being sent")
		}
	}
	eng.mu.Lock()
	finished := len(eng.sent)
	eng.mu.Unlock()
	if finished != 0 {
		t.Fatalf("%d nudges finished before the 08:31 claim; the test needs them all blocked", finished)
	}
	claims.mu.Lock()
	if got := claims.claims[t0.Add(time.Minute)]; got != 3 {
		t.Errorf("08:31 claim took %d members, want b1..b3", got)
	}
	claims.mu.Unlock()
	close(eng.release)
	ticks.Wait()
	for _, id := range []string{"a1", "a2", "a3", "a4", "a5", "b1", "b2", "b3"} {
		if n := eng.sent[id]; n != 1 {
			t.Errorf("%s nudged %d times, want 1", id, n)
		}
	}
	if m := eng.maxSeen.Load(); m > 2 {
		t.Errorf("%d sends at once, want at most Workers=2", m)
	}
}

func waitFor(t *testing.T, c <-chan string, what string) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// TestTickSendsConcurrently: one tick's nudges go out on Workers senders at
// once, not one after another.
func TestTickSendsConcurrently(t *testing.T) {
	t0 := utc("2025-06-02 08:30")
	clock := bot.NewManualClock(t0.Add(-time.Hour))
	db := openStore(t, clock)
	var ids []string
	for i := range 20 {
		ids = append(ids, fmt.Sprintf("m%02d", i))
	}
	subscribeAt(t, db, t0, ids...)
	clock.Set(t0)
	eng := newGateEngine()
	s := schedule.New(schedule.Config{Workers: 4}, db, eng, clock, slog.New(slog.DiscardHandler))
	done := make(chan schedule.TickStats)
	go func() { st, _ := s.Tick(context.Background()); done <- st }()
	for range 4 {
		waitFor(t, eng.started, "a delivery")
	}
	if n := eng.inFlight.Load(); n != 4 {
		t.Errorf("%d deliveries in flight, want 4", n)
	}
	close(eng.release)
	if st := <-done; st.Sent != 20 || st.Due != 20 {
		t.Errorf("tick %+v, want 20 due and sent", st)
	}
	if m := eng.maxSeen.Load(); m != 4 {
		t.Errorf("at most %d at once, want 4", m)
	}
}

// obsLog is a schedule.Observer that records what it is told.
type obsLog struct {
	mu     sync.Mutex
	nudges map[string]int // result/reason
	delays []time.Duration
	ticks  []int
	rates  [][2]float64
}

func (o *obsLog) Nudge(result, reason string, delay time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.nudges[result+"/"+reason]++
	if result == schedule.ResultSent {
		o.delays = append(o.delays, delay)
	}
}

func (o *obsLog) Tick(due int, took time.Duration, configured, achieved float64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ticks = append(o.ticks, due)
	o.rates = append(o.rates, [2]float64{configured, achieved})
}

// limitedMessenger refuses some members as closed DMs, some as rate limited.
type limitedMessenger struct {
	closed, limited map[string]bool
}

type rateLimitErr struct{}

func (rateLimitErr) Error() string     { return "429 after waiting" }
func (rateLimitErr) RateLimited() bool { return true }

func (m limitedMessenger) Direct(_ context.Context, _ bot.Space, member string, _ *bot.Reply) error {
	switch {
	case m.closed[member]:
		return bot.Errorf(bot.Unreachable, "DMs closed.")
	case m.limited[member]:
		return bot.Wrap(rateLimitErr{}, "send")
	}
	return nil
}

func (limitedMessenger) Post(context.Context, bot.Space, string, *bot.Reply) error {
	return errors.New("no posts here")
}

// TestObserverSeesEachNudge: every claimed nudge reaches the Observer once,
// by result and reason, a sent one with its delay behind the slot's instant;
// each tick reports its members due and the configured rate.
func TestObserverSeesEachNudge(t *testing.T) {
	h := newHarness(t, utc("2025-06-01 12:00"))
	for _, id := range []string{"ana", "bob", "cy", "dee"} {
		h.subscribe(id, "08:30", "UTC")
	}
	h.subscribe("eve", "05:00", "UTC")
	o := &obsLog{nudges: map[string]int{}}
	h.eng.Messenger = limitedMessenger{closed: map[string]bool{"bob": true}, limited: map[string]bool{"cy": true}}
	h.s = schedule.New(schedule.Config{Observer: o, SendRate: 45}, h.db, h.eng, h.clock, slog.New(slog.DiscardHandler))
	// Down from before 05:00 until 08:32: eve is past grace, the others late.
	h.clock.Set(utc("2025-06-02 08:32"))
	if _, err := h.s.Tick(h.ctx); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{
		"sent/delivered":      2, // ana, dee
		"failed/closed_dms":   1, // bob
		"failed/rate_limited": 1, // cy
		"skipped/missed":      1, // eve, 3.5 h late
	}
	if fmt.Sprint(o.nudges) != fmt.Sprint(want) {
		t.Errorf("observed %v, want %v", o.nudges, want)
	}
	for _, d := range o.delays {
		if d != 2*time.Minute {
			t.Errorf("delay %v, want 2m behind 08:30", d)
		}
	}
	if len(o.ticks) != 1 || o.ticks[0] != 5 || o.rates[0][0] != 45 || o.rates[0][1] <= 0 {
		t.Errorf("ticks %v rates %v, want one of 5 due at 45/s configured", o.ticks, o.rates)
	}
}

// TestTickLogLineShowsSendRates: the tick's log line gives the configured
// and the achieved send rate.
func TestTickLogLineShowsSendRates(t *testing.T) {
	h := newHarness(t, utc("2025-06-01 12:00"))
	for _, id := range []string{"ana", "bob"} {
		h.subscribe(id, "08:30", "UTC")
	}
	var logs bottest.LogBuffer
	h.s = schedule.New(schedule.Config{SendRate: 45}, h.db, h.eng, h.clock, slog.New(slog.NewTextHandler(&logs, nil)))
	h.clock.Set(utc("2025-06-02 08:30"))
	schedule.RunTick(h.s)
	line := logs.String()
	for _, want := range []string{"msg=\"nudge tick\"", "due=2", "sent=2", "send_rate_configured=45", "send_rate_achieved="} {
		if !strings.Contains(line, want) {
			t.Errorf("log line lacks %s: %s", want, line)
		}
	}
}

// panicEngine panics delivering one member's nudge.
type panicEngine struct{ gateEngine }

func (p *panicEngine) DeliverNudge(ctx context.Context, sp bot.Space, member string) (bot.Delivery, error) {
	if member == "boom" {
		panic("rendering bug")
	}
	return bot.Delivered, nil
}

// TestSenderPanicFailsOneNudge: a panic while delivering one nudge (on a
// sender goroutine, out of cron's Recover) fails that nudge, and the others
// of the tick are still sent.
func TestSenderPanicFailsOneNudge(t *testing.T) {
	t0 := utc("2025-06-02 08:30")
	clock := bot.NewManualClock(t0.Add(-time.Hour))
	db := openStore(t, clock)
	subscribeAt(t, db, t0, "ana", "boom", "cy")
	clock.Set(t0)
	s := schedule.New(schedule.Config{}, db, &panicEngine{}, clock, slog.New(slog.DiscardHandler))
	st, err := s.Tick(context.Background())
	if err != nil || st.Sent != 2 || st.Failed != 1 {
		t.Errorf("tick %+v, %v; want 2 sent and the panicking one failed", st, err)
	}
}
