package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/studybot/studybot/bot"
)

// DMChannel implements bot.DMChannels.
func (db *DB) DMChannel(ctx context.Context, sp bot.Space, member string) (string, error) {
	if err := bot.CheckMember(sp, member); err != nil {
		return "", err
	}
	var ch string
	err := db.pool.QueryRow(ctx, "SELECT channel FROM dm_channels WHERE space = $1 AND member = $2", sp.Key(), member).Scan(&ch)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	return ch, bot.StoreError("read dm channel", err)
}

// SetDMChannel implements bot.DMChannels.
func (db *DB) SetDMChannel(ctx context.Context, sp bot.Space, member, channel string) error {
	if err := bot.CheckDMChannel(sp, member, channel); err != nil {
		return err
	}
	var err error
	if channel == "" {
		_, err = db.pool.Exec(ctx, "DELETE FROM dm_channels WHERE space = $1 AND member = $2", sp.Key(), member)
	} else {
		_, err = db.pool.Exec(ctx, `INSERT INTO dm_channels (space, member, channel) VALUES ($1,$2,$3)
			ON CONFLICT (space, member) DO UPDATE SET channel = EXCLUDED.channel`, sp.Key(), member, channel)
	}
	return bot.StoreError("store dm channel", err)
}

// Delivered implements bot.Deliveries.
func (db *DB) Delivered(ctx context.Context, key string) (bool, error) {
	if err := bot.CheckDeliveryKey(key); err != nil {
		return false, err
	}
	var ok bool
	err := db.pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM deliveries WHERE key = $1)", key).Scan(&ok)
	return ok, bot.StoreError("read delivery", err)
}

// MarkDelivered implements bot.Deliveries. Marking a key again moves it to
// the later time, as in the bbolt store, so it is kept for the window after
// its last mark.
//
// The mark commits without waiting for the WAL flush (synchronous_commit off
// for this transaction only). Waiting made each mark cost a disk flush, about
// 2 ms on the test machine, once per command when processes share the
// database. What a database crash can lose is the last fraction of a second
// of marks, and a lost mark only lets one replay run again: the outcome the
// Deliveries contract already accepts for a process that dies between the
// effect and the mark. Nothing else is committed this way.
func (db *DB) MarkDelivered(ctx context.Context, key string, at time.Time) error {
	if err := bot.CheckDeliveryKey(key); err != nil {
		return err
	}
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL synchronous_commit TO OFF"); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO deliveries (key, at) VALUES ($1, $2)
			ON CONFLICT (key) DO UPDATE SET at = GREATEST(deliveries.at, EXCLUDED.at)`, key, at)
		return err
	})
	return bot.StoreError("mark delivery", err)
}

// PruneDeliveries implements bot.Deliveries.
func (db *DB) PruneDeliveries(ctx context.Context, before time.Time) (int, error) {
	tag, err := db.pool.Exec(ctx, "DELETE FROM deliveries WHERE at < $1", before)
	if err != nil {
		return 0, bot.StoreError("prune deliveries", err)
	}
	return int(tag.RowsAffected()), nil
}

// SeenRoadmap is the bbolt store's: it records the deployment's built-in
// roadmap as topic id -> title and returns what the previous start recorded,
// nil on the first.
func (db *DB) SeenRoadmap(topics map[string]string) (map[string]string, error) {
	ctx := context.Background()
	var prev map[string]string
	buf, err := json.Marshal(topics)
	if err != nil {
		return nil, err
	}
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var raw []byte
		err := tx.QueryRow(ctx, "SELECT value FROM meta WHERE key = 'seen_roadmap' FOR UPDATE").Scan(&raw)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if raw != nil {
			if err := json.Unmarshal(raw, &prev); err != nil {
				return fmt.Errorf("decode seen roadmap: %w", err)
			}
		}
		_, err = tx.Exec(ctx, `INSERT INTO meta (key, value) VALUES ('seen_roadmap', $1)
			ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`, buf)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("record roadmap: %w", err)
	}
	return prev, nil
}
