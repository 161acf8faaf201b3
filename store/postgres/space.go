package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/studybot/studybot/bot"
)

// Space implements bot.Store.
func (db *DB) Space(ctx context.Context, sp bot.Space) (*bot.SpaceRecord, error) {
	if err := bot.CheckSpace(sp); err != nil {
		return nil, err
	}
	rec := &bot.SpaceRecord{}
	var raw []byte
	err := db.pool.QueryRow(ctx, "SELECT record FROM spaces WHERE space = $1", sp.Key()).Scan(&raw)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, bot.StoreError("read space", err)
	}
	if raw != nil {
		if err := json.Unmarshal(raw, rec); err != nil {
			return nil, fmt.Errorf("read space: %w", err)
		}
	}
	rec.Space = sp
	return rec, nil
}

// UpdateSpace implements bot.Store, under the space row's lock.
func (db *DB) UpdateSpace(ctx context.Context, sp bot.Space, fn func(*bot.SpaceRecord) error) (*bot.SpaceRecord, error) {
	if err := bot.CheckSpace(sp); err != nil {
		return nil, err
	}
	var out *bot.SpaceRecord
	var fnErr error
	err := db.tx(ctx, func(tx pgx.Tx) error {
		out, fnErr = nil, nil
		rec, err := lockSpace(ctx, tx, sp)
		if err != nil {
			return err
		}
		if err := bot.ApplySpaceUpdate(rec, fn); err != nil {
			fnErr = err
			return err
		}
		if err := putSpace(ctx, tx, rec); err != nil {
			return err
		}
		out = rec
		return nil
	})
	return bot.StoreResult("update space", out, fnErr, err)
}

// Spaces implements bot.Store: every space with stored settings, read first,
// so fn may write.
func (db *DB) Spaces(ctx context.Context, fn func(*bot.SpaceRecord) error) error {
	rows, err := db.pool.Query(ctx, "SELECT space, record FROM spaces WHERE record IS NOT NULL ORDER BY space")
	if err != nil {
		return bot.StoreError("list spaces", err)
	}
	var recs []*bot.SpaceRecord
	for rows.Next() {
		var key string
		var raw []byte
		if err := rows.Scan(&key, &raw); err != nil {
			rows.Close()
			return bot.StoreError("list spaces", err)
		}
		sp, ok := bot.ParseSpace(key)
		if !ok {
			rows.Close()
			return fmt.Errorf("list spaces: space key %q is malformed", key)
		}
		rec := &bot.SpaceRecord{}
		if err := json.Unmarshal(raw, rec); err != nil {
			rows.Close()
			return fmt.Errorf("list spaces: space %s: %w", sp, err)
		}
		rec.Space = sp
		recs = append(recs, rec)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return bot.StoreError("list spaces", err)
	}
	for _, rec := range recs {
		if err := fn(rec); err != nil {
			return err
		}
	}
	return nil
}

const challengeCols = "id, roadmap, topic, text, channel, posted_by, posted_at, scheduled_at, closes_at, zone, closed_at"

func scanChallenge(row scanner) (*bot.Challenge, error) {
	c := &bot.Challenge{}
	var posted time.Time
	var scheduled, closes, closed *time.Time
	if err := row.Scan(&c.ID, &c.Roadmap, &c.Topic, &c.Text, &c.Channel, &c.PostedBy, &posted, &scheduled, &closes, &c.Zone, &closed); err != nil {
		return nil, err
	}
	c.PostedAt, c.ScheduledAt, c.ClosesAt, c.ClosedAt = posted.UTC(), fromTS(scheduled), fromTS(closes), fromTS(closed)
	return c, nil
}

