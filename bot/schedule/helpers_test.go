package schedule_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/schedule"
	"github.com/studybot/studybot/roadmap"
	"github.com/studybot/studybot/store"
)

var space = bot.Space{Platform: bot.PlatformConsole, ID: "group"}

// openStore opens a store on a new file in a temp directory, reading clock
// (nil: the real one), and closes it when the test ends.
func openStore(t testing.TB, clock bot.Clock) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "studybot.db"), store.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// delivery is one Direct or Post the recorder saw.
type delivery struct {
	Space  bot.Space
	To     string // member id or channel
	At     time.Time
	Reply  *bot.Reply
	Failed bool // Direct refused as unreachable
}

// recorder is a bot.Messenger that records what it is asked to send, at the
// fake clock's time. Members in unreachable get Unreachable errors.
type recorder struct {
	clock bot.Clock

	mu          sync.Mutex
	direct      []delivery
	posts       []delivery
	unreachable map[string]bool
}

func (r *recorder) Direct(ctx context.Context, sp bot.Space, member string, rep *bot.Reply) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	d := delivery{Space: sp, To: member, At: r.clock.Now(), Reply: rep}
	if r.unreachable[member] {
		d.Failed = true
		r.direct = append(r.direct, d)
		return bot.Errorf(bot.Unreachable, "Cannot send messages to this user.")
	}
	r.direct = append(r.direct, d)
	return nil
}

func (r *recorder) Post(ctx context.Context, sp bot.Space, channel string, rep *bot.Reply) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.posts = append(r.posts, delivery{Space: sp, To: channel, At: r.clock.Now(), Reply: rep})
	return nil
}

// sentTo returns the instants (UTC, "2006-01-02 15:04") of delivered nudges
// to member.
func (r *recorder) sentTo(member string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, d := range r.direct {
		if d.To == member && !d.Failed {
			out = append(out, d.At.UTC().Format("2006-01-02 15:04"))
		}
	}
	return out
}

func (r *recorder) attempts(member string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, d := range r.direct {
		if d.To == member {
			n++
		}
	}
	return n
}

// harness is a scheduler on a real store file with a fake clock.
type harness struct {
	t     testing.TB
	ctx   context.Context
	path  string
	cfg   schedule.Config
	clock *bot.ManualClock
	msg   *recorder
	db    *store.DB
	eng   *bot.Engine
	s     *schedule.Scheduler
	stats schedule.TickStats
}

func newHarness(t testing.TB, start time.Time) *harness {
	t.Helper()
	return newHarnessIn(t, t.TempDir(), start)
}

func newHarnessIn(t testing.TB, dir string, start time.Time) *harness {
	t.Helper()
	clock := bot.NewManualClock(start)
	h := &harness{
		t: t, ctx: context.Background(), path: filepath.Join(dir, "studybot.db"),
		cfg:   schedule.Config{},
		clock: clock, msg: &recorder{clock: clock, unreachable: map[string]bool{}},
	}
	h.open()
	t.Cleanup(func() { h.db.Close() })
	return h
}

func (h *harness) open() {
	h.t.Helper()
	db, err := store.Open(h.path, store.Options{Clock: h.clock})
	if err != nil {
		h.t.Fatal(err)
	}
	h.db = db
	log := slog.New(slog.DiscardHandler)
	h.eng = &bot.Engine{Store: db, Roadmap: roadmap.Default(), Clock: h.clock, Messenger: h.msg, Log: log}
	h.s = schedule.New(h.cfg, db, h.eng, h.clock, log)
	h.eng.Scheduler = h.s
}

// restart closes the store and opens it again with a new engine and scheduler,
// as a process restart would.
func (h *harness) restart() {
	h.t.Helper()
	if err := h.db.Close(); err != nil {
		h.t.Fatal(err)
	}
	h.open()
}

func (h *harness) do(member, command string, args map[string]string) *bot.Reply {
	h.t.Helper()
	r, err := h.eng.Handle(h.ctx, &bot.Request{Space: space, Member: member, Name: member, Access: bot.AccessModerator, Channel: "general", Command: command, Args: args})
	if err != nil {
		h.t.Fatalf("%s %v: %v", command, args, err)
	}
	return r
}

// subscribe sets member's nudge through the engine, as the member would.
func (h *harness) subscribe(member, at, zone string) {
	h.t.Helper()
	h.do(member, "nudge at", map[string]string{"time": at, "zone": zone})
}

// tickAt sets the clock and runs one tick.
func (h *harness) tickAt(t time.Time) schedule.TickStats {
	h.t.Helper()
	h.clock.Set(t)
	st, err := h.s.Tick(h.ctx)
	if err != nil {
		h.t.Fatalf("tick at %s: %v", t, err)
	}
	h.addStats(st)
	return st
}

func (h *harness) addStats(st schedule.TickStats) {
	h.stats.Due += st.Due
	h.stats.Sent += st.Sent
	h.stats.Late += st.Late
	h.stats.Missed += st.Missed
	h.stats.Repeat += st.Repeat
	h.stats.Closed += st.Closed
	h.stats.Off += st.Off
	h.stats.Unreachable += st.Unreachable
	h.stats.Failed += st.Failed
}

// runUntil ticks every minute from the clock's now up to end, as cron would, but
// jumps over minutes in which nobody is due (cron ticks them, finding nothing).
// The process is down during [downFrom, downTo): no ticks run, and the first
// tick after it runs at downTo.
func (h *harness) runUntil(end time.Time, down ...time.Time) {
	h.t.Helper()
	for {
		next, err := h.db.NextDue(h.ctx)
		if err != nil {
			h.t.Fatal(err)
		}
		if next.IsZero() || next.After(end) {
			h.clock.Set(end)
			return
		}
		at := ceilMinute(next)
		if now := h.clock.Now(); at.Before(now) {
			at = ceilMinute(now)
		}
		if len(down) == 2 && !at.Before(down[0]) && at.Before(down[1]) {
			at = down[1]
		}
		if at.After(end) {
			h.clock.Set(end)
			return
		}
		h.tickAt(at)
	}
}

func ceilMinute(t time.Time) time.Time {
	if c := t.Truncate(time.Minute); !c.Equal(t) {
		return c.Add(time.Minute)
	}
	return t
}

func utc(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

func member(tb testing.TB, db *store.DB, id string) *bot.Member {
	tb.Helper()
	m, err := db.Member(context.Background(), space, id)
	if err != nil {
		tb.Fatalf("member %s: %v", id, err)
	}
	return m
}
