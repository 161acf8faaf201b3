// Package schedule runs studybot's clockwork: the daily nudges at each member's
// local time and the weekly challenges. It is the only package that imports
// robfig/cron.
//
// One cron entry ticks every minute. A tick asks the store for the nudges that
// are due (the store's due index makes that O(members due), never O(members)),
// reschedules each at its next local time and commits, and only then reads each
// member's record to build the nudge and sends: a crash between the commit and the send loses those nudges but
// can never send one twice. Sends run concurrently on a bounded pool of
// senders shared by all ticks (each platform's Messenger keeps its own rate
// limits), and a tick still sending when the next minute comes does not hold
// that minute's claim back. The policy, applied while claiming:
//
//   - at most one nudge per member per local date;
//   - a local time that does not exist on a day (spring forward) fires at the
//     first instant after the gap, a repeated one (fall back) fires once;
//   - a nudge missed by up to Config.Grace (after downtime) is sent once, a later
//     one is skipped and the member rescheduled;
//   - members who turned nudges off, deleted their data, or whose direct
//     messages are closed are not nudged.
//
// The policy itself is bot/nudge's (pure functions, shared with the store and
// the engine); this package is the trigger: it claims through the store's
// narrow bot.DueIndex and asks the engine to deliver (Engine).
//
// cron fires on real time, so the unit of work, Tick, reads the injected clock;
// tests and `studybot simulate` call Tick directly with a fake clock.
//
// Each space with a challenge schedule gets one more cron entry (CRON_TZ= and a
// spec, or "MON 09:00" translated to one) that posts the group's frontier topic.
package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/nudge"
)

// Defaults for Config.
const (
	DefaultGrace     = nudge.DefaultGrace
	DefaultBatchSize = 1000
	// DefaultWorkers is how many nudges are sent at once. Each adapter
	// paces its own platform (Discord: the global limit and each DM
	// channel's route), so this only needs to cover the platforms' round
	// trips at their rate: 45/s at ~300 ms is ~14 in flight, and a local
	// fake at thousands per second needs a few dozen.
	DefaultWorkers = 64
	// maxOverlap is how many ticks may run at once. A tick still sending
	// when the next minute comes no longer holds that minute back; past
	// this many (a platform far slower than the due load), a minute is
	// skipped and its members are claimed by the next tick, within grace.
	maxOverlap = 8
	// MinChallengeInterval is the shortest gap allowed between scheduled
	// challenges: a challenge needs at least a day to be answered, and a
	// spec such as "0 9,21 * * *" would bury each under the next. It is 23
	// hours, not 24, so that a daily schedule keeps working on the day a
	// zone springs forward.
	MinChallengeInterval = 23 * time.Hour
)

// Config tunes the scheduler. The zero value uses the defaults.
type Config struct {
	// Grace is how late a nudge may still be sent after downtime; older ones
	// are skipped. Default DefaultGrace.
	Grace time.Duration
	// BatchSize is how many due members one store transaction claims; it bounds
	// memory and the nudges a crash can lose. Default DefaultBatchSize.
	BatchSize int
	// Workers is how many nudges are sent at once, over all ticks. Default
	// DefaultWorkers.
	Workers int
	// SendRate is the platforms' configured send rate per second, for the
	// tick's log line and the Observer only: each Messenger paces itself.
	SendRate float64
	// Observer is told about nudges and ticks (metrics); nil for none.
	Observer Observer
}

// Engine is what the scheduler triggers; *bot.Engine implements it. Delivery
// (reading the member, rendering, sending, marking closed DMs) is the
// engine's, so every member write goes through the engine.
type Engine interface {
	DeliverNudge(ctx context.Context, sp bot.Space, member string) (bot.Delivery, error)
	// PostScheduledChallenge posts once per space and scheduled instant.
	PostScheduledChallenge(ctx context.Context, sp bot.Space, at time.Time) error
	// ChallengeSchedules calls fn for every space with a challenge schedule.
	ChallengeSchedules(ctx context.Context, fn func(sp bot.Space, spec string) error) error
	// CloseDueChallenges closes the challenges whose close time has come.
	CloseDueChallenges(ctx context.Context, now time.Time) (int, error)
}

var _ Engine = (*bot.Engine)(nil)

