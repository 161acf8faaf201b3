package store

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/studybot/studybot/bot"
)

// Space implements bot.Store.
func (db *DB) Space(ctx context.Context, sp bot.Space) (*bot.SpaceRecord, error) {
	if err := checkSpace(sp); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rec := &bot.SpaceRecord{Space: sp}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		sb, err := spaceBucket(tx, sp, false)
		if err != nil || sb == nil {
			return err
		}
		if v := sb.Get(keySettings); v != nil {
			return db.spaces.decode(sp.Key(), v, rec, uint64(tx.ID()))
		}
		db.spaces.absent(sp.Key(), uint64(tx.ID()))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read space: %w", err)
	}
	rec.Space = sp
	return rec, nil
}

// UpdateSpace implements bot.Store, sharing commits like UpdateMember.
func (db *DB) UpdateSpace(ctx context.Context, sp bot.Space, fn func(*bot.SpaceRecord) error) (*bot.SpaceRecord, error) {
	if err := checkSpace(sp); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out *bot.SpaceRecord
	var fnErr error
	err := db.batch.do(func(tx *bolt.Tx) error {
		out, fnErr = nil, nil
		sb, err := spaceBucket(tx, sp, true)
		if err != nil {
			return err
		}
		rec := &bot.SpaceRecord{Space: sp}
		if v := sb.Get(keySettings); v != nil {
			if err := decode("space", v, rec); err != nil {
				return err
			}
		}
		rec.Space = sp
		if err := bot.ApplySpaceUpdate(rec, fn); err != nil {
			fnErr = err
			return err
		}
		buf, err := encode("space", rec)
		if err != nil {
			return err
		}
		if err := db.spaces.put(sb, sp.Key(), buf); err != nil {
			return err
		}
		out = rec
		return nil
	})
	return result("update space", out, fnErr, err)
}

// Spaces implements bot.Store. It reads every record first and calls fn after
// the read transaction, so fn may write; spaces are few (one per server).
func (db *DB) Spaces(ctx context.Context, fn func(*bot.SpaceRecord) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var recs []*bot.SpaceRecord
	err := db.bolt.View(func(tx *bolt.Tx) error {
		root := tx.Bucket(bucketSpaces)
		if root == nil {
			return nil
		}
		return root.ForEachBucket(func(k []byte) error {
			v := root.Bucket(k).Get(keySettings)
			if v == nil {
				return nil
			}
			sp, ok := bot.ParseSpace(string(k))
			if !ok {
				return fmt.Errorf("space key %q is malformed", k)
			}
			rec := &bot.SpaceRecord{}
			if err := decode("space", v, rec); err != nil {
				return fmt.Errorf("space %s: %w", sp, err)
			}
			rec.Space = sp
			recs = append(recs, rec)
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("list spaces: %w", err)
	}
	for _, rec := range recs {
		if err := fn(rec); err != nil {
			return err
		}
	}
	return nil
}
