package store

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/studybot/studybot/bot"
)

// SpaceKeys returns every space the file holds anything for, with stored
// settings or not (Spaces lists only those with settings), for copying a
// database whole (studybot migrate-db).
func (db *DB) SpaceKeys(ctx context.Context) ([]bot.Space, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []bot.Space
	err := db.bolt.View(func(tx *bolt.Tx) error {
		root := tx.Bucket(bucketSpaces)
		if root == nil {
			return nil
		}
		return root.ForEachBucket(func(k []byte) error {
			sp, ok := bot.ParseSpace(string(k))
			if !ok {
				return fmt.Errorf("space key %q is malformed", k)
			}
			out = append(out, sp)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list spaces: %w", err)
	}
	return out, nil
}
