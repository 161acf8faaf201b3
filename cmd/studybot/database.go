package main

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/store"
	"github.com/studybot/studybot/store/postgres"
)

// Store is what Main needs of a database: the bot contracts plus the
// built-in roadmap record (see logRoadmapChanges) and Close. store.DB (bbolt)
// and postgres.DB both are one.
type Store interface {
	bot.Store
	SeenRoadmap(topics map[string]string) (map[string]string, error)
	Close() error
}

var (
	_ Store = (*store.DB)(nil)
	_ Store = (*postgres.DB)(nil)
)

// openStore opens PostgreSQL when database.url is set, else the bbolt file
// at database.path. m.DB is the bbolt store (nil on PostgreSQL), for what
// only a file has (hot backups).
func (m *Main) openStore(ctx context.Context) error {
	if u := string(m.Config.Database.URL); u != "" {
		db, err := postgres.Open(ctx, u, postgres.Options{MaxConns: int32(m.Config.Database.MaxConns), Clock: m.Clock})
		if err != nil {
			return err
		}
		m.Store = db
		m.closers = append(m.closers, db.Close)
		return nil
	}
	db, err := store.Open(m.Config.Database.Path, store.Options{LockTimeout: m.Config.Database.LockTimeout.Duration})
	if err != nil {
		return err
	}
	m.DB, m.Store = db, db
	m.closers = append(m.closers, db.Close)
	return nil
}

// shared reports whether other processes may use the same database.
func (m *Main) shared() bool { return m.DB == nil }

// dbName is the database for logs: the file, or the URL without its
// password.
func (m *Main) dbName() string {
	if u := string(m.Config.Database.URL); u != "" {
		return postgres.Redact(u)
	}
	return m.Config.Database.Path
}

// dueIndex is the nudge schedule this process claims from. On a shared
// database a process claims only the platforms it serves (a Slack-only
// process leaves Discord members' nudges to a Discord one), and a console
// claims none: it is a terminal session beside the running bots.
func (m *Main) dueIndex() bot.DueIndex {
	sh, ok := m.Store.(bot.DueSharer)
	if !ok || !m.shared() {
		return m.Store
	}
	if m.ConsoleMember != "" {
		return noDue{}
	}
	var f bot.DueFilter
	for _, a := range m.adapters {
		f.Platforms = append(f.Platforms, a.platform)
	}
	if len(f.Platforms) == 0 {
		return noDue{}
	}
	return sh.DueFor(f)
}

// noDue is a due index with nothing in it.
type noDue struct{}

func (noDue) ClaimDue(context.Context, time.Time, int, func(*bot.Due) error) ([]*bot.Due, error) {
	return nil, nil
}
func (noDue) NextDue(context.Context) (time.Time, error) { return time.Time{}, nil }

// pollSchedules keeps this process's challenge cron entries in step with the
// schedules stored in a shared database, which a moderator may have changed
// through another process: every database.poll (default one minute), so a
// schedule set elsewhere fires here within that much of being set. Only the
// spaces of the platforms this process serves are installed; posting twice
// is prevented anyway (OpenChallenge opens once per space and instant).
func (m *Main) pollSchedules(ctx context.Context) {
	every := m.Config.Database.Poll.Duration
	if every <= 0 {
		every = time.Minute
	}
	serves := map[bot.Platform]bool{}
	for _, a := range m.adapters {
		serves[a.platform] = true
	}
	if m.Console != nil {
		serves[bot.PlatformConsole] = true
	}
	reconcile := func() {
		want := map[bot.Space]string{}
		err := m.Engine.ChallengeSchedules(ctx, func(sp bot.Space, spec string) error {
			if serves[sp.Platform] {
				want[sp] = spec
			}
			return nil
		})
		if err != nil {
			if ctx.Err() == nil {
				m.Log.Error("reload challenge schedules", "err", err)
			}
			return
		}
		have := m.Scheduler.Schedules()
		if maps.Equal(have, want) {
			return
		}
		for sp := range have {
			if _, ok := want[sp]; !ok {
				m.Scheduler.SetSchedule(sp, "")
			}
		}
		for sp, spec := range want {
			if have[sp] != spec {
				if err := m.Scheduler.SetSchedule(sp, spec); err != nil {
					m.Log.Error("skip stored challenge schedule", "space", sp.Key(), "spec", spec, "err", err)
				}
			}
		}
		m.Log.Debug("challenge schedules reloaded from the database", "spaces", len(want))
	}
	reconcile()
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				reconcile()
			}
		}
	}()
}

// redactedDB is check-config's database line.
func redactedDB(c DatabaseConfig) string {
	if c.URL != "" {
		return fmt.Sprintf("postgresql %s (pool max_conns=%d)", postgres.Redact(string(c.URL)), c.MaxConns)
	}
	return c.Path
}
