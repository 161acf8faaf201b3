// Package bottest is a test kit for code that drives the engine: an Engine on a
// temporary bbolt file, a fake clock and a recording messenger, in the spirit of
// go-joe's joetest. Engine, adapter and scheduler tests in other packages use it;
// nothing outside tests imports it.
package bottest

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/roadmap"
	"github.com/studybot/studybot/store"
)

// Start is the fake clock's initial time in New: a Monday morning, UTC.
var Start = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

// Space is the space Env.Do sends requests from.
var Space = bot.Space{Platform: bot.PlatformConsole, ID: "test"}

// Clock is a fake bot.Clock that moves only when told.
type Clock = bot.ManualClock

// NewClock returns a clock stopped at t.
func NewClock(t time.Time) *Clock { return bot.NewManualClock(t) }

// Sent is one message a Messenger delivered: to Member for Direct, to Channel
// for Post.
type Sent struct {
	Space   bot.Space
	Member  string
	Channel string
	Reply   *bot.Reply
}

// Messenger is a bot.Messenger that records what it sends. It is safe for
// concurrent use.
type Messenger struct {
	mu          sync.Mutex
	sent        []Sent
	unreachable map[string]bool
	gone        map[string]bool
}

var _ bot.Messenger = (*Messenger)(nil)

// Direct records a direct message, or fails with an Unreachable error for a
// member marked with Unreachable (recording nothing, as nothing was delivered).
func (m *Messenger) Direct(ctx context.Context, sp bot.Space, member string, r *bot.Reply) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.unreachable[member] {
		return bot.Errorf(bot.Unreachable, "I cannot send you direct messages; please allow them from server members.")
	}
	if m.gone[member] {
		return bot.Errorf(bot.Gone, "That member is no longer here.")
	}
	m.sent = append(m.sent, Sent{Space: sp, Member: member, Reply: r})
	return nil
}

// Post records a channel post.
func (m *Messenger) Post(ctx context.Context, sp bot.Space, channel string, r *bot.Reply) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, Sent{Space: sp, Channel: channel, Reply: r})
	return nil
}

// Unreachable makes Direct fail for member from now on, as when a member closes
// their DMs.
func (m *Messenger) Unreachable(member string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.unreachable == nil {
		m.unreachable = map[string]bool{}
	}
	m.unreachable[member] = true
}

// Gone makes Direct to member fail as for a member the platform no longer
// knows (Gone).
func (m *Messenger) Gone(member string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.gone == nil {
		m.gone = map[string]bool{}
	}
	m.gone[member] = true
}

// Sent returns a copy of everything delivered so far, oldest first.
func (m *Messenger) Sent() []Sent {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.sent)
}

// Reset forgets what was sent (members stay unreachable).
func (m *Messenger) Reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = nil
}

// Env is an engine wired to a real store on a temp file, a fake clock and a
// recording messenger.
type Env struct {
	Engine    *bot.Engine
	DB        *store.DB
	Clock     *Clock
	Messenger *Messenger
}

// New returns an Env with the built-in roadmap, the clock at Start and a
// logger that discards. The database closes when the test ends.
func New(tb testing.TB) *Env {
	tb.Helper()
	clock := NewClock(Start)
	db, err := store.Open(filepath.Join(tb.TempDir(), "studybot.db"), store.Options{Clock: clock})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Error(err)
		}
	})
	msg := &Messenger{}
	return &Env{
		Engine: &bot.Engine{
			Store:     db,
			Roadmap:   roadmap.Default(),
			Clock:     clock,
			Log:       slog.New(slog.DiscardHandler),
			Messenger: msg,
		},
		DB:        db,
		Clock:     clock,
		Messenger: msg,
	}
}

// Request parses line as the console does and returns the Request that member
// would send from Space, as a moderator in channel "general".
func (env *Env) Request(member, line string) (*bot.Request, error) {
	cmd, args, err := bot.ParseLine(line)
	if err != nil {
		return nil, err
	}
	return &bot.Request{
		Space:   Space,
		Member:  member,
		Name:    member,
		Access:  bot.AccessModerator,
		Channel: "general",
		Command: cmd.Name,
		Args:    args,
	}, nil
}

// Do runs line as member and returns the engine's reply and error.
func (env *Env) Do(tb testing.TB, member, line string) (*bot.Reply, error) {
	tb.Helper()
	req, err := env.Request(member, line)
	if err != nil {
		return nil, err
	}
	return env.Engine.Handle(context.Background(), req)
}

// MustDo is Do that fails the test on an error.
func (env *Env) MustDo(tb testing.TB, member, line string) *bot.Reply {
	tb.Helper()
	r, err := env.Do(tb, member, line)
	if err != nil {
		tb.Fatalf("%s: %q: %v", member, line, err)
	}
	return r
}

// MemDir returns a temporary directory in memory (tmpfs) when the system has
// one, else on disk, removed when the test ends. Long fake-clock runs commit
// tens of thousands of times; on tmpfs a commit's fsync is free, and the
// scheduler, not the disk, is what they test.
func MemDir(tb testing.TB) string {
	tb.Helper()
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if dir, err := os.MkdirTemp("/dev/shm", "studybot-test-"); err == nil {
			tb.Cleanup(func() { os.RemoveAll(dir) })
			return dir
		}
	}
	return tb.TempDir()
}

// LogBuffer collects log output from many goroutines, so tests can check what
// was logged (and that no secret was).
type LogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends to the buffer.
func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns everything written so far.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
