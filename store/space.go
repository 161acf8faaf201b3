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
			return decode("space", v, rec)
		}
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
	err := db.bolt.Batch(func(tx *bolt.Tx) error {
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
		if err := fn(rec); err != nil {
			fnErr = err
			return err
		}
		rec.Space = sp
		buf, err := encode("space", rec)
		if err != nil {
			return err
		}
		if err := sb.Put(keySettings, buf); err != nil {
			return err
		}
		out = rec
		return nil
	})
	if fnErr != nil {
		return nil, fnErr
	}
	if err != nil {
		return nil, wrap("update space", err)
	}
	return out, nil
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

// AddChallenge implements bot.Store. The id comes from the space's challenges
// bucket sequence, so ids increase per space and are never reused. c itself is
// not changed; the stored copy is returned.
func (db *DB) AddChallenge(ctx context.Context, sp bot.Space, c *bot.Challenge) (*bot.Challenge, error) {
	if err := checkSpace(sp); err != nil {
		return nil, err
	}
	if c == nil {
		return nil, bot.Errorf(bot.Invalid, "There is no challenge to store.")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out *bot.Challenge
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		cb, err := child(tx, sp, bucketChallenges, true)
		if err != nil {
			return err
		}
		id, err := cb.NextSequence()
		if err != nil {
			return err
		}
		cp := *c
		cp.ID = id
		buf, err := encode("challenge", &cp)
		if err != nil {
			return err
		}
		if err := cb.Put(u64(id), buf); err != nil {
			return err
		}
		// Decode what was stored, so the caller's maps are not shared with ours.
		out = new(bot.Challenge)
		return decode("challenge", buf, out)
	})
	if err != nil {
		return nil, wrap("add challenge", err)
	}
	return out, nil
}

// Challenge implements bot.Store.
func (db *DB) Challenge(ctx context.Context, sp bot.Space, id uint64) (*bot.Challenge, error) {
	if err := checkSpace(sp); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out *bot.Challenge
	err := db.bolt.View(func(tx *bolt.Tx) error {
		cb, err := child(tx, sp, bucketChallenges, false)
		if err != nil || cb == nil {
			return err
		}
		if v := cb.Get(u64(id)); v != nil {
			out = new(bot.Challenge)
			return decode("challenge", v, out)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read challenge: %w", err)
	}
	if out == nil {
		return nil, challengeNotFound(id)
	}
	return out, nil
}

func challengeNotFound(id uint64) error {
	return bot.Errorf(bot.NotFound, "There is no challenge #%d.", id)
}

// UpdateChallenge implements bot.Store, sharing commits like UpdateMember.
func (db *DB) UpdateChallenge(ctx context.Context, sp bot.Space, id uint64, fn func(*bot.Challenge) error) (*bot.Challenge, error) {
	if err := checkSpace(sp); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out *bot.Challenge
	var fnErr error
	err := db.bolt.Batch(func(tx *bolt.Tx) error {
		out, fnErr = nil, nil
		sb, err := spaceBucket(tx, sp, false)
		if err != nil {
			return err
		}
		var cb *bolt.Bucket
		if sb != nil {
			cb = sb.Bucket(bucketChallenges)
		}
		var v []byte
		if cb != nil {
			v = cb.Get(u64(id))
		}
		if v == nil {
			return challengeNotFound(id)
		}
		c := new(bot.Challenge)
		if err := decode("challenge", v, c); err != nil {
			return err
		}
		if err := fn(c); err != nil {
			fnErr = err
			return err
		}
		c.ID = id
		buf, err := encode("challenge", c)
		if err != nil {
			return err
		}
		if err := cb.Put(u64(id), buf); err != nil {
			return err
		}
		out = c
		return nil
	})
	if fnErr != nil {
		return nil, fnErr
	}
	if err != nil {
		return nil, wrap("update challenge", err)
	}
	return out, nil
}

// Challenges implements bot.Store: newest (highest id) first. limit <= 0 means
// no limit.
func (db *DB) Challenges(ctx context.Context, sp bot.Space, limit int) ([]*bot.Challenge, error) {
	if err := checkSpace(sp); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []*bot.Challenge
	err := db.bolt.View(func(tx *bolt.Tx) error {
		cb, err := child(tx, sp, bucketChallenges, false)
		if err != nil || cb == nil {
			return err
		}
		c := cb.Cursor()
		for k, v := c.Last(); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Prev() {
			ch := new(bot.Challenge)
			if err := decode("challenge", v, ch); err != nil {
				return err
			}
			out = append(out, ch)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list challenges: %w", err)
	}
	return out, nil
}
