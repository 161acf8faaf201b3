// Package postgres implements bot.Store, bot.DMChannels and bot.Deliveries on
// PostgreSQL, for operators who run several studybot processes on one
// database or keep their data in the database they already back up. It is the
// only package that imports pgx.
//
// The schema (migrations/*.sql) is tables an operator can query: members,
// topic_marks, nudges (and the nudge_slots view), challenges, submissions,
// roadmap_files. Several processes may share one database: member updates
// lock the member's row, challenge openings lock the space's row, and nudge
// claims take rows with FOR UPDATE SKIP LOCKED, so each nudge is claimed by
// one process once.
package postgres

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/studybot/studybot/bot"
)

// Limits: the Store contract's (package bot), as in the bbolt store.
const (
	MaxIDLen     = bot.MaxIDLen
	MaxRecordLen = bot.MaxRecordLen
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Options configure Open. The zero value is ready to use.
type Options struct {
	// Schema, when set, is created if missing and used for every table
	// (search_path), so several studybots, or tests, share one database.
	Schema string
	// MaxConns bounds the connection pool; default pgxpool's (the number of
	// CPUs, at least 4). URL parameter pool_max_conns overrides it.
	MaxConns int32
	// Clock stamps Member.Created on new members; default bot.SystemClock.
	Clock bot.Clock
}

// DB is a studybot database on PostgreSQL. It is safe for concurrent use, and
// several processes may open the same database.
type DB struct {
	pool  *pgxpool.Pool
	url   string
	clock bot.Clock
}

var (
	_ bot.Store      = (*DB)(nil)
	_ bot.DMChannels = (*DB)(nil)
	_ bot.Deliveries = (*DB)(nil)
)

// IsURL reports whether s names a PostgreSQL database rather than a file.
func IsURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Redact returns the URL with its password replaced, for logs.
func Redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "postgres://(unparsable URL)"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// Open connects to the database at url, creates Options.Schema if set, and
// applies the migrations it lacks (see migrate).
func Open(ctx context.Context, dbURL string, opt Options) (*DB, error) {
	if opt.Clock == nil {
		opt.Clock = bot.SystemClock
	}
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		return nil, fmt.Errorf("database url %s: %w", Redact(dbURL), err)
	}
	if opt.MaxConns > 0 && !strings.Contains(dbURL, "pool_max_conns") {
		cfg.MaxConns = opt.MaxConns
	}
	if opt.Schema != "" {
		cfg.ConnConfig.RuntimeParams["search_path"] = opt.Schema
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", Redact(dbURL), err)
	}
	db := &DB{pool: pool, url: dbURL, clock: opt.Clock}
	if opt.Schema != "" {
		if _, err := pool.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{opt.Schema}.Sanitize()); err != nil {
			pool.Close()
			return nil, fmt.Errorf("open database %s: create schema: %w", Redact(dbURL), err)
		}
	}
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("migrate database %s: %w", Redact(dbURL), err)
	}
	return db, nil
}

// Close closes the pool.
// Ping proves the server answers, for /healthz: one round trip on a pooled
// connection, bounded by a short timeout so a hung server fails the probe
// rather than the probe hanging.
func (db *DB) Ping() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return db.pool.Ping(ctx)
}

func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// URL returns the database URL with its password redacted.
func (db *DB) URL() string { return Redact(db.url) }

type migration struct {
	version int
	name    string
	sql     string
}

func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	var out []migration
	for i, n := range names {
		base := strings.TrimPrefix(n, "migrations/")
		v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil || v != i+1 {
			return nil, fmt.Errorf("migration %s: want number %03d first in its name", n, i+1)
		}
		buf, err := migrationFiles.ReadFile(n)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{v, base, string(buf)})
	}
	return out, nil
}

// SchemaVersion is the newest schema this binary knows.
func SchemaVersion() int {
	ms, _ := migrations()
	return len(ms)
}

// migrate applies the missing migrations in order in one transaction, under a
// transaction-level advisory lock: two processes starting together migrate
// once, the second waiting and then finding nothing to do.
func (db *DB) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext('studybot migrate ' || current_schema()))"); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return err
		}
		var have int
		if err := tx.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&have); err != nil {
			return err
		}
		if have > len(ms) {
			return fmt.Errorf("the database has schema version %d, but this studybot knows only up to %d; use a newer studybot", have, len(ms))
		}
		for _, m := range ms[have:] {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
			if _, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.version, m.name); err != nil {
				return err
			}
		}
		return nil
	})
}

// tx runs fn in a transaction, retrying it when PostgreSQL reports a
// serialization failure, a deadlock or a unique violation (a row another
// process inserted first; fn must then be safe to re-run, as the
// Store contract allows for update functions).
func (db *DB) tx(ctx context.Context, fn func(pgx.Tx) error) error {
	for attempt := 0; ; attempt++ {
		err := pgx.BeginFunc(ctx, db.pool, fn)
		var pe *pgconn.PgError
		if attempt < 5 && errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01" || pe.Code == "23505") {
			continue
		}
		return err
	}
}

// Timestamps: zero is NULL, and what is read comes back in UTC. PostgreSQL
// keeps microseconds, so nanoseconds are lost.
func ts(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func fromTS(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// lockSpace makes sure the space has a row and locks it for the
// transaction, serialising challenge openings, closings and roadmap changes
// of one space across processes.
func lockSpace(ctx context.Context, tx pgx.Tx, sp bot.Space) (*bot.SpaceRecord, error) {
	if _, err := tx.Exec(ctx, "INSERT INTO spaces (space, platform) VALUES ($1, $2) ON CONFLICT DO NOTHING", sp.Key(), string(sp.Platform)); err != nil {
		return nil, err
	}
	var raw []byte
	if err := tx.QueryRow(ctx, "SELECT record FROM spaces WHERE space = $1 FOR UPDATE", sp.Key()).Scan(&raw); err != nil {
		return nil, err
	}
	rec := &bot.SpaceRecord{}
	if raw != nil {
		if err := json.Unmarshal(raw, rec); err != nil {
			return nil, fmt.Errorf("decode space: %w", err)
		}
	}
	rec.Space = sp
	return rec, nil
}

func putSpace(ctx context.Context, tx pgx.Tx, rec *bot.SpaceRecord) error {
	buf, err := bot.MarshalRecord("space", rec)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, "UPDATE spaces SET record = $2 WHERE space = $1", rec.Space.Key(), buf)
	return err
}