// Scheduler sends nudges and posts scheduled challenges. It implements
// bot.ChallengeScheduler. Create it with New, then Start; Stop ends it.
type Scheduler struct {
	cfg   Config
	due   bot.DueIndex
	eng   Engine
	clock bot.Clock
	log   *slog.Logger
	obs   Observer

	// senders bounds the nudges in flight over all ticks (Config.Workers).
	senders chan struct{}
	// ticks counts the ticks running now (maxOverlap).
	ticks atomic.Int32
	// wall times ticks for the log and metrics. It is the real clock, not
	// the injected one: a send rate is wall-clock work, and a test's frozen
	// fake clock would show none.
	wall func() time.Time

	mu      sync.Mutex
	cron    *cron.Cron
	spaces  map[bot.Space]entry
	tickID  cron.EntryID    // the minute tick's entry, once started
	ctx     context.Context // for jobs; cancelled by Stop
	cancel  context.CancelFunc
	started bool
}

// entry is a space's installed challenge schedule.
type entry struct {
	id    cron.EntryID
	spec  string
	sched cron.Schedule
}

var (
	_ bot.ChallengeScheduler = (*Scheduler)(nil)
	_ bot.NextRunner         = (*Scheduler)(nil)
)

// parser reads challenge specs: five fields, CRON_TZ= and @descriptors.
var parser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// New returns a scheduler; nothing runs until Start. due is the store's nudge
// schedule; eng delivers nudges and posts challenges.
func New(cfg Config, due bot.DueIndex, eng Engine, clock bot.Clock, log *slog.Logger) *Scheduler {
	if cfg.Grace <= 0 {
		cfg.Grace = DefaultGrace
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = DefaultBatchSize
	}
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultWorkers
	}
	if log == nil {
		log = slog.Default()
	}
	obs := cfg.Observer
	if obs == nil {
		obs = nopObserver{}
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Scheduler{
		cfg: cfg, due: due, eng: eng, clock: clock, log: log, obs: obs,
		senders: make(chan struct{}, cfg.Workers),
		wall:    time.Now,
		spaces:  map[bot.Space]entry{},
		ctx:     ctx, cancel: cancel,
	}
	logger := cronLogger{log}
	s.cron = cron.New(
		cron.WithLocation(time.UTC),
		cron.WithParser(parser),
		cron.WithLogger(logger),
		cron.WithChain(cron.Recover(logger)),
	)
	return s
}