// loadSubmissions fills the submissions of cs (by id) of one space.
func loadSubmissions(ctx context.Context, q pgx.Tx, pool interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, sp bot.Space, cs ...*bot.Challenge) error {
	if len(cs) == 0 {
		return nil
	}
	byID := map[uint64]*bot.Challenge{}
	ids := make([]int64, len(cs))
	for i, c := range cs {
		byID[c.ID] = c
		ids[i] = int64(c.ID)
	}
	var rows pgx.Rows
	var err error
	const query = "SELECT challenge, member, name, text, at FROM submissions WHERE space = $1 AND challenge = ANY($2)"
	if q != nil {
		rows, err = q.Query(ctx, query, sp.Key(), ids)
	} else {
		rows, err = pool.Query(ctx, query, sp.Key(), ids)
	}
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		s := &bot.Submission{}
		var at *time.Time
		if err := rows.Scan(&id, &s.Member, &s.Name, &s.Text, &at); err != nil {
			return err
		}
		s.At = fromTS(at)
		c := byID[uint64(id)]
		if c.Submissions == nil {
			c.Submissions = map[string]*bot.Submission{}
		}
		c.Submissions[s.Member] = s
	}
	return rows.Err()
}

// getChallenge reads a challenge and its submissions in tx; nil when absent.
func getChallenge(ctx context.Context, tx pgx.Tx, sp bot.Space, id uint64, lock bool) (*bot.Challenge, error) {
	q := "SELECT " + challengeCols + " FROM challenges WHERE space = $1 AND id = $2"
	if lock {
		q += " FOR UPDATE"
	}
	c, err := scanChallenge(tx.QueryRow(ctx, q, sp.Key(), int64(id)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return c, loadSubmissions(ctx, tx, nil, sp, c)
}

// insertChallenge stores a new challenge and its submissions.
func insertChallenge(ctx context.Context, tx pgx.Tx, sp bot.Space, c *bot.Challenge) error {
	if err := bot.CheckRecordLen("challenge", len(c.Text)); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, "INSERT INTO challenges (space, "+challengeCols+") VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)",
		sp.Key(), int64(c.ID), c.Roadmap, c.Topic, c.Text, c.Channel, c.PostedBy, c.PostedAt, ts(c.ScheduledAt), ts(c.ClosesAt), c.Zone, ts(c.ClosedAt))
	if err != nil {
		return err
	}
	return putSubmissions(ctx, tx, sp, c, nil)
}

// putSubmissions writes the submissions of c that differ from had.
func putSubmissions(ctx context.Context, tx pgx.Tx, sp bot.Space, c *bot.Challenge, had map[string]*bot.Submission) error {
	b := &pgx.Batch{}
	for _, m := range slices.Sorted(maps.Keys(c.Submissions)) {
		s := c.Submissions[m]
		if s == nil {
			continue
		}
		if o := had[m]; o != nil && *o == *s {
			continue
		}
		b.Queue(`INSERT INTO submissions (space, challenge, member, name, text, at) VALUES ($1,$2,$3,$4,$5,$6)
			ON CONFLICT (space, challenge, member) DO UPDATE SET name=EXCLUDED.name, text=EXCLUDED.text, at=EXCLUDED.at`,
			sp.Key(), int64(c.ID), m, s.Name, s.Text, ts(s.At))
	}
	for m := range had {
		if c.Submissions[m] == nil {
			b.Queue("DELETE FROM submissions WHERE space=$1 AND challenge=$2 AND member=$3", sp.Key(), int64(c.ID), m)
		}
	}
	if b.Len() == 0 {
		return nil
	}
	return tx.SendBatch(ctx, b).Close()
}

// openChallenge returns the challenge rec.Current names if it is open.
func openChallenge(ctx context.Context, tx pgx.Tx, rec *bot.SpaceRecord) (*bot.Challenge, error) {
	if rec.Current == 0 {
		return nil, nil
	}
	c, err := getChallenge(ctx, tx, rec.Space, rec.Current, true)
	if err != nil || !c.IsOpen() {
		return nil, err
	}
	return c, nil
}

// OpenChallenge implements bot.Store under the space row's lock, so openings
// of one space, in any process, run one at a time; the scheduled instant's
// unique index backs the once-per-instant rule.
func (db *DB) OpenChallenge(ctx context.Context, sp bot.Space, c *bot.Challenge, onOpen bot.OnOpen) (*bot.Opening, error) {
	if err := bot.CheckSpace(sp); err != nil {
		return nil, err
	}
	if err := bot.CheckOpening(c, onOpen); err != nil {
		return nil, err
	}
	var out *bot.Opening
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		rec, err := lockSpace(ctx, tx, sp)
		if err != nil {
			return err
		}
		if !c.ScheduledAt.IsZero() {
			var id int64
			err := tx.QueryRow(ctx, "SELECT id FROM challenges WHERE space = $1 AND scheduled_at = $2", sp.Key(), c.ScheduledAt).Scan(&id)
			if err == nil {
				prev, err := getChallenge(ctx, tx, sp, uint64(id), false)
				if err != nil {
					return err
				}
				out = &bot.Opening{Opened: prev, Repeat: true}
				return nil
			}
			if !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
		}
		closed, err := openChallenge(ctx, tx, rec)
		if err != nil {
			return err
		}
		if err := bot.CloseForOpening(closed, c, onOpen); err != nil {
			return err
		}
		if closed != nil {
			if _, err := tx.Exec(ctx, "UPDATE challenges SET closed_at = $3 WHERE space = $1 AND id = $2", sp.Key(), int64(closed.ID), closed.ClosedAt); err != nil {
				return err
			}
		}
		var id int64
		if err := tx.QueryRow(ctx, "UPDATE spaces SET next_challenge = next_challenge + 1 WHERE space = $1 RETURNING next_challenge", sp.Key()).Scan(&id); err != nil {
			return err
		}
		cp := c.Opened(uint64(id))
		if err := insertChallenge(ctx, tx, sp, cp); err != nil {
			return err
		}
		rec.SetCurrent(cp)
		if err := putSpace(ctx, tx, rec); err != nil {
			return err
		}
		opened, err := getChallenge(ctx, tx, sp, cp.ID, false)
		if err != nil {
			return err
		}
		out = &bot.Opening{Opened: opened, Closed: closed}
		return nil
	})
	if err != nil {
		return nil, bot.StoreError("open challenge", err)
	}
	return out, nil
}

