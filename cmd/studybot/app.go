package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
	_ "time/tzdata" // every IANA zone even in a static image with no /usr/share/zoneinfo

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/card"
	"github.com/studybot/studybot/bot/console"
	"github.com/studybot/studybot/bot/metrics"
	"github.com/studybot/studybot/bot/schedule"
	"github.com/studybot/studybot/roadmap"
	"github.com/studybot/studybot/store"
)

// Main is the whole program: it owns every long-lived part and wires concrete
// types together. The end-to-end test drives the same Main.
type Main struct {
	Config Config
	Clock  bot.Clock
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer

	// Console mode: set ConsoleMember to run the terminal adapter.
	ConsoleMember string
	ConsoleSpace  string
	Interactive   bool

	Log       *slog.Logger
	Metrics   *metrics.Metrics
	DB        *store.DB // the bbolt store; nil on PostgreSQL
	Store     Store     // the store in use, either one (see openStore)
	Engine    *bot.Engine
	Scheduler *schedule.Scheduler
	Console   *console.Console
	adapters  []adapter
	listener  net.Listener
	server    *http.Server

	closers []func() error // in opening order; Close runs them in reverse
}

// adapter is a chat platform connection as Main sees it.
type adapter struct {
	name     string
	run      func(ctx context.Context) error
	platform bot.Platform
	route    *route    // HTTP modes: what it serves on the shared listener
	conn     connected // its platform connection, for /readyz and /metrics
	shards   sharded   // gateway shards (Discord), shown per shard; nil otherwise (shards.go)
}

// NewMain returns a Main for cfg on the real clock and the process's stdio.
func NewMain(cfg Config) *Main {
	return &Main{Config: cfg, Clock: bot.SystemClock, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
}

// Open builds everything; on error, what was opened is closed again.
func (m *Main) Open(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			m.Close()
		}
	}()
	if m.Log == nil {
		m.Log = newLogger(m.Config.Log, m.Stderr)
	}
	for _, w := range m.Config.Warnings {
		m.Log.Warn(w)
	}
	rm, err := loadRoadmap(m.Config.Roadmap.File)
	if err != nil {
		return err
	}
	if err := m.openStore(ctx); err != nil {
		return err
	}
	if err := m.logRoadmapChanges(rm); err != nil {
		return err
	}
	m.Engine = &bot.Engine{
		Store:           m.Store,
		Roadmap:         rm,
		Clock:           m.Clock,
		Log:             m.Log,
		DefaultZone:     m.Config.Nudge.DefaultZone,
		ChallengeMemory: m.Config.Challenges.RecentTopics,
		FastDone:        m.Config.Leaderboard.FastDone,
		Card:            card.Render,
	}
	m.Metrics = metrics.New()
	m.Engine.Observe = m.Metrics.Observe
	m.Metrics.SetBuild(buildVersion())
	if m.DB != nil {
		m.Metrics.Database(dbStats(m.DB))
	}
	msgs := bot.Messengers{}
	if m.ConsoleMember != "" {
		m.Console = console.New(m.Engine, m.Stdout, console.Options{Space: m.ConsoleSpace, Member: m.ConsoleMember, Interactive: m.Interactive, Roadmap: rm.Title})
		msgs[bot.PlatformConsole] = m.Console
	}
	if err := m.openAdapters(ctx, msgs); err != nil {
		return err
	}
	for _, a := range m.adapters {
		m.Metrics.Adapter(a.name, a.conn.Connection)
		m.registerShards(a)
	}
	m.Engine.Messenger = m.Metrics.CountPosts(msgs)
	// Delivery is paced by each platform's Messenger (discord.send_rate,
	// slack.send_rate), so the scheduler gets no rate of its own: it sends
	// concurrently, and is told the configured rate only to report it.
	m.Metrics.Nudges().SetConfiguredRate(m.Config.sendRate())
	m.Scheduler = schedule.New(schedule.Config{
		Grace:    m.Config.Nudge.Grace.Duration,
		SendRate: m.Config.sendRate(),
		Observer: m.Metrics.Nudges(),
	}, m.dueIndex(), m.Engine, m.Clock, m.Log)
	m.Engine.Scheduler = m.Scheduler
	if m.Config.HTTP.Listen != "" {
		if err := m.openHTTP(); err != nil {
			return err
		}
	}
	return nil
}

// openHTTP binds the shared listener now, so a port in use fails at start.
func (m *Main) openHTTP() error {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", m.healthz)
	mux.HandleFunc("GET /readyz", m.readyz)
	for _, h := range m.handlers() {
		mux.Handle(h.pattern, h.handler)
	}
	ln, err := net.Listen("tcp", m.Config.HTTP.Listen)
	if err != nil {
		return fmt.Errorf("http.listen: %w", err)
	}
	m.listener = ln
	m.server = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second}
	m.closers = append(m.closers, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := m.server.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	m.Log.Info("http listening", "addr", ln.Addr().String())
	return nil
}