// Start installs every space's stored challenge schedule and the minute tick,
// and starts cron. A stored schedule that no longer parses is logged and
// skipped, so one bad space cannot stop the others. Jobs run with a context
// derived from ctx.
func (s *Scheduler) Start(ctx context.Context) error {
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return errors.New("start scheduler: already started")
	}
	s.started = true
	s.ctx, s.cancel = context.WithCancel(ctx)
	s.mu.Unlock()

	err := s.eng.ChallengeSchedules(ctx, func(sp bot.Space, spec string) error {
		if err := s.SetSchedule(sp, spec); err != nil {
			s.log.Error("skip stored challenge schedule", "space", sp.Key(), "spec", spec, "err", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("load challenge schedules: %w", err)
	}
	// No SkipIfStillRunning: a tick still sending when the next minute
	// comes keeps going, and the next tick claims its members at once (the
	// store serialises claims, so none is claimed twice); both share the
	// pool of senders. runTick bounds the overlap.
	id, err := s.cron.AddJob("* * * * *", cron.FuncJob(s.runTick))
	if err != nil {
		return fmt.Errorf("add tick: %w", err)
	}
	s.mu.Lock()
	s.tickID = id
	s.mu.Unlock()
	// Challenges with a close time close within a minute of it; a separate
	// job, so a long nudge tick never holds a close back.
	closer := cron.NewChain(cron.SkipIfStillRunning(cronLogger{s.log})).Then(cron.FuncJob(s.runClose))
	if _, err := s.cron.AddJob("* * * * *", closer); err != nil {
		return fmt.Errorf("add challenge closer: %w", err)
	}
	s.cron.Start()
	return nil
}

// Stop stops cron and cancels running jobs (a tick stops sending; its claimed,
// unsent nudges are lost, never doubled). The returned context is done when the
// running jobs have returned.
func (s *Scheduler) Stop() context.Context {
	s.mu.Lock()
	s.cancel()
	s.mu.Unlock()
	return s.cron.Stop()
}

func (s *Scheduler) jobContext() context.Context {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ctx
}

func (s *Scheduler) runTick() {
	if n := s.ticks.Add(1); n > maxOverlap {
		s.ticks.Add(-1)
		s.log.Warn("nudge ticks still sending; minute skipped", "running", n-1)
		return
	}
	defer s.ticks.Add(-1)
	ctx := s.jobContext()
	began := s.wall()
	st, err := s.Tick(ctx)
	took := s.wall().Sub(began)
	if err != nil && ctx.Err() == nil {
		s.log.Error("nudge tick", "err", err, "sent", st.Sent)
		return
	}
	if st.Due > 0 {
		s.log.Info("nudge tick", "due", st.Due, "sent", st.Sent, "missed", st.Missed,
			"unreachable", st.Unreachable, "failed", st.Failed, "rate_limited", st.RateLimited,
			"took", took.Round(time.Millisecond),
			"send_rate_configured", s.cfg.SendRate,
			"send_rate_achieved", math.Round(achieved(st.Sent, took)*10)/10)
	}
}

func (s *Scheduler) runClose() {
	ctx := s.jobContext()
	if _, err := s.eng.CloseDueChallenges(ctx, s.clock.Now()); err != nil && ctx.Err() == nil {
		s.log.Error("close due challenges", "err", err)
	}
}

// Upcoming implements bot.ChallengeScheduler: the next n firings of spec
// after the clock's now, in the spec's zone. Empty for a spec that does not
// parse.
func (s *Scheduler) Upcoming(spec string, n int) []time.Time {
	sched, err := parseSpec(spec)
	if err != nil {
		return nil
	}
	var out []time.Time
	t := s.clock.Now()
	for range n {
		if t = sched.Next(t); t.IsZero() {
			break
		}
		if ss, ok := sched.(*cron.SpecSchedule); ok {
			t = t.In(ss.Location)
		}
		out = append(out, t)
	}
	return out
}

// cronLogger sends cron's log lines to slog.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) {
	if msg == "skip" {
		l.log.Warn("challenge closer still running; minute skipped")
		return
	}
	l.log.Debug("cron "+msg, kv...)
}

func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron "+msg, append([]any{"err", err}, kv...)...)
}

// ParseSchedule implements bot.ChallengeScheduler. It accepts "DAY HH:MM" (day
// as MON or MONDAY, any case) and five-field cron specs or @descriptors, with an
// optional CRON_TZ= prefix; zone (default UTC) applies when the spec names none.
// The result is a spec with CRON_TZ= that cron's standard parser accepts and
// that fires at most once an hour.
func (s *Scheduler) ParseSchedule(when, zone string) (string, error) {
	when = strings.TrimSpace(when)
	if when == "" {
		return "", bot.Errorf(bot.Invalid, "Give a schedule, such as \"MON 09:00\" or the cron spec \"0 9 * * 1\".")
	}
	loc, err := bot.LoadZone(zone)
	if err != nil {
		return "", err
	}
	tz, rest := loc.String(), when
	if fields, ok, err := bot.FriendlySchedule(when); err != nil {
		return "", err
	} else if ok {
		rest = fields
	} else if upper := strings.ToUpper(when); strings.HasPrefix(upper, "CRON_TZ=") || strings.HasPrefix(upper, "TZ=") {
		_, after, _ := strings.Cut(when, "=")
		name, spec, _ := strings.Cut(after, " ")
		named, err := bot.LoadZone(name)
		if err != nil {
			return "", err
		}
		if strings.TrimSpace(zone) != "" && named.String() != loc.String() {
			return "", bot.Errorf(bot.Invalid, "The schedule names the zone %s but you also gave %s; give just one.", named, loc)
		}
		tz, rest = named.String(), spec
	}
	rest = strings.Join(strings.Fields(rest), " ")
	if rest == "" {
		return "", bot.Errorf(bot.Invalid, "%q has a zone but no schedule; add one, such as \"0 9 * * 1\".", bot.Clip(when, 60))
	}
	if strings.HasPrefix(rest, "@every") {
		return "", bot.Errorf(bot.Invalid, "Challenges follow the calendar: use \"MON 09:00\" or a cron spec such as \"0 9 * * 1\" instead of @every.")
	}
	spec := "CRON_TZ=" + tz + " " + rest
	sched, err := parseSpec(spec)
	if err != nil {
		return "", bot.Errorf(bot.Invalid, "%q is not a schedule: %v. Use \"MON 09:00\" or a cron spec such as \"0 9 * * 1\" (minute hour day-of-month month day-of-week).", bot.Clip(when, 60), err)
	}
	// Check the next firings from now: never, or too often, is a mistake.
	t := sched.Next(s.clock.Now())
	if t.IsZero() {
		return "", bot.Errorf(bot.Invalid, "%q never fires; check the day and month.", bot.Clip(when, 60))
	}
	for range 24 {
		n := sched.Next(t)
		if n.IsZero() {
			break
		}
		if n.Sub(t) < MinChallengeInterval {
			return "", bot.Errorf(bot.Invalid, "%q posts more than once a day (%s and %s); challenges need time to be answered. Try \"MON 09:00\" or \"DAILY 09:00\".",
				bot.Clip(when, 60), t.Format("Mon 15:04"), n.Format("Mon 15:04"))
		}
		t = n
	}
	return spec, nil
}

