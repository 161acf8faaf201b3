package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/studybot/studybot/bot"
)

// SpaceKeys returns every space the database holds anything for, with
// stored settings or not, for copying a database whole (studybot migrate-db).
func (db *DB) SpaceKeys(ctx context.Context) ([]bot.Space, error) {
	rows, err := db.pool.Query(ctx, `SELECT space FROM spaces UNION SELECT space FROM members
		UNION SELECT space FROM challenges UNION SELECT space FROM roadmap_files ORDER BY 1`)
	if err != nil {
		return nil, bot.StoreError("list spaces", err)
	}
	keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, bot.StoreError("list spaces", err)
	}
	out := make([]bot.Space, 0, len(keys))
	for _, k := range keys {
		sp, ok := bot.ParseSpace(k)
		if !ok {
			return nil, fmt.Errorf("list spaces: space key %q is malformed", k)
		}
		out = append(out, sp)
	}
	return out, nil
}

// Empty reports whether the database holds no studybot data, so that
// migrate-db never copies into, or over, a database in use.
func (db *DB) Empty(ctx context.Context) (bool, error) {
	var n int
	err := db.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM (SELECT 1 FROM spaces LIMIT 1) a)
		+ (SELECT count(*) FROM (SELECT 1 FROM members LIMIT 1) b)
		+ (SELECT count(*) FROM (SELECT 1 FROM challenges LIMIT 1) c)
		+ (SELECT count(*) FROM (SELECT 1 FROM roadmap_files LIMIT 1) d)`).Scan(&n)
	return n == 0, bot.StoreError("count rows", err)
}

// SizeBytes is the disk size of the studybot tables (with indexes and
// TOAST) in the schema in use.
func (db *DB) SizeBytes(ctx context.Context) (int64, error) {
	var n *int64
	err := db.pool.QueryRow(ctx, `SELECT sum(pg_total_relation_size(c.oid))::bigint FROM pg_class c
		JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = current_schema() AND c.relkind = 'r'`).Scan(&n)
	if err != nil || n == nil {
		return 0, bot.StoreError("database size", err)
	}
	return *n, nil
}

// DropSchema drops the schema in use and everything in it: for tools that
// made a scratch schema (studybot simulate). The DB is unusable afterwards.
func (db *DB) DropSchema(ctx context.Context, schema string) error {
	_, err := db.pool.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
	return bot.StoreError("drop schema", err)
}