// Run serves until ctx is done, the console reaches EOF, or an adapter fails.
func (m *Main) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := m.Scheduler.Start(ctx); err != nil {
		return err
	}
	m.closers = append(m.closers, func() error { <-m.Scheduler.Stop().Done(); return nil })
	if m.shared() {
		m.pollSchedules(ctx)
	}

	errc := make(chan error, len(m.adapters)+2)
	var wg sync.WaitGroup
	start := func(name string, f func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(ctx); err != nil && ctx.Err() == nil {
				errc <- fmt.Errorf("%s: %w", name, err)
			}
		}()
	}
	if m.server != nil {
		start("http", func(ctx context.Context) error {
			// Serve returns only once Shutdown is called, so stop it when Run
			// ends; otherwise a signal or a failed adapter would hang here.
			stopped := make(chan struct{})
			defer close(stopped)
			go func() {
				select {
				case <-ctx.Done():
					sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
					defer cancel()
					m.server.Shutdown(sctx)
				case <-stopped:
				}
			}()
			if err := m.server.Serve(m.listener); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		})
	}
	for _, a := range m.adapters {
		start(a.name, a.run)
	}
	if m.Console != nil {
		err := m.Console.Run(ctx, m.Stdin)
		cancel()
		wg.Wait()
		return err
	}
	m.backupOnSignal(ctx)
	ver, rev := buildVersion()
	m.Log.Info("studybot running", "version", ver, "commit", rev, "adapters", len(m.adapters), "db", m.dbName())
	select {
	case <-ctx.Done():
		m.Log.Info("shutting down")
		cancel()
		wg.Wait()
		return nil
	case err := <-errc:
		cancel()
		wg.Wait()
		return err
	}
}

// backupOnSignal writes a hot backup to <db>.backup on SIGUSR1: the running bot
// holds the file lock, so this is how an operator backs up without stopping it.
func (m *Main) backupOnSignal(ctx context.Context) {
	if m.DB == nil {
		return // PostgreSQL: the operator's own backups (pg_dump)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGUSR1)
	go func() {
		defer signal.Stop(sig)
		for {
			select {
			case <-ctx.Done():
				return
			case <-sig:
				out := m.Config.Database.Path + ".backup"
				if err := m.DB.BackupFile(out); err != nil {
					m.Log.Error("backup failed", "err", err)
				} else {
					m.Log.Info("backup written", "path", out)
				}
			}
		}
	}()
}

// Close closes everything Open and Run started, newest first.
func (m *Main) Close() error {
	var errs []error
	for i := len(m.closers) - 1; i >= 0; i-- {
		errs = append(errs, m.closers[i]())
	}
	m.closers = nil
	return errors.Join(errs...)
}

func newLogger(c LogConfig, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(strings.ToUpper(c.Level)))
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// logRoadmapChanges compares the built-in roadmap (embedded, or roadmap.file)
// with the one the last start saw, and logs what changed. Members' marks are
// kept by topic id whatever changed: a removed topic's marks stop counting
// and count again if it comes back, so nobody is silently zeroed; the log is
// how an operator learns that progress figures moved.
func (m *Main) logRoadmapChanges(rm *roadmap.Roadmap) error {
	now := map[string]string{}
	for _, t := range rm.Topics() {
		now[t.ID] = t.Title
	}
	prev, err := m.Store.SeenRoadmap(now)
	if err != nil || prev == nil {
		return err
	}
	var added, removed, retitled []string
	for id, title := range now {
		switch old, ok := prev[id]; {
		case !ok:
			added = append(added, id)
		case old != title:
			retitled = append(retitled, id)
		}
	}
	for id := range prev {
		if _, ok := now[id]; !ok {
			removed = append(removed, id)
		}
	}
	if len(added)+len(removed)+len(retitled) == 0 {
		return nil
	}
	slices.Sort(added)
	slices.Sort(removed)
	slices.Sort(retitled)
	m.Log.Warn("the built-in roadmap changed since the last start; members' marks are kept by topic id, and marks on removed topics count again if they come back",
		"roadmap", rm.Title, "added", added, "removed", removed, "retitled", retitled)
	return nil
}

// sendRate is the configured send rate of the enabled platforms together,
// for the scheduler's log line and metrics.
func (c Config) sendRate() float64 {
	var r float64
	if c.Discord.Enabled {
		r += c.Discord.SendRate
	}
	if c.Slack.Enabled {
		r += c.Slack.SendRate
	}
	return r
}

// The nudge metrics are the scheduler's observer; bot/metrics cannot import
// bot/schedule to say so itself.
var _ schedule.Observer = (*metrics.Nudges)(nil)