// SetSchedule implements bot.ChallengeScheduler: it replaces the space's cron
// entry (there is at most one per space) with spec, or removes it when spec is
// "". Invalid when spec does not parse; the old entry is kept then.
func (s *Scheduler) SetSchedule(sp bot.Space, spec string) error {
	var sched cron.Schedule
	if spec != "" {
		var err error
		if sched, err = parseSpec(spec); err != nil {
			return bot.Errorf(bot.Invalid, "The stored schedule %q is not valid: %v.", bot.Clip(spec, 60), err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.spaces[sp]; ok {
		s.cron.Remove(old.id)
		delete(s.spaces, sp)
	}
	if sched == nil {
		return nil
	}
	id := s.cron.Schedule(sched, cron.FuncJob(func() {
		ctx := s.jobContext()
		at := firedAt(sched, s.clock.Now())
		if err := s.eng.PostScheduledChallenge(ctx, sp, at); err != nil && ctx.Err() == nil {
			s.log.Error("scheduled challenge", "space", sp.Key(), "err", err)
		}
	}))
	s.spaces[sp] = entry{id: id, spec: spec, sched: sched}
	return nil
}

// NextRun implements bot.NextRunner: when the space's challenge schedule fires
// next after the clock's now, in the schedule's zone; zero when it has none.
func (s *Scheduler) NextRun(sp bot.Space) time.Time {
	s.mu.Lock()
	e, ok := s.spaces[sp]
	s.mu.Unlock()
	if !ok {
		return time.Time{}
	}
	t := e.sched.Next(s.clock.Now())
	if ss, ok := e.sched.(*cron.SpecSchedule); ok && !t.IsZero() {
		t = t.In(ss.Location) // show it as the moderator wrote it
	}
	return t
}

// Schedules returns the installed challenge specs by space, for status pages
// and tests.
func (s *Scheduler) Schedules() map[bot.Space]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[bot.Space]string, len(s.spaces))
	for sp, e := range s.spaces {
		out[sp] = e.spec
	}
	return out
}

// firedAt names the instant a firing at now stands for, the same in every
// process that runs the schedule: the schedule's own instant when one lies
// within lateFiring before now (cron ran late: a busy machine, a clock
// step), else now's minute. Schedules fire at most daily
// (MinChallengeInterval), so the window holds at most one instant.
func firedAt(sched cron.Schedule, now time.Time) time.Time {
	if t := sched.Next(now.Add(-lateFiring)); !t.IsZero() && !t.After(now) {
		return t
	}
	return now.Truncate(time.Minute)
}

// lateFiring is how late a cron firing may run and still be named by its
// schedule's instant.
const lateFiring = 10 * time.Minute

// parseSpec parses a spec with cron's standard parser, which panics on a
// CRON_TZ= prefix with nothing after it.
func parseSpec(spec string) (cron.Schedule, error) {
	if u := strings.ToUpper(spec); (strings.HasPrefix(u, "CRON_TZ=") || strings.HasPrefix(u, "TZ=")) && !strings.Contains(spec, " ") {
		return nil, errors.New("a zone but no schedule")
	}
	return parser.Parse(spec)
}