// CloseChallenge implements bot.Store under the space row's lock; fn runs
// once (the transaction is not retried).
func (db *DB) CloseChallenge(ctx context.Context, sp bot.Space, at time.Time, fn func(*bot.SpaceRecord) error) (*bot.SpaceRecord, *bot.Challenge, error) {
	if err := bot.CheckSpace(sp); err != nil {
		return nil, nil, err
	}
	if err := bot.CheckClosing(at); err != nil {
		return nil, nil, err
	}
	var (
		rec    *bot.SpaceRecord
		closed *bot.Challenge
		fnErr  error
	)
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var err error
		if rec, err = lockSpace(ctx, tx, sp); err != nil {
			return err
		}
		if err := bot.ApplySpaceUpdate(rec, fn); err != nil {
			fnErr = err
			return err
		}
		if closed, err = openChallenge(ctx, tx, rec); err != nil {
			return err
		}
		rec.CloseOpen(closed, at)
		if closed != nil {
			if _, err := tx.Exec(ctx, "UPDATE challenges SET closed_at = $3 WHERE space = $1 AND id = $2", sp.Key(), int64(closed.ID), at); err != nil {
				return err
			}
		}
		return putSpace(ctx, tx, rec)
	})
	if err := bot.StoreFnError("close challenge", fnErr, err); err != nil {
		return nil, nil, err
	}
	return rec, closed, nil
}

// Challenge implements bot.Store.
func (db *DB) Challenge(ctx context.Context, sp bot.Space, id uint64) (*bot.Challenge, error) {
	if err := bot.CheckSpace(sp); err != nil {
		return nil, err
	}
	var c *bot.Challenge
	err := pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var err error
		c, err = getChallenge(ctx, tx, sp, id, false)
		return err
	})
	if err != nil {
		return nil, bot.StoreError("read challenge", err)
	}
	if c == nil {
		return nil, bot.ChallengeNotFound(id)
	}
	return c, nil
}

// UpdateChallenge implements bot.Store, under the challenge row's lock.
func (db *DB) UpdateChallenge(ctx context.Context, sp bot.Space, id uint64, fn func(*bot.Challenge) error) (*bot.Challenge, error) {
	if err := bot.CheckSpace(sp); err != nil {
		return nil, err
	}
	var out *bot.Challenge
	var fnErr error
	err := db.tx(ctx, func(tx pgx.Tx) error {
		out, fnErr = nil, nil
		c, err := getChallenge(ctx, tx, sp, id, true)
		if err != nil {
			return err
		}
		if c == nil {
			fnErr = bot.ChallengeNotFound(id)
			return fnErr
		}
		had := map[string]*bot.Submission{}
		for m, s := range c.Submissions {
			if s != nil {
				sc := *s
				had[m] = &sc
			}
		}
		if err := fn(c); err != nil {
			fnErr = err
			return err
		}
		c.ID = id
		if err := bot.CheckRecordLen("challenge", len(c.Text)); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE challenges SET roadmap=$3, topic=$4, text=$5, channel=$6, posted_by=$7, posted_at=$8,
			scheduled_at=$9, closes_at=$10, zone=$11, closed_at=$12 WHERE space=$1 AND id=$2`,
			sp.Key(), int64(id), c.Roadmap, c.Topic, c.Text, c.Channel, c.PostedBy, c.PostedAt, ts(c.ScheduledAt), ts(c.ClosesAt), c.Zone, ts(c.ClosedAt))
		if err != nil {
			return err
		}
		if err := putSubmissions(ctx, tx, sp, c, had); err != nil {
			return err
		}
		out = c
		return nil
	})
	return bot.StoreResult("update challenge", out, fnErr, err)
}

// Challenges implements bot.Store: newest first; limit <= 0 means all.
func (db *DB) Challenges(ctx context.Context, sp bot.Space, limit int) ([]*bot.Challenge, error) {
	if err := bot.CheckSpace(sp); err != nil {
		return nil, err
	}
	q := "SELECT " + challengeCols + " FROM challenges WHERE space = $1 ORDER BY id DESC"
	args := []any{sp.Key()}
	if limit > 0 {
		q += " LIMIT $2"
		args = append(args, limit)
	}
	var out []*bot.Challenge
	err := pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			c, err := scanChallenge(rows)
			if err != nil {
				rows.Close()
				return err
			}
			out = append(out, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		return loadSubmissions(ctx, tx, nil, sp, out...)
	})
	if err != nil {
		return nil, bot.StoreError("list challenges", err)
	}
	return out, nil
}

// RoadmapFiles implements bot.Store.
func (db *DB) RoadmapFiles(ctx context.Context, sp bot.Space) ([]*bot.RoadmapFile, error) {
	if err := bot.CheckSpace(sp); err != nil {
		return nil, err
	}
	rows, err := db.pool.Query(ctx, "SELECT id, title, toml, added_by, added_at FROM roadmap_files WHERE space = $1 ORDER BY id", sp.Key())
	if err != nil {
		return nil, bot.StoreError("list roadmaps", err)
	}
	defer rows.Close()
	var out []*bot.RoadmapFile
	for rows.Next() {
		f, err := scanRoadmap(rows)
		if err != nil {
			return nil, bot.StoreError("list roadmaps", err)
		}
		out = append(out, f)
	}
	return out, bot.StoreError("list roadmaps", rows.Err())
}

func scanRoadmap(row scanner) (*bot.RoadmapFile, error) {
	f := &bot.RoadmapFile{}
	var at *time.Time
	if err := row.Scan(&f.ID, &f.Title, &f.TOML, &f.AddedBy, &at); err != nil {
		return nil, err
	}
	f.AddedAt = fromTS(at)
	return f, nil
}

// RoadmapFile implements bot.Store.
func (db *DB) RoadmapFile(ctx context.Context, sp bot.Space, id string) (*bot.RoadmapFile, error) {
	if err := bot.CheckSpace(sp); err != nil {
		return nil, err
	}
	f, err := scanRoadmap(db.pool.QueryRow(ctx, "SELECT id, title, toml, added_by, added_at FROM roadmap_files WHERE space = $1 AND id = $2", sp.Key(), id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, bot.RoadmapNotFound(id)
	}
	if err != nil {
		return nil, bot.StoreError("read roadmap", err)
	}
	return f, nil
}

// PutRoadmapFile implements bot.Store under the space row's lock.
func (db *DB) PutRoadmapFile(ctx context.Context, sp bot.Space, f *bot.RoadmapFile, max int) error {
	if err := bot.CheckSpace(sp); err != nil {
		return err
	}
	if err := bot.CheckRoadmapFile(f); err != nil {
		return err
	}
	if err := bot.CheckRecordLen("roadmap", len(f.TOML)); err != nil {
		return err
	}
	err := db.tx(ctx, func(tx pgx.Tx) error {
		rec, err := lockSpace(ctx, tx, sp)
		if err != nil {
			return err
		}
		var n int
		var exists bool
		if err := tx.QueryRow(ctx, "SELECT count(*), bool_or(id = $2) IS TRUE FROM roadmap_files WHERE space = $1", sp.Key(), f.ID).Scan(&n, &exists); err != nil {
			return err
		}
		if err := bot.RoadmapLimit(n, exists, max); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO roadmap_files (space, id, title, toml, added_by, added_at) VALUES ($1,$2,$3,$4,$5,$6)
			ON CONFLICT (space, id) DO UPDATE SET title=EXCLUDED.title, toml=EXCLUDED.toml, added_by=EXCLUDED.added_by, added_at=EXCLUDED.added_at`,
			sp.Key(), f.ID, f.Title, f.TOML, f.AddedBy, ts(f.AddedAt))
		if err != nil {
			return err
		}
		rec.PutRoadmapInfo(f)
		return putSpace(ctx, tx, rec)
	})
	return bot.StoreError("store roadmap", err)
}

// DeleteRoadmapFile implements bot.Store under the space row's lock.
func (db *DB) DeleteRoadmapFile(ctx context.Context, sp bot.Space, id string, fn func(*bot.SpaceRecord) error) error {
	if err := bot.CheckSpace(sp); err != nil {
		return err
	}
	var fnErr error
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		rec, err := lockSpace(ctx, tx, sp)
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, "DELETE FROM roadmap_files WHERE space = $1 AND id = $2", sp.Key(), id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return bot.RoadmapNotFound(id)
		}
		rec.Roadmaps = slices.DeleteFunc(rec.Roadmaps, func(r bot.RoadmapInfo) bool { return r.ID == id })
		if err := bot.ApplySpaceUpdate(rec, fn); err != nil {
			fnErr = err
			return err
		}
		return putSpace(ctx, tx, rec)
	})
	return bot.StoreFnError("delete roadmap", fnErr, err)
}

// PendingRoadmap implements bot.Store.
func (db *DB) PendingRoadmap(ctx context.Context, sp bot.Space, member string) (*bot.RoadmapFile, error) {
	if err := bot.CheckMember(sp, member); err != nil {
		return nil, err
	}
	var raw []byte
	err := db.pool.QueryRow(ctx, "SELECT file FROM pending_roadmaps WHERE space = $1 AND member = $2", sp.Key(), member).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, bot.NoPendingRoadmap()
	}
	if err != nil {
		return nil, bot.StoreError("read pending roadmap", err)
	}
	f := &bot.RoadmapFile{}
	if err := json.Unmarshal(raw, f); err != nil {
		return nil, fmt.Errorf("read pending roadmap: %w", err)
	}
	return f, nil
}

// SetPendingRoadmap implements bot.Store.
func (db *DB) SetPendingRoadmap(ctx context.Context, sp bot.Space, member string, f *bot.RoadmapFile) error {
	if err := bot.CheckMember(sp, member); err != nil {
		return err
	}
	if f == nil {
		_, err := db.pool.Exec(ctx, "DELETE FROM pending_roadmaps WHERE space = $1 AND member = $2", sp.Key(), member)
		return bot.StoreError("store pending roadmap", err)
	}
	buf, err := bot.MarshalRecord("roadmap", f)
	if err != nil {
		return err
	}
	_, err = db.pool.Exec(ctx, `INSERT INTO pending_roadmaps (space, member, file) VALUES ($1,$2,$3)
		ON CONFLICT (space, member) DO UPDATE SET file = EXCLUDED.file`, sp.Key(), member, buf)
	return bot.StoreError("store pending roadmap", err)
}
